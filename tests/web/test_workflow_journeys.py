"""Approval by exception, through the pages: routine sign-off, the Board's decisions, returns."""

from __future__ import annotations

from sqlalchemy import select

from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, AuditEvent, Notification, Transition, User
from tests import factories
from tests.journeys import (
    AN_ACTION,
    act,
    high_impact_analysis,
    low_impact_analysis,
    read_only_message,
    save,
    start_assessment,
    submit,
)


def _submitted(client_for, *, relevant=None, **answers) -> tuple:
    author = client_for("author@example.org")
    return author, factories.submitted(author.client.application, relevant=relevant, **answers)


def _status(app, assessment_id: int) -> str:
    with app.app_context():
        return db.session.get(Assessment, assessment_id).status


def _transitions(app, assessment_id: int) -> list[tuple[str, str, list[str]]]:
    with app.app_context():
        rows = db.session.scalars(
            select(Transition).where(Transition.assessment_id == assessment_id).order_by(Transition.id)
        )
        return [(t.action, t.to_state, [r["id"] for r in t.fired_rules]) for t in rows]


def test_low_impact_is_signed_off_by_the_approver_and_reaches_only_the_digest(client_for, demo):
    author, assessment_id = _submitted(client_for)
    approver = client_for("approver@example.org")
    queue = approver.get("/review")
    assert "Body-worn video in custody" in queue.text

    act(approver, assessment_id, "start_review")
    confirm = approver.get(f"/assessments/{assessment_id}/actions/approve")
    assert "No escalation rule applies" in confirm.text_of(id="rules-that-fire")
    act(approver, assessment_id, "approve", {"comment": "Proportionate and well evidenced"})

    assert _status(demo, assessment_id) == "approved"
    assert _transitions(demo, assessment_id) == [
        ("submit", "submitted", []),
        ("start_review", "with_approver", []),
        ("approve", "approved", []),
    ]
    board = client_for("board@example.org")
    assert "Body-worn video in custody" not in board.get("/board").text
    digest = board.get("/board/digest")
    row = next(tr for tr in digest.find_all("tr") if "Body-worn video in custody" in tr.text)
    assert "Sam Approver" in row.text
    with demo.app_context():
        record = db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id))
        assert record is not None and record.size > 0
        author_user = db.session.scalar(select(User).where(User.email == "author@example.org"))
        messages = [
            n.message for n in db.session.scalars(select(Notification).where(Notification.user_id == author_user.id))
        ]
        assert any("Status: Signed off" in m for m in messages)
    assert "Signed off" in author.get(f"/assessments/{assessment_id}").text


def test_high_impact_goes_to_the_board_which_returns_it_then_approves_with_conditions(client_for, demo):
    author, assessment_id = _submitted(
        client_for,
        title="Stop and search refresh",
        relevant={**high_impact_analysis("race"), **low_impact_analysis("age")},
        actions=[AN_ACTION],
    )
    approver = client_for("approver@example.org")
    act(approver, assessment_id, "start_review")
    warning = approver.get(f"/assessments/{assessment_id}/actions/approve")
    assert "Residual adverse impact" in warning.text_of(id="rules-that-fire")
    act(approver, assessment_id, "approve")
    assert _status(demo, assessment_id) == "with_board"

    board = client_for("board@example.org")
    row = next(tr for tr in board.get("/board").find_all("tr") if "Stop and search refresh" in tr.text)
    assert "Residual adverse impact of medium or high" in row.text

    act(
        board,
        assessment_id,
        "board_return",
        {"comment": "Mitigation needs detail", "section-analysis:race": "Say who reviews each use, and how often"},
    )
    assert _status(demo, assessment_id) == "returned"
    tasks = author.get(f"/assessments/{assessment_id}/tasks")
    assert "Returned: Say who reviews each use, and how often" in tasks.text

    save(
        author,
        assessment_id,
        "residual:race",
        {**high_impact_analysis("race")["residual:race"], "mitigation": "Duty inspector reviews every use weekly"},
    )
    submit(author, assessment_id)
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve")
    assert _status(demo, assessment_id) == "with_board", "resubmission routes afresh, and R1 still fires"

    act(
        board,
        assessment_id,
        "board_approve_with_conditions",
        {
            "conditions-1-text": "Publish quarterly disproportionality figures",
            "conditions-2-text": "Review with the IAG in six months",
            "comment": "Approved subject to conditions",
        },
    )
    assert _status(demo, assessment_id) == "approved"
    assert [t[:2] for t in _transitions(demo, assessment_id)] == [
        ("submit", "submitted"),
        ("start_review", "with_approver"),
        ("approve", "with_board"),
        ("board_return", "returned"),
        ("submit", "submitted"),
        ("start_review", "with_approver"),
        ("approve", "with_board"),
        ("board_approve_with_conditions", "approved"),
    ]
    with demo.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        actions = [item["action"] for item in assessment.answers["action_plan"]["items"]]
        assert actions == [
            AN_ACTION["action"],
            "Board condition: Publish quarterly disproportionality figures",
            "Board condition: Review with the IAG in six months",
        ]
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == str(assessment_id)).order_by(AuditEvent.seq)
        ).all()
        assert [e.action for e in events][-2:] == ["assessment.archived", "assessment.board_approve_with_conditions"]
    digest = board.get("/board/digest")
    assert "Stop and search refresh" not in digest.text, "the Board decided it: not a delegated approval"


def test_each_escalation_reason_is_recorded_with_the_transition(client_for, demo):
    _, assessment_id = _submitted(client_for, outcome="continue", board_review="yes")
    approver = client_for("approver@example.org")
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve")
    assert _transitions(demo, assessment_id)[-1] == ("approve", "with_board", ["R2", "R4"])


def test_board_rejects_with_a_required_comment(client_for, demo):
    _, assessment_id = _submitted(client_for, board_review="yes")
    approver = client_for("approver@example.org")
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve")
    board = client_for("board@example.org")
    refused = act(board, assessment_id, "board_reject", {"comment": "  "}, status=400)
    assert refused.error_messages == ["Enter a comment explaining your decision"]
    assert _status(demo, assessment_id) == "with_board"
    act(board, assessment_id, "board_reject", {"comment": "Not proportionate to the aim"})
    assert _status(demo, assessment_id) == "rejected"
    assert read_only_message(client_for("author@example.org"), assessment_id) == (
        "This assessment was rejected: it can no longer be changed."
    )
    with demo.app_context():
        assert db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id)) is None


def test_the_author_is_told_why_an_assessment_under_review_cannot_be_changed(client_for, demo):
    author, assessment_id = _submitted(client_for, board_review="yes")
    assert read_only_message(author, assessment_id) == (
        "This assessment's status is Submitted: you can change it only if it is returned to you."
    )
    approver = client_for("approver@example.org")
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve")
    assert read_only_message(author, assessment_id) == (
        "This assessment's status is With the Board: you can change it only if it is returned to you."
    )


def test_the_author_is_told_a_withdrawn_assessment_cannot_be_changed(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    act(author, assessment_id, "withdraw")
    assert _status(demo, assessment_id) == "withdrawn"
    assert read_only_message(author, assessment_id) == "This assessment was withdrawn: it can no longer be changed."


def test_people_outside_the_transition_cannot_take_it(client_for, demo):
    author, assessment_id = _submitted(client_for)
    other_department = client_for("author2@example.org")
    other_department.get(f"/assessments/{assessment_id}/actions/start_review", status=404)
    author.get(f"/assessments/{assessment_id}/actions/start_review", status=404)
    board = client_for("board@example.org")
    board.get(f"/assessments/{assessment_id}/actions/board_approve", status=404)
    page = author.get(f"/assessments/{assessment_id}")
    author.post(
        f"/assessments/{assessment_id}/actions/approve", {"csrf_token": page.csrf_token, "version": "1"}, status=404
    )
    assert _status(demo, assessment_id) == "submitted"


def test_a_decision_overtaken_by_another_is_refused_clearly_and_keeps_the_comment(client_for, demo):
    _, assessment_id = _submitted(client_for)
    first = client_for("approver@example.org")
    second = client_for("approver@example.org")
    act(first, assessment_id, "start_review")
    stale = second.get(f"/assessments/{assessment_id}/actions/return")
    fields = stale.form_fields(stale.form())
    act(first, assessment_id, "approve")
    overtaken = second.post(
        f"/assessments/{assessment_id}/actions/return", {**fields, "comment": "My careful reasons"}, status=409
    )
    assert "Someone else acted on this assessment first" in overtaken.error_messages[0]
    assert "It is now signed off" in overtaken.error_messages[0]
    assert "My careful reasons" in overtaken.text_of(id="comment")
    assert overtaken.find("button") is None or "Return" not in overtaken.find("form", id="decision").text
    assert _status(demo, assessment_id) == "approved"


def test_a_stale_form_gets_a_conflict_message_and_keeps_the_comment(client_for, demo):
    _, assessment_id = _submitted(client_for)
    approver = client_for("approver@example.org")
    stale = approver.get(f"/assessments/{assessment_id}/actions/return")
    fields = stale.form_fields(stale.form())
    act(approver, assessment_id, "start_review")
    conflict = approver.post(
        f"/assessments/{assessment_id}/actions/return", {**fields, "comment": "My careful reasons"}, status=409
    )
    assert "Someone else acted on this assessment first" in conflict.error_messages[0]
    assert "My careful reasons" in conflict.text_of(id="comment")
    assert _status(demo, assessment_id) == "with_approver"
    retry = conflict.form_fields(conflict.form())
    approver.post(f"/assessments/{assessment_id}/actions/return", retry)
    assert _status(demo, assessment_id) == "returned"


def test_the_workflow_picture_marks_where_the_assessment_is(client_for, demo):
    author, assessment_id = _submitted(client_for)
    page = author.get(f"/assessments/{assessment_id}")
    figure = page.find(id="workflow-diagram")
    assert figure is not None
    assert "current" in figure.text.lower() and "Submitted" in figure.text


def _with_board(client_for) -> int:
    _, assessment_id = _submitted(client_for, board_review="yes")
    approver = client_for("approver@example.org")
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve")
    return assessment_id


def _unchanged(app, assessment_id: int):
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        return assessment.status, assessment.lock_version, dict(assessment.answers), len(assessment.transitions)


def test_an_overlong_condition_is_refused_and_the_typing_kept(client_for, demo):
    assessment_id = _with_board(client_for)
    before = _unchanged(demo, assessment_id)
    board = client_for("board@example.org")
    typed = "x" * 2001
    refused = act(
        board,
        assessment_id,
        "board_approve_with_conditions",
        {"conditions-1-text": "Review with the IAG", "conditions-2-text": typed},
        status=400,
    )
    assert refused.error_messages == ["Condition 2 must be 2,000 characters or fewer (you entered 2,001)"]
    assert refused.find("a", href="#conditions-2-text") is not None
    assert refused.text_of(id="conditions-2-text-error").endswith(
        "Condition 2 must be 2,000 characters or fewer (you entered 2,001)"
    )
    assert refused.find("textarea", id="conditions-2-text").text == typed, "not truncated"
    assert refused.find("textarea", id="conditions-1-text").text == "Review with the IAG"
    too_many = {f"conditions-{n}-text": f"Condition {n}" for n in range(1, 22)}
    refused = act(board, assessment_id, "board_approve_with_conditions", too_many, status=400)
    assert refused.error_messages == ["Enter at most 20 conditions (you entered 21)"]
    assert _unchanged(demo, assessment_id) == before


def test_an_overlong_section_reason_is_refused_next_to_its_section(client_for, demo):
    assessment_id = _with_board(client_for)
    before = _unchanged(demo, assessment_id)
    board = client_for("board@example.org")
    refused = act(
        board, assessment_id, "board_return", {"section-analysis:age": "y" * 2001, "comment": "See age"}, status=400
    )
    assert refused.error_messages == [
        "The reason for Full analysis: Age must be 2,000 characters or fewer (you entered 2,001)"
    ]
    assert refused.find("a", href="#section-analysis-age") is not None
    assert len(refused.find("textarea", id="section-analysis-age").text) == 2001
    assert refused.find("textarea", id="comment").text == "See age"
    assert _unchanged(demo, assessment_id) == before


def test_forged_section_reasons_are_capped_and_refused(client_for, demo):
    assessment_id = _with_board(client_for)
    before = _unchanged(demo, assessment_id)
    board = client_for("board@example.org")
    forged = {f"section-made-up-{n}": "why" for n in range(101)}
    refused = act(board, assessment_id, "board_return", {**forged, "comment": "c"}, status=400)
    assert refused.error_messages == ["Give reasons for at most 100 sections"]
    refused = act(board, assessment_id, "board_return", {"section-nowhere": "why", "comment": "c"}, status=400)
    assert refused.error_messages == ["There is no section nowhere in this assessment to give reasons for"]
    assert _unchanged(demo, assessment_id) == before


def test_a_comment_on_a_decision_that_takes_none_is_refused(client_for, demo):
    author, assessment_id = _submitted(client_for)
    approver = client_for("approver@example.org")
    form = approver.get(f"/assessments/{assessment_id}/actions/start_review")
    assert form.find("textarea", id="comment") is None
    before = _unchanged(demo, assessment_id)
    refused = act(approver, assessment_id, "start_review", {"comment": "Smuggled in"}, status=400)
    assert refused.error_messages == ["Start review does not take a comment"]
    refused = act(approver, assessment_id, "start_review", {"section-subject": "Smuggled in"}, status=400)
    assert refused.error_messages == ["Start review does not take reasons for sections"]
    assert _unchanged(demo, assessment_id) == before
