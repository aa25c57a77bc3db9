"""Every role's main journey in Debian's chromium, with axe-core on each page visited."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, beside_playwright
from tests.conftest import PASSWORD
from tests.journeys import (
    AN_ACTION,
    act,
    complete_assessment,
    high_impact_analysis,
    low_impact_analysis,
    start_assessment,
    submit,
)

SUBJECT = {"title": "Body-worn video in custody", "subject_type": "sop"}
RESPONSIBILITY = {
    "owner": "Inspector Ada Lovelace",
    "senior_responsible_officer": "ACC Grace Hopper",
    "decision_date": ["10", "1", "2027"],
}
AIMS = {"aims": "Improve transparency", "affected": "both", "scope": "Force-wide"}
OUTCOME = {"outcome": "no_change", "changes_made": "Added supervisor review", "board_review_requested": "no"}
REVIEW = {"monitoring": "Quarterly data review", "review_date": ["1", "11", "2027"]}


def assert_fits_320(page: Page) -> None:
    """The page does not scroll sideways at 320 px (WCAG 1.4.10)."""
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "the page scrolls sideways at 320 px"
    page.set_viewport_size({"width": 1280, "height": 900})


def sign_in(page: Page, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name=re.compile("Sign out")).click()


def fill(page: Page, answers: dict) -> None:
    """Answer a questionnaire page as a person would: click radios, tick boxes, type text."""
    for name, value in answers.items():
        field = page.locator(f"[name='{name}']")
        kind = field.first.get_attribute("type") or field.first.evaluate("e => e.tagName.toLowerCase()")
        if kind in ("radio", "checkbox"):
            for chosen in value if isinstance(value, list) else [value]:
                page.locator(f"input[name='{name}'][value='{chosen}']").check()
        elif kind == "select":
            field.select_option(value)
        elif isinstance(value, list):  # a GOV.UK date input: day, month, year
            for part, text in zip(field.all(), value, strict=True):
                part.fill(text)
        else:
            field.fill(value)


def answer(page: Page, assessment_url: str, page_id: str, answers: dict, *, check_accessibility: bool = False) -> None:
    page.goto(f"{assessment_url}/pages/{page_id}")
    fill(page, answers)
    if check_accessibility:
        assert_accessible(page, f"author-{page_id.split(':')[0]}")
    page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)


def start_new_assessment(page: Page, kind: str = "Standard operating procedure") -> str:
    """Start an assessment of ``kind`` from the dashboard the page is on; returns its address (without
    /tasks), once its task list has loaded."""
    page.get_by_role("button", name="Start a new assessment", exact=True).click()
    expect(page).to_have_url(re.compile(r"/assessments/new$"))
    page.get_by_label(kind, exact=True).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page).to_have_url(re.compile(r"/assessments/\d+/tasks$"))
    return page.url.removesuffix("/tasks")


def complete(page: Page, relevant: dict[str, dict], *, title: str, check_accessibility: bool = True) -> str:
    """The author journey; ``check_accessibility=False`` skips axe (it needs JavaScript)."""
    check = check_accessibility
    page.goto("/")
    assessment_url = start_new_assessment(page)
    if check:
        assert_accessible(page, "author-task-list")

    page.goto(f"{assessment_url}/pages/subject")
    page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    if check:
        assert_accessible(page, "author-subject-errors")
    if check:  # GOV.UK Frontend's script moves focus to the field; without it the link only scrolls
        page.locator(".govuk-error-summary a").first.click()
        expect(page.locator("[name='title']")).to_be_focused()

    answer(page, assessment_url, "subject", {**SUBJECT, "title": title}, check_accessibility=check)
    answer(page, assessment_url, "responsibility", RESPONSIBILITY, check_accessibility=check)
    answer(page, assessment_url, "aims", AIMS, check_accessibility=check)
    answer(page, assessment_url, "objectives", {"objectives": ["EO2"]}, check_accessibility=check)
    relevant_ids = {key.split(":")[1] for key in relevant}
    page.goto(f"{assessment_url}/tasks")
    characteristics = [
        link.get_attribute("href").rsplit("#screening-", 1)[1]
        for link in page.locator("a[href*='/all/screening#screening-']").all()
    ]
    assert len(characteristics) >= 9
    # Screening is one page: every characteristic rated and explained, one save.
    page.goto(f"{assessment_url}/all/screening")
    for characteristic in characteristics:
        fill(
            page,
            {
                f"screening-{characteristic}-relevance": "high" if characteristic in relevant_ids else "none",
                f"screening-{characteristic}-reason": "Because",
            },
        )
    if check:
        assert_accessible(page, "author-screening-one-page")
    page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tasks$"))
    if relevant_ids:
        expect(page.locator("main")).to_contain_text("Relevance: High")
    for index, (page_id, answers) in enumerate(relevant.items()):
        answer(page, assessment_url, page_id, answers, check_accessibility=check and index < 4)
    answer(page, assessment_url, "outcome", OUTCOME, check_accessibility=check)

    page.goto(f"{assessment_url}/pages/action_plan")
    fill(page, AN_ACTION)
    if check:
        assert_accessible(page, "author-action-plan")
    page.get_by_role("button", name="Add action", exact=True).click()
    expect(page.get_by_text("Train supervisors")).to_be_visible()
    page.get_by_role("button", name=re.compile("I have finished")).click()
    answer(page, assessment_url, "review", REVIEW, check_accessibility=check)
    return assessment_url


def test_author_completes_and_submits_an_assessment(page: Page):
    sign_in(page, "author@example.org")
    assert_accessible(page, "author-dashboard")
    assessment_url = complete(
        page, {**low_impact_analysis("age"), **low_impact_analysis("disability")}, title="Body-worn video in custody"
    )

    page.goto(f"{assessment_url}/check-answers")
    expect(page.get_by_role("heading", name="Age: likely impact")).to_be_visible()
    assert_accessible(page, "author-check-answers")
    page.get_by_role("button", name="Submit for approval", exact=True).click()
    expect(page.locator(".govuk-panel__title")).to_contain_text("Assessment submitted")
    assert_accessible(page, "author-submitted")
    assert_fits_320(page)
    page.locator("main").get_by_role("link", name="See the assessment you submitted").click()
    expect(page.locator("#status")).to_contain_text("Submitted")
    assert_accessible(page, "author-record-submitted")
    page.goto("/")
    expect(page.locator("#in-progress-list")).to_contain_text("Body-worn video in custody")
    assert_accessible(page, "author-home")
    assert_fits_320(page)


def test_approver_and_board_decide_by_exception(page: Page):
    sign_in(page, "author@example.org")
    assessment_url = complete(page, high_impact_analysis("race"), title="Stop and search refresh")
    page.goto(f"{assessment_url}/check-answers")
    page.get_by_role("button", name="Submit for approval", exact=True).click()
    sign_out(page)

    sign_in(page, "approver@example.org")
    page.goto("/review")
    assert_accessible(page, "approver-queue")
    page.get_by_role("link", name="Stop and search refresh").click()
    assert_accessible(page, "approver-record")
    page.locator("#actions").get_by_role("button", name="Start review", exact=True).click()
    expect(page.locator("#status")).to_contain_text("With approver")
    page.get_by_role("link", name="Approve").click()
    expect(page.locator("#adverse-impacts")).to_contain_text("Race: negative impact on aim 1")
    expect(page.locator("#rules-that-fire")).to_contain_text("Residual adverse impact of medium or high")
    assert_accessible(page, "guide-approver-approve")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator("#status")).to_contain_text("With the Board")
    sign_out(page)

    sign_in(page, "board@example.org")
    page.goto("/board")
    expect(page.get_by_role("row", name=re.compile("Stop and search refresh"))).to_contain_text(
        "Residual adverse impact"
    )
    assert_accessible(page, "board-queue")
    page.get_by_role("link", name="Stop and search refresh").click()
    page.get_by_role("link", name="Approve with conditions").click()
    page.get_by_role("button", name="Approve with conditions", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter at least one condition")
    assert_accessible(page, "board-conditions-error")
    page.locator("#conditions-1-text").fill("Publish quarterly figures")
    page.get_by_role("button", name="Add another condition", exact=True).click()
    page.locator("#conditions-2-text").fill("Review with the independent advisory group")
    page.locator("#conditions-2-owner").fill("Supt Mo Khan")
    page.get_by_role("button", name="Approve with conditions", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Signed off")
    expect(page.locator("#finding-conditions")).to_contain_text("Owner: Supt Mo Khan")
    assert_accessible(page, "board-record-signed-off")
    with page.expect_download() as download:
        page.locator("#download-record").click()
    assert download.value.suggested_filename.endswith("-signed.pdf")
    page.goto("/board/digest")
    assert_accessible(page, "board-digest")
    page.goto("/notifications")
    assert_accessible(page, "notifications")


def test_auditor_searches_checks_integrity_and_verifies_a_file(page: Page, client_for, tmp_path):
    def signed_off() -> int:
        author, approver = client_for("author@example.org"), client_for("approver@example.org")
        assessment_id = start_assessment(author)
        complete_assessment(author, assessment_id, title="Body-worn video in custody")
        submit(author, assessment_id)
        act(approver, assessment_id, "start_review")
        act(approver, assessment_id, "approve")
        return assessment_id

    assessment_id = beside_playwright(signed_off)

    sign_in(page, "auditor@example.org")
    page.get_by_role("link", name="Archive", exact=True).click()
    assert_accessible(page, "auditor-search")
    page.get_by_label("Words in the title or answers").fill('"body-worn video" (custody')
    page.get_by_label("Status").select_option("approved")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#result-count")).to_have_text("1 assessment found")
    assert_accessible(page, "guide-auditor-search")
    for link, suffix in (("#export-csv", ".csv"), ("#export-xlsx", ".xlsx")):
        with page.expect_download() as export:
            page.locator(link).click()
        assert export.value.suggested_filename.endswith(suffix)
    page.get_by_label("Decided on or after").fill("yesterday")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the start date as YYYY-MM-DD")
    assert_accessible(page, "auditor-search-errors")

    page.goto(f"/archive/{assessment_id}")
    assert_accessible(page, "auditor-record")
    page.get_by_role("button", name="Check integrity", exact=True).click()
    expect(page.locator("#chain-verdict")).to_have_text("Intact")
    assert_accessible(page, "guide-auditor-integrity")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download signed PDF")).click()
    pdf = tmp_path / "record.pdf"
    download.value.save_as(pdf)

    page.get_by_role("link", name="Archive", exact=True).click()
    page.get_by_role("link", name="Check whether a PDF is an authentic record").click()
    page.get_by_role("button", name="Check the file", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select a PDF file")
    assert_accessible(page, "auditor-verify-error")
    page.get_by_label("PDF file").set_input_files(str(pdf))
    page.get_by_role("button", name="Check the file", exact=True).click()
    expect(page.locator("#verdict")).to_contain_text("Authentic")
    assert_accessible(page, "guide-auditor-verify")

    altered = tmp_path / "altered.pdf"
    altered.write_bytes(pdf.read_bytes().replace(b"Body-worn", b"Body-born", 1))
    page.get_by_label("PDF file").set_input_files(str(altered))
    page.get_by_role("button", name="Check the file", exact=True).click()
    expect(page.locator("#verdict")).to_contain_text("Not an archived record")
    assert_accessible(page, "auditor-verify-altered")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    page.get_by_label("PDF file").set_input_files(str(empty))
    page.get_by_role("button", name="Check the file", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The selected file is empty")
    assert_accessible(page, "auditor-verify-empty")


def with_the_board(client_for, title: str) -> int:
    """An assessment with a residual adverse impact for race, approved by the approver: the Board decides."""

    def build() -> int:
        author, approver = client_for("author@example.org"), client_for("approver@example.org")
        assessment_id = start_assessment(author)
        complete_assessment(
            author, assessment_id, title=title, relevant=high_impact_analysis("race"), actions=[AN_ACTION]
        )
        submit(author, assessment_id)
        act(approver, assessment_id, "start_review")
        act(approver, assessment_id, "approve")
        return assessment_id

    return beside_playwright(build)


def board_decides(page: Page, assessment_id: int, decision: str) -> None:
    """The Board member opens the assessment from the queue and chooses a decision (the form is then shown)."""
    sign_in(page, "board@example.org")
    page.get_by_role("link", name="The Board's queue", exact=True).click()
    page.locator(f"a[href='/assessments/{assessment_id}']").click()
    page.locator("#actions").get_by_role("link", name=decision, exact=True).click()


def test_board_returns_and_the_author_responds(page: Page, client_for):
    assessment_id = with_the_board(client_for, "Taser deployment review")
    board_decides(page, assessment_id, "Return to the author")
    page.get_by_role("button", name="Return to the author", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a comment")
    assert_accessible(page, "board-return-error")
    page.goto(page.url)  # the form afresh, for the guide's picture
    page.locator("#section-analysis-race").fill("Say how supervisors will review each use")
    page.get_by_label("Comment").fill("The mitigation needs more detail")
    page.locator("#section-analysis-race").scroll_into_view_if_needed()
    assert_accessible(page, "guide-board-return")
    page.get_by_role("button", name="Return to the author", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Returned")
    sign_out(page)

    sign_in(page, "author@example.org")
    expect(page.locator("#returned-to-you-list")).to_contain_text("Taser deployment review")
    assert_accessible(page, "author-home-returned")
    page.locator("#returned-to-you-list").get_by_role("link", name="Taser deployment review").click()
    expect(page.locator("#returned-banner")).to_contain_text("The mitigation needs more detail")
    assert_accessible(page, "author-record-returned")
    assert_fits_320(page)
    page.locator("#returned-banner").get_by_role("link", name="Continue", exact=True).click()
    expect(page.locator("#returned-banner")).to_contain_text("returned this assessment on")
    expect(page.locator("#returned-banner")).to_contain_text("The mitigation needs more detail")
    expect(page.get_by_text("Returned: Say how supervisors will review each use")).to_be_visible()
    assert_accessible(page, "guide-author-returned")

    # Save and come back later keeps an answer without finishing the page; Save and continue finishes it.
    page.goto(f"/assessments/{assessment_id}/pages/residual:race")
    page.get_by_label("How will you remove or reduce the negative impact?").fill(
        "A supervisor reviews the footage of every use within 24 hours"
    )
    page.get_by_role("button", name="Save and come back later", exact=True).click()
    expect(page).to_have_url(re.compile(r"/tasks$"))
    page.goto(f"/assessments/{assessment_id}/pages/residual:race")
    expect(page.get_by_label("How will you remove or reduce the negative impact?")).to_have_value(
        "A supervisor reviews the footage of every use within 24 hours"
    )
    page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)

    page.goto(f"/assessments/{assessment_id}/check-answers")
    page.get_by_role("button", name="Submit for approval", exact=True).click()
    expect(page.locator(".govuk-panel__title")).to_contain_text("Assessment submitted")
    page.goto(f"/assessments/{assessment_id}")
    expect(page.locator("#decision-trail + ol")).to_contain_text("The mitigation needs more detail")

    page.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(page.locator("main li").filter(has_text="Taser deployment review").first).to_contain_text("New")
    page.get_by_role("button", name="Mark all as read", exact=True).click()
    expect(page.locator("main .govuk-tag", has_text="New")).to_have_count(0)
    assert_accessible(page, "notifications-read")


def test_board_rejects_and_the_record_is_read_only(page: Page, client_for):
    assessment_id = with_the_board(client_for, "Dispersal order pilot")
    board_decides(page, assessment_id, "Reject")
    page.get_by_role("button", name="Yes, reject", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a comment")
    assert_accessible(page, "board-reject-error")
    page.goto(page.url)
    page.get_by_label("Comment").fill("The adverse impact on race is not justified")
    assert_accessible(page, "guide-board-reject")
    page.get_by_role("button", name="Yes, reject", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Rejected")
    sign_out(page)

    sign_in(page, "author@example.org")
    page.goto(f"/assessments/{assessment_id}")
    expect(page.locator("#status")).to_contain_text("Rejected")
    expect(page.locator("#decision-trail + ol")).to_contain_text("The adverse impact on race is not justified")
    expect(page.get_by_role("link", name="Continue this assessment")).to_have_count(0)
    expect(page.locator("#actions")).to_have_count(0)
    page.locator("#decision-trail").evaluate("heading => heading.scrollIntoView()")
    assert_accessible(page, "guide-author-rejected")
    page.goto(f"/assessments/{assessment_id}/pages/aims")  # typing the address does not reopen it either
    expect(page).to_have_url(re.compile(rf"/assessments/{assessment_id}$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "This assessment was rejected: it can no longer be changed."
    )


def test_board_approves_and_the_author_starts_a_revision(page: Page, client_for):
    assessment_id = with_the_board(client_for, "Custody meal policy")
    board_decides(page, assessment_id, "Approve")
    assert_accessible(page, "board-approve")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Signed off")
    sign_out(page)

    sign_in(page, "author@example.org")
    page.goto(f"/assessments/{assessment_id}")
    expect(page.locator("#download-record")).to_be_visible()
    page.get_by_role("button", name="Start a revision", exact=True).click()
    expect(page).to_have_url(re.compile(r"/assessments/\d+/tasks$"))
    expect(page.locator(".govuk-caption-l")).to_contain_text(" v2")
    assert_accessible(page, "author-revision-task-list")


def test_author_edits_the_action_plan_comments_and_withdraws(page: Page):
    sign_in(page, "author@example.org")
    assessment_url = start_new_assessment(page)
    page.goto(f"{assessment_url}/pages/action_plan")
    page.get_by_role("button", name="Add action", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page, "author-action-plan-errors")
    for name in ("Train supervisors", "Publish the data"):
        fill(page, {**AN_ACTION, "action": name})
        page.get_by_role("button", name="Add action", exact=True).click()
    page.get_by_role("button", name="Remove action 1").click()
    expect(page.get_by_text("Train supervisors")).to_have_count(0)
    expect(page.get_by_text("Publish the data")).to_be_visible()
    assert_accessible(page, "author-action-plan-removed")

    page.goto(assessment_url)
    page.get_by_role("button", name="Add comment", exact=True).click()
    expect(page.locator("main")).to_contain_text("Enter a comment")
    assert_accessible(page, "author-comment-error")
    page.get_by_label("Add a comment").fill("Waiting for the custody figures")
    page.get_by_role("button", name="Add comment", exact=True).click()
    expect(page.locator("#comments ~ .govuk-inset-text")).to_contain_text("Waiting for the custody figures")

    page.goto(f"{assessment_url}/check-answers")
    expect(page.locator("main")).to_contain_text("You cannot submit yet")
    expect(page.get_by_role("button", name="Submit for approval")).to_have_count(0)
    assert_accessible(page, "author-check-answers-unfinished")

    page.goto(assessment_url)
    page.locator("#actions").get_by_role("link", name="Withdraw", exact=True).click()
    assert_accessible(page, "author-withdraw")
    page.get_by_role("button", name="Yes, withdraw", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Withdrawn")
    expect(page.locator("#actions")).to_have_count(0)
