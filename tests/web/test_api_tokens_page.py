"""The API tokens page: create (shown once, stored hashed), list, revoke, and its error states."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from eia.extensions import db
from eia.models import ApiToken, AuditEvent, User
from tests.conftest import PASSWORD


def test_a_token_is_shown_once_and_stored_only_as_its_hash(client_for, demo):
    author = client_for("author@example.org")
    page = author.get("/account/api-tokens/")
    assert page.h1 == "API tokens" and "You have no tokens." in page.html
    created = author.submit(
        "/account/api-tokens/",
        {"name": "Register export", "scopes": ["read"], "lifetime": "90", "password": PASSWORD},
        action="/account/api-tokens/",
        status=200,
    )
    secret = created.text_of(id="token-secret")
    assert secret.startswith("eia_") and len(secret) > 40
    with demo.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
        assert token.scopes == ["read"] and (token.expires_at - token.created_at).days == 90
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc())) == "api_token.created"
    listed = author.get("/account/api-tokens/")
    assert secret not in listed.html and "Register export" in listed.html and "Never" in listed.html
    assert (
        demo.test_client().get("/api/v1/assessments", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )

    author.submit("/account/api-tokens/", action=f"/account/api-tokens/{token.id}/revoke")
    assert "Revoked" in author.get("/account/api-tokens/").html
    assert (
        demo.test_client().get("/api/v1/assessments", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )


def test_mistakes_are_explained_and_create_nothing(client_for, demo):
    author = client_for("author@example.org")
    page = author.submit(
        "/account/api-tokens/",
        {"name": "", "scopes": ["read"], "password": PASSWORD},
        action="/account/api-tokens/",
        status=400,
    )
    assert page.error_messages == ["Enter a name for the token, for example the script that will use it"]
    page = author.submit(
        "/account/api-tokens/",
        {"name": "x", "scopes": [], "password": PASSWORD},
        action="/account/api-tokens/",
        status=400,
    )
    assert page.error_messages == ["Select what the token may do"]
    page = author.submit(
        "/account/api-tokens/",
        {"name": "x", "scopes": ["admin"], "password": PASSWORD},
        action="/account/api-tokens/",
        status=400,
    )
    assert page.error_messages == ["Select what the token may do from the list"]
    page = author.submit(
        "/account/api-tokens/",
        {"name": "x", "lifetime": "9999", "password": PASSWORD},
        action="/account/api-tokens/",
        status=400,
    )
    assert page.error_messages == ["Select how long the token lasts"]
    with demo.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_nobody_revokes_someone_elses_token(client_for, demo):
    owner = client_for("author@example.org")
    owner.submit(
        "/account/api-tokens/",
        {"name": "Mine", "scopes": ["read"], "password": PASSWORD},
        action="/account/api-tokens/",
        status=200,
    )
    with demo.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    other = client_for("approver@example.org")
    page = other.get("/account/api-tokens/")
    other.post(f"/account/api-tokens/{token_id}/revoke", {"csrf_token": page.csrf_token}, status=404)
    with demo.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


def _live_token(app, email: str) -> tuple[int, str]:
    from tests.api.conftest import make_token

    return make_token(app, email, ("read",))


def _works(app, secret: str) -> bool:
    return (
        app.test_client().get("/api/v1/assessments", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )


def test_minting_a_token_needs_the_password_again(client_for, demo):
    author = client_for("author@example.org")
    for password in ("", "not my password"):
        page = author.submit(
            "/account/api-tokens/",
            {"name": "Export", "scopes": ["read"], "password": password},
            action="/account/api-tokens/",
            status=400,
        )
        assert page.error_messages == ["Enter your password"]
        assert page.find(id="name").attrs["value"] == "Export" and not page.find(id="password").attrs.get("value")
    with demo.app_context():
        assert db.session.scalar(select(ApiToken)) is None
        failures = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "reauthentication.failed")
        ).all()
        assert len(failures) == 2


def test_the_longest_lifetime_is_configurable(make_app):
    from eia.services.demo import seed
    from tests.conftest import signed_in

    app = make_app(API_TOKEN_MAX_DAYS=30)
    with app.app_context():
        seed(PASSWORD)
    author = signed_in(app, "author@example.org")
    offered = [radio.attrs["value"] for radio in author.get("/account/api-tokens/").find_all("input", name="lifetime")]
    assert offered == ["7", "30"]
    page = author.submit(
        "/account/api-tokens/",
        {"name": "x", "scopes": ["read"], "lifetime": "365", "password": PASSWORD},
        action="/account/api-tokens/",
        status=400,
    )
    assert page.error_messages == ["Select how long the token lasts"]


def test_a_password_change_revokes_every_token(client_for, demo):
    _, secret = _live_token(demo, "author@example.org")
    author = client_for("author@example.org")
    author.submit("/account/password", {"current_password": PASSWORD, "new_password": "plum tractor lantern drizzle"})
    assert not _works(demo, secret)
    assert "Revoked: password changed" in author.get("/account/api-tokens/").html


def test_deactivation_revokes_tokens_and_reactivation_does_not_bring_them_back(client_for, demo):
    _, secret = _live_token(demo, "author@example.org")
    with demo.app_context():
        author_id = db.session.scalar(select(User.id).where(User.email == "author@example.org"))
    admin = client_for("admin@example.org")
    token = admin.get("/admin/").csrf_token
    admin.post(f"/admin/users/{author_id}/deactivate", {"csrf_token": token})
    admin.post(f"/admin/users/{author_id}/activate", {"csrf_token": token})
    assert not _works(demo, secret)


def test_an_administrator_revokes_a_token_with_a_reason_the_owner_reads(client_for, demo):
    token_id, secret = _live_token(demo, "author@example.org")
    with demo.app_context():
        author_id = db.session.scalar(select(User.id).where(User.email == "author@example.org"))
    admin = client_for("admin@example.org")
    person = f"/admin/users/{author_id}"
    action = f"{person}/api-tokens/{token_id}/revoke"
    refused = admin.submit(person, {"reason": "  "}, action=action, status=400)
    assert refused.error_messages == ["Enter the reason: it is kept in the audit log"] and _works(demo, secret)
    admin.submit(person, {"reason": "Script retired with the old server"}, action=action)
    assert not _works(demo, secret)
    assert (
        "Revoked: Script retired with the old server"
        in client_for("author@example.org").get("/account/api-tokens/").html
    )
    with demo.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.revoked"))
        assert event.details["reason"] == "Script retired with the old server"
        assert db.session.get(ApiToken, token_id).revoked_by_id is not None


def test_a_token_is_revoked_only_through_its_owner(client_for, demo):
    token_id, secret = _live_token(demo, "author@example.org")
    with demo.app_context():
        approver_id = db.session.scalar(select(User.id).where(User.email == "approver@example.org"))
    admin = client_for("admin@example.org")
    admin.post(
        f"/admin/users/{approver_id}/api-tokens/{token_id}/revoke",
        {"csrf_token": admin.get("/admin/").csrf_token, "reason": "wrong person"},
        status=404,
    )
    assert _works(demo, secret)


def test_a_session_guessing_the_password_is_slowed_down_like_a_sign_in(make_app):
    import re

    from eia.services.demo import seed
    from tests.conftest import signed_in

    app = make_app(SIGN_IN_MAX_FAILURES_PER_ACCOUNT=2)
    with app.app_context():
        seed(PASSWORD)
    author = signed_in(app, "author@example.org")
    form = {"name": "Export", "scopes": ["read"]}
    for guess in ("guess one", "guess two"):
        author.submit("/account/api-tokens/", {**form, "password": guess}, action="/account/api-tokens/", status=400)
    held = author.submit(
        "/account/api-tokens/", {**form, "password": PASSWORD}, action="/account/api-tokens/", status=400
    )
    assert re.fullmatch(r"Too many wrong attempts: wait \d+ seconds and try again", held.error_messages[0])
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None
