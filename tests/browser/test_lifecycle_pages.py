"""The legal checks, actions, reviews and compliance report pages in chromium, with axe-core on each."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect

from eia.clock import uk_today as today
from tests.browser.conftest import assert_accessible, beside_playwright
from tests.browser.test_journeys import sign_in, sign_out
from tests.conftest import signed_in
from tests.journeys import AN_ACTION, act, complete_assessment, save, start_assessment, submit


def _build(app) -> int:
    """A signed-off assessment with an action, and a draft with a legal check warning: returns the draft."""
    author = signed_in(app, "author@example.org")
    signed = start_assessment(author)
    complete_assessment(author, signed, actions=[AN_ACTION])
    submit(author, signed)
    approver = signed_in(app, "approver@example.org")
    act(approver, signed, "start_review")
    act(approver, signed, "approve")
    draft = start_assessment(author)
    complete_assessment(author, draft, actions=[AN_ACTION])
    save(author, draft, "screening:sex", {"relevance": "none", "reason": "Reason for age"})
    return draft


def test_after_sign_off_pages_are_accessible(page: Page, demo):
    draft = beside_playwright(lambda: _build(demo))

    sign_in(page, "author@example.org")
    page.goto(f"/assessments/{draft}/check-answers")
    expect(page.locator("#legal-warnings")).to_contain_text("L3")
    assert_accessible(page, "legal-checks-warnings")
    sign_out(page)

    sign_in(page, "approver@example.org")
    page.get_by_role("link", name="Actions", exact=True).click()
    assert_accessible(page, "guide-approver-actions")
    page.get_by_role("link", name="Train supervisors").click()
    page.get_by_role("button", name="Save update").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page, "action-errors")
    page.get_by_label("Done").check()
    page.get_by_label("Note").fill("All supervisors trained")
    page.get_by_role("button", name="Save update").click()
    expect(page.locator("#history")).to_contain_text("All supervisors trained")
    assert_accessible(page, "action-updated")
    page.get_by_role("link", name="Actions", exact=True).click()
    page.get_by_role("link", name="Reviews due", exact=True).click()
    assert_accessible(page, "guide-approver-reviews")
    sign_out(page)

    sign_in(page, "board@example.org")
    page.get_by_role("link", name="Compliance report", exact=True).click()
    page.get_by_label("From (YYYY-MM-DD)").fill((today() - timedelta(days=1)).isoformat())
    page.get_by_label("To (YYYY-MM-DD)").fill(today().isoformat())
    page.get_by_role("button", name="Show the report").click()
    expect(page.locator("#summary")).to_contain_text("Assessments signed off")
    assert_accessible(page, "guide-board-compliance-report")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this report as a PDF with charts").click()
    assert download.value.suggested_filename.endswith(".pdf")
    page.get_by_label("To (YYYY-MM-DD)").fill("31/3/2026")
    page.get_by_role("button", name="Show the report").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page, "compliance-report-errors")
