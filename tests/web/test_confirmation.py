"""Confirmation and safety: the confirmation after submitting, a withdraw that is secondary and confirmed,
the banner of a returned assessment, and forms that create nothing twice when posted twice."""

from __future__ import annotations

from sqlalchemy import func, select

from eia.extensions import db
from eia.models import Assessment, Transition
from tests.journeys import act, complete_assessment, start_assessment, submit


def _completed(author) -> int:
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id, title="Spit and bite guards")
    return assessment_id


def _transitions(app, assessment_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Transition).where(Transition.assessment_id == assessment_id)
        )


def test_submitting_shows_a_confirmation_with_the_reference_and_who_reviews_it(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = _completed(author)
    posted = submit(author, assessment_id)
    assert author.location(posted) == f"/assessments/{assessment_id}/submitted"

    page = author.get(f"/assessments/{assessment_id}/submitted")
    panel = page.find(class_="govuk-panel")
    with demo.app_context():
        reference = db.session.get(Assessment, assessment_id).display_reference
    assert page.h1 == "Assessment submitted" and reference in panel.text
    reviewers = page.text_of(id="reviewers")
    assert reviewers.startswith("Sam Approver will review it") and "We have emailed them" in reviewers

    act(client_for("approver@example.org"), assessment_id, "start_review")
    moved_on = author.get(f"/assessments/{assessment_id}/submitted", status=302)
    assert author.location(moved_on) == f"/assessments/{assessment_id}", "once it moves on, the record says where it is"


def test_withdraw_is_secondary_and_asks_for_confirmation(client_for):
    author = client_for("author@example.org")
    assessment_id = _completed(author)
    submit(author, assessment_id)
    record = author.get(f"/assessments/{assessment_id}")
    buttons = record.find(id="actions").find_all("a")
    assert [b.text for b in buttons] == ["Withdraw"]
    assert "govuk-button--secondary" in buttons[0].attrs["class"], "the only action after submitting is not green"

    confirm = author.get(f"/assessments/{assessment_id}/actions/withdraw")
    assert "You cannot undo this" in confirm.text_of(id="cannot-undo")
    assert [b.text for b in confirm.find("main").find_all("button")] == ["Yes, withdraw"]
    assert any(a.text == "Cancel" and a.attrs["href"] == f"/assessments/{assessment_id}" for a in confirm.find_all("a"))


def test_a_draft_has_continue_as_its_primary_action(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    buttons = author.get(f"/assessments/{assessment_id}").find(id="actions").find_all("a")
    primaries = [b.text for b in buttons if "govuk-button--secondary" not in b.attrs["class"]]
    assert primaries == ["Continue this assessment"]


def test_a_returned_assessment_says_who_returned_it_when_and_why_on_every_page(client_for):
    author = client_for("author@example.org")
    approver = client_for("approver@example.org")
    assessment_id = _completed(author)
    submit(author, assessment_id)
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "return", {"comment": "Please add the 2025 custody data"})

    for path in ("", "/tasks", "/check-answers"):
        banner = author.get(f"/assessments/{assessment_id}{path}").find(id="returned-banner")
        assert banner is not None, path
        assert "returned this assessment on" in banner.text and "Please add the 2025 custody data" in banner.text
    record = author.get(f"/assessments/{assessment_id}")
    assert record.find(id="returned-banner-title").text == "Returned to you"
    assert record.find(id="returned-continue").attrs["href"] == f"/assessments/{assessment_id}/tasks"
    assert record.find(id="continue") is None, "one primary action: the banner's Continue"
    seen_by_approver = approver.get(f"/assessments/{assessment_id}").find(id="returned-banner")
    assert "Returned to the author" in seen_by_approver.text and "Continue" not in seen_by_approver.text


def test_a_decision_posted_twice_is_recorded_once_and_not_called_someone_elses(client_for, demo):
    author = client_for("author@example.org")
    approver = client_for("approver@example.org")
    assessment_id = _completed(author)

    check = author.get(f"/assessments/{assessment_id}/check-answers")
    fields = check.form_fields(check.form(f"/assessments/{assessment_id}/actions/submit"))
    author.post(f"/assessments/{assessment_id}/actions/submit", fields)
    again = author.post(f"/assessments/{assessment_id}/actions/submit", fields)
    assert author.location(again) == f"/assessments/{assessment_id}/submitted"
    assert _transitions(demo, assessment_id) == 1

    page = approver.get(f"/assessments/{assessment_id}/actions/start_review")
    fields = page.form_fields(page.form(None))
    approver.post(f"/assessments/{assessment_id}/actions/start_review", fields)
    again = approver.post(f"/assessments/{assessment_id}/actions/start_review", fields)
    assert approver.location(again) == f"/assessments/{assessment_id}"
    record = approver.get(f"/assessments/{assessment_id}")
    banners = [b.text for b in record.find_all(class_="govuk-notification-banner__content")]
    assert any("already recorded" in text for text in banners), banners
    assert "Someone else" not in record.html
    assert _transitions(demo, assessment_id) == 2


def test_the_start_form_posted_twice_starts_one_assessment(client_for, demo):
    author = client_for("author@example.org")
    start = author.get("/assessments/new")
    fields = start.form_fields(start.form("/assessments/"))
    fields["subject_type"] = "sop"
    first = author.post("/assessments/", fields)
    second = author.post("/assessments/", fields)
    assert author.location(first) == author.location(second)
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(Assessment)) == 1
