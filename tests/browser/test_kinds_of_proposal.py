"""The kind of proposal chosen at the start chooses the questionnaire: a minor change is screened and
signed off without a full analysis, and a use of police powers is assessed for human rights too. Each is
taken to its signed PDF in the browser, with axe on every new page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, beside_playwright
from tests.browser.test_journeys import answer, sign_in, sign_out, start_new_assessment
from tests.journeys import complete_assessment, low_impact_analysis, start_assessment


def approver_signs_off(page: Page, title: str) -> None:
    sign_in(page, "approver@example.org")
    page.goto("/review")
    page.get_by_role("link", name=title).click()
    page.locator("#actions").get_by_role("button", name="Start review", exact=True).click()
    page.locator("#actions").get_by_role("link", name="Approve", exact=True).click()
    expect(page.locator("#rules-that-fire")).to_contain_text("No escalation rule applies")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Signed off")
    with page.expect_download() as download:
        page.locator("#download-record").click()
    assert download.value.suggested_filename.endswith("-signed.pdf")


def test_a_minor_change_is_screened_and_signed_off_without_a_full_analysis(page: Page):
    sign_in(page, "author@example.org")
    page.get_by_role("button", name="Start a new assessment", exact=True).click()
    assert_accessible(page, "author-what-are-you-assessing")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select what you are assessing")
    assert_accessible(page, "author-what-are-you-assessing-error")
    page.goto("/")
    url = start_new_assessment(page, "A minor change")
    answer(page, url, "subject", {"title": "Custody: booking-in desks moved"}, check_accessibility=True)
    answer(
        page,
        url,
        "responsibility",
        {
            "owner": "Insp Priya Shah",
            "senior_responsible_officer": "Ch Supt Tom Reid",
            "decision_date": ["10", "1", "2027"],
        },
    )
    answer(page, url, "aims", {"aims": "Shorter queues", "affected": "both", "scope": "One custody suite"})
    answer(page, url, "objectives", {"objectives": ["EO2"]})
    page.goto(f"{url}/tasks")
    characteristics = [
        link.get_attribute("href").rsplit("#screening-", 1)[1]
        for link in page.locator("a[href*='/all/screening#screening-']").all()
    ]
    for characteristic in characteristics:
        answer(
            page,
            url,
            f"screening:{characteristic}",
            {
                "relevance": "low" if characteristic == "disability" else "none",
                "reason": f"The desks move within the same room; nothing changes for {characteristic}",
            },
        )
    page.goto(f"{url}/tasks")
    expect(page.locator("main")).to_contain_text("No characteristic needs a full analysis")
    assert_accessible(page, "author-screening-only-task-list")
    answer(
        page,
        url,
        "outcome",
        {
            "no_analysis_reason": "The desks stay level-access and the same staff book people in",
            "evidence_considered": "Access audit of the suite, June 2026",
            "outcome": "no_change",
            "board_review_requested": "no",
        },
        check_accessibility=True,
    )
    answer(page, url, "review", {"review_date": ["1", "11", "2027"]})
    page.goto(f"{url}/check-answers")
    assert_accessible(page, "author-screening-check-answers")
    page.get_by_role("button", name="Submit for approval", exact=True).click()
    expect(page.locator(".govuk-panel__title")).to_contain_text("Assessment submitted")
    sign_out(page)
    approver_signs_off(page, "Custody: booking-in desks moved")


def test_a_use_of_police_powers_is_assessed_for_human_rights_and_signed_off(page: Page, client_for):
    def started() -> int:
        author = client_for("author@example.org")
        assessment_id = start_assessment(author, "police_powers")
        complete_assessment(
            author,
            assessment_id,
            title="Stop and search: body-worn video",
            relevant={**low_impact_analysis("age"), **low_impact_analysis("disability")},
        )
        return assessment_id

    assessment_id = beside_playwright(started)
    sign_in(page, "author@example.org")
    url = f"/assessments/{assessment_id}"
    answer(
        page,
        url,
        "powers",
        {
            "powers": ["stop_search", "data_technology"],
            "powers_detail": "Every response officer, about 4,000 searches a year",
        },
        check_accessibility=True,
    )
    answer(
        page,
        url,
        "rights_engaged",
        {"engages_rights": "yes", "articles": ["article_5", "article_8"]},
        check_accessibility=True,
    )
    answer(
        page,
        url,
        "liberty",
        {
            "detention_grounds": ["suspicion"],
            "detention_duration": "Only as long as the search takes",
            "detention_safeguards": "Grounds given before the search",
        },
        check_accessibility=True,
    )
    answer(
        page,
        url,
        "private_life",
        {"intrusion": "Recording people searched", "uses_personal_data": "yes"},
        check_accessibility=True,
    )
    answer(
        page,
        url,
        "personal_data",
        {
            "personal_data": "Video of the person searched",
            "retention": "31 days unless evidential",
            "dpia": "yes",
            "dpia_reference": "DPIA-2026-014",
        },
        check_accessibility=True,
    )
    answer(
        page,
        url,
        "legal_basis",
        {"legal_basis": "PACE section 1 and Code A", "law_clear": "yes"},
        check_accessibility=True,
    )
    answer(
        page,
        url,
        "legitimate_aim",
        {
            "legitimate_aims": ["disorder_crime"],
            "pressing_need": "Complaints about searches",
            "effectiveness": "Footage settles disputes",
        },
        check_accessibility=True,
    )
    answer(
        page,
        url,
        "proportionality",
        {
            "less_intrusive": "Audio only: rejected",
            "fair_balance": "Short retention",
            "safeguards": "Camera on for every search",
            "recording": "Search record and footage",
            "use_review": "Scrutiny panel, quarterly",
        },
        check_accessibility=True,
    )
    answer(
        page,
        url,
        "human_rights_conclusion",
        {"compatible": "yes", "compatibility_reasons": "With these safeguards", "legal_advice": "no"},
        check_accessibility=True,
    )
    page.goto(f"{url}/check-answers")
    expect(page.locator("main")).to_contain_text("Article 5")
    assert_accessible(page, "author-human-rights-check-answers")
    page.get_by_role("button", name="Submit for approval", exact=True).click()
    expect(page.locator(".govuk-panel__title")).to_contain_text("Assessment submitted")
    sign_out(page)
    approver_signs_off(page, "Stop and search: body-worn video")


def test_an_administrator_chooses_the_questions_for_a_kind_of_proposal(page: Page):
    sign_in(page, "admin@example.org")
    page.goto("/admin/")
    page.get_by_role("link", name="Choose the questions and route to sign-off for each kind of proposal").click()
    assert_accessible(page, "admin-kinds-of-proposal")
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "the page scrolls sideways at 320 px"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Questions").first.select_option(label="Proportionate screening")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Assessments started from now on follow these")
    sign_out(page)
    sign_in(page, "author@example.org")
    page.get_by_role("button", name="Start a new assessment", exact=True).click()
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "the page scrolls sideways at 320 px"
