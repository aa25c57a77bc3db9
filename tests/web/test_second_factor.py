"""The second factor: set up at first sign-in by those whose role needs it, a real code from pyotp at
every password sign-in after that, single-use recovery codes, and an administrator's reset."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from eia.extensions import db
from eia.models import AuditEvent, RecoveryCode, User
from eia.models.types import utcnow
from eia.services.demo import seed
from tests.conftest import PASSWORD
from tests.pages import PageClient

APPROVER = "approver@example.org"


@pytest.fixture
def mfa_app(make_app):
    app = make_app(SECOND_FACTOR_REQUIRED=True)
    with app.app_context():
        seed(PASSWORD)
    return app


def _code(secret: str, steps_ahead: int = 0) -> str:
    """The app's code now, or for a later 30-second step (accepted as clock drift: no waiting in tests)."""
    return pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30 * steps_ahead))


def _actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def _set_up(app, email: str) -> tuple[PageClient, str, list[str]]:
    """Sign in with the password, be sent to set up the app, set it up with its first code."""
    client = PageClient(app.test_client())
    client.sign_in(email, PASSWORD)
    sent = client.get("/", status=302)
    assert client.location(sent).endswith("/account/second-factor")
    setup = client.get("/account/second-factor")
    assert setup.h1 == "Set up your authenticator app" and "<svg" in setup.html
    secret = setup.text_of(id="setup-key").replace(" ", "")  # shown in groups of four, to read and to wrap
    assert client.get("/account/second-factor").text_of(id="setup-key").replace(" ", "") == secret, "kept until used"
    with app.app_context():
        pending = db.session.scalar(select(User).where(User.email == email))
        assert pending.totp_secret == secret and not pending.has_second_factor
    done = client.submit("/account/second-factor", {"code": _code(secret)}, status=200)
    codes = [li.text.strip() for li in done.find(id="recovery-codes").find_all("li")]
    return client, secret, codes


def test_the_whole_journey_with_real_codes(mfa_app):
    client, secret, codes = _set_up(mfa_app, APPROVER)
    assert len(codes) == 10 and len(set(codes)) == 10 and all(len(code) == 14 for code in codes)
    client.get("/")  # set up: the service opens
    with mfa_app.app_context():
        user = db.session.scalar(select(User).where(User.email == APPROVER))
        assert user.totp_enabled_at is not None
        stored = set(db.session.scalars(select(RecoveryCode.code_sha256)))
        assert not any(code.replace("-", "") in stored or code in stored for code in codes), "only hashes are kept"
    client.submit("/", action="/sign-out")

    # Next time, the password alone is not enough: no session starts until the code is given.
    client.sign_in(APPROVER, PASSWORD)
    assert "/sign-in" in client.location(client.get("/", status=302))
    page = client.get("/sign-in/code")
    assert page.h1 == "Enter the code from your authenticator app"
    wrong = client.submit("/sign-in/code", {"code": "000000" if _code(secret, 1) != "000000" else "111111"}, status=400)
    assert wrong.error_messages == [
        "Enter the 6-digit code your authenticator app shows now, or one of your recovery codes"
    ]
    signed_in = client.submit("/sign-in/code", {"code": _code(secret, 1)})
    assert client.location(signed_in) == "/"
    client.get("/")
    assert "Password and authenticator app" in client.get("/account/sessions").html
    client.submit("/", action="/sign-out")

    # A code works once: the same step is refused the second time.
    client.sign_in(APPROVER, PASSWORD)
    client.submit("/sign-in/code", {"code": _code(secret, 1)}, status=400)
    # A recovery code works once too, typed any way.
    client.submit("/sign-in/code", {"code": codes[0].upper().replace("-", " ")})
    client.get("/")
    client.submit("/", action="/sign-out")
    client.sign_in(APPROVER, PASSWORD)
    client.submit("/sign-in/code", {"code": codes[0]}, status=400)

    actions = _actions(mfa_app)
    assert actions.count("sign_in.password_accepted") == 3 and "second_factor.enabled" in actions
    assert actions.count("sign_in.failed") == 3


def test_administrators_see_who_has_still_to_set_up_the_app(mfa_app):
    admin, _, _ = _set_up(mfa_app, "admin@example.org")
    page = admin.get("/admin/")
    needing = [row for row in page.html.split("<tr") if "Authenticator app not set up yet" in row]
    assert any("approver@example.org" in row for row in needing)
    assert not any("admin@example.org" in row or "author@example.org" in row for row in needing)


def test_a_role_without_the_duty_is_not_asked(mfa_app):
    author = PageClient(mfa_app.test_client())
    author.sign_in("author@example.org", PASSWORD)
    author.get("/")


def test_with_the_switch_off_nobody_is_sent_to_set_up(client_for):
    client_for(APPROVER).get("/")


def test_before_set_up_only_the_set_up_page_and_sign_out_open(mfa_app):
    client = PageClient(mfa_app.test_client())
    client.sign_in(APPROVER, PASSWORD)
    for url in ("/", "/account/api-tokens/", "/account/sessions", "/admin/"):
        assert client.location(client.get(url, status=302)).endswith("/account/second-factor")
    wrong = client.submit("/account/second-factor", {"code": "12345"}, status=400)
    assert wrong.error_messages == ["Enter the 6-digit code your authenticator app shows now"]
    client.submit("/account/second-factor", action="/sign-out")


def test_the_code_step_expires_and_needs_a_password_first(mfa_app):
    client = PageClient(mfa_app.test_client())
    gone = client.get("/sign-in/code")
    assert "enter your email address and password again" in gone.html and gone.find("a", href="/sign-in")


def test_new_recovery_codes_need_the_password_and_a_code(mfa_app):
    client, secret, codes = _set_up(mfa_app, APPROVER)
    page = client.submit(
        "/account/second-factor",
        {"password": "wrong", "code": _code(secret, 1)},
        action="/account/second-factor/recovery-codes",
        status=400,
    )
    assert page.error_messages == ["Enter your password"]
    page = client.submit(
        "/account/second-factor",
        {"password": PASSWORD, "code": _code(secret, 1)},
        action="/account/second-factor/recovery-codes",
        status=200,
    )
    fresh = [li.text.strip() for li in page.find(id="recovery-codes").find_all("li")]
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    assert "You have 10 unused recovery codes." in client.get("/account/second-factor").html


def test_an_administrator_resets_a_lost_second_factor(mfa_app):
    client, secret, _ = _set_up(mfa_app, APPROVER)
    admin, admin_secret, _ = _set_up(mfa_app, "admin@example.org")
    with mfa_app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == APPROVER))
    reset = f"/admin/users/{user_id}/second-factor/reset"
    reason = {"reason": "Lost phone, checked by video call"}
    # The administrator's own password and code first: a borrowed admin session cannot hand accounts over.
    refused = admin.submit(
        f"/admin/users/{user_id}",
        {**reason, "your_password": PASSWORD, "your_code": "000000"},
        action=reset,
        status=400,
    )
    assert refused.error_messages == ["Enter the 6-digit code your authenticator app shows now"]
    admin.submit(
        f"/admin/users/{user_id}",
        {**reason, "your_password": PASSWORD, "your_code": _code(admin_secret, 1)},
        action=reset,
    )
    assert client.location(client.get("/", status=302)).startswith("/sign-in"), "their sessions ended"
    with mfa_app.app_context():
        assert db.session.get(User, user_id).totp_secret is None
        assert db.session.scalar(select(RecoveryCode).where(RecoveryCode.user_id == user_id)) is None
    # They sign in with the password and must set up again.
    again = PageClient(mfa_app.test_client())
    again.sign_in(APPROVER, PASSWORD)
    assert again.location(again.get("/", status=302)).endswith("/account/second-factor")


def test_someone_who_chose_the_app_may_turn_it_off_but_a_role_that_needs_it_may_not(mfa_app):
    author = PageClient(mfa_app.test_client())
    author.sign_in("author@example.org", PASSWORD)
    setup = author.get("/account/second-factor")  # not required of authors: they choose it
    secret = setup.text_of(id="setup-key").replace(" ", "")
    author.submit("/account/second-factor", {"code": _code(secret)}, status=200)
    wrong = author.submit(
        "/account/second-factor",
        {"password": PASSWORD, "code": "000000"},
        action="/account/second-factor/turn-off",
        status=400,
    )
    assert wrong.error_messages == ["Enter the 6-digit code your authenticator app shows now"]
    author.submit(
        "/account/second-factor",
        {"password": PASSWORD, "code": _code(secret, 1)},
        action="/account/second-factor/turn-off",
    )
    author.submit("/", action="/sign-out")
    author.sign_in("author@example.org", PASSWORD)  # the password alone again
    author.get("/")

    approver, secret, _ = _set_up(mfa_app, APPROVER)
    page = approver.get("/account/second-factor")
    assert page.find("form", action="/account/second-factor/turn-off") is None
    approver.post(
        "/account/second-factor/turn-off",
        {"csrf_token": page.csrf_token, "password": PASSWORD, "code": _code(secret, 1)},
        status=403,
    )
    with mfa_app.app_context():
        assert db.session.scalar(select(User).where(User.email == APPROVER)).has_second_factor


def test_the_command_line_resets_a_lost_second_factor_when_no_administrator_can(mfa_app):
    _set_up(mfa_app, "admin@example.org")
    runner = mfa_app.test_cli_runner()
    refused = runner.invoke(args=["users", "reset-second-factor", "admin@example.org", "--reason", " "])
    assert refused.exit_code != 0 and "--reason" in refused.output
    done = runner.invoke(
        args=["users", "reset-second-factor", "admin@example.org", "--reason", "Only admin lost phone"]
    )
    assert done.exit_code == 0, done.output
    with mfa_app.app_context():
        assert not db.session.scalar(select(User).where(User.email == "admin@example.org")).has_second_factor
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "second_factor.removed"))
        assert event.details["reason"] == "Only admin lost phone" and event.actor_id is None
    again = runner.invoke(args=["users", "reset-second-factor", "admin@example.org", "--reason", "twice"])
    assert again.exit_code != 0 and "no authenticator app" in again.output
