"""The security pages in a real browser: axe-clean, CSP-clean (the page fixture fails on violations)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tests.conftest import PASSWORD


def test_change_password_page_and_its_errors(page: Page):
    sign_in(page, "author@example.org")
    page.get_by_role("link", name="Change your password").click()
    assert_accessible(page, "change-password")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill("password1234")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("too easy to guess")
    assert_accessible(page, "change-password-error")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill("plum tractor lantern drizzle")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your password has been changed")


def test_sign_in_throttled_page(page: Page, demo):
    demo.config["SIGN_IN_MAX_FAILURES_PER_ACCOUNT"] = 1
    page.goto("/sign-in")
    for _ in range(2):
        page.get_by_label("Email address").fill("author@example.org")
        page.get_by_label("Password", exact=True).fill("wrong password")
        page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("too many attempts")
    assert_accessible(page, "sign-in-throttled")
