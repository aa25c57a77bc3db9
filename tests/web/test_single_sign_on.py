"""Single sign-on over OpenID Connect (ASVS 10.x, 6.8) against a real local provider (tests/oidc_provider.py)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import select

from eia.extensions import db
from eia.models import AuditEvent, User, UserSession
from eia.web.sso import SSO_FAILED
from tests.conftest import PASSWORD
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.pages import Page, PageClient


@pytest.fixture
def provider():
    with Provider() as running:
        yield running


@pytest.fixture
def sso_app(make_app, provider):
    from eia.services.demo import seed

    app = make_app(OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET,
                   OIDC_PROVIDER_NAME="Example Constabulary account", PUBLIC_BASE_URL="http://localhost")
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
        return [e.details for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))]


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


@pytest.mark.parametrize("person", [
    {"sub": "user-2", "email": "author@example.org", "email_verified": True},  # same email, another identity
    {"sub": "user-3", "email": "approver@example.org", "email_verified": False},  # unverified email
    {"sub": "user-4", "email": "nobody@example.org", "email_verified": True},  # no such account
    {"sub": "user-5", "email": "approver@example.org", "email_verified": True, "amr": ["pwd"]},  # no MFA
])
def test_identities_that_must_not_sign_in(sso_app, provider, person):
    _sso_sign_in(PageClient(sso_app.test_client()))  # links author@example.org to user-1
    provider.person = {"amr": ["pwd", "mfa"], **person}
    stranger = PageClient(sso_app.test_client())
    page = _sso_sign_in(stranger, status=400)
    assert page.error_messages == [SSO_FAILED]
    stranger.get("/", status=302)
    assert _actions(sso_app, "sign_in.failed")[-1]["method"] == "single sign-on"


@pytest.mark.parametrize("misbehave", [
    {"audience": "another-client"},  # minted for another client
    {"audience": "another-client", "azp": CLIENT_ID},  # ... even if it names us as the party it was issued to
    {"issuer": "https://login.evil.example"},  # from another issuer
    {"expired": True},
    {"wrong_key": True},  # not signed by the provider's key
    {"nonce": "replayed"},  # a token from another sign-in
])
def test_tokens_the_app_must_refuse(sso_app, provider, misbehave):
    provider.misbehave = misbehave
    browser = PageClient(sso_app.test_client())
    page = _sso_sign_in(browser, status=400)
    assert page.error_messages == [SSO_FAILED]
    browser.get("/", status=302)
    with sso_app.app_context():
        assert db.session.scalar(select(UserSession)) is None


def test_a_forged_state_and_a_replayed_callback_are_refused(sso_app):
    browser = PageClient(sso_app.test_client())
    callback = _to_provider_and_back(browser)
    path, query = callback.split("?", 1)
    forged = {**dict(parse_qsl(query)), "state": "forged"}
    browser.get(f"{path}?{urlencode(forged)}", status=400)
    browser.get(callback, status=302)  # the genuine callback still works, once
    browser.submit("/", action="/sign-out")
    browser.get(callback, status=400)  # replayed: its state and its code are used up
    other_browser = PageClient(sso_app.test_client())
    other_browser.get(_to_provider_and_back(browser), status=400)  # a callback from another browser's flow


def test_a_deactivated_account_cannot_use_single_sign_on(sso_app):
    with sso_app.app_context():
        user = db.session.scalar(select(User).where(User.email == "author@example.org"))
        user.active = False
        db.session.commit()
    page = _sso_sign_in(PageClient(sso_app.test_client()), status=400)
    assert page.error_messages == [SSO_FAILED]
    assert _actions(sso_app, "sign_in.failed")[-1]["reason"] == "account disabled"


def test_no_multi_factor_no_entry(sso_app, provider):
    provider.person = {**provider.person, "amr": ["pwd"]}
    page = _sso_sign_in(PageClient(sso_app.test_client()), status=400)
    assert page.error_messages == [SSO_FAILED]
    assert _actions(sso_app, "sign_in.failed")[-1]["reason"] == "no multi-factor authentication"
    assert _user(sso_app).oidc_subject is None  # and nothing was linked


def test_production_refuses_an_incomplete_or_plain_http_sso_setup(monkeypatch):
    from config import ProductionConfig

    monkeypatch.setenv("DATABASE_URL", "postgresql://db/eia")
    with pytest.raises(RuntimeError, match="EIA_OIDC_CLIENT_ID and EIA_OIDC_CLIENT_SECRET") as refused:
        ProductionConfig.init_app({"SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": "postgresql://db/eia",
                                   "OIDC_ISSUER": "http://idp.example"})
    assert "https://" in str(refused.value)
    ProductionConfig.init_app({"SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": "postgresql://db/eia",
                               "OIDC_ISSUER": "https://idp.example",
                               "OIDC_CLIENT_ID": "eia", "OIDC_CLIENT_SECRET": "s" * 32})
