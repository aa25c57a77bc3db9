"""The equality adviser's quality review in chromium, with axe on each page: the organisation sends SOPs
through the adviser; the adviser finds the submission in their queue with its summary, returns it with a
reason for one section, the author sees it where it applies, and after resubmission the adviser passes it
to the approver."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import assert_accessible, beside_playwright
from tests.browser.test_journeys import sign_in, sign_out
from tests.journeys import complete_assessment, start_assessment, submit

TITLE = "Spit and bite guards"


def test_the_adviser_returns_an_assessment_with_reasons_then_passes_it_on(page: Page, demo, client_for):
    def submitted() -> int:
        from eia.extensions import db
        from eia.models import User
        from eia.services import admin
        from eia.services.definitions import library

        with demo.app_context():
            folder = library()
            administrator = db.session.scalar(select(User).where(User.email == "admin@example.org"))
            routes = {kind.value: (kind.questionnaire_id, kind.workflow_id) for kind in folder.subject_types}
            routes["sop"] = (folder.subject_type("sop").questionnaire_id, "eia-adviser-review")
            admin.update_subject_type_routes(administrator, routes)
        author = client_for("author@example.org")
        assessment_id = start_assessment(author, "sop")
        complete_assessment(author, assessment_id, title=TITLE)
        submit(author, assessment_id)
        return assessment_id

    assessment_id = beside_playwright(submitted)
    sign_in(page, "adviser@example.org")
    page.get_by_role("link", name="The equality adviser's quality review queue", exact=True).click()
    card = page.locator(".govuk-summary-card", has_text=TITLE)
    expect(card).to_contain_text("Characteristics analysed")
    expect(card).to_contain_text("The approver can sign it off: no escalation rule fires")
    assert_accessible(page, "guide-adviser-queue")
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "the page scrolls sideways at 320 px"
    page.set_viewport_size({"width": 1280, "height": 900})

    card.get_by_role("link", name=f"Comment on a question in {TITLE}").click()
    page.get_by_role("button", name="Add comment", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select the question your comment is about")
    assert_accessible(page, "adviser-question-comment-error")
    page.get_by_label("Question", exact=True).select_option(
        label="Age: engagement: Who did you engage, when, and what did they tell you?"
    )
    page.get_by_label("Your comment").fill("Say what the youth advisory group told you")
    page.get_by_role("button", name="Add comment", exact=True).click()
    expect(page.locator(".govuk-summary-card")).to_contain_text("Not resolved")
    assert_accessible(page, "guide-adviser-question-comment")
    page.goto("/quality-review")
    card.get_by_role("link", name=f"Review {TITLE}").click()
    page.locator("#actions").get_by_role("link", name="Return to the author", exact=True).click()
    page.get_by_role("button", name="Return to the author", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page, "adviser-return-error")
    page.get_by_label("Full analysis: Age").fill("Say what the youth advisory group told you, and what you changed")
    page.get_by_label("Comment", exact=True).fill("The engagement is described, but not what it changed")
    assert_accessible(page, "guide-adviser-return")
    page.get_by_role("button", name="Return to the author", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Returned")
    sign_out(page)

    sign_in(page, "author@example.org")
    page.goto(f"/assessments/{assessment_id}/tasks")
    expect(page.locator("main")).to_contain_text("Returned: Say what the youth advisory group told you")
    expect(page.locator("main")).to_contain_text("Eden Adviser returned this assessment")
    expect(page.locator("#question-comments")).to_contain_text("1 comment on your answers not resolved yet")
    assert_accessible(page, "author-question-comments-task-list")
    page.locator("#question-comments").get_by_role("link").first.click()
    page.get_by_label("Reply").fill("The group asked for data by age band; added")
    page.get_by_role("button", name="Reply", exact=True).click()
    page.get_by_role("button", name="Mark as resolved", exact=True).click()
    expect(page.locator(".govuk-summary-card")).to_contain_text("Resolved by Alex Author")
    assert_accessible(page, "author-question-comment-resolved")
    page.goto(f"/assessments/{assessment_id}/check-answers")
    expect(page.locator("main")).to_contain_text("its status becomes “With the equality adviser”")
    page.get_by_role("button", name="Submit for quality review", exact=True).click()
    sign_out(page)

    sign_in(page, "adviser@example.org")
    page.goto("/quality-review")
    page.locator(".govuk-summary-card", has_text=TITLE).get_by_role("link", name=f"Review {TITLE}").click()
    page.locator("#actions").get_by_role("link", name="Pass to the approver", exact=True).click()
    page.get_by_label("Comment (optional)").fill("Proportionate and well evidenced")
    page.get_by_role("button", name="Pass to the approver", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Submitted")
    assert_accessible(page, "adviser-passed")
    sign_out(page)

    sign_in(page, "approver@example.org")
    page.goto("/review")
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
