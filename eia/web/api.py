"""The JSON API, /api/v1/: personal access tokens (Authorization: Bearer), never cookies.

Views are as thin as the web's: parse JSON, call the same service the forms call, and answer JSON.
Access rules are eia.services.access's, validation is the domain's; every failure is an RFC 9457
problem (application/problem+json). The OpenAPI document (eia/web/api_spec.py) describes every
route and is checked against them by the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from eia.clock import uk_today
from eia.domain import questionnaire as q
from eia.domain.capabilities import WRITE_ASSESSMENTS, role_can
from eia.extensions import csrf, db
from eia.models import ApiToken, ArchivedRecord, Assessment, User
from eia.services import access, api_tokens, archive, assessments, integrity, workflow
from eia.services.database import Conflict, NotAllowed
from eia.services.definitions import current_definitions, definitions_of

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens are never sent by a browser on its own, so cross-site request forgery cannot use them;
# the API reads no session cookie.
csrf.exempt(bp)

PROBLEM_TYPE = "application/problem+json"
MAX_PAGE_SIZE = 100
MAX_OFFSET = 1_000_000


class Problem(Exception):
    """Answer with an RFC 9457 problem document."""

    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra


def problem_response(status: int, detail: str | None = None, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="due-regard"'
    return response


@bp.errorhandler(Problem)
def _problem(error: Problem) -> Response:
    return problem_response(error.status, error.detail, **error.extra)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return problem_response(error.code or 500, error.description)


# --- authentication and scopes --------------------------------------------------------------------


def _bearer_token() -> ApiToken:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Problem(401, "Send a personal access token: Authorization: Bearer <token>")
    token = api_tokens.authenticate(secret.strip())
    if token is None:
        raise Problem(401, "The token is unknown, expired or revoked")
    return token


def requires(*scopes: str) -> Callable:
    """A valid bearer token with one of ``scopes``; the view acts as the token's user."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = _bearer_token()
            if not set(scopes) & set(token.scopes):
                raise Problem(403, f"This token does not have the {' or '.join(repr(s) for s in scopes)} scope")
            g.api_token = token
            g.audit_via = {"api_token": token.id}  # every audit event this request writes names the token
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _user() -> User:
    return g.api_token.user


# --- request parsing ------------------------------------------------------------------------------


def _json_object(allowed: set[str]) -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise Problem(415, "Send the body as application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise Problem(400, "The body is not valid JSON")
    if not isinstance(body, dict):
        raise Problem(422, "The body must be a JSON object", errors={"": "must be an object"})
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Problem(
            422, f"Unknown field(s): {', '.join(unknown)}", errors={name: "unknown field" for name in unknown}
        )
    return body


def _expected_version(body: dict[str, Any]) -> int:
    """The version the client read: If-Match (the ETag) or a ``version`` field. Required on every change."""
    if "version" in body:
        version = body["version"]
        if isinstance(version, bool) or not isinstance(version, int):
            raise Problem(422, "version must be an integer", errors={"version": "must be an integer"})
        return version
    header = request.headers.get("If-Match")
    if header is None:
        raise Problem(428, "Say which version you are changing: an If-Match header (the ETag) or a version field")
    value = header.strip().removeprefix("W/").strip('"')
    return int(value) if value.isdigit() and len(value) < 10 else -1  # a version that never matches: 409


def _integer_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Problem(400, f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def _visible(assessment_id: int) -> Assessment:
    try:
        return assessments.get_visible(_user(), assessment_id)
    except NotAllowed:
        raise Problem(404, "No such assessment") from None


# --- representations ------------------------------------------------------------------------------


def _time(value) -> str | None:
    return value.isoformat() if value is not None else None


def assessment_summary(assessment: Assessment) -> dict[str, Any]:
    state = definitions_of(assessment).workflow.state(assessment.status)
    return {
        "id": assessment.id,
        "reference": assessment.reference,
        "version_number": assessment.version_number,
        "title": assessment.title,
        "subject_type": assessment.subject_type,
        "status": assessment.status,
        "status_label": state.label,
        "version": assessment.lock_version,
        "organisation": assessment.organisation.slug,
        "department_id": assessment.department_id,
        "author": {"id": assessment.author_id, "name": assessment.author.name},
        "created_at": _time(assessment.created_at),
        "updated_at": _time(assessment.updated_at),
        "submitted_at": _time(assessment.submitted_at),
        "decided_at": _time(assessment.decided_at),
        "url": url_for("api.get_assessment", assessment_id=assessment.id),
    }


def assessment_detail(assessment: Assessment, user: User) -> dict[str, Any]:
    path = assessments.current_path(assessment)
    options = assessments.answer_options(assessment, path)
    today = uk_today()
    record = archive.record_for(assessment)
    return {
        **assessment_summary(assessment),
        "questionnaire_version": assessment.questionnaire_version,
        "answers": path.answers,
        "pages": [
            {
                "id": page.id,
                "title": page.title,
                "task": page.task_id,
                "list": page.is_list,
                "status": q.page_status(path, page, options, today),
            }
            for page in path.pages
        ],
        "unfinished": [{"page": p.page_id, "message": p.message} for p in q.submission_problems(path, options, today)],
        "available_actions": [t.id for t in workflow.available_actions(assessment, user)],
        "can_edit": access.can_edit_answers(user, assessment),
        "archive_id": record.id if record else None,
        "transitions": [
            {
                "action": t.action,
                "from": t.from_state,
                "to": t.to_state,
                "actor": t.actor.name,
                "actor_role": t.actor_role,
                "at": _time(t.at),
                "comment": t.comment,
                "rules_fired": t.fired_rules,
                "details": t.details,
            }
            for t in assessment.transitions
        ],
    }


def _assessment_response(assessment: Assessment, status: int = 200) -> Response:
    response = jsonify(assessment_detail(assessment, _user()))
    response.status_code = status
    response.headers["ETag"] = f'"{assessment.lock_version}"'
    return response


def archive_entry(record: ArchivedRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "assessment_id": record.assessment_id,
        "reference": record.reference,
        "version_number": record.version_number,
        "title": record.assessment.title,
        "sha256": record.sha256,
        "size": record.size,
        "signed_at": _time(record.signed_at),
        "signer_certificate_sha256": record.signer_certificate_sha256,
        "audit_seq": record.audit_seq,
        "pdf_url": url_for("api.archive_pdf", archive_id=record.id),
    }


# --- routes ---------------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    from eia.web.api_spec import openapi_document

    return jsonify(openapi_document())


@bp.get("/assessments")
@requires("read")
def list_assessments():
    limit = _integer_arg("limit", 50, 1, MAX_PAGE_SIZE)
    offset = _integer_arg("offset", 0, 0, MAX_OFFSET)
    query = access.visible_assessments(_user())
    status = request.args.get("status")
    if status is not None:
        if status not in {s.id for s in current_definitions().workflow.states.values()}:
            raise Problem(400, "status must be one of the workflow's states")
        query = query.where(Assessment.status == status)
    rows = db.session.scalars(query.order_by(Assessment.id.desc()).limit(limit).offset(offset)).all()
    return jsonify({"items": [assessment_summary(a) for a in rows], "limit": limit, "offset": offset})


@bp.post("/assessments")
@requires("write")
def start_assessment():
    subject_type = None
    if request.content_length or request.mimetype:  # the body is optional: without one, the first kind's
        subject_type = _json_object({"subject_type"}).get("subject_type")
        if not isinstance(subject_type, str | None):
            raise Problem(422, "subject_type must be a string", errors={"subject_type": "must be a string"})
    try:
        assessment = assessments.start(_user(), subject_type)
    except NotAllowed as refused:
        raise Problem(403, str(refused)) from None
    except assessments.UnknownSubjectType:
        raise Problem(
            422,
            "subject_type is not a kind of proposal the definitions offer",
            errors={"subject_type": "unknown kind of proposal"},
        ) from None
    response = _assessment_response(assessment, 201)
    response.headers["Location"] = url_for("api.get_assessment", assessment_id=assessment.id)
    return response


@bp.get("/assessments/<id:assessment_id>")
@requires("read")
def get_assessment(assessment_id: int):
    return _assessment_response(_visible(assessment_id))


def _editable(assessment_id: int) -> Assessment:
    assessment = _visible(assessment_id)
    if assessment.author_id != _user().id or not _user().can(WRITE_ASSESSMENTS):
        raise Problem(403, "Only the author can change this assessment")
    if not access.in_editable_state(assessment):
        raise Problem(
            409,
            "This assessment cannot be changed in its current state "
            f"({definitions_of(assessment).workflow.state(assessment.status).label.lower()})",
        )
    return assessment


def _page(assessment: Assessment, page_id: str, *, is_list: bool) -> q.Page:
    try:
        _path, page = assessments.page_for(assessment, page_id)
    except assessments.PageNotAvailable:
        raise Problem(404, f"This assessment has no page {page_id!r} (or it is hidden by the answers)") from None
    if page.is_list != is_list:
        raise Problem(
            404,
            f"Page {page_id!r} is {'a list' if page.is_list else 'not a list'}: "
            f"use {'its items' if page.is_list else 'PUT on the page'}",
        )
    return page


def _answer_values(raw: Any, page: q.Page) -> dict[str, Any]:
    """Answers as the domain takes them: text, a choice, a list of choices, an ISO date, or null."""
    if not isinstance(raw, dict):
        raise Problem(
            422, "answers must be an object of question id to answer", errors={"answers": "must be an object"}
        )
    known = {question.id for question in page.definition.questions}
    errors = {}
    for key, value in raw.items():
        if key not in known:
            errors[key] = f"there is no question {key!r} on this page"
        elif not (
            value is None
            or isinstance(value, str)
            or (isinstance(value, list) and all(isinstance(item, str) for item in value))
        ):
            errors[key] = "must be a string, a list of strings, or null"
    if errors:
        raise Problem(422, "Some answers are not in the right form", errors=errors)
    return raw


def _validation_problem(result: q.PageResult) -> Problem:
    return Problem(422, "Some answers need correcting: nothing was saved", errors=result.errors)


@bp.put("/assessments/<id:assessment_id>/pages/<page_id>")
@requires("write")
def save_page(assessment_id: int, page_id: str):
    body = _json_object({"answers", "partial", "version"})
    assessment = _editable(assessment_id)
    page = _page(assessment, page_id, is_list=False)
    version = _expected_version(body)
    partial = body.get("partial", False)
    if not isinstance(partial, bool):
        raise Problem(422, "partial must be true or false", errors={"partial": "must be a boolean"})
    answers = _answer_values(body.get("answers", {}), page)
    try:
        result = assessments.save_page(assessment, _user(), page.id, answers, version, partial=partial)
    except Conflict:
        raise _conflict(assessment) from None
    if not result.ok:
        raise _validation_problem(result)
    return _assessment_response(assessment)


@bp.post("/assessments/<id:assessment_id>/pages/<page_id>/items")
@requires("write")
def add_item(assessment_id: int, page_id: str):
    body = _json_object({"item", "version"})
    assessment = _editable(assessment_id)
    page = _page(assessment, page_id, is_list=True)
    version = _expected_version(body)
    item = _answer_values(body.get("item", {}), page)
    try:
        result = assessments.add_list_item(assessment, _user(), page.id, item, version)
    except Conflict:
        raise _conflict(assessment) from None
    if not result.ok:
        raise _validation_problem(result)
    return _assessment_response(assessment)


@bp.post("/assessments/<id:assessment_id>/pages/<page_id>/finish")
@requires("write")
def finish_list(assessment_id: int, page_id: str):
    body = _json_object({"version"})
    assessment = _editable(assessment_id)
    page = _page(assessment, page_id, is_list=True)
    try:
        problem = assessments.finish_list(assessment, _user(), page.id, _expected_version(body))
    except Conflict:
        raise _conflict(assessment) from None
    if problem:
        raise Problem(422, problem, errors={"items": problem})
    return _assessment_response(assessment)


def _conflict(assessment: Assessment) -> Problem:
    db.session.refresh(assessment)
    return Problem(
        409,
        "Someone else changed this assessment since you read it: nothing was saved. "
        "Read it again and retry with its current version.",
        current_version=assessment.lock_version,
    )


def _string_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Problem(422, f"{name} must be a list of strings", errors={name: "must be a list of strings"})
    return [item.strip() for item in value if item.strip()]


@bp.post("/assessments/<id:assessment_id>/actions/<action>")
@requires("write", "decide")
def take_action(assessment_id: int, action: str):
    assessment = _visible(assessment_id)
    # The assessment's own (pinned) workflow says what the action is, who takes it and so which
    # scope it needs: authors' own steps (submit, withdraw) "write"; decisions on others' work "decide".
    definitions = definitions_of(assessment)
    transition = definitions.workflow.transitions.get(action)
    if transition is None:
        raise Problem(404, f"There is no action {action!r}")
    scope = "write" if all(role_can(role, WRITE_ASSESSMENTS) for role in transition.roles) else "decide"
    if scope not in g.api_token.scopes:
        raise Problem(403, f"This token does not have the {scope!r} scope")
    body = _json_object({"comment", "conditions", "section_reasons", "version"})
    user = _user()
    if not user.has_role(*transition.roles) or workflow.overtaken_action(assessment, user, action) is None:
        raise Problem(403, f"You cannot {transition.label.lower()} this assessment")
    version = _expected_version(body)
    comment = body.get("comment", "")
    if not isinstance(comment, str):
        raise Problem(422, "comment must be a string", errors={"comment": "must be a string"})
    reasons = body.get("section_reasons", {})
    if not isinstance(reasons, dict) or not all(isinstance(v, str) for v in reasons.values()):
        raise Problem(
            422,
            "section_reasons must map section ids to text",
            errors={"section_reasons": "must be an object of strings"},
        )
    decision = workflow.Decision(
        comment=comment.strip(),
        # Each owned by the senior responsible officer and due on the review date (workflow.condition_defaults).
        conditions=[workflow.Condition(text) for text in _string_list(body.get("conditions", []), "conditions")],
        section_reasons={key: value.strip() for key, value in reasons.items() if value.strip()},
    )
    if version == assessment.lock_version and transition not in workflow.available_actions(assessment, user):
        state = definitions.workflow.state(assessment.status)
        raise Problem(
            409,
            f"You cannot {transition.label.lower()} an assessment that is {state.label.lower()}",
            current_version=assessment.lock_version,
        )
    try:
        outcome = workflow.take_action(assessment, user, action, decision, version)
    except NotAllowed:
        raise Problem(404, "No such assessment") from None
    except Conflict:
        raise _conflict(assessment) from None
    except workflow.ActionRefused as refused:
        raise Problem(422, refused.reasons[0], errors={"decision": "; ".join(refused.reasons)}) from None
    except workflow.SignOffFailed:
        raise Problem(
            503,
            "The signed record could not be made or stored, so the decision was not recorded. "
            "Nothing has changed: try again later.",
        ) from None
    return jsonify(
        {
            "from": outcome.from_state,
            "to": outcome.to_state,
            "rules_fired": [{"id": rule.id, "label": rule.label} for rule in outcome.fired_rules],
            "assessment": assessment_detail(assessment, user),
        }
    )


@bp.get("/archive")
@requires("read")
def list_archive():
    limit = _integer_arg("limit", 50, 1, MAX_PAGE_SIZE)
    offset = _integer_arg("offset", 0, 0, MAX_OFFSET)
    records = archive.visible_records(_user(), limit, offset)
    return jsonify({"items": [archive_entry(r) for r in records], "limit": limit, "offset": offset})


@bp.get("/archive/<id:archive_id>/pdf")
@requires("read")
def archive_pdf(archive_id: int):
    try:
        record = archive.get_visible_record(_user(), archive_id)
    except NotAllowed:
        raise Problem(404, "No such archived record") from None
    response = Response(archive.download(record, _user()), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{archive.download_name(record)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/verify")
@requires("read")
def verify():
    if request.mimetype != "application/pdf":
        raise Problem(415, "Send the PDF itself as the body, with Content-Type: application/pdf")
    content = request.get_data(cache=False)
    if not content:
        raise Problem(422, "The body is empty: send the PDF", errors={"": "empty body"})
    result = integrity.verify_upload(_user(), content)
    return jsonify(
        {
            "ok": result.ok,
            "sha256": result.sha256,
            "size": result.size,
            "problems": result.problems,
            "signatures": [
                {
                    "signer": s.signer,
                    "signed_at": _time(s.signed_at),
                    "certificate_sha256": s.certificate_sha256,
                    "intact": s.intact,
                    "valid": s.valid,
                    "trusted": s.trusted,
                    "coverage": s.coverage,
                }
                for s in result.signatures
            ],
            "archived_record": archive_entry(result.record) if result.record else None,
        }
    )
