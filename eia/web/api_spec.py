"""The OpenAPI 3.1 document for /api/v1/. tests/api/test_openapi.py keeps it true: every route is
documented, every documented path exists, and real responses validate against these schemas."""

from __future__ import annotations

from typing import Any

NULLABLE_STRING = {"type": ["string", "null"]}
DATE_TIME = {"type": "string", "format": "date-time"}
NULLABLE_DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict[str, Any], required: list[str] | None = None, *, closed: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


def _json(schema: dict[str, Any], description: str, headers: dict | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


PROBLEMS = {
    400: "The request is malformed (bad JSON, a bad query parameter)",
    401: "No valid bearer token",
    403: "The token lacks the scope, or the user's role cannot do this",
    404: "Not found, or not visible to this user",
    405: "Method not allowed",
    409: "Someone else changed the assessment first, or its state does not allow this",
    413: "The body is too large",
    415: "Wrong Content-Type",
    422: "Well-formed but invalid: the errors say what to correct; nothing was changed",
    428: "Say which version you are changing (If-Match or a version field)",
    503: "The signed record could not be made; nothing changed: retry later",
}


def _problems(*codes: int) -> dict[str, Any]:
    return {
        str(code): {"description": PROBLEMS[code], "content": {"application/problem+json": {"schema": _ref("Problem")}}}
        for code in (401, 404, 405, 413, *codes)
    }


ETAG = {"ETag": {"description": "The assessment's version, for If-Match", "schema": {"type": "string"}}}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The ETag you read (instead of a version field in the body)",
    "schema": {"type": "string"},
}
ASSESSMENT_ID = {"name": "assessment_id", "in": "path", "required": True, "schema": ID, "example": 1}
PAGE_ID = {
    "name": "page_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "example": "aims",
    "description": "A page of the questionnaire, e.g. subject or impact:age (see the assessment's pages)",
}
LIST_PAGE_ID = {**PAGE_ID, "example": "action_plan", "description": "A list page: action_plan"}
PAGING = [
    {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    {
        "name": "offset",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
    },
]
ANSWER = {
    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}, {"type": "null"}],
    "description": "Text, a choice's value, a list of choices' values, or a date as YYYY-MM-DD",
}


def _body(schema_name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema_name)}}}


SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "What to correct, by field or question id",
            },
            "current_version": {"type": "integer"},
        },
        "required": ["type", "title", "status"],
    },
    "AssessmentSummary": {"allOf": [_ref("AssessmentFields")], "unevaluatedProperties": False},
    "AssessmentFields": _object(
        {
            "id": ID,
            "reference": {"type": "string"},
            "version_number": {"type": "integer"},
            "title": {"type": "string"},
            "subject_type": NULLABLE_STRING,
            "status": {"type": "string"},
            "status_label": {"type": "string"},
            "version": {"type": "integer", "description": "Send it back to change the assessment"},
            "organisation": {"type": "string"},
            "department_id": {"type": ["integer", "null"]},
            "author": _object({"id": ID, "name": {"type": "string"}}),
            "created_at": DATE_TIME,
            "updated_at": DATE_TIME,
            "submitted_at": NULLABLE_DATE_TIME,
            "decided_at": NULLABLE_DATE_TIME,
            "url": {"type": "string"},
        },
        closed=False,
    ),
    "AssessmentList": _object(
        {
            "items": {"type": "array", "items": _ref("AssessmentSummary")},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        }
    ),
    "Transition": _object(
        {
            "action": {"type": "string"},
            "from": {"type": "string"},
            "to": {"type": "string"},
            "actor": {"type": "string"},
            "actor_role": {"type": "string"},
            "at": DATE_TIME,
            "comment": NULLABLE_STRING,
            "rules_fired": {"type": "array", "items": _ref("FiredRule")},
            "details": {"type": "object"},
        }
    ),
    "FiredRule": _object({"id": {"type": "string"}, "label": {"type": "string"}}),
    "Assessment": {
        "allOf": [_ref("AssessmentFields")],
        "unevaluatedProperties": False,
        "type": "object",
        "properties": {
            "questionnaire_version": {"type": "integer"},
            "answers": {"type": "object", "description": "Page id to that page's answers"},
            "pages": {
                "type": "array",
                "items": _object(
                    {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "task": {"type": "string"},
                        "list": {"type": "boolean"},
                        "status": {"type": "string"},
                    }
                ),
            },
            "unfinished": {
                "type": "array",
                "items": _object({"page": {"type": "string"}, "message": {"type": "string"}}),
            },
            "available_actions": {"type": "array", "items": {"type": "string"}},
            "can_edit": {"type": "boolean"},
            "archive_id": {"type": ["integer", "null"]},
            "transitions": {"type": "array", "items": _ref("Transition")},
        },
        "required": [
            "questionnaire_version",
            "answers",
            "pages",
            "unfinished",
            "available_actions",
            "can_edit",
            "archive_id",
            "transitions",
        ],
    },
    "PageAnswers": _object(
        {
            "answers": {"type": "object", "additionalProperties": ANSWER},
            "partial": {"type": "boolean", "description": "Save and come back later: required answers may be missing"},
            "version": {"type": "integer"},
        },
        required=["answers"],
    ),
    "ListItem": _object(
        {"item": {"type": "object", "additionalProperties": ANSWER}, "version": {"type": "integer"}}, required=["item"]
    ),
    "Version": _object({"version": {"type": "integer"}}, required=[]),
    "NewAssessment": _object(
        {
            "subject_type": {
                "type": "string",
                "description": "What is assessed (a value of workflows/subject-types.json): it chooses the "
                "questionnaire and workflow the assessment follows. Without it, the first kind's.",
            }
        },
        required=[],
    ),
    "Decision": _object(
        {
            "comment": {"type": "string"},
            "conditions": {
                "type": "array",
                "items": {"type": "string"},
                "description": "For an approval with conditions: each is owned by the senior responsible officer and due on the review date",
            },
            "section_reasons": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Task id to why that section is returned",
            },
            "version": {"type": "integer"},
        },
        required=[],
    ),
    "ActionResult": _object(
        {
            "from": {"type": "string"},
            "to": {"type": "string"},
            "rules_fired": {"type": "array", "items": _ref("FiredRule")},
            "assessment": _ref("Assessment"),
        }
    ),
    "ArchivedRecord": _object(
        {
            "id": ID,
            "assessment_id": ID,
            "reference": {"type": "string"},
            "version_number": {"type": "integer"},
            "title": {"type": "string"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "size": {"type": "integer"},
            "signed_at": DATE_TIME,
            "signer_certificate_sha256": {"type": "string"},
            "audit_seq": {"type": ["integer", "null"]},
            "pdf_url": {"type": "string"},
        }
    ),
    "ArchiveList": _object(
        {
            "items": {"type": "array", "items": _ref("ArchivedRecord")},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        }
    ),
    "Verification": _object(
        {
            "ok": {"type": "boolean"},
            "sha256": {"type": "string"},
            "size": {"type": "integer"},
            "problems": {"type": "array", "items": {"type": "string"}},
            "signatures": {
                "type": "array",
                "items": _object(
                    {
                        "signer": {"type": "string"},
                        "signed_at": NULLABLE_DATE_TIME,
                        "certificate_sha256": {"type": "string"},
                        "intact": {"type": "boolean"},
                        "valid": {"type": "boolean"},
                        "trusted": {"type": "boolean"},
                        "coverage": {"type": "string"},
                    }
                ),
            },
            "archived_record": {"anyOf": [_ref("ArchivedRecord"), {"type": "null"}]},
        }
    ),
}


def _operation(summary: str, scope: str | None, responses: dict, **extra: Any) -> dict[str, Any]:
    operation = {"summary": summary, "responses": responses, **extra}
    if scope is None:
        operation["security"] = []
    else:
        operation["description"] = f"Needs a token with the `{scope}` scope. " + extra.get("description", "")
    return operation


def openapi_document() -> dict[str, Any]:
    assessment = _json(_ref("Assessment"), "The assessment", ETAG)
    paths = {
        "/api/v1/openapi.json": {
            "get": _operation("This document", None, {"200": _json({"type": "object"}, "OpenAPI 3.1")})
        },
        "/api/v1/assessments": {
            "get": _operation(
                "Assessments you can see",
                "read",
                {"200": _json(_ref("AssessmentList"), "Newest first"), **_problems(400, 403)},
                parameters=[
                    *PAGING,
                    {
                        "name": "status",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "Only those in this workflow state",
                    },
                ],
            ),
            "post": _operation(
                "Start a new draft (authors)",
                "write",
                {
                    "201": _json(_ref("Assessment"), "Started", {**ETAG, "Location": {"schema": {"type": "string"}}}),
                    **_problems(400, 403, 415, 422),
                },
                requestBody={**_body("NewAssessment"), "required": False},
            ),
        },
        "/api/v1/assessments/{assessment_id}": {
            "parameters": [ASSESSMENT_ID],
            "get": _operation(
                "One assessment, with its answers, pages and history", "read", {"200": assessment, **_problems(403)}
            ),
        },
        "/api/v1/assessments/{assessment_id}/pages/{page_id}": {
            "parameters": [ASSESSMENT_ID, PAGE_ID],
            "put": _operation(
                "Answer one page, validated as the form is",
                "write",
                {"200": assessment, **_problems(400, 403, 409, 415, 422, 428)},
                parameters=[IF_MATCH],
                requestBody=_body("PageAnswers"),
            ),
        },
        "/api/v1/assessments/{assessment_id}/pages/{page_id}/items": {
            "parameters": [ASSESSMENT_ID, LIST_PAGE_ID],
            "post": _operation(
                "Add an item to a list page (the action plan)",
                "write",
                {"200": assessment, **_problems(400, 403, 409, 415, 422, 428)},
                parameters=[IF_MATCH],
                requestBody=_body("ListItem"),
            ),
        },
        "/api/v1/assessments/{assessment_id}/pages/{page_id}/finish": {
            "parameters": [ASSESSMENT_ID, LIST_PAGE_ID],
            "post": _operation(
                "Mark a list page complete",
                "write",
                {"200": assessment, **_problems(400, 403, 409, 415, 422, 428)},
                parameters=[IF_MATCH],
                requestBody=_body("Version"),
            ),
        },
        "/api/v1/assessments/{assessment_id}/actions/{action}": {
            "parameters": [
                ASSESSMENT_ID,
                {
                    "name": "action",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "One of the assessment's available_actions: the "
                    "transitions of the workflow it pinned. An author's own "
                    "steps (submitting, withdrawing) need the scope write; "
                    "decisions on others' work the scope decide.",
                },
            ],
            "post": _operation(
                "Submit, or take a decision",
                "write or decide",
                {"200": _json(_ref("ActionResult"), "Done"), **_problems(400, 403, 409, 415, 422, 428, 503)},
                parameters=[IF_MATCH],
                requestBody=_body("Decision"),
            ),
        },
        "/api/v1/archive": {
            "get": _operation(
                "Signed records you can see",
                "read",
                {"200": _json(_ref("ArchiveList"), "Newest first"), **_problems(400, 403)},
                parameters=PAGING,
            ),
        },
        "/api/v1/archive/{archive_id}/pdf": {
            "parameters": [{"name": "archive_id", "in": "path", "required": True, "schema": ID}],
            "get": _operation(
                "Download a signed PDF (audited)",
                "read",
                {
                    "200": {
                        "description": "The signed PDF",
                        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **_problems(403),
                },
            ),
        },
        "/api/v1/verify": {
            "post": _operation(
                "Verify a PDF you hold: signature, integrity, and whether it is one of ours",
                "read",
                {
                    "200": _json(_ref("Verification"), "The report (ok is false when anything is wrong)"),
                    **_problems(403, 415, 422),
                },
                requestBody={
                    "required": True,
                    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                },
            ),
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Due Regard API",
            "version": "1.0.0",
            "description": "Equality impact assessments. Authenticate with a personal access token "
            "(create one on the API tokens page): Authorization: Bearer <token>. "
            "Every failure is an RFC 9457 problem (application/problem+json).",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerToken": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer", "description": "A personal access token (eia_...)"}
            },
            "schemas": SCHEMAS,
        },
    }
