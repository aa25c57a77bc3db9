"""Accounts in a real browser: the second factor set up and used with a real code, the sessions page, a
token minted after the password again, and the administrator's account controls; axe on every page."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from playwright.sync_api import Page, expect

from eia.models.types import utcnow
from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in, sign_out
from tests.conftest import PASSWORD


def _code(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30 * steps_ahead))


def _fits_320(page: Page) -> None:
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "the page scrolls sideways at 320 px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_approver_sets_up_the_app_and_signs_in_with_a_code(page: Page, demo):
    demo.config["SECOND_FACTOR_REQUIRED"] = True
    sign_in(page, "approver@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    assert_accessible(page, "second-factor-setup")
    _fits_320(page)
    page.get_by_text("I cannot scan the QR code").click()
    secret = page.locator("#setup-key").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill("12345")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("6-digit code")
    assert_accessible(page, "second-factor-setup-error")
    page.get_by_label("Code from the app").fill(_code(secret))
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-panel__title")).to_have_text("Authenticator app set up")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert_accessible(page, "recovery-codes")
    _fits_320(page)
    page.get_by_role("link", name="Continue").click()
    sign_out(page)

    sign_in(page, "approver@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
    assert_accessible(page, "second-factor-code")
    page.get_by_label("Code").fill(_code(secret, 1))
    page.get_by_role("button", name="Continue").click()
    expect(page).not_to_have_url(re.compile(r"/sign-in"))
    page.get_by_role("link", name="Your account").click()
    assert_accessible(page, "your-account")
    page.get_by_role("link", name=re.compile("See where")).click()
    expect(page.locator("main")).to_contain_text("Password and authenticator app")
    assert_accessible(page, "sessions")
    _fits_320(page)
    page.goto("/account/second-factor")
    assert_accessible(page, "second-factor-manage")


def test_a_token_is_minted_after_the_password_again_and_others_signed_out(page: Page, browser, live_server, demo):
    other = browser.new_context(base_url=live_server)
    elsewhere = other.new_page()
    sign_in(elsewhere, "author@example.org")
    sign_in(page, "author@example.org")
    page.goto("/account/api-tokens/")
    page.get_by_label("Name").fill("Register export")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your password")
    assert_accessible(page, "api-token-reauthentication-error")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#token-secret")).to_contain_text("eia_")
    page.goto("/account/sessions")
    page.get_by_role("button", name="Sign out everywhere else").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("signed out on 1 other device")
    elsewhere.goto("/")
    expect(elsewhere).to_have_url(re.compile(r"/sign-in"))
    other.close()


def test_the_administrators_account_controls(page: Page, browser, live_server, demo):
    other = browser.new_context(base_url=live_server)
    sign_in(other.new_page(), "author@example.org")
    other.close()
    sign_in(page, "admin@example.org")
    page.goto("/admin/")
    page.get_by_role("link", name="Alex Author").first.click()
    expect(page.get_by_role("heading", name="Signed in", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the reason")
    assert_accessible(page, "admin-person-reason-error")
    _fits_320(page)
