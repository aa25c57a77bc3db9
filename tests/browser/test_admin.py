"""The administrator's journey in chromium, with axe-core on each page and each error."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in, sign_out


def error_summary(page: Page):
    return page.locator(".govuk-error-summary")


def test_admin_adds_a_person_a_department_an_objective_changes_settings_and_deactivates(page: Page):
    sign_in(page, "admin@example.org")
    page.get_by_role("link", name="Administration", exact=True).click()
    assert_accessible(page, "admin")

    page.get_by_role("button", name="Add person", exact=True).click()
    expect(error_summary(page)).to_contain_text("Enter the person's full name")
    assert_accessible(page, "admin-person-error")
    page.get_by_label("Full name").fill("Robin Reviewer")
    page.get_by_label("Email address").fill("robin@example.org")
    page.get_by_role("checkbox", name="Approver (accountable senior officer)").check()
    page.get_by_label("Department", exact=True).select_option(label="Operational Policing")
    page.get_by_label("Temporary password").fill("copper kettle orchard ribbon")
    page.get_by_role("button", name="Add person", exact=True).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Account created for robin@example.org")
    expect(page.get_by_role("row", name=re.compile("Robin Reviewer"))).to_contain_text("Active")

    # Robin also sits on the Board: a second role; none at all is refused at the checkboxes.
    page.get_by_role("link", name="Change the roles of Robin Reviewer").click()
    assert_accessible(page, "admin-roles")
    page.get_by_role("checkbox", name="Approver (accountable senior officer)").uncheck()
    page.get_by_role("button", name="Save roles", exact=True).click()
    expect(error_summary(page)).to_contain_text("Select at least one role")
    assert_accessible(page, "admin-roles-error")
    page.get_by_role("checkbox", name="Approver (accountable senior officer)").check()
    page.get_by_role("checkbox", name="Equality and Inclusion Board member").check()
    page.get_by_role("button", name="Save roles", exact=True).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Robin Reviewer is now")
    expect(page.get_by_role("row", name=re.compile("Robin Reviewer"))).to_contain_text(
        "Approver (accountable senior officer) and Equality and Inclusion Board member"
    )

    page.get_by_role("button", name="Add department", exact=True).click()
    expect(error_summary(page)).to_contain_text("Enter the department name")
    assert_accessible(page, "admin-department-error")
    page.get_by_label("New department").fill("Custody")
    page.get_by_role("button", name="Add department", exact=True).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Department added")

    page.get_by_role("button", name="Add objective", exact=True).click()
    expect(error_summary(page)).to_contain_text("Enter both a code and a title")
    assert_accessible(page, "admin-objective-error")
    page.get_by_label("Code", exact=True).fill("EO9")
    page.get_by_label("Objective", exact=True).fill("Fair use of custody")
    page.get_by_role("button", name="Add objective", exact=True).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Objective added")

    page.locator("input[name='board_subject_types']").first.check()
    page.get_by_role("button", name="Save settings", exact=True).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Settings saved")
    expect(page.locator("input[name='board_subject_types']").first).to_be_checked()

    page.get_by_role("button", name="Deactivate Robin Reviewer").click()
    expect(page.get_by_role("row", name=re.compile("Robin Reviewer"))).to_contain_text("Deactivated")
    assert_accessible(page, "guide-admin")
    sign_out(page)

    # The deactivated person cannot sign in; reactivated, they can.
    page.goto("/sign-in")
    page.get_by_label("Email address").fill("robin@example.org")
    page.get_by_label("Password", exact=True).fill("copper kettle orchard ribbon")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(error_summary(page)).to_be_visible()
    sign_in(page, "admin@example.org")
    page.goto("/admin/")
    page.get_by_role("button", name="Reactivate Robin Reviewer").click()
    expect(page.get_by_role("row", name=re.compile("Robin Reviewer"))).to_contain_text("Active")
