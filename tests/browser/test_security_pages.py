"""The security pages in a real browser: axe-clean, CSP-clean (the page fixture fails on violations)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in, start_new_assessment
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


def test_sign_in_page_and_its_errors(page: Page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    assert_accessible(page, "sign-in")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page, "sign-in-empty")
    page.get_by_label("Email address").fill("author@example.org")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page, "sign-in-wrong-password")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("assessments", ignore_case=True)


def test_error_pages(page: Page):
    sign_in(page, "author@example.org")
    response = page.goto("/admin/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have permission to see this page")
    assert_accessible(page, "error-403")
    response = page.goto("/assessments/999999")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page, "error-404")


def test_a_form_sent_after_the_session_ended_keeps_what_was_typed(page: Page, demo):
    from datetime import timedelta

    from tests.web.test_sessions import _age_sessions

    sign_in(page, "author@example.org")
    page.goto(f"{start_new_assessment(page)}/pages/aims")
    page.get_by_label("What are the aims of the proposal?").fill("Typed before the session ended")
    _age_sessions(demo, "author@example.org", last_seen_at=timedelta(minutes=45))  # the lunch break
    page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have been signed out")
    expect(page.locator("main")).to_contain_text("Typed before the session ended")
    assert_accessible(page, "error-signed-out-form-kept")
