"""Server-side sessions (ASVS 7.x), sign-in throttling across instances, and password rules."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from config import ProductionConfig
from eia.extensions import db
from eia.models import AuditEvent, SignInAttempt, User, UserSession
from eia.models.types import utcnow
from tests.conftest import PASSWORD
from tests.pages import PageClient

NEW_PASSWORD = "plum tractor lantern drizzle"


def _actions(app, action):
    with app.app_context():
        return [
            e.details
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
        ]


def _age_sessions(app, email, **ago):
    """Move the user's sessions back in time: ``created_at=timedelta(...)`` or ``last_seen_at=...``."""
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        now = utcnow()
        db.session.execute(
            update(UserSession)
            .where(UserSession.user_id == user_id)
            .values({column: now - delta for column, delta in ago.items()})
        )
        db.session.commit()


def test_cookie_names_a_session_not_a_user_and_is_new_at_each_sign_in(anonymous, demo):
    anonymous.sign_in("author@example.org", PASSWORD)
    first = anonymous.client.get_cookie("session").value
    anonymous.submit("/", action="/sign-out")
    anonymous.sign_in("author@example.org", PASSWORD)
    second = anonymous.client.get_cookie("session").value
    assert first != second
    with demo.app_context():
        rows = db.session.scalars(select(UserSession).order_by(UserSession.created_at)).all()
        assert len(rows) == 2 and rows[0].revoked_reason == "signed out" and rows[1].revoked_at is None
        assert rows[0].token_hash != rows[1].token_hash
        assert len(rows[0].token_hash) == 64  # only a hash of the cookie's token is stored


def test_cookie_attributes(anonymous):
    signed_in = anonymous.submit("/sign-in", {"email": "author@example.org", "password": PASSWORD})
    headers = {header.split("=")[0]: header for header in signed_in.response.headers.getlist("Set-Cookie")}
    for name in ("session", "known_device"):
        assert "HttpOnly" in headers[name] and "SameSite=Lax" in headers[name]
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.SESSION_COOKIE_NAME == "__Host-session"


def test_a_cookie_replayed_after_sign_out_is_signed_out(anonymous, demo):
    anonymous.sign_in("author@example.org", PASSWORD)
    stolen = anonymous.client.get_cookie("session").value
    anonymous.submit("/", action="/sign-out")
    anonymous.client.set_cookie("session", stolen)
    page = anonymous.get("/", status=302)
    assert anonymous.location(page).startswith("/sign-in")


def test_idle_and_absolute_timeouts(client_for, demo):
    author = client_for("author@example.org")
    _age_sessions(demo, "author@example.org", last_seen_at=timedelta(minutes=29))
    author.get("/")  # still inside the idle window: allowed, and "last seen" moves on
    _age_sessions(demo, "author@example.org", last_seen_at=timedelta(minutes=31))
    author.get("/", status=302)

    approver = client_for("approver@example.org")
    _age_sessions(demo, "approver@example.org", created_at=timedelta(hours=12, seconds=1))
    approver.get("/", status=302)
    assert sorted(e["reason"] for e in _actions(demo, "session.expired")) == ["absolute timeout", "idle timeout"]


def test_admin_deactivating_a_user_ends_their_sessions(client_for, demo):
    author = client_for("author@example.org")
    author.get("/")
    admin = client_for("admin@example.org")
    with demo.app_context():
        author_id = db.session.scalar(select(User.id).where(User.email == "author@example.org"))
    admin.post(f"/admin/users/{author_id}/deactivate", {"csrf_token": admin.get("/admin/").csrf_token})
    author.get("/", status=302)
    admin.post(f"/admin/users/{author_id}/activate", {"csrf_token": admin.get("/admin/").csrf_token})
    author.get("/", status=302)  # reactivation does not bring old sessions back
    with demo.app_context():
        reasons = {
            row.revoked_reason
            for row in db.session.scalars(select(UserSession).where(UserSession.user_id == author_id))
        }
    assert reasons == {"deactivated"}


def test_changing_password_ends_the_other_sessions_only(client_for, demo):
    laptop = client_for("author@example.org")
    phone = client_for("author@example.org")
    form = laptop.get("/account/password")
    assert form.h1 == "Change your password"
    wrong = laptop.submit("/account/password", {"current_password": "not it", "new_password": NEW_PASSWORD}, status=400)
    assert wrong.error_messages == ["Your current password is not correct"]
    common = laptop.submit(
        "/account/password", {"current_password": PASSWORD, "new_password": "Password1234"}, status=400
    )
    assert common.error_messages == ["Password is too easy to guess: use three or more random words"]
    short = laptop.submit("/account/password", {"current_password": PASSWORD, "new_password": "short"}, status=400)
    assert short.error_messages == ["Password must be 12 characters or more"]
    phone.get("/")  # still signed in: nothing has changed yet
    laptop.submit("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert "Your password has been changed" in laptop.get("/").html
    phone.get("/", status=302)
    assert _actions(demo, "password.changed") == [{"other_sessions_ended": 1, "api_tokens_revoked": 0}]
    fresh = PageClient(demo.test_client())
    fresh.sign_in("author@example.org", NEW_PASSWORD)
    fresh.get("/")


@pytest.mark.parametrize("password", ["password1234", "QWERTY123456", "aaaaaaaaaaaaaaaa", "  administrator  "])
def test_common_passwords_are_refused(app, password):
    from eia.services.users import TOO_COMMON, password_problem

    with app.app_context():
        assert password_problem(password) == TOO_COMMON
        assert password_problem("harbour violet spanner 7") is None  # no composition rules


def test_throttling_holds_across_two_app_instances(make_app):
    """Two app instances (as two gunicorn workers or hosts would be) share only the database."""
    from eia.services.demo import seed

    first = make_app(SIGN_IN_MAX_FAILURES_PER_ACCOUNT=4, SIGN_IN_MAX_FAILURES_PER_ADDRESS=100)
    second = make_app(SIGN_IN_MAX_FAILURES_PER_ACCOUNT=4, SIGN_IN_MAX_FAILURES_PER_ADDRESS=100)
    with first.app_context():
        seed(PASSWORD)
    clients = [PageClient(first.test_client()), PageClient(second.test_client())]
    for attempt in range(4):
        page = clients[attempt % 2].submit("/sign-in", {"email": "author@example.org", "password": "wrong"}, status=400)
        assert page.error_messages == ["Enter a correct email address and password"]
    for client in clients:  # the right password does not help yet, on either instance
        page = client.submit("/sign-in", {"email": "author@example.org", "password": PASSWORD}, status=429)
        assert re.fullmatch(
            r"There have been too many attempts to sign in\. Wait \d+ seconds and try again", page.error_messages[0]
        )
    clients[1].sign_in("approver@example.org", PASSWORD)  # other accounts are unaffected
    clients[1].get("/")
    assert [e["limit"] for e in _actions(first, "sign_in.throttled")] == ["account", "account"]
    assert len(_actions(second, "sign_in.failed")) == 4


def test_throttling_per_client_address(make_app):
    from eia.services.demo import seed

    app = make_app(SIGN_IN_MAX_FAILURES_PER_ADDRESS=3)
    with app.app_context():
        seed(PASSWORD)
    client = PageClient(app.test_client())
    for number in range(3):
        client.submit("/sign-in", {"email": f"guess{number}@example.org", "password": "wrong"}, status=400)
    client.submit("/sign-in", {"email": "author@example.org", "password": PASSWORD}, status=429)
    elsewhere = PageClient(app.test_client())
    elsewhere.client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    elsewhere.sign_in("author@example.org", PASSWORD)
    elsewhere.get("/")
    assert [e["limit"] for e in _actions(app, "sign_in.throttled")] == ["client address"]


def test_people_see_their_sessions_and_end_one_or_all_the_others(demo):
    here, phone, laptop = (PageClient(demo.test_client()) for _ in range(3))
    for client in (here, phone, laptop):
        client.sign_in("author@example.org", PASSWORD)
    page = here.get("/account/sessions")
    assert page.h1 == "Where you are signed in"
    assert len(page.find_all("li", **{"class": "govuk-summary-card"})) == 3
    assert page.html.count("This device") == 1
    one = [form for form in page.find_all("form") if form.attrs.get("action", "").endswith("/end")][0]
    here.post(one.attrs["action"], {"csrf_token": page.csrf_token})
    assert sum(client.client.get("/").status_code == 200 for client in (phone, laptop)) == 1, "one device signed out"
    here.submit("/account/sessions", action="/account/sessions/end-others")
    for client in (phone, laptop):
        client.get("/", status=302)
    here.get("/")
    assert len(here.get("/account/sessions").find_all("li", **{"class": "govuk-summary-card"})) == 1
    assert [e["sessions_ended"] for e in _actions(demo, "session.others_ended")] == [1]


def test_nobody_ends_someone_elses_session(demo):
    owner, other = PageClient(demo.test_client()), PageClient(demo.test_client())
    owner.sign_in("author@example.org", PASSWORD)
    other.sign_in("author2@example.org", PASSWORD)
    with demo.app_context():
        owner_session = db.session.scalar(
            select(UserSession.token_hash).join(User).where(User.email == "author@example.org")
        )
    page = other.get("/account/sessions")
    other.post(f"/account/sessions/{owner_session}/end", {"csrf_token": page.csrf_token}, status=404)
    owner.get("/")


def test_an_administrator_signs_someone_out_everywhere_with_a_reason(client_for, demo):
    author = client_for("author@example.org")
    admin = client_for("admin@example.org")
    with demo.app_context():
        author_id = db.session.scalar(select(User.id).where(User.email == "author@example.org"))
    person = f"/admin/users/{author_id}"
    assert "signed in on 1 device" in admin.get(person).html
    refused = admin.submit(person, {"reason": ""}, action=f"{person}/sessions/end", status=400)
    assert refused.error_messages == ["Enter the reason: it is kept in the audit log"]
    author.get("/")
    admin.submit(person, {"reason": "Laptop reported stolen"}, action=f"{person}/sessions/end")
    author.get("/", status=302)
    admin.get("/")  # the administrator's own session goes on
    assert _actions(demo, "session.ended_by_administrator") == [
        {"reason": "Laptop reported stolen", "sessions_ended": 1}
    ]


def _age_failures(app, delta: timedelta) -> None:
    """Move every recorded failure back in time, as if the person had waited."""
    with app.app_context():
        for attempt in db.session.scalars(select(SignInAttempt)):
            attempt.attempted_at -= delta
        db.session.commit()


def test_throttling_slows_guessing_down_without_locking_the_account(make_app):
    from eia.services.demo import seed

    app = make_app(SIGN_IN_MAX_FAILURES_PER_ACCOUNT=3, SIGN_IN_MAX_FAILURES_PER_ADDRESS=100)
    with app.app_context():
        seed(PASSWORD)
    guesser = PageClient(app.test_client())
    for _ in range(3):
        guesser.submit("/sign-in", {"email": "author@example.org", "password": "wrong"}, status=400)
    guesser.submit("/sign-in", {"email": "author@example.org", "password": "wrong"}, status=429)
    _age_failures(app, timedelta(seconds=30))  # the first delay has passed: one more guess is checked
    guesser.submit("/sign-in", {"email": "author@example.org", "password": "wrong"}, status=400)
    _age_failures(app, timedelta(seconds=30))  # the delay doubles with each failure past the free ones
    page = guesser.submit("/sign-in", {"email": "author@example.org", "password": "wrong"}, status=429)
    assert "Wait 30 seconds" in page.error_messages[0] or "Wait 29 seconds" in page.error_messages[0]
    _age_failures(app, timedelta(seconds=30))
    guesser.sign_in("author@example.org", PASSWORD)  # waited long enough: the right password works
    guesser.get("/")


def test_a_browser_that_has_signed_in_before_is_not_held_up_by_a_strangers_guesses(make_app):
    from eia.services.demo import seed

    app = make_app(SIGN_IN_MAX_FAILURES_PER_ACCOUNT=3, SIGN_IN_MAX_FAILURES_PER_ADDRESS=100)
    with app.app_context():
        seed(PASSWORD)
    owner = PageClient(app.test_client())
    owner.sign_in("author@example.org", PASSWORD)
    owner.submit("/", action="/sign-out")
    stranger = PageClient(app.test_client())
    stranger.client.environ_base["REMOTE_ADDR"] = "192.0.2.66"
    for _ in range(3):
        stranger.submit("/sign-in", {"email": "author@example.org", "password": "wrong"}, status=400)
    stranger.submit("/sign-in", {"email": "author@example.org", "password": PASSWORD}, status=429)
    owner.sign_in("author@example.org", PASSWORD)  # the owner's browser carries its known-device cookie
    owner.get("/")
    # A forged or another account's cookie does not count.
    other = PageClient(app.test_client())
    other.client.set_cookie("known_device", "forged")
    other.submit("/sign-in", {"email": "author@example.org", "password": PASSWORD}, status=429)


@pytest.mark.parametrize(
    "password", ["iloveyou2026", "qazwsxedcrfvtgb", "1qaz2wsx3edc4rfv", "Alex Author 1990", "author@example.org"]
)
def test_guessable_passwords_beyond_the_list_are_refused(app, password):
    # Keyboard walks, repeats, dates and the person's own name: zxcvbn catches what no list holds.
    from eia.services.users import TOO_COMMON, password_problem

    with app.app_context():
        assert password_problem(password, about=("author@example.org", "Alex Author")) == TOO_COMMON


def test_the_demo_password_is_refused_in_production_and_a_new_password_must_differ(make_app, client_for):
    from eia.services.users import DEMO_PASSWORD_REFUSED, password_problem

    production_like = make_app(REFUSE_DEMO_PASSWORD=True)
    with production_like.app_context():
        assert password_problem(production_like.config["DEMO_PASSWORD_DEFAULT"]) == DEMO_PASSWORD_REFUSED
    assert ProductionConfig.REFUSE_DEMO_PASSWORD
    same = client_for("author@example.org").submit(
        "/account/password", {"current_password": PASSWORD, "new_password": PASSWORD}, status=400
    )
    assert same.error_messages == ["Your new password must be different from your current one"]


def _create_through_the_admin_page(client_for, email: str, password: str) -> int:
    admin = client_for("admin@example.org")
    admin.submit(
        "/admin/",
        {"email": email, "name": "Tem Porary", "roles": ["author"], "password": password},
        action="/admin/users",
    )
    with admin.client.application.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


def test_a_password_an_administrator_set_must_be_changed_at_first_sign_in(client_for, demo):
    _create_through_the_admin_page(client_for, "new.starter@example.org", "granite meadow copper sail")
    starter = PageClient(demo.test_client())
    starter.sign_in("new.starter@example.org", "granite meadow copper sail")
    for url in ("/", "/account/api-tokens/"):
        assert starter.location(starter.get(url, status=302)) == "/account/password"
    page = starter.get("/account/password")
    assert "Choose your own before you continue" in page.text_of(id="temporary-password")
    starter.submit(
        "/account/password", {"current_password": "granite meadow copper sail", "new_password": NEW_PASSWORD}
    )
    starter.get("/")
    assert "Choose your own" not in starter.get("/account/password").html


def test_a_temporary_password_expires(client_for, demo):
    user_id = _create_through_the_admin_page(client_for, "late.starter@example.org", "granite meadow copper sail")
    with demo.app_context():
        db.session.get(User, user_id).password_temporary_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    starter = PageClient(demo.test_client())
    page = starter.submit(
        "/sign-in", {"email": "late.starter@example.org", "password": "granite meadow copper sail"}, status=400
    )
    assert page.error_messages == ["Your temporary password has expired: ask an administrator for a new one"]
    # An administrator sets another: it works, once more only to choose their own.
    admin = client_for("admin@example.org")
    set_it = f"/admin/users/{user_id}/temporary-password"
    unconfirmed = admin.submit(
        f"/admin/users/{user_id}", {"password": "walnut beacon frost ladder"}, action=set_it, status=400
    )
    assert unconfirmed.error_messages == ["Enter your password"], "the administrator's own password first"
    refused = admin.submit(
        f"/admin/users/{user_id}", {"password": "password1234", "your_password": PASSWORD}, action=set_it, status=400
    )
    assert refused.error_messages == ["Password is too easy to guess: use three or more random words"]
    admin.submit(
        f"/admin/users/{user_id}", {"password": "walnut beacon frost ladder", "your_password": PASSWORD}, action=set_it
    )
    starter.sign_in("late.starter@example.org", "walnut beacon frost ladder")
    assert starter.location(starter.get("/", status=302)) == "/account/password"
    assert _actions(demo, "password.reset_by_administrator")[0]["sessions_ended"] == 0
