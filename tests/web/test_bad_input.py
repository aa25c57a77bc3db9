"""Bad input gets a clear error and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eia.extensions import db
from eia.models import Assessment, AuditEvent
from tests.journeys import save, start_assessment


def _state(app, assessment_id):
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        return dict(assessment.answers), assessment.lock_version, events


def test_oversized_text_is_refused_and_nothing_changes(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    before = _state(demo, assessment_id)
    page = save(author, assessment_id, "aims", {"aims": "x" * 5001, "affected": "both", "scope": "s"}, status=400)
    assert page.error_messages == ["The aims of the proposal must be 5,000 characters or fewer (you entered 5,001)"]
    assert len(page.find("textarea", id="aims").text) == 5001, "the typed text is shown back, not truncated"
    assert _state(demo, assessment_id) == before


def test_forged_choice_is_refused(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    before = _state(demo, assessment_id)
    page = save(author, assessment_id, "aims", {"aims": "a", "affected": "everyone", "scope": "s"}, status=400)
    assert page.error_messages == ["Select who it affects from the list"]
    assert _state(demo, assessment_id) == before


def test_forged_or_stale_version_is_a_conflict_that_keeps_the_typing(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    before = _state(demo, assessment_id)
    page = author.submit(f"/assessments/{assessment_id}/pages/aims",
                         {"aims": "My careful words", "affected": "both", "scope": "s", "version": "999"},
                         button=("intent", "continue"), status=409)
    assert "Someone else changed this assessment" in page.error_messages[0]
    assert page.find("textarea", id="aims").text == "My careful words"
    assert _state(demo, assessment_id) == before


def test_two_tabs_second_save_gets_a_conflict(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    url = f"/assessments/{assessment_id}/pages/aims"
    tab_one = author.get(url)
    tab_two = author.get(url)
    first = {**tab_one.form_fields(tab_one.form()), "aims": "From tab one", "affected": "both", "scope": "s", "intent": "continue"}
    second = {**tab_two.form_fields(tab_two.form()), "aims": "From tab two", "affected": "staff", "scope": "s", "intent": "continue"}
    author.post(url, first, status=302)
    page = author.post(url, second, status=409)
    assert page.find("textarea", id="aims").text == "From tab two"
    with demo.app_context():
        assert db.session.get(Assessment, assessment_id).answers["aims"]["aims"] == "From tab one"


def test_missing_csrf_token_is_refused_with_a_clear_page(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    before = _state(demo, assessment_id)
    page = author.post(f"/assessments/{assessment_id}/pages/aims",
                       {"aims": "x", "affected": "both", "scope": "s", "intent": "continue"}, status=400)
    assert page.find("textarea", id="aims").text == "x"  # shown again to save, not lost
    assert _state(demo, assessment_id) == before


def test_another_users_assessment_is_not_found(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    neighbour = client_for("author@neighbouring.example.org")
    for url in (f"/assessments/{assessment_id}", f"/assessments/{assessment_id}/tasks",
                f"/assessments/{assessment_id}/pages/subject", f"/assessments/{assessment_id}/check-answers"):
        neighbour.get(url, status=404)


def test_colleague_in_another_department_cannot_see_it(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    colleague = client_for("author2@example.org")
    colleague.get(f"/assessments/{assessment_id}", status=404)


def test_approver_cannot_edit_answers(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    approver = client_for("approver@example.org")
    approver.get(f"/assessments/{assessment_id}/pages/subject", status=403)
    page = approver.client.post(f"/assessments/{assessment_id}/pages/subject", data={"title": "Hijacked"})
    assert page.status_code in (400, 403)
    with demo.app_context():
        assert db.session.get(Assessment, assessment_id).title == "Untitled assessment"


@pytest.mark.parametrize("bad_id", ["abc", "-1", "99999999999999999999", "0"])
def test_malformed_ids_are_not_found(client_for, bad_id):
    author = client_for("author@example.org")
    author.get(f"/assessments/{bad_id}", status=404)


def test_oversized_request_is_refused(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    response = author.client.post(f"/assessments/{assessment_id}/pages/aims", data={"aims": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_mass_assignment_fields_are_ignored(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    save(author, assessment_id, "aims", {"aims": "a", "affected": "both", "scope": "s", "status": "approved",
                                         "author_id": "999", "title": "Sneaky"})
    with demo.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert assessment.status == "draft" and assessment.author.email == "author@example.org"
        assert "status" not in assessment.answers["aims"] and "title" not in assessment.answers["aims"]
