"""After sign-off, through the pages: legal checks recorded, actions tracked and updated, reviews listed."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from eia.clock import uk_today as today
from eia.extensions import db
from eia.models import ActionNote, ArchivedRecord, Assessment, AuditEvent, TrackedAction, Transition
from eia.services import archive
from tests import factories
from tests.journeys import (
    AN_ACTION,
    act,
    complete_assessment,
    high_impact_analysis,
    low_impact_analysis,
    save,
    start_assessment,
    submit,
)

SAMS_ACTION = {
    "action": "Brief every custody sergeant",
    "characteristic": "all",
    "owner": "sam approver",
    "due_date": ["1", "3", "2027"],
}


def signed_off(client_for, *, actions=(AN_ACTION, SAMS_ACTION), **answers) -> int:
    return factories.signed_off(client_for("author@example.org").client.application, actions=list(actions), **answers)


def tracked(app, assessment_id: int) -> list[TrackedAction]:
    with app.app_context():
        actions = db.session.scalars(
            select(TrackedAction).where(TrackedAction.assessment_id == assessment_id).order_by(TrackedAction.position)
        ).all()
        for action in actions:
            db.session.expunge(action)
        return actions


# --- legal checks -------------------------------------------------------------------------------


def test_check_answers_shows_warnings_and_allows_submission_recording_them(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id)
    save(author, assessment_id, "screening:sex", {"relevance": "none", "reason": "Reason for age"})
    page = author.get(f"/assessments/{assessment_id}/check-answers")
    warning = page.text_of(id="legal-warnings")
    assert "Warning: L3 Reasons written for each characteristic, not copied" in warning
    assert "The same screening reason is given for age, sex" in warning
    assert page.find("ul", id="legal-warnings").find("a").attrs["href"] == (
        f"/assessments/{assessment_id}/pages/screening:age"
    )
    assert page.find("ul", id="legal-blocking") is None
    submit(author, assessment_id)
    approver = client_for("approver@example.org")
    act(approver, assessment_id, "start_review")
    shown = approver.get(f"/assessments/{assessment_id}/actions/approve").text_of(id="finding-legal-warnings")
    assert "Reasons written for each characteristic, not copied" in shown and "age, sex" in shown
    assert "L3" not in shown, "in plain words, without the check's code"
    with demo.app_context():
        transition = db.session.scalar(select(Transition).where(Transition.assessment_id == assessment_id))
        recorded = {r["id"]: r["passed"] for r in transition.details["legal_checks"]}
        assert recorded["L3"] is False and recorded["L1"] is True
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "assessment.submit"))
        assert any(r["id"] == "L3" and not r["passed"] for r in event.details["legal_checks"])


def test_a_blocking_check_stops_submission_with_a_link_to_the_page_to_fix(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    gap = {
        **low_impact_analysis("age"),
        "evidence:age": {"has_evidence": "no", "gaps": "No age data on who is detained; survey by March"},
    }
    complete_assessment(author, assessment_id, relevant=gap)
    page = author.get(f"/assessments/{assessment_id}/check-answers")
    blocking = page.find("ul", id="legal-blocking")
    assert "Must fix: L8P An action to fill each evidence gap" in blocking.text
    assert blocking.find("a").attrs["href"] == f"/assessments/{assessment_id}/pages/action_plan"
    assert page.find("form", action=f"/assessments/{assessment_id}/actions/submit") is None
    # A forged submission is refused too, and nothing changes.
    with demo.app_context():
        version = db.session.get(Assessment, assessment_id).lock_version
    refused = author.post(
        f"/assessments/{assessment_id}/actions/submit",
        {"csrf_token": page.csrf_token, "version": str(version)},
        status=400,
    )
    assert "fails the legal checks: L8P" in refused.error_messages[0]
    with demo.app_context():
        assert db.session.get(Assessment, assessment_id).status == "draft"


def test_sign_off_after_the_decision_date_is_recorded_as_failed_in_the_signed_record(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id)
    yesterday = today() - timedelta(days=1)
    save(
        author,
        assessment_id,
        "responsibility",
        {
            "owner": "Inspector Ada Lovelace",
            "senior_responsible_officer": "ACC Grace Hopper",
            "decision_date": [str(yesterday.day), str(yesterday.month), str(yesterday.year)],
        },
    )
    page = author.get(f"/assessments/{assessment_id}/check-answers")
    assert "L2R Not a retrospective assessment" in page.text_of(id="legal-warnings")
    submit(author, assessment_id)
    approver = client_for("approver@example.org")
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve")
    with demo.app_context():
        record = db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id))
        rows = dict(record.snapshot["legal_checks"])
        l2 = next(value for key, value in rows.items() if key.startswith("L2 "))
        assert l2.startswith("Failed: Signed off on") and "after the decision date" in l2
        assert next(value for key, value in rows.items() if key.startswith("L1 ")) == "Passed"
        pdf = PdfReader(io.BytesIO(archive.archived_pdf(record)))
        text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "Legal checks at sign-off" in text and "Failed: Signed off on" in text


# --- tracked actions ----------------------------------------------------------------------------


def test_sign_off_turns_the_plan_into_tracked_actions_with_matched_owners(client_for, demo):
    assessment_id = signed_off(client_for)
    actions = tracked(demo, assessment_id)
    assert [(a.position, a.text, a.owner_text, a.status, a.due_date.isoformat()) for a in actions] == [
        (1, "Train supervisors", "Ch Insp Jones", "open", "2027-06-01"),
        (2, "Brief every custody sergeant", "sam approver", "open", "2027-03-01"),
    ]
    assert actions[0].owner_id is None
    with demo.app_context():
        assert db.session.get(TrackedAction, actions[1].id).owner.email == "approver@example.org"

    author = client_for("author@example.org")
    listing = author.get("/actions")
    assert [tr.find("a").text for tr in listing.find("table", id="open").find_all("tr")[1:]] == [
        "Brief every custody sergeant",
        "Train supervisors",
    ]
    assert client_for("author@neighbouring.example.org").get("/actions").find("table") is None
    client_for("author@neighbouring.example.org").get(f"/actions/{actions[0].id}", status=404)


def test_board_conditions_become_tracked_actions(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id, relevant={**high_impact_analysis("race")}, actions=[AN_ACTION])
    submit(author, assessment_id)
    approver = client_for("approver@example.org")
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve")
    act(
        client_for("board@example.org"),
        assessment_id,
        "board_approve_with_conditions",
        {"conditions-1-text": "Publish quarterly figures"},
    )
    actions = tracked(demo, assessment_id)
    assert [(a.text, a.source, a.owner_text) for a in actions] == [
        ("Train supervisors", "plan", "Ch Insp Jones"),
        ("Board condition: Publish quarterly figures", "board_condition", "ACC Grace Hopper"),
    ]
    board = client_for("board@example.org")
    page = board.get(f"/actions/{actions[1].id}")
    assert "a Board condition" in page.h1
    assert page.find("textarea") is None, "the Board follows actions; owners update them"


def test_updating_an_action_needs_a_status_and_note_and_keeps_history(client_for, demo):
    assessment_id = signed_off(client_for)
    action = tracked(demo, assessment_id)[1]
    approver = client_for("approver@example.org")  # the matched owner
    url = f"/actions/{action.id}"

    empty = approver.submit(url, {"status": "", "note": "  "}, status=400)
    assert empty.title.startswith("Error: ")
    assert empty.error_messages == ["Select the status of the action", "Enter a note saying what has been done"]
    too_long = approver.submit(url, {"status": "done", "note": "x" * 5001}, status=400)
    assert too_long.error_messages == ["The note must be 5,000 characters or fewer (you entered 5,001)"]
    assert tracked(demo, assessment_id)[1].status == "open"

    stale = approver.get(url)
    fields = stale.form_fields(stale.form())
    approver.submit(url, {"status": "in_progress", "note": "Half the sergeants briefed"})
    conflict = approver.post(url, {**fields, "status": "done", "note": "All briefed"}, status=409)
    assert "Someone else updated this action" in conflict.error_messages[0]
    assert "All briefed" in conflict.text_of(id="note")
    approver.post(url, conflict.form_fields(conflict.form()))

    page = client_for("author@example.org").get(url)
    assert "Done" in page.text and "Half the sergeants briefed" in page.text_of(id="history")
    with demo.app_context():
        notes = db.session.scalars(select(ActionNote).order_by(ActionNote.id)).all()
        assert [(n.from_status, n.to_status, n.text) for n in notes] == [
            ("open", "in_progress", "Half the sergeants briefed"),
            ("in_progress", "done", "All briefed"),
        ]
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "action.updated").order_by(AuditEvent.seq)
        ).all()
        assert [e.details["to"] for e in events] == ["in_progress", "done"]
    assert "Brief every custody sergeant" in client_for("author@example.org").get("/actions").text_of(id="done")


def test_only_the_owner_author_and_approver_may_update(client_for, demo):
    assessment_id = signed_off(client_for)
    action = tracked(demo, assessment_id)[0]
    for email in ("board@example.org", "auditor@example.org"):
        client = client_for(email)
        page = client.get(f"/actions/{action.id}")
        assert page.find("textarea") is None
        client.post(
            f"/actions/{action.id}",
            {"csrf_token": page.csrf_token, "version": "1", "status": "done", "note": "Sneaky"},
            status=403,
        )
    other_department = client_for("author2@example.org")
    token = other_department.get("/actions").csrf_token
    other_department.get(f"/actions/{action.id}", status=404)
    other_department.post(
        f"/actions/{action.id}", {"csrf_token": token, "version": "1", "status": "done", "note": "Sneaky"}, status=404
    )
    assert tracked(demo, assessment_id)[0].status == "open"


def test_overdue_actions_are_listed_first_for_the_approver_and_the_board(client_for, demo):
    assessment_id = signed_off(client_for)
    with demo.app_context():  # time passes: the first action's due date goes by
        action = db.session.scalar(
            select(TrackedAction).where(TrackedAction.assessment_id == assessment_id, TrackedAction.position == 1)
        )
        action.due_date = today() - timedelta(days=2)
        db.session.commit()
        action_id = action.id
    for email in ("approver@example.org", "board@example.org"):
        overdue = client_for(email).get("/actions").find("table", id="overdue")
        assert "Train supervisors" in overdue.text and "Overdue (1)" in overdue.find("caption").text
    assert "Overdue" in client_for("approver@example.org").get(f"/actions/{action_id}").text_of(
        class_="govuk-warning-text"
    )


# --- reviews ------------------------------------------------------------------------------------


def _set_review_date(app, assessment_id: int, day) -> None:
    with app.app_context():  # time passes: the review date comes round
        assessment = db.session.get(Assessment, assessment_id)
        assessment.answers = {
            **assessment.answers,
            "review": {**assessment.answers["review"], "review_date": day.isoformat()},
        }
        db.session.commit()


def test_reviews_due_and_overdue_are_listed_for_the_people_concerned(client_for, demo):
    overdue_id = signed_off(client_for, title="Custody meals policy")
    due_id = signed_off(client_for, title="Taser deployment SOP")
    later_id = signed_off(client_for, title="Hate crime reporting")
    _set_review_date(demo, overdue_id, today() - timedelta(days=3))
    _set_review_date(demo, due_id, today() + timedelta(days=10))

    for email in ("author@example.org", "approver@example.org", "board@example.org", "auditor@example.org"):
        page = client_for(email).get("/reviews")
        assert "Custody meals policy" in page.text_of(id="overdue")
        assert "Taser deployment SOP" in page.text_of(id="due-soon")
        assert "Hate crime reporting" not in page.text
    assert "No reviews are due" in client_for("author2@example.org").get("/reviews").text
    assert later_id

    for email in ("approver@example.org", "board@example.org"):
        assert "Start the review" not in client_for(email).get("/reviews").text, "only an author starts a review"
    # The author starts the review from the list: a new version names the old one, which is no longer due.
    author = client_for("author@example.org")
    author.submit("/reviews", action=f"/assessments/{overdue_id}/revisions")
    with demo.app_context():
        review = db.session.scalar(select(Assessment).where(Assessment.previous_version_id == overdue_id))
        assert (review.version_number, review.status) == (2, "draft")
        assert review.answers["outcome"] == db.session.get(Assessment, overdue_id).answers["outcome"]
        started = db.session.scalar(
            select(AuditEvent).where(AuditEvent.object_type == "assessment", AuditEvent.object_id == str(review.id))
        )
        assert '"reason":"review"' in started.canonical
    page = client_for("board@example.org").get("/reviews")
    assert page.find("table", id="overdue") is None and "Taser deployment SOP" in page.text_of(id="due-soon")
