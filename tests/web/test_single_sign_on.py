"""Single sign-on over OpenID Connect (ASVS 10.x, 6.8): fast tests against the hand-built provider
(tests/fake_oidc_provider.py), for answers a real provider never gives (tampered tokens, userinfo about
someone else). The journeys run against the real provider: test_single_sign_on_real_provider.py."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from sqlalchemy import select

from eia.extensions import db
from eia.models import AuditEvent, User, UserSession
from eia.web.sso import NOT_COMPLETED
from tests.conftest import PASSWORD
from tests.fake_oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

PROVIDER_NAME = "Example Constabulary account"
SSO_FAILED = NOT_COMPLETED.format(provider=PROVIDER_NAME)
from tests.pages import Page, PageClient


@pytest.fixture
def provider():
    with Provider() as running:
        yield running


@pytest.fixture
def sso_app(make_app, provider):
    from eia.services.demo import seed

    app = make_app(
        OIDC_ISSUER=provider.issuer,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_PROVIDER_NAME=PROVIDER_NAME,
        PUBLIC_BASE_URL="http://localhost",
    )
    with app.app_context():
        seed(PASSWORD)
    return app


def _to_provider_and_back(client: PageClient) -> str:
    """The browser's trip: our redirect to the provider, the provider's redirect back; returns the callback URL."""
    start = client.client.get("/sign-in/sso")
    assert start.status_code == 302 and start.headers["Location"].startswith("http://127.0.0.1:")
    query = dict(parse_qsl(urlsplit(start.headers["Location"]).query))
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    back = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    callback = urlsplit(back.headers["Location"])
    assert f"{callback.scheme}://{callback.netloc}" == "http://localhost"
    return f"{callback.path}?{callback.query}"


def _sso_sign_in(client: PageClient, status: int = 302) -> Page:
    return client.get(_to_provider_and_back(client), status=status)


def _user(app, email="author@example.org") -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def _actions(app, action):
    with app.app_context():
        return [
            e.details
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
        ]


def test_sign_in_page_offers_single_sign_on(sso_app):
    page = PageClient(sso_app.test_client()).get("/sign-in")
    assert page.find("a", id="sso").text == "Sign in with Example Constabulary account"


def test_first_sign_in_links_by_verified_email_then_only_the_subject_counts(sso_app, provider):
    browser = PageClient(sso_app.test_client())
    page = _sso_sign_in(browser)
    assert browser.location(page) == "/"
    assert "Signed in as Alex Author" in browser.get("/").html
    linked = _user(sso_app)
    assert (linked.oidc_issuer, linked.oidc_subject) == (provider.issuer, "user-1")
    assert _actions(sso_app, "user.identity_linked")[0]["subject"] == "user-1"
    browser.submit("/", action="/sign-out")

    provider.person = {**provider.person, "email": "renamed@example.org"}
    _sso_sign_in(browser)  # the email changed at the provider; the identity did not
    assert "Signed in as Alex Author" in browser.get("/").html
    assert [e["method"] for e in _actions(sso_app, "sign_in.succeeded")] == ["single sign-on", "single sign-on"]


@pytest.mark.parametrize(
    "misbehave",
    [
        {"audience": "another-client"},  # minted for another client
        {"audience": "another-client", "azp": CLIENT_ID},  # ... even if it names us as the party it was issued to
        {"issuer": "https://login.evil.example"},  # from another issuer
        {"expired": True},
        {"wrong_key": True},  # not signed by the provider's key
        {"nonce": "replayed"},  # a token from another sign-in
    ],
)
def test_tokens_the_app_must_refuse(sso_app, provider, misbehave):
    provider.misbehave = misbehave
    browser = PageClient(sso_app.test_client())
    page = _sso_sign_in(browser, status=400)
    assert page.error_messages == [SSO_FAILED]
    browser.get("/", status=302)
    with sso_app.app_context():
        assert db.session.scalar(select(UserSession)) is None


def test_claims_missing_from_the_id_token_are_read_from_userinfo(sso_app, provider):
    provider.misbehave = {"claims_at_userinfo": True}
    browser = PageClient(sso_app.test_client())
    _sso_sign_in(browser)
    assert "Signed in as Alex Author" in browser.get("/").html


def test_userinfo_about_another_subject_is_refused(sso_app, provider):
    provider.misbehave = {"claims_at_userinfo": True, "userinfo_subject": "someone-else"}
    browser = PageClient(sso_app.test_client())
    page = _sso_sign_in(browser, status=400)
    assert page.error_messages == [SSO_FAILED]
    assert _user(sso_app).oidc_subject is None
    assert _actions(sso_app, "sign_in.failed")[-1]["reason"] == "callback refused: userinfo is about another subject"


def test_production_refuses_an_incomplete_or_plain_http_sso_setup(monkeypatch):
    from config import ProductionConfig

    monkeypatch.setenv("DATABASE_URL", "postgresql://db/eia")
    with pytest.raises(RuntimeError, match="EIA_OIDC_CLIENT_ID and EIA_OIDC_CLIENT_SECRET") as refused:
        ProductionConfig.init_app(
            {
                "SECRET_KEY": "x" * 32,
                "SQLALCHEMY_DATABASE_URI": "postgresql://db/eia",
                "OIDC_ISSUER": "http://idp.example",
            }
        )
    assert "https://" in str(refused.value)
    ProductionConfig.init_app(
        {
            "SECRET_KEY": "x" * 32,
            "SQLALCHEMY_DATABASE_URI": "postgresql://db/eia",
            "OIDC_ISSUER": "https://idp.example",
            "OIDC_CLIENT_ID": "eia",
            "OIDC_CLIENT_SECRET": "s" * 32,
        }
    )


def test_a_token_needs_a_recent_single_sign_on_instead_of_the_password(sso_app):
    from datetime import timedelta

    from sqlalchemy import update

    from eia.models import ApiToken
    from eia.models.types import utcnow

    browser = PageClient(sso_app.test_client())
    _sso_sign_in(browser)
    page = browser.get("/account/api-tokens/")
    assert page.find("input", id="password") is None and "within 10 minutes of signing in" in page.html
    browser.submit(
        "/account/api-tokens/", {"name": "Fresh", "scopes": ["read"]}, action="/account/api-tokens/", status=200
    )
    with sso_app.app_context():
        db.session.execute(update(UserSession).values(created_at=utcnow() - timedelta(minutes=11)))
        db.session.commit()
    stale = browser.submit(
        "/account/api-tokens/", {"name": "Stale", "scopes": ["read"]}, action="/account/api-tokens/", status=400
    )
    assert stale.error_messages == ["Sign out and sign in again: this needs a sign-in in the last 10 minutes"]
    with sso_app.app_context():
        assert list(db.session.scalars(select(ApiToken.name))) == ["Fresh"]
