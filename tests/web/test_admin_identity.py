"""Administrators see and unlink a person's single sign-on identity, on the person's page and with
`eia users identity` / `eia users unlink-identity`; each unlink is audited and ends that person's sessions."""

from __future__ import annotations

from sqlalchemy import select

from eia.extensions import db
from eia.models import AuditEvent, User, UserSession
from eia.services import users
from tests.pages import PageClient

ISSUER = "https://login.example.org"


def _link(app, email: str, subject: str) -> int:
    """Link through the service, as a first single sign-on does."""
    with app.app_context(), app.test_request_context():
        user = users.sign_in_with_identity(
            issuer=ISSUER, subject=subject, email=email, email_verified=True, multi_factor=True
        )
        return user.id


def _user(app, email: str) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def _unlinked_events(app) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.identity_unlinked")).all()


def _live_sessions(app, email: str) -> int:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return len(
            db.session.scalars(
                select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
            ).all()
        )


def test_an_administrator_sees_and_unlinks_a_linked_identity(client_for, demo):
    author_id = _link(demo, "author@example.org", "alex-at-the-provider")
    author = client_for("author@example.org")
    admin = client_for("admin@example.org")
    people = admin.get("/admin/")
    assert people.find("a", href=f"/admin/users/{author_id}").text == "Alex Author"

    page = admin.get(f"/admin/users/{author_id}")
    assert page.h1 == "Alex Author"
    assert ISSUER in page.html and "alex-at-the-provider" in page.html
    done = admin.submit(f"/admin/users/{author_id}", action=f"/admin/users/{author_id}/unlink-identity")
    assert admin.location(done) == f"/admin/users/{author_id}"
    after = admin.get(f"/admin/users/{author_id}")
    assert "author@example.org is no longer linked to a single sign-on identity" in after.html
    assert "Not linked." in after.html and "alex-at-the-provider" not in after.html
    assert _user(demo, "author@example.org").oidc_subject is None

    (event,) = _unlinked_events(demo)
    assert event.details == {
        "issuer": ISSUER,
        "subject": "alex-at-the-provider",
        "email": "author@example.org",
        "sessions_ended": 2,
    }  # the linking sign-in's and the password one
    assert event.actor_id == _user(demo, "admin@example.org").id
    author.get("/", status=302)  # signed out
    assert _live_sessions(demo, "admin@example.org") == 1  # the administrator was not

    # Sent again (a second tab, a double click): nothing to unlink, said plainly.
    again = admin.post(f"/admin/users/{author_id}/unlink-identity", {"csrf_token": after.csrf_token}, status=400)
    assert again.error_messages == ["Alex Author is not linked to a single sign-on identity"]
    assert len(_unlinked_events(demo)) == 1


def test_people_of_another_organisation_and_other_roles_are_refused(client_for, demo):
    neighbour_id = _link(demo, "author@neighbouring.example.org", "neighbour")
    admin = client_for("admin@example.org")
    token = admin.get("/admin/").csrf_token
    admin.get(f"/admin/users/{neighbour_id}", status=404)
    response = admin.client.post(f"/admin/users/{neighbour_id}/unlink-identity", data={"csrf_token": token})
    assert response.status_code == 404
    author_id = _user(demo, "author@example.org").id
    approver = client_for("approver@example.org")
    approver.get(f"/admin/users/{author_id}", status=403)
    assert _user(demo, "author@neighbouring.example.org").oidc_subject == "neighbour"
    assert _unlinked_events(demo) == []


def test_the_command_line_shows_and_unlinks_an_identity(demo):
    _link(demo, "approver@example.org", "approver-at-the-provider")
    signed_in = PageClient(demo.test_client())
    from tests.conftest import PASSWORD

    signed_in.sign_in("approver@example.org", PASSWORD)
    cli = demo.test_cli_runner()

    shown = cli.invoke(args=["users", "identity", "Approver@Example.org"])
    assert shown.exit_code == 0
    assert shown.output == f"approver@example.org is linked to the identity 'approver-at-the-provider' at {ISSUER}\n"

    unlinked = cli.invoke(args=["users", "unlink-identity", "approver@example.org"])
    assert unlinked.exit_code == 0, unlinked.output
    assert "Unlinked approver@example.org" in unlinked.output
    signed_in.get("/", status=302)
    (event,) = _unlinked_events(demo)
    assert event.actor_id is None and event.details["sessions_ended"] == 2  # the link's session and the password one

    assert "is not linked" in cli.invoke(args=["users", "identity", "approver@example.org"]).output
    again = cli.invoke(args=["users", "unlink-identity", "approver@example.org"])
    assert again.exit_code == 1 and "is not linked to a single sign-on identity" in again.output
    nobody = cli.invoke(args=["users", "unlink-identity", "nobody@example.org"])
    assert nobody.exit_code == 1 and "No account uses the email nobody@example.org" in nobody.output
