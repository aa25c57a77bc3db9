"""Screening as one flowing sequence: every characteristic on one page, saved in one go, each rating
then shown on the task list. The page loads a browser makes are counted through the journey helpers
(docs/questionnaire-flow.md records the numbers)."""

from __future__ import annotations

from sqlalchemy import select

from eia.extensions import db
from eia.models import Assessment, AuditEvent
from tests.journeys import (
    screen_on_one_page,
    screen_one_at_a_time,
    screened_characteristics,
    start_assessment,
)


def _screening_requests(author, assessment_id: int, screen) -> list[tuple[str, str]]:
    characteristics = screened_characteristics(author, assessment_id)  # the task list the author starts on
    before = len(author.requests)
    screen(author, assessment_id, {"race": "high"}, characteristics)
    return author.requests[before:]


def test_a_whole_screening_takes_three_page_loads_instead_of_three_per_characteristic(client_for, demo):
    author = client_for("author@example.org")
    one_at_a_time = start_assessment(author)
    on_one_page = start_assessment(author)

    before = _screening_requests(author, one_at_a_time, screen_one_at_a_time)
    after = _screening_requests(author, on_one_page, screen_on_one_page)

    characteristics = len(screened_characteristics(author, on_one_page))  # the nine and the organisation's extras
    assert len(before) == 3 * characteristics
    assert [method for method, _ in after] == ["GET", "POST", "GET"] and len(after) <= 3
    with demo.app_context():
        answers = [db.session.get(Assessment, i).answers for i in (one_at_a_time, on_one_page)]
        screening = [{k: v for k, v in a.items() if k.startswith("screening:")} for a in answers]
        assert screening[0] == screening[1] and len(screening[1]) == characteristics
        saved = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.object_id == str(on_one_page), AuditEvent.action == "assessment.page_saved"
            )
        )
        assert len(list(saved)) == characteristics, "each characteristic's screening is recorded as saved"


def test_the_task_list_shows_each_rating_and_links_to_the_characteristic_on_the_page(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    screen_on_one_page(
        author, assessment_id, {"race": "high", "age": "unknown"}, screened_characteristics(author, assessment_id)
    )
    tasks = author.get(f"/assessments/{assessment_id}/tasks")
    hints = [h.text for h in tasks.find_all("div", class_="govuk-task-list__hint")]
    assert "Relevance: High" in hints and "Relevance: Not known yet" in hints and "Relevance: Not relevant" in hints
    assert tasks.find("a", href=f"/assessments/{assessment_id}/all/screening#screening-race") is not None
    # The analysis of a screened-in characteristic replays its rating too.
    analysis = tasks.find("a", href=f"/assessments/{assessment_id}/pages/evidence:race")
    assert analysis is not None


def test_one_missing_answer_saves_nothing_and_says_which_characteristic(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    characteristics = screened_characteristics(author, assessment_id)
    answers = {}
    for characteristic in characteristics:
        answers[f"screening-{characteristic}-relevance"] = "none"
        answers[f"screening-{characteristic}-reason"] = "No plausible effect"
    answers["screening-race-reason"] = ""
    page = author.submit(
        f"/assessments/{assessment_id}/all/screening", answers, button=("intent", "continue"), status=400
    )
    assert page.error_messages == ["Race: Enter the reason for your answer"]
    assert page.find(id="screening-race-reason") is not None
    with demo.app_context():
        assert not any(k.startswith("screening:") for k in db.session.get(Assessment, assessment_id).answers or {})

    # "Save and come back later" keeps what was begun and leaves the rest not started.
    partial = {"screening-age-relevance": "medium", "screening-age-reason": "Custody of young people"}
    author.submit(f"/assessments/{assessment_id}/all/screening", partial, button=("intent", "save_draft"))
    with demo.app_context():
        saved = db.session.get(Assessment, assessment_id).answers
        assert [k for k in saved if k.startswith("screening:")] == ["screening:age"]


def test_the_page_defines_each_rating_once(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    page = author.get(f"/assessments/{assessment_id}/all/screening")
    assert page.h1 == "Screening: how relevant is the proposal to each characteristic?"
    assert page.html.count("For example, a stop and search or strip-search procedure and race") == 1
    assert len(page.find_all("h2", class_="govuk-heading-m")) == len(screened_characteristics(author, assessment_id))


class Browser:
    """Drives the pages as a browser does, counting what it loads: it opens a page only when it is not
    already on it, submits the form it shows, and follows the redirect."""

    def __init__(self, client) -> None:
        self.client, self.url, self.page = client, None, None

    def open(self, url: str):
        if url != self.url:
            self.url, self.page = url, self.client.get(url)
        return self.page

    def submit(self, url: str, data: dict | None = None, *, action: str | None = None, button=None):
        page = self.open(url)
        form = page.form(action)
        fields = {**page.form_fields(form), **(data or {})}
        if button:
            fields[button[0]] = button[1]
        response = self.client.post(form.attrs.get("action") or url, fields)
        self.url = self.client.location(response)
        self.page = self.client.get(self.url)
        return self.page


def _routine_assessment(author, *, screening_on_one_page: bool) -> int:
    """A routine assessment (one characteristic relevant, no negative impact) from the dashboard's
    "Start a new assessment" to the submitted confirmation, through the pages. Returns the requests made."""
    browser = Browser(author)
    start = len(author.requests)
    browser.open("/")
    browser.submit("/assessments/new", {"subject_type": "sop"}, action="/assessments/")
    tasks = browser.url
    base = tasks.removesuffix("/tasks")
    pages = {
        "subject": {"title": "Body-worn video: retention of footage"},
        "responsibility": {
            "owner": "Insp Ada Lovelace",
            "senior_responsible_officer": "ACC Grace Hopper",
            "decision_date": ["10", "1", "2027"],
        },
        "aims": {"aims": "Keep footage for 31 days", "affected": "both", "scope": "Force-wide"},
        "objectives": {"objectives": ["EO2"]},
    }
    for page_id, data in pages.items():  # one task: each page leads to the next
        browser.submit(f"{base}/pages/{page_id}", data, button=("intent", "continue"))
    characteristics = screened_characteristics(author, int(base.rsplit("/", 1)[1]))
    author.requests.pop()  # reading the task list's links is the test's, not the journey's: the browser is on it
    if screening_on_one_page:
        answers = {}
        for characteristic in characteristics:
            answers[f"screening-{characteristic}-relevance"] = "high" if characteristic == "age" else "none"
            answers[f"screening-{characteristic}-reason"] = f"Reason for {characteristic}"
        browser.submit(f"{base}/all/screening", answers, button=("intent", "continue"))
    else:
        for characteristic in characteristics:
            browser.submit(
                f"{base}/pages/screening:{characteristic}",
                {"relevance": "high" if characteristic == "age" else "none", "reason": f"Reason for {characteristic}"},
                button=("intent", "continue"),
            )
    for page_id, data in {
        "evidence:age": {"has_evidence": "yes", "evidence": "Complaints data 2025"},
        "engagement:age": {"engaged": "yes", "engagement": "Youth independent advisory group"},
        "impact:age": {
            "eliminate_direction": "neutral",
            "advance_direction": "neutral",
            "foster_direction": "neutral",
            "description": "No difference by age",
        },
        "residual:age": {"residual_level": "none"},
        "outcome": {"outcome": "no_change", "changes_made": "Nothing: no impact found", "board_review_requested": "no"},
    }.items():
        browser.submit(f"{base}/pages/{page_id}", data, button=("intent", "continue"))
    browser.submit(f"{base}/pages/action_plan", action=f"{base}/pages/action_plan/finish")
    browser.submit(
        f"{base}/pages/review",
        {"monitoring": "Quarterly", "review_date": ["1", "11", "2027"]},
        button=("intent", "continue"),
    )
    confirmation = browser.submit(f"{base}/check-answers", action=f"{base}/actions/submit")
    assert "Assessment submitted" in confirmation.text
    return len(author.requests) - start


def test_a_routine_assessment_takes_at_least_a_third_fewer_requests(client_for):
    author = client_for("author@example.org")
    before = _routine_assessment(author, screening_on_one_page=False)
    after = _routine_assessment(author, screening_on_one_page=True)
    print(
        f"routine assessment, start to submitted: {before} requests one characteristic at a time, {after} on one page"
    )
    assert after <= before * 2 / 3
