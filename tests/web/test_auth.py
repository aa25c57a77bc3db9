"""Signing in and out."""

from __future__ import annotations

from sqlalchemy import select

from eia.extensions import db
from eia.models import AuditEvent
from tests.conftest import PASSWORD


def _events(app, action):
    with app.app_context():
        return [
            e.details
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
        ]


def test_sign_in_and_out(anonymous, demo):
    anonymous.get("/", status=302)
    page = anonymous.submit("/sign-in", {"email": "Author@Example.org ", "password": PASSWORD})
    assert anonymous.location(page) == "/"
    dashboard = anonymous.get("/")
    assert "Signed in as Alex Author" in dashboard.html
    anonymous.submit("/", action="/sign-out")
    anonymous.get("/", status=302)
    assert len(_events(demo, "sign_in.succeeded")) == 1
    assert len(_events(demo, "sign_out")) == 1


def test_failed_sign_in_is_generic_and_audited(anonymous, demo):
    wrong_password = anonymous.submit("/sign-in", {"email": "author@example.org", "password": "nope"}, status=400)
    unknown = anonymous.submit("/sign-in", {"email": "nobody@example.org", "password": "nope"}, status=400)
    assert wrong_password.error_messages == unknown.error_messages == ["Enter a correct email address and password"]
    reasons = [e["reason"] for e in _events(demo, "sign_in.failed")]
    assert reasons == ["wrong password", "unknown account"]


def test_sign_in_redirects_only_to_local_paths(anonymous):
    page = anonymous.submit("/sign-in?next=//evil.example/x", {"email": "author@example.org", "password": PASSWORD})
    assert anonymous.location(page) == "/"


def test_session_is_renewed_at_sign_in(anonymous):
    anonymous.get("/sign-in")
    before = anonymous.client.get_cookie("session")
    anonymous.submit("/sign-in", {"email": "author@example.org", "password": PASSWORD})
    after = anonymous.client.get_cookie("session")
    assert before is None or before.value != after.value


def test_disabled_user_is_signed_out_at_once(client_for, demo):
    from eia.models import User

    author = client_for("author@example.org")
    author.get("/")
    with demo.app_context():
        user = db.session.scalar(select(User).where(User.email == "author@example.org"))
        user.active = False
        db.session.commit()
    author.get("/", status=302)


def test_security_headers_on_every_response(anonymous):
    for url, status in (("/sign-in", 200), ("/no-such-page", 404)):
        response = anonymous.client.get(url)
        assert response.status_code == status
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self' 'nonce-" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
    html = anonymous.client.get("/sign-in").get_data(as_text=True)
    nonce = anonymous.client.get("/sign-in").headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert "<script nonce=" in html and nonce not in html, "a fresh nonce per response"
