"""Single sign-on in the browser, against the real OpenID provider (tests/real_oidc_provider.py): refused
without a second factor, signed in on the retry at the page the person was going to, signed out of both."""

from __future__ import annotations

import re
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.browser.conftest import VIEWPORT, assert_accessible, beside_playwright
from tests.conftest import PASSWORD
from tests.real_oidc_provider import CLIENT_ID, CLIENT_SECRET, RealProvider, client

PROVIDER = "Example Constabulary account"


@pytest.fixture
def sso_site(make_app):
    """Due Regard on a free loopback port, registered with a real provider as an administrator would."""
    serving = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: serving["app"](environ, start), threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    accounts = {"alex": {"email": "author@example.org", "email_verified": True, "name": "Alex Author"}}
    with RealProvider(clients=[client(base_url)], accounts=accounts) as provider:

        def build():
            from eia.services.demo import seed

            app = make_app(
                OIDC_ISSUER=provider.issuer,
                OIDC_CLIENT_ID=CLIENT_ID,
                OIDC_CLIENT_SECRET=CLIENT_SECRET,
                OIDC_PROVIDER_NAME=PROVIDER,
                PUBLIC_BASE_URL=base_url,
                BREAK_GLASS_ACCOUNTS=frozenset({"admin@example.org"}),
            )
            with app.app_context():
                seed(PASSWORD)
            return app

        serving["app"] = beside_playwright(build)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield base_url, provider
        server.shutdown()
        thread.join(timeout=5)


def _at_the_provider(page, *, second_factor: bool) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Example Constabulary sign-in")
    page.get_by_label("Account").fill("alex")
    if second_factor:
        page.get_by_label("I confirmed a second factor").check()
    page.get_by_role("button", name="Sign in").click()


def test_the_single_sign_on_journey(browser, sso_site):
    base_url, provider = sso_site
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/notifications")
        expect(page).to_have_url(re.compile(r"/sign-in\?next="))
        assert_accessible(page, "sso-sign-in")

        page.get_by_role("button", name=f"Sign in with {PROVIDER}").click()
        expect(page).to_have_url(re.compile(re.escape(provider.issuer) + "/interaction/"))
        _at_the_provider(page, second_factor=False)
        summary = page.locator(".govuk-error-summary")
        expect(summary).to_contain_text(
            f"{PROVIDER} did not confirm a second factor: sign in again with multi-factor authentication"
        )
        assert_accessible(page, "guide-admin-sso-refused")
        page.get_by_role("link", name=re.compile("did not confirm a second factor")).click()  # the summary's link
        expect(page.get_by_role("button", name="Sign in again with multi-factor authentication")).to_be_focused()

        page.get_by_role("button", name="Sign in again with multi-factor authentication").click()
        _at_the_provider(page, second_factor=True)  # the provider asked again
        expect(page).to_have_url(f"{base_url}/notifications")
        expect(page.locator(".app-signed-in")).to_contain_text("Signed in as Alex Author")
        assert_accessible(page, "sso-signed-in")

        page.get_by_role("button", name=re.compile("Sign out")).click()
        expect(page).to_have_url(re.compile(re.escape(provider.issuer) + "/session/end"))
        page.get_by_role("button", name="Yes, sign me out").click()
        expect(page).to_have_url(re.compile(re.escape(base_url) + "/sign-in"))
        expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
        assert_accessible(page, "sso-signed-out")

        # The provider's session ended too: the button leads to its sign-in page, not straight back in.
        page.get_by_role("button", name=f"Sign in with {PROVIDER}").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Example Constabulary sign-in")
    finally:
        context.close()
