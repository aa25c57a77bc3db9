"""The API tokens page: create (shown once, stored hashed), list, revoke, and its error states."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from eia.extensions import db
from eia.models import ApiToken, AuditEvent


def test_a_token_is_shown_once_and_stored_only_as_its_hash(client_for, demo):
    author = client_for("author@example.org")
    page = author.get("/account/api-tokens/")
    assert page.h1 == "API tokens" and "You have no tokens." in page.html
    created = author.submit("/account/api-tokens/", {"name": "Register export", "scopes": ["read"], "lifetime": "90"},
                            action="/account/api-tokens/", status=200)
    secret = created.text_of(id="token-secret")
    assert secret.startswith("eia_") and len(secret) > 40
    with demo.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
        assert token.scopes == ["read"] and (token.expires_at - token.created_at).days == 90
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc())) == "api_token.created"
    listed = author.get("/account/api-tokens/")
    assert secret not in listed.html and "Register export" in listed.html and "Never" in listed.html
    assert demo.test_client().get("/api/v1/assessments", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    author.submit("/account/api-tokens/", action=f"/account/api-tokens/{token.id}/revoke")
    assert "Revoked" in author.get("/account/api-tokens/").html
    assert demo.test_client().get("/api/v1/assessments", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_mistakes_are_explained_and_create_nothing(client_for, demo):
    author = client_for("author@example.org")
    page = author.submit("/account/api-tokens/", {"name": "", "scopes": ["read"]}, action="/account/api-tokens/", status=400)
    assert page.error_messages == ["Enter a name for the token, for example the script that will use it"]
    page = author.submit("/account/api-tokens/", {"name": "x", "scopes": []}, action="/account/api-tokens/", status=400)
    assert page.error_messages == ["Select what the token may do"]
    page = author.submit("/account/api-tokens/", {"name": "x", "scopes": ["admin"]}, action="/account/api-tokens/", status=400)
    assert page.error_messages == ["Select what the token may do from the list"]
    page = author.submit("/account/api-tokens/", {"name": "x", "lifetime": "9999"}, action="/account/api-tokens/", status=400)
    assert page.error_messages == ["Select how long the token lasts"]
    with demo.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_nobody_revokes_someone_elses_token(client_for, demo):
    owner = client_for("author@example.org")
    owner.submit("/account/api-tokens/", {"name": "Mine", "scopes": ["read"]}, action="/account/api-tokens/", status=200)
    with demo.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    other = client_for("approver@example.org")
    page = other.get("/account/api-tokens/")
    other.post(f"/account/api-tokens/{token_id}/revoke", {"csrf_token": page.csrf_token}, status=404)
    with demo.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None
