"""Revising a signed-off assessment: a new draft version linked to the last, which stays as archived."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, AuditEvent, User
from eia.services import revisions
from eia.services.database import NotAllowed
from tests import factories
from tests.journeys import act, read_only_message, save, start_assessment, submit


def _signed_off(client_for) -> int:
    return factories.signed_off(client_for("author@example.org").client.application)


def _start_revision(author, assessment_id: int, status: int = 302):
    return author.submit(
        f"/assessments/{assessment_id}", action=f"/assessments/{assessment_id}/revisions", status=status
    )


def test_the_author_starts_a_revision_prefilled_and_linked_to_the_signed_off_version(client_for, demo):
    first_id = _signed_off(client_for)
    author = client_for("author@example.org")
    page = author.get(f"/assessments/{first_id}")
    assert page.find(id="start-revision") is not None
    assert read_only_message(author, first_id) == (
        "This assessment was signed off: it can no longer be changed. To change it, start a revision from this page."
    )
    response = _start_revision(author, first_id)
    match = re.fullmatch(r"/assessments/(\d+)/tasks", author.location(response))
    assert match, author.location(response)
    second_id = int(match.group(1))

    with demo.app_context():
        first, second = db.session.get(Assessment, first_id), db.session.get(Assessment, second_id)
        assert (second.reference, second.version_number, second.previous_version_id) == (first.reference, 2, first.id)
        assert second.status == "draft" and second.answers == first.answers
        assert second.title == first.title
        assert first.status == "approved"
        archived = db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == first_id))
        sha_before = archived.sha256
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "assessment.revision_started"))
        assert event.object_id == str(second_id) and f'"previous_version_id":{first_id}' in event.canonical

    tasks = author.get(f"/assessments/{second_id}/tasks")
    assert "Version 2 started from version 1's answers" in tasks.text
    # The revision can be changed and submitted again; the signed-off version cannot be changed at all.
    save(author, second_id, "subject", {"title": "Body-worn video in custody, 2028", "subject_type": "sop"})
    refused = author.post(
        f"/assessments/{first_id}/pages/subject",
        {"csrf_token": tasks.csrf_token, "title": "Rewritten history", "subject_type": "sop", "intent": "continue"},
    )
    assert author.location(refused) == f"/assessments/{first_id}"
    with demo.app_context():
        assert db.session.get(Assessment, first_id).title == "Body-worn video in custody"
        assert db.session.get(Assessment, second_id).title == "Body-worn video in custody, 2028"
        assert (
            db.session.scalar(select(ArchivedRecord.sha256).where(ArchivedRecord.assessment_id == first_id))
            == sha_before
        )
    assert read_only_message(author, first_id) == (
        "This assessment was signed off: it can no longer be changed. "
        "Version 2 of it has been started: make any changes in that version."
    )

    revised = author.get(f"/assessments/{second_id}")
    assert "Version 1" in revised.text_of(id="versions") and "Version 2 (this one)" in revised.text_of(id="versions")
    assert revised.find(id="start-revision") is None, "a draft is not revised: it is edited"

    submit(author, second_id)
    approver = client_for("approver@example.org")
    act(approver, second_id, "start_review")
    act(approver, second_id, "approve")
    with demo.app_context():
        record = db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == second_id))
        assert (record.reference, record.version_number) == (first.reference, 2)
    assert author.get(f"/assessments/{second_id}").find(id="start-revision") is not None
    assert author.get(f"/assessments/{first_id}").find(id="start-revision") is None, "only the latest is revised"


def test_a_second_revision_of_the_same_version_leads_to_the_first(client_for, demo):
    first_id = _signed_off(client_for)
    author = client_for("author@example.org")
    stale = author.get(f"/assessments/{first_id}")
    _start_revision(author, first_id)
    again = author.post(f"/assessments/{first_id}/revisions", {"csrf_token": stale.csrf_token})
    with demo.app_context():
        latest = db.session.scalar(select(Assessment).where(Assessment.version_number == 2))
        assert db.session.scalar(select(func.count()).select_from(Assessment)) == 2
    assert author.location(again) == f"/assessments/{latest.id}"
    assert "Version 2 of this assessment has already been started" in author.get(author.location(again)).text


def test_two_authors_revising_at_once_make_one_version(client_for, demo):
    first_id = _signed_off(client_for)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def revise() -> None:
        with demo.app_context():
            author = db.session.scalar(select(User).where(User.email == "author@example.org"))
            previous = db.session.get(Assessment, first_id)
            barrier.wait()
            try:
                revisions.start_revision(previous, author)
                outcomes.append("started")
            except revisions.RevisionExists:
                outcomes.append("exists")

    threads = [threading.Thread(target=revise) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["exists", "started"]
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(Assessment)) == 2


@pytest.mark.parametrize("email", ["approver@example.org", "board@example.org", "auditor@example.org"])
def test_only_authors_see_the_button_and_others_are_refused(client_for, demo, email):
    first_id = _signed_off(client_for)
    client = client_for(email)
    page = client.get(f"/assessments/{first_id}")
    assert page.find(id="start-revision") is None
    assert client.post(f"/assessments/{first_id}/revisions", {"csrf_token": page.csrf_token}, status=403)


def test_a_draft_or_another_organisations_assessment_cannot_be_revised(client_for, demo):
    author = client_for("author@example.org")
    draft_id = start_assessment(author)
    page = author.get(f"/assessments/{draft_id}")
    assert page.find(id="start-revision") is None
    author.post(f"/assessments/{draft_id}/revisions", {"csrf_token": page.csrf_token}, status=404)
    signed_id = _signed_off(client_for)
    outsider = client_for("author@neighbouring.example.org")
    token = outsider.get("/").csrf_token
    outsider.post(f"/assessments/{signed_id}/revisions", {"csrf_token": token}, status=404)
    with demo.app_context():
        author_user = db.session.scalar(select(User).where(User.email == "author@example.org"))
        with pytest.raises(NotAllowed):
            revisions.start_revision(db.session.get(Assessment, draft_id), author_user)
        with pytest.raises(ValueError):
            revisions.start_revision(db.session.get(Assessment, signed_id), author_user, reason="whim")
        assert db.session.scalar(select(func.count()).select_from(Assessment)) == 2
