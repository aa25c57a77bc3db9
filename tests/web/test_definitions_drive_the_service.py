"""The workflow's meaning lives in its definition: a force renames every state and transition, or adds
a stage, and the whole service follows with no code change, while assessments already under way keep
the workflow they pinned. Driven through the pages, finding each action by the label people see."""

from __future__ import annotations

from sqlalchemy import select

from eia.extensions import db
from eia.models import ArchivedRecord, Assessment
from eia.services.demo import seed
from tests.conftest import PASSWORD, signed_in
from tests.journeys import AN_ACTION, act, complete_assessment, high_impact_analysis, start_assessment, submit
from tests.pages import PageClient
from tests.workflow_copies import WORKFLOWS, renamed_ids, with_review_stage


def take(user: PageClient, assessment_id: int, label: str, data: dict | None = None):
    """Follow the action the assessment's page offers as ``label`` and send its form."""
    page = user.get(f"/assessments/{assessment_id}")
    actions = page.find(id="actions")
    # An action with nothing to type is a button on the page itself (one step); the others open a form.
    buttons = {form.find("button").text.strip(): form for form in actions.find_all("form")}
    if label in buttons:
        form = buttons[label]
        return user.post(form.attrs["action"], {**page.form_fields(form), **(data or {})})
    links = {a.text.strip(): a.attrs["href"] for a in actions.find_all("a")}
    assert label in links, f"{label!r} is not offered: {sorted(links) + sorted(buttons)}"
    return user.submit(links[label], data or {})


def submit_from_check_answers(author: PageClient, assessment_id: int):
    page = author.get(f"/assessments/{assessment_id}/check-answers")
    form = next(f for f in page.find_all("form") if "/actions/" in f.attrs.get("action", ""))
    return author.post(form.attrs["action"], page.form_fields(form))


def _status(app, assessment_id: int) -> str:
    with app.app_context():
        return db.session.get(Assessment, assessment_id).status


def _archived(app, assessment_id: int) -> bool:
    with app.app_context():
        return (
            db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id)) is not None
        )


def test_every_state_and_transition_renamed_and_the_journey_still_works(make_app, tmp_path):
    shipped = make_app(WORKFLOWS_DIR=WORKFLOWS)
    with shipped.app_context():
        seed(PASSWORD)
    # Under way before the change: sent to the Board under the shipped workflow.
    author = signed_in(shipped, "author@example.org")
    old = start_assessment(author)
    complete_assessment(
        author, old, title="Custody handover SOP", relevant=high_impact_analysis("race"), actions=[AN_ACTION]
    )
    submit(author, old)
    approver = signed_in(shipped, "approver@example.org")
    act(approver, old, "start_review")
    act(approver, old, "approve")

    renamed = make_app(WORKFLOWS_DIR=renamed_ids(tmp_path / "renamed"))
    author, approver = signed_in(renamed, "author@example.org"), signed_in(renamed, "approver@example.org")
    board, auditor = signed_in(renamed, "board@example.org"), signed_in(renamed, "auditor@example.org")
    new = start_assessment(author)
    complete_assessment(
        author, new, title="Stop and search briefing", relevant=high_impact_analysis("race"), actions=[AN_ACTION]
    )
    submit_from_check_answers(author, new)
    assert _status(renamed, new) == "x_submitted"

    assert "Stop and search briefing" in approver.get("/review").text
    take(approver, new, "Start review")
    warning = approver.get(f"/assessments/{new}/actions/x_approve")
    assert "Residual adverse impact" in warning.text_of(id="rules-that-fire")
    take(approver, new, "Approve")
    assert _status(renamed, new) == "x_with_board"

    queue = board.get("/board").text
    assert "Stop and search briefing" in queue and "Custody handover SOP" in queue, "old and new side by side"
    take(board, new, "Approve with conditions", {"conditions-1-text": "Publish the stop and search figures quarterly"})
    take(board, old, "Approve")
    assert (_status(renamed, new), _status(renamed, old)) == ("x_approved", "approved")
    assert _archived(renamed, new) and _archived(renamed, old)

    record = auditor.get(f"/archive/{new}")
    assert "Approved with conditions by the Board" in record.text
    assert "x_" not in record.text_of(id="decision-trail-entries")
    results = auditor.get("/archive/")
    for title in ("Stop and search briefing", "Custody handover SOP"):
        row = next(tr for tr in results.find_all("tr") if title in tr.text)
        assert "Signed off" in row.text
    assert "Custody handover SOP" in auditor.get("/archive/?review_overdue=").text
    mine = author.get("/").text
    assert "x_" not in mine and "Signed off" in mine


def test_a_review_stage_added_to_the_workflow_runs_end_to_end(make_app, tmp_path):
    app = make_app(WORKFLOWS_DIR=with_review_stage(tmp_path / "staged"))
    with app.app_context():
        seed(PASSWORD)
    author, approver = signed_in(app, "author@example.org"), signed_in(app, "approver@example.org")
    board = signed_in(app, "board@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id, title="Spit and bite guards")
    submit_from_check_answers(author, assessment_id)
    assert _status(app, assessment_id) == "quality_check"

    assert "Spit and bite guards" in board.get("/board").text
    assert "Spit and bite guards" not in approver.get("/review").text, "not the approver's yet"
    take(board, assessment_id, "Pass to the approver", {"comment": "Evidence and engagement are proportionate"})
    assert "Spit and bite guards" not in board.get("/board").text
    assert "Spit and bite guards" in approver.get("/review").text

    take(approver, assessment_id, "Start review")
    take(approver, assessment_id, "Approve")
    assert _status(app, assessment_id) == "approved" and _archived(app, assessment_id)
    trail = approver.get(f"/assessments/{assessment_id}").text_of(id="decision-trail-entries")
    assert "Quality check passed by" in trail and "Evidence and engagement are proportionate" in trail
