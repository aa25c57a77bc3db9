"""The OpenAPI document is true: every API route is documented with its methods, every documented
operation exists, and it is served. (Responses are checked against it by every API test, see
tests/api/conftest.py, and by the fuzzer.)"""

from __future__ import annotations

import re

from eia.web.api_spec import openapi_document

IMPLICIT_METHODS = {"HEAD", "OPTIONS"}


def _routes(app) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", r"{\1}", rule.rule)
            routes.setdefault(path, set()).update(m.lower() for m in rule.methods - IMPLICIT_METHODS)
    return routes


def _documented() -> dict[str, set[str]]:
    return {
        path: {m for m in item if m in {"get", "post", "put", "patch", "delete"}}
        for path, item in openapi_document()["paths"].items()
    }


def test_every_route_is_documented_and_every_documented_operation_exists(app):
    assert _routes(app) == _documented()


def test_the_document_is_served_without_a_token_and_every_operation_says_its_problems(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.json == openapi_document()
    assert response.json["openapi"].startswith("3.1")
    for path, item in openapi_document()["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or path.endswith("openapi.json"):
                continue
            assert {"401", "404"} <= set(operation["responses"]), f"{method} {path}"
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], f"{method} {path} {code}"
