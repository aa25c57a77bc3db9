"""The policy author's journey through the pages, as a browser would take it."""

from __future__ import annotations

from sqlalchemy import select

from eia.extensions import db
from eia.models import Assessment, AuditEvent
from tests.journeys import (
    AN_ACTION,
    STATUTORY,
    complete_assessment,
    high_impact_analysis,
    save,
    start_assessment,
    submit,
)


def test_author_completes_and_submits_with_two_relevant_characteristics(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id)

    check = author.get(f"/assessments/{assessment_id}/check-answers")
    assert check.find(id="problems") is None, check.text_of(id="problems")
    assert "Body-worn video in custody" in check.html
    assert "Standard operating procedure" in check.html
    assert "Age: likely impact" in check.html and "Disability: likely impact" in check.html
    assert "Race: likely impact" not in check.html, "screened-out characteristics have no analysis"

    submit(author, assessment_id)
    dashboard = author.get("/")
    row = next(
        li for li in dashboard.find(id="in-progress-list").find_all("li") if "Body-worn video in custody" in li.text
    )
    assert "Submitted" in row.text

    with demo.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment.status == "submitted"
        assert assessment.submitted_at is not None
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        assert actions.count("assessment.page_saved") >= 4 + 9 + 8 + 3
        assert actions[-1] == "assessment.submit"


def test_task_list_shows_progress_and_only_relevant_analysis(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    tasks = author.get(f"/assessments/{assessment_id}/tasks")
    assert "You have completed 0 of" in tasks.html
    assert "Characteristics you screen as relevant" in tasks.html
    save(author, assessment_id, "screening:race", {"relevance": "medium", "reason": "Stop and search"})
    tasks = author.get(f"/assessments/{assessment_id}/tasks")
    analysis = tasks.find(id="analysis-1-status")
    assert analysis is not None and "Not yet started" in analysis.text
    assert tasks.find("a", href=f"/assessments/{assessment_id}/pages/evidence:race") is not None


def test_save_and_come_back_later_keeps_partial_answers(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    page = author.submit(
        f"/assessments/{assessment_id}/pages/subject", {"title": "Half done"}, button=("intent", "save_draft")
    )
    assert author.location(page).endswith(f"/assessments/{assessment_id}/tasks")
    again = author.get(f"/assessments/{assessment_id}/pages/subject")
    assert again.find("input", id="title").attrs["value"] == "Half done"
    tasks = author.get(f"/assessments/{assessment_id}/tasks")
    assert "In progress" in tasks.find(id="about-1-status").text


def test_validation_errors_link_to_fields_and_keep_what_was_typed(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    page = save(
        author,
        assessment_id,
        "responsibility",
        {"owner": "Insp Typed", "senior_responsible_officer": "", "decision_date": ["31", "2", "2027"]},
        status=400,
    )
    assert page.title.startswith("Error: ")
    assert page.error_messages == ["Enter the senior responsible officer", "The decision date must be a real date"]
    assert page.find("a", href="#decision_date-day") is not None
    assert page.find("input", id="owner").attrs["value"] == "Insp Typed"
    assert page.find("input", id="decision_date-day").attrs["value"] == "31"


def test_revealed_question_shows_under_its_option(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    save(author, assessment_id, "screening:age", {"relevance": "high", "reason": "r"})
    page = author.get(f"/assessments/{assessment_id}/pages/impact:age")
    conditional = page.find("div", id="conditional-eliminate_direction-3")
    assert conditional is not None and conditional.find("input", name="eliminate_level") is not None


def test_switching_negative_to_neutral_and_back_keeps_the_severity(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    save(author, assessment_id, "screening:age", {"relevance": "high", "reason": "r"})
    answers = {
        "eliminate_direction": "negative",
        "eliminate_level": "high",
        "advance_direction": "neutral",
        "foster_direction": "neutral",
        "description": "d",
    }
    save(author, assessment_id, "impact:age", answers)
    # The page's form still carries the closed reveal's level, as a browser sends it.
    save(author, assessment_id, "impact:age", {"eliminate_direction": "neutral"})
    with demo.app_context():
        assert db.session.get(Assessment, assessment_id).answers["impact:age"]["eliminate_level"] == "high"
    page = author.get(f"/assessments/{assessment_id}/pages/impact:age")
    level = page.find("input", name="eliminate_level", value="high")
    assert "checked" in level.attrs, "the severity typed before is shown again"
    save(author, assessment_id, "impact:age", {"eliminate_direction": "negative"})
    check = author.get(f"/assessments/{assessment_id}/check-answers")
    assert "How severe is the negative impact on aim 1 before mitigation?" in check.html


def test_an_optional_page_saved_blank_is_completed(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    save(author, assessment_id, "objectives", {})
    check = author.get(f"/assessments/{assessment_id}/check-answers")
    assert "Equality objectives" not in check.text_of(id="problems")


def test_marriage_page_has_only_the_first_aim(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    save(author, assessment_id, "screening:marriage_civil_partnership", {"relevance": "low", "reason": "r"})
    page = author.get(f"/assessments/{assessment_id}/pages/impact:marriage_civil_partnership")
    names = {i.attrs.get("name") for i in page.find_all("input")}
    assert "eliminate_direction" in names and "advance_direction" not in names and "foster_direction" not in names


def test_hidden_pages_cannot_be_reached_by_url(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    author.get(f"/assessments/{assessment_id}/pages/impact:age", status=404)
    save(author, assessment_id, "screening:age", {"relevance": "none", "reason": "Not relevant"})
    author.get(f"/assessments/{assessment_id}/pages/evidence:age", status=404)
    author.get(f"/assessments/{assessment_id}/pages/no-such-page", status=404)


def test_action_plan_add_and_remove(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    url = f"/assessments/{assessment_id}/pages/action_plan"
    author.submit(url, AN_ACTION, action=f"{url}/items")
    author.submit(url, {**AN_ACTION, "action": "Publish data"}, action=f"{url}/items")
    page = author.get(url)
    assert "Train supervisors" in page.html and "Publish data" in page.html
    author.submit(url, action=f"{url}/items/1/remove")
    page = author.get(url)
    assert "Train supervisors" not in page.html and "Publish data" in page.html
    with demo.app_context():
        items = db.session.get(Assessment, assessment_id).answers["action_plan"]["items"]
        assert [i["action"] for i in items] == ["Publish data"]


def test_action_plan_item_errors(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    url = f"/assessments/{assessment_id}/pages/action_plan"
    page = author.submit(url, {"action": "", "due_date": ["1", "1", "2020"]}, action=f"{url}/items", status=400)
    assert page.error_messages == [
        "Enter the action",
        "Select the characteristic",
        "Enter the owner",
        "The due date must be in the future",
    ]


def test_negative_impact_requires_an_action_before_finishing_the_plan(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    save(author, assessment_id, "screening:race", {"relevance": "high", "reason": "r"})
    for page_id, data in high_impact_analysis("race").items():
        save(author, assessment_id, page_id, data)
    url = f"/assessments/{assessment_id}/pages/action_plan"
    page = author.submit(url, action=f"{url}/finish", status=400)
    assert page.error_messages == ["Add at least one action: the assessment found a negative impact"]


def test_incomplete_assessment_cannot_be_submitted(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    check = author.get(f"/assessments/{assessment_id}/check-answers")
    linked_pages = {a.attrs["href"].rsplit("/", 1)[1] for a in check.find(id="problems").find_all("a")}
    assert linked_pages == {
        "subject",
        "responsibility",
        "aims",
        "objectives",
        "outcome",
        "action_plan",
        "review",
        *(f"screening:{c}" for c in [*STATUTORY, "socio_economic", "armed_forces"]),
    }
    assert check.find("form", action=f"/assessments/{assessment_id}/actions/submit") is None
    version = _version(demo, assessment_id)
    page = author.post(
        f"/assessments/{assessment_id}/actions/submit", {"csrf_token": check.csrf_token, "version": version}, status=400
    )
    assert page.error_messages[0].startswith("The assessment is not finished")
    with demo.app_context():
        assert db.session.get(Assessment, assessment_id).status == "draft"


def test_submitted_assessment_is_read_only_for_the_author(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id)
    submit(author, assessment_id)
    page = author.client.get(f"/assessments/{assessment_id}/pages/subject")
    assert page.status_code == 302 and page.headers["Location"].endswith(f"/assessments/{assessment_id}")
    record = author.get(f"/assessments/{assessment_id}")
    assert "Continue this assessment" not in record.html


def _version(app, assessment_id: int) -> str:
    with app.app_context():
        return str(db.session.get(Assessment, assessment_id).lock_version)


def test_the_record_page_shows_every_change_to_the_answers_and_to_the_names_they_refer_to(client_for, demo):
    """The page keeps its rendered answers per assessment state: a save, or a renamed department, shows at once."""
    from eia.models import Department

    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    with demo.app_context():
        department = db.session.scalar(select(Department).order_by(Department.id))
        department_id, department_name = department.id, department.name
    save(
        author,
        assessment_id,
        "subject",
        {"title": "Custody handover", "subject_type": "sop", "department": str(department_id)},
    )
    assert "Custody handover" in author.get(f"/assessments/{assessment_id}").text_of(id="main-content")

    save(
        author,
        assessment_id,
        "subject",
        {"title": "Custody release", "subject_type": "sop", "department": str(department_id)},
    )
    record = author.get(f"/assessments/{assessment_id}").text_of(id="main-content")
    assert "Custody release" in record and "Custody handover" not in record

    with demo.app_context():
        db.session.get(Department, department_id).name = "Renamed Command"
        db.session.commit()
    record = author.get(f"/assessments/{assessment_id}").text_of(id="main-content")
    assert record.count("Renamed Command") >= 2 and department_name not in record  # the header row and the answer
