"""The API's test client: bearer tokens made by the real service, and every response checked
against the OpenAPI document (status documented, body valid against its schema)."""

from __future__ import annotations

import re

import jsonschema
import pytest
from referencing import Registry, Resource
from sqlalchemy import select

from eia.extensions import db
from eia.models import User
from eia.services import api_tokens
from eia.web.api_spec import openapi_document

ALL_SCOPES = ("read", "write", "decide")


def _template_for(document: dict, path: str) -> str:
    for template in document["paths"]:
        pattern = "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not in the OpenAPI document")


def check_against_document(method: str, path: str, response) -> None:
    """The response's status is documented for this operation and its body matches the schema."""
    document = openapi_document()
    path_item = document["paths"][_template_for(document, path.split("?")[0])]
    if method.lower() not in path_item:  # an undocumented method: a problem, nothing else
        assert (response.status_code, response.mimetype) == (405, "application/problem+json")
        return
    operation = path_item[method.lower()]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{method} {path}: status {response.status_code} is not documented"
    content = documented.get("content", {})
    assert response.mimetype in content, (
        f"{method} {path}: {response.mimetype} is not documented for {response.status_code}"
    )
    if response.mimetype.endswith("json"):
        registry = Registry().with_resource(
            "urn:api",
            Resource.from_contents(
                {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": document["components"]}
            ),
        )
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **content[response.mimetype]["schema"]}
        schema = _rebase(schema)
        jsonschema.Draft202012Validator(schema, registry=registry).validate(response.get_json())


def _rebase(node):
    if isinstance(node, dict):
        return {k: ("urn:api" + v if k == "$ref" and v.startswith("#/") else _rebase(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


class ApiClient:
    """A Flask test client sending a bearer token; every response is checked against the document."""

    def __init__(self, client, secret: str | None) -> None:
        self.client, self.secret = client, secret

    def request(self, method: str, path: str, *, status: int, headers: dict | None = None, **kwargs):
        headers = dict(headers or {})
        if self.secret:
            headers.setdefault("Authorization", f"Bearer {self.secret}")
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        response.close()  # as a server does once the body is sent
        assert response.status_code == status, (
            f"{method} {path}: expected {status}, got {response.status_code}: {response.get_data(as_text=True)[:2000]}"
        )
        assert "text/html" not in response.content_type
        check_against_document(method, path, response)
        return response

    def get(self, path, status=200, **kwargs):
        return self.request("GET", path, status=status, **kwargs)

    def post(self, path, status=200, **kwargs):
        return self.request("POST", path, status=status, **kwargs)

    def put(self, path, status=200, **kwargs):
        return self.request("PUT", path, status=status, **kwargs)


def make_token(app, email: str, scopes=ALL_SCOPES, days: int = 30):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        token, secret = api_tokens.create_token(user, f"test token for {email}", list(scopes), days)
        return token.id, secret


@pytest.fixture
def api_for(demo):
    """``api_for("author@example.org", scopes=("read",))``: an ApiClient with a fresh token."""

    def build(email: str, scopes=ALL_SCOPES) -> ApiClient:
        _token_id, secret = make_token(demo, email, scopes)
        return ApiClient(demo.test_client(), secret)

    return build
