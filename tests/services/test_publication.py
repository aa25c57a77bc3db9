"""Publication through the services: the pinned workflow says whether and by whom; answers are withheld
with a reason; publishing derives a sealed public copy linked by hash to the unchanged original;
withdrawing is recorded. Each write is one transaction with its audit event."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eia.domain import publication as domain
from eia.domain.signing import sha256_hex
from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, AuditEvent, Publication, User
from eia.services import archive, publication
from eia.services.database import NotAllowed
from tests.factories import APPROVER, BOARD, act, answered, save
from tests.pdfs import pdf_words

SECRET = "Zebrafish-Quokka DS Marlowe 4471"
OWNER = "Inspector Ada Lovelace"
REASON = "Operationally sensitive"
NAMES = "Names an officer or member of staff"


def signed_off_with_secret(app) -> int:
    assessment_id = answered(app)
    save(app, assessment_id, "aims", {"scope": SECRET})
    act(app, assessment_id, "submit", "author@example.org")
    act(app, assessment_id, "start_review", APPROVER)
    act(app, assessment_id, "approve", APPROVER)
    return assessment_id


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def targets_of(assessment: Assessment, value: str) -> list[str]:
    return [a.target for a in domain.answers(publication.original_snapshot(assessment)) if a.value == value]


def publish_with_secret_withheld(app) -> tuple[int, int]:
    """A signed-off assessment, published with the secret and the owner withheld: (assessment, publication)."""
    assessment_id = signed_off_with_secret(app)
    with app.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        approver = _user(APPROVER)
        withheld = {target: REASON for target in targets_of(assessment, SECRET)}
        withheld |= {target: NAMES for target in targets_of(assessment, OWNER)}
        assert len(withheld) == 2
        publication.choose_withheld(assessment, approver, withheld)
        return assessment_id, publication.publish(assessment, approver).id


@pytest.fixture
def published(demo):
    return publish_with_secret_withheld(demo)


def test_publishing_derives_a_sealed_public_copy_linked_to_the_unchanged_original(demo, published):
    assessment_id, publication_id = published
    with demo.app_context():
        item = db.session.get(Publication, publication_id)
        record = db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id))
        original = archive.archived_pdf(record)
        assert sha256_hex(original) == record.sha256 == item.original_sha256, "the original is unchanged"
        content = publication.public_pdf(item)
        assert sha256_hex(content) == item.sha256 and content != original
        text = pdf_words(content)
        assert "public copy" in text and record.sha256 in text
        assert f"Withheld: {REASON}" in text and "What was withheld" in text
        assert SECRET not in text and OWNER not in text
        assert SECRET in pdf_words(original), "the sealed original keeps every answer"
        assert b"/ByteRange" in content, "sealed"
        assert [r["reason"] for r in item.redactions] == [NAMES, REASON], "in the record's order"
        assert SECRET not in repr(item.public_snapshot) and SECRET not in item.search_text
        (event,) = _events(publication.PUBLISHED_EVENT)
        assert event.seq == item.audit_seq and len(_events(publication.REDACTIONS_EVENT)) == 1
        assert publication.find_by_content(content).id == publication_id
        assert publication.find_by_content(content[:-1] + bytes([content[-1] ^ 1])) is None
        assert publication.find_by_content(original) is None


def test_the_register_search_never_finds_a_withheld_answer(demo, published):
    with demo.app_context():
        assert publication.register(query="Zebrafish").total == 0
        assert publication.register(query="marlowe 4471").total == 0
        assert publication.register(query="body-worn").total == 1
        assert publication.register(department="No such department").total == 0


def test_withdrawing_is_recorded_with_a_reason_and_date_and_cannot_be_repeated(demo, published):
    assessment_id, publication_id = published
    with demo.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        with pytest.raises(publication.PublicationError, match="Enter why"):
            publication.withdraw(assessment, _user(BOARD), "  ")
        publication.withdraw(assessment, _user(BOARD), "Superseded by the new policy")
        item = db.session.get(Publication, publication_id)
        assert item.withdrawn_at is not None and item.withdrawal_reason == "Superseded by the new policy"
        (event,) = _events(publication.WITHDRAWN_EVENT)
        assert event.actor_id == _user(BOARD).id
        with pytest.raises(publication.PublicationError, match="not published"):
            publication.withdraw(assessment, _user(BOARD), "Again")
        with pytest.raises(publication.PublicationError, match="withdrawn"):
            publication.publish(assessment, _user(BOARD))
        assert publication.register().items[0].withdrawn_at is not None


def test_who_may_publish_comes_from_the_capability_the_workflow_names(demo):
    assessment_id = signed_off_with_secret(demo)
    draft_id = answered(demo)
    with demo.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert publication.rules_for(assessment).capability == "publish_assessments"
        for email in ("author@example.org", "auditor@example.org", "admin@example.org"):
            assert not publication.publishing(_user(email), assessment).may_publish, email
        with pytest.raises(publication.PublicationError):
            publication.publish(assessment, _user("author@example.org"))
        with pytest.raises(NotAllowed):
            publication.publish(assessment, _user("author@neighbouring.example.org"))
        assert publication.publishing(_user(BOARD), assessment).may_publish
        draft = db.session.get(Assessment, draft_id)
        assert (
            publication.publishing(_user(APPROVER), draft).why_not == "Only a signed-off assessment can be published."
        )
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
        with pytest.raises(publication.PublicationError, match="reason"):
            publication.choose_withheld(assessment, _user(APPROVER), {"s1.1": "Because I said so"})
        with pytest.raises(publication.PublicationError):
            publication.choose_withheld(assessment, _user(APPROVER), {"s999.1": REASON})
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_a_workflow_without_publication_is_never_published(demo, monkeypatch):
    from dataclasses import replace

    assessment_id = signed_off_with_secret(demo)
    with demo.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        definitions = publication.definitions_of(assessment)
        without = replace(definitions, workflow=replace(definitions.workflow, publication=None))
        monkeypatch.setattr(publication, "definitions_of", lambda _assessment: without)
        state = publication.publishing(_user(BOARD), assessment)
        assert not state.may_publish and state.rules is None
        assert state.why_not == "Assessments that follow this route to sign-off are not published."
        with pytest.raises(publication.PublicationError):
            publication.publish(assessment, _user(BOARD))
        assert db.session.scalar(select(func.count()).select_from(Publication)) == 0


def test_the_redacted_snapshot_scrubs_a_withheld_answer_everywhere():
    from datetime import UTC, datetime

    from eia.domain.snapshot import AssessmentSnapshot, CharacteristicSnapshot, SnapshotSection, TrailEntry

    secret = "The covert unit at Station Road"
    snapshot = AssessmentSnapshot(
        reference="EIA-1",
        version=1,
        title="T",
        organisation="O",
        department="D",
        subject_type="Policy",
        author="Alice Author",
        owner="Bob",
        status_label="Approved",
        decision="Approved",
        decision_date=None,
        signed_off_at=datetime(2027, 1, 1, tzinfo=UTC),
        sections=(SnapshotSection("Aims", (("Where", secret), ("Why", "Fairness"))),),
        characteristics=(
            CharacteristicSnapshot("Age", "High", secret, (("Reason", secret),), (), "Low", f"See {secret}."),
        ),
        outcome_label="No change",
        actions=(),
        review_date=None,
        decision_trail=(
            TrailEntry(datetime(2027, 1, 1, tzinfo=UTC), "Ann", "Approver", "Approve", "a", "b", (), f"Mind {secret}"),
        ),
        audit_chain_head=None,
        question_comments=(("Where", secret),),
    )
    public = domain.redacted_snapshot(snapshot, {"s1.1": "Operationally sensitive"})
    assert secret not in repr(public.to_dict())
    assert public.sections[0].rows == (("Where", "Withheld: Operationally sensitive"), ("Why", "Fairness"))
    assert public.characteristics[0].reason == "Withheld: Operationally sensitive"
    assert public.author == "" and public.question_comments == ()


def test_the_register_pages_filters_and_clamps(demo, published):
    second = signed_off_with_secret(demo)
    with demo.app_context():
        publication.publish(db.session.get(Assessment, second), _user(APPROVER))
        first_page = publication.register(per_page=1)
        assert (first_page.total, first_page.pages, first_page.page) == (2, 2, 1)
        last = publication.register(per_page=1, page=999)
        assert last.page == 2 and last.items[0].id != first_page.items[0].id
        (department,) = first_page.departments
        (kind,) = first_page.subject_types
        assert publication.register(department=department, subject_type=kind).total == 2
        assert publication.register(subject_type="Something else").total == 0
        assert publication.register(query="100%_").total == 0, "LIKE wildcards are taken literally"


def test_the_checker_refuses_a_bad_publication():
    import json
    from pathlib import Path

    from eia.domain.workflow import validate_workflow_data

    data = json.loads((Path(__file__).resolve().parents[2] / "workflows" / "eia-standard.json").read_text())
    data["publication"]["capability"] = "publish_everything"
    assert validate_workflow_data(data, "eia-standard.json")[0].startswith(
        "eia-standard.json: $.publication.capability: 'publish_everything' is not one of ['administer'"
    )
    data["publication"] = {"capability": "publish_assessments"}
    assert validate_workflow_data(data, "eia-standard.json") == [
        "eia-standard.json: $.publication: 'withholding_reasons' is a required property"
    ]


def test_two_people_publishing_at_once_publish_once(demo, published, monkeypatch):
    assessment_id, _ = published
    with demo.app_context():
        monkeypatch.setattr(publication, "latest", lambda _assessment: None)  # as if both checked before either wrote
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
        with pytest.raises(publication.PublicationError, match="published already"):
            publication.publish(db.session.get(Assessment, assessment_id), _user(BOARD))
        assert db.session.scalar(select(func.count()).select_from(Publication)) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
