"""Every URL refuses anonymous users and the wrong roles (function-level authorisation)."""

from __future__ import annotations

import pytest

from eia.models import ROLES
from tests.journeys import start_assessment

PUBLIC = {"auth.sign_in", "static"}
DEMO_USERS = {
    "author": "author@example.org",
    "approver": "approver@example.org",
    "board": "board@example.org",
    "auditor": "auditor@example.org",
    "admin": "admin@example.org",
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        # The JSON API takes bearer tokens, never the session: tests/api covers its 401s and scopes.
        if rule.endpoint in PUBLIC or rule.endpoint.startswith("api."):
            continue
        yield rule


def _url(rule, assessment_id: int) -> str:
    values = {"assessment_id": assessment_id, "page_id": "subject", "position": 1, "action": "submit",
              "user_id": 1, "change": "activate", "token_id": 1}
    return rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]


@pytest.fixture
def assessment_id(client_for):
    return start_assessment(client_for("author@example.org"))


def test_every_route_is_covered_by_this_test(demo):
    protected = list(_routes(demo))
    assert len(protected) >= 15, "routes went missing from the URL map"


def test_anonymous_users_are_sent_to_sign_in(anonymous, demo, assessment_id):
    for rule in _routes(demo):
        url = _url(rule, assessment_id)
        if "GET" in rule.methods:
            response = anonymous.client.get(url)
            assert response.status_code == 302, url
            assert response.headers["Location"].startswith("/sign-in"), url
        if "POST" in rule.methods:
            response = anonymous.client.post(url, data={})
            assert response.status_code in (302, 400), url  # no CSRF token, or sent to sign in
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/sign-in"), url


@pytest.mark.parametrize("role", list(ROLES))
def test_roles_outside_a_routes_roles_get_403(client_for, demo, assessment_id, role):
    client = client_for(DEMO_USERS[role])
    checked = 0
    for rule in _routes(demo):
        allowed = getattr(demo.view_functions[rule.endpoint], "allowed_roles", None)
        if allowed is None or role in allowed or "GET" not in rule.methods:
            continue
        response = client.client.get(_url(rule, assessment_id))
        assert response.status_code == 403, f"{role} reached {rule.rule}"
        checked += 1
    assert checked > 0 or role == "author"
