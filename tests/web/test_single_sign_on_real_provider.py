"""Single sign-on against a real, certified OpenID provider: oidc-provider from the npm registry
(tests/real_oidc_provider.py), with its conformant defaults (the email scope's claims come from userinfo,
not the ID token), PKCE required, RFC 9207 `iss` in responses and RP-initiated logout."""

from __future__ import annotations

import socket
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import select

from eia.extensions import db
from eia.models import AuditEvent, User, UserSession
from tests.conftest import PASSWORD
from tests.pages import Page, PageClient
from tests.real_oidc_provider import CLIENT_ID, CLIENT_SECRET, RealProvider, client, path_and_query

BASE_URL = "http://localhost"  # the Flask test client's address
PROVIDER = "Example Constabulary account"
ACCOUNTS = {
    "alex": {"email": "author@example.org", "email_verified": True, "name": "Alex Author"},
    "alex-elsewhere": {"email": "author@example.org", "email_verified": True},  # a second identity, same email
    "unverified": {"email": "approver@example.org", "email_verified": False},
    "stranger": {"email": "nobody@example.org", "email_verified": True},
    "bea": {"email": "board@example.org", "email_verified": True},
    "silent": {},  # shares no email
    "ade": {"email": "admin@example.org", "email_verified": True},
    "unsaid": {"email": "approver@example.org"},  # no email_verified at all, as Entra ID by default
}
TIMEOUT = 0.5  # seconds: the app's timeout for each call to the provider, short to keep the tests quick


@pytest.fixture(scope="module")
def running_provider():
    with RealProvider(clients=[client(BASE_URL)], accounts=ACCOUNTS) as provider:
        yield provider


@pytest.fixture
def provider(running_provider):
    running_provider.hang()
    yield running_provider
    running_provider.hang()


def _sso_app(make_app, issuer, **overrides):
    from eia.services.demo import seed

    app = make_app(
        OIDC_ISSUER=issuer,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_PROVIDER_NAME=PROVIDER,
        PUBLIC_BASE_URL=BASE_URL,
        OIDC_TIMEOUT_SECONDS=TIMEOUT,
        **overrides,
    )
    with app.app_context():
        seed(PASSWORD)
    return app


@pytest.fixture
def sso_app(make_app, provider):
    return _sso_app(make_app, provider.issuer, BREAK_GLASS_ACCOUNTS=frozenset({"admin@example.org"}))


class Person:
    """One person's browser: its cookies for Due Regard (the test client) and for the provider."""

    def __init__(self, app, provider: RealProvider) -> None:
        self.due_regard = PageClient(app.test_client())
        self.at_provider = requests.Session()
        self.provider = provider

    def start(self, url: str = "/sign-in/sso") -> str:
        """Select the single sign-on button: returns where Due Regard sends the browser (the provider)."""
        response = self.due_regard.client.get(url)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert response.headers["Location"].startswith(self.provider.issuer + "/auth?")
        return response.headers["Location"]

    def to_provider_and_back(
        self, account: str | None, *, second_factor: bool = True, start: str = "/sign-in/sso"
    ) -> str:
        callback = self.provider.sign_in(self.at_provider, self.start(start), account, second_factor=second_factor)
        assert callback.startswith(f"{BASE_URL}/sign-in/sso/callback?"), callback
        return path_and_query(callback)

    def sign_in(
        self, account: str | None, *, second_factor: bool = True, status: int = 302, start: str = "/sign-in/sso"
    ) -> Page:
        return self.due_regard.get(
            self.to_provider_and_back(account, second_factor=second_factor, start=start), status=status
        )


def _user(app, email: str) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def _audited(app, action: str) -> list[dict]:
    with app.app_context():
        return [
            e.details
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
        ]


def _linked(app) -> dict[str, str]:
    with app.app_context():
        return {u.email: u.oidc_subject for u in db.session.scalars(select(User).where(User.oidc_subject.is_not(None)))}


def _live_sessions(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(UserSession).where(UserSession.revoked_at.is_(None))).all())


def test_sign_in_with_a_second_factor_links_by_verified_email_from_userinfo(sso_app, provider):
    person = Person(sso_app, provider)
    page = person.sign_in("alex")
    assert person.due_regard.location(page) == "/"
    assert "Signed in as Alex Author" in person.due_regard.get("/").html
    assert _linked(sso_app) == {"author@example.org": "alex"}
    assert _audited(sso_app, "user.identity_linked")[-1] == {
        "issuer": provider.issuer,
        "subject": "alex",
        "client_address": "127.0.0.1",
    }
    assert _audited(sso_app, "sign_in.succeeded")[-1]["method"] == "single sign-on"

    person.due_regard.submit("/", action="/sign-out", status=302)
    again = Person(sso_app, provider)
    again.sign_in("alex")  # found by its subject this time
    assert "Signed in as Alex Author" in again.due_regard.get("/").html
    assert len(_audited(sso_app, "user.identity_linked")) == 1


def test_without_a_second_factor_the_person_is_told_to_use_one_and_the_provider_asks_again(sso_app, provider):
    person = Person(sso_app, provider)
    page = person.sign_in("alex", second_factor=False, status=400)
    assert page.error_messages == [
        "Example Constabulary account did not confirm a second factor: sign in again with multi-factor authentication"
    ]
    retry = page.find("a", id="sso")
    assert retry.text == "Sign in again with multi-factor authentication"
    assert _linked(sso_app) == {} and _live_sessions(sso_app) == 0
    assert _audited(sso_app, "sign_in.failed")[-1]["reason"] == "no multi-factor authentication"

    # The provider still has its session: an ordinary second try returns at once, without asking.
    person.sign_in(None, status=400)
    # The retry button makes the provider ask again (prompt=login, max_age=0): this time with a second factor.
    authorization = dict(parse_qsl(urlsplit(person.start(retry.attrs["href"])).query))
    assert (authorization["prompt"], authorization["max_age"]) == ("login", "0")
    person.sign_in("alex", second_factor=True, start=retry.attrs["href"])
    assert "Signed in as Alex Author" in person.due_regard.get("/").html
    assert _linked(sso_app) == {"author@example.org": "alex"}


def _deactivate(app, email):
    from eia.services import admin

    with app.app_context():
        actor = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        admin.set_user_active(actor, _user(app, email).id, False)


@pytest.mark.parametrize(
    ("account", "message", "reason"),
    [
        (
            "stranger",
            "No Due Regard account uses the email address nobody@example.org: ask your administrator",
            "no account with this email",
        ),
        (
            "unverified",
            "Example Constabulary account has not confirmed that approver@example.org is your email address: "
            "ask your administrator to confirm it, then sign in again",
            "email not verified by the identity provider",
        ),
        (
            "alex-elsewhere",
            "The Due Regard account for author@example.org is linked to a different sign-in at Example "
            "Constabulary account: sign in with that one, or ask your administrator to unlink it",
            "account is linked to another identity",
        ),
        (
            "bea",
            "Your Due Regard account has been deactivated: ask your administrator if you still need it",
            "account disabled",
        ),
        (
            "silent",
            "Example Constabulary account did not tell Due Regard your email address: ask your administrator to "
            "check the single sign-on set-up",
            "no email from the identity provider",
        ),
    ],
)
def test_each_refusal_says_why_and_links_nothing(sso_app, provider, account, message, reason):
    Person(sso_app, provider).sign_in("alex")  # author@example.org is linked to "alex"
    _deactivate(sso_app, "board@example.org")
    sessions_before = _live_sessions(sso_app)

    person = Person(sso_app, provider)
    page = person.sign_in(account, status=400)
    assert page.error_messages == [message]
    assert page.find("a", id="sso").text == f"Sign in with {PROVIDER}"  # trying again will not help: no retry offer
    assert _linked(sso_app) == {"author@example.org": "alex"}
    assert _live_sessions(sso_app) == sessions_before
    person.due_regard.get("/", status=302)
    failed = _audited(sso_app, "sign_in.failed")[-1]
    assert (failed["reason"], failed["subject"], failed["method"]) == (reason, account, "single sign-on")


def test_an_email_the_provider_does_not_call_verified_counts_only_in_a_trusted_domain(make_app, provider):
    unsure = "Example Constabulary account has not confirmed that approver@example.org is your email address"
    app = _sso_app(make_app, provider.issuer)
    assert Person(app, provider).sign_in("unsaid", status=400).error_messages[0].startswith(unsure)
    trusting = _sso_app(make_app, provider.issuer, OIDC_TRUSTED_EMAIL_DOMAINS=frozenset({"example.org"}))
    # ... but never one the provider says is not verified.
    assert Person(trusting, provider).sign_in("unverified", status=400).error_messages[0].startswith(unsure)
    Person(trusting, provider).sign_in("unsaid")
    assert _linked(trusting) == {"approver@example.org": "unsaid"}


def test_a_deactivated_account_that_was_linked_is_refused(sso_app, provider):
    Person(sso_app, provider).sign_in("bea")
    _deactivate(sso_app, "board@example.org")
    page = Person(sso_app, provider).sign_in("bea", status=400)
    assert page.error_messages == [
        "Your Due Regard account has been deactivated: ask your administrator if you still need it"
    ]


def test_forged_replayed_and_tampered_callbacks_are_refused(sso_app, provider):
    not_completed = (
        f"{PROVIDER} did not sign you in, or the sign-in could not be checked. "
        f"Start again: select Sign in with {PROVIDER}"
    )
    person = Person(sso_app, provider)
    callback = person.to_provider_and_back("alex")
    path, query = callback.split("?", 1)
    genuine = dict(parse_qsl(query))
    assert genuine["iss"] == provider.issuer  # RFC 9207: the provider names itself in the response
    for tampered in ({"state": "forged"}, {"iss": "https://login.evil.example"}, {"iss": None}):
        fields = {k: v for k, v in {**genuine, **tampered}.items() if v is not None}
        page = person.due_regard.get(f"{path}?{urlencode(fields)}", status=400)
        assert page.error_messages == [not_completed]
    person.due_regard.get(callback, status=302)  # the genuine callback still works, once
    person.due_regard.submit("/", action="/sign-out", status=302)
    person.due_regard.get(callback, status=400)  # replayed: its state and its code are used up

    other = Person(sso_app, provider)
    other.due_regard.get(person.to_provider_and_back(None), status=400)  # from another browser's sign-in
    fresh = person.to_provider_and_back(None)
    path, query = fresh.split("?", 1)
    page = person.due_regard.get(f"{path}?{urlencode({**dict(parse_qsl(query)), 'code': 'tampered'})}", status=400)
    assert page.error_messages == [not_completed]
    assert _live_sessions(sso_app) == 0
    reasons = [e["reason"] for e in _audited(sso_app, "sign_in.failed")]
    assert reasons.count("callback from another issuer") == 2 and len(reasons) == 6


def test_cancelling_at_the_provider_is_a_clear_page(sso_app, provider):
    person = Person(sso_app, provider)
    signing_in = provider.follow(person.at_provider, person.start())
    assert "/interaction/" in signing_in.url
    back = provider.follow(person.at_provider, signing_in.url + "/abort", data={})
    page = person.due_regard.get(path_and_query(back.headers["Location"]), status=400)
    assert page.error_messages[0].startswith(f"{PROVIDER} did not sign you in")
    assert _audited(sso_app, "sign_in.failed")[-1]["reason"] == "identity provider returned an error: access_denied"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _within(seconds: float, action):
    """Run ``action`` in a thread; fail (rather than hang the suite) if it has not returned in ``seconds``."""
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("value", action()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"the request was still waiting after {seconds} s"
    return result["value"]


def test_a_provider_that_is_down_gives_a_clear_page(make_app):
    app = _sso_app(make_app, f"http://127.0.0.1:{_closed_port()}")
    page = PageClient(app.test_client()).get("/sign-in/sso", status=503)
    assert page.error_messages == [f"{PROVIDER} is not responding. Try again in a few minutes"]
    assert page.find("a", id="sso") is not None and page.find("input", id="password") is not None
    assert _audited(app, "sign_in.failed")[-1]["reason"] == "identity provider could not be reached (discovery)"


@pytest.mark.parametrize(
    ("hanging", "call"),
    [
        ("/.well-known/", "discovery"),
        ("/token", "token"),
        ("/jwks", "token"),
        ("/me", "userinfo"),
    ],
)
def test_a_provider_that_never_answers_frees_the_worker_within_the_timeout(sso_app, provider, hanging, call):
    person = Person(sso_app, provider)
    if hanging == "/.well-known/":
        provider.hang(hanging)
        page = _within(30, lambda: person.due_regard.get("/sign-in/sso", status=503))
    else:
        callback = person.to_provider_and_back("alex")
        provider.hang(hanging)
        page = _within(30, lambda: person.due_regard.get(callback, status=503))
    assert page.error_messages == [f"{PROVIDER} is not responding. Try again in a few minutes"]
    assert _audited(sso_app, "sign_in.failed")[-1]["reason"] == f"identity provider did not answer in time ({call})"
    provider.hang()
    assert provider.control()["abandoned"] == provider.control()["hung"]  # the app gave up and closed each one
    assert _live_sessions(sso_app) == 0


def test_signing_out_also_ends_the_provider_session(sso_app, provider):
    person = Person(sso_app, provider)
    person.sign_in("alex")
    # The sign-out form's answer leads to the provider: the Content-Security-Policy must let it.
    csp = person.due_regard.client.get("/").headers["Content-Security-Policy"]
    assert f"form-action 'self' {provider.issuer};" in csp
    signed_out = person.due_regard.submit("/", action="/sign-out", status=302)
    end_session = person.due_regard.location(signed_out)
    assert end_session.startswith(f"{provider.issuer}/session/end?")
    query = dict(parse_qsl(urlsplit(end_session).query))
    assert query["post_logout_redirect_uri"] == f"{BASE_URL}/sign-in" and query["id_token_hint"]
    person.due_regard.get("/", status=302)  # Due Regard's session has ended already

    back = provider.sign_out(person.at_provider, end_session)
    assert back.startswith(f"{BASE_URL}/sign-in")
    assert "You have signed out" in person.due_regard.get(path_and_query(back)).html
    # The provider forgot the person: selecting the button again asks for their credentials.
    person.sign_in("alex")
    assert "Signed in as Alex Author" in person.due_regard.get("/").html


def test_the_page_the_person_was_going_to_survives_single_sign_on(sso_app, provider):
    person = Person(sso_app, provider)
    to_sign_in = person.due_regard.get("/notifications", status=302)
    sign_in_page = person.due_regard.get(person.due_regard.location(to_sign_in))
    button = sign_in_page.find("a", id="sso").attrs["href"]
    assert button == "/sign-in/sso?next=/notifications"
    landed = person.sign_in("alex", start=button)
    assert person.due_regard.location(landed) == "/notifications"
    # An address off the site is dropped, never followed.
    off_site = Person(sso_app, provider)
    assert off_site.due_regard.location(off_site.sign_in("alex", start="/sign-in/sso?next=//evil.example/")) == "/"


def test_password_sign_in_is_for_break_glass_accounts_only(sso_app, provider):
    person = Person(sso_app, provider)
    person.sign_in("alex", second_factor=False, status=400)  # refused at the provider for want of a second factor
    closed = (
        f"Sign in with {PROVIDER}: only emergency (break-glass) accounts named by your administrator "
        "can sign in with a password"
    )
    for email in ("author@example.org", "nobody@example.org"):  # the same answer whether the account exists or not
        page = person.due_regard.submit("/sign-in", {"email": email, "password": PASSWORD}, status=400)
        assert page.error_messages == [closed]
        person.due_regard.get("/", status=302)
    assert _audited(sso_app, "sign_in.failed")[-1]["reason"] == "password sign-in is for break-glass accounts only"

    break_glass = PageClient(sso_app.test_client())
    break_glass.sign_in("admin@example.org", PASSWORD)
    assert "Signed in as Ade Admin" in break_glass.get("/").html
    assert _live_sessions(sso_app) == 1


def test_a_provider_that_puts_the_claims_in_the_id_token_and_an_id_token_too_big_to_keep(make_app):
    """Some providers put the email in the ID token (conformIdTokenClaims off here); some make ID tokens too big
    for the session cookie (group claims). Sign-out then asks the provider with our client id alone."""
    accounts = {"alex": {"email": "author@example.org", "email_verified": True, "name": "Alex " + "A" * 2500}}
    with RealProvider(clients=[client(BASE_URL)], accounts=accounts, conform_id_token_claims=False) as provider:
        app = _sso_app(make_app, provider.issuer)
        person = Person(app, provider)
        person.sign_in("alex")
        assert "Signed in as Alex Author" in person.due_regard.get("/").html
        end_session = person.due_regard.location(person.due_regard.submit("/", action="/sign-out", status=302))
        query = dict(parse_qsl(urlsplit(end_session).query))
        assert "id_token_hint" not in query and query["client_id"] == CLIENT_ID
        assert provider.sign_out(person.at_provider, end_session).startswith(f"{BASE_URL}/sign-in")
