"""The factories build the same assessments the pages do: same answers, an intact audit chain, a
verifiable sealed record, and pages that show it."""

from __future__ import annotations

from sqlalchemy import select

from eia.domain.signing import verify_pdf
from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, AuditEvent
from eia.services import archive, integrity, seals
from tests import factories
from tests.conftest import signed_in
from tests.journeys import complete_assessment, start_assessment


def test_a_factory_draft_has_the_answers_the_pages_would_have_saved(demo):
    built = factories.answered(demo)
    author = signed_in(demo, factories.AUTHOR)
    through_pages = start_assessment(author)
    complete_assessment(author, through_pages)
    with demo.app_context():
        by_factory, by_pages = (db.session.get(Assessment, i) for i in (built, through_pages))
        assert by_factory.answers == by_pages.answers
        assert (by_factory.title, by_factory.subject_type, by_factory.status) == (
            by_pages.title,
            by_pages.subject_type,
            by_pages.status,
        )


def test_a_signed_off_assessment_is_sealed_archived_and_audited(demo):
    assessment_id = factories.signed_off(demo, title="Custody handover", comment="Content")
    with demo.app_context():
        assessment = db.session.get(Assessment, assessment_id)
        assert definitions_final(assessment)
        record = db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id))
        report = verify_pdf(archive.archived_pdf(record), seals.trust_for(assessment.organisation_id))
        assert report.ok, report.problems
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(assessment_id))).all()
        assert {"assessment.started", "assessment.submit", "assessment.approve"} <= set(actions)
        assert integrity.verify_audit_chain().problems == []
    record_page = signed_in(demo, "auditor@example.org").get(f"/assessments/{assessment_id}")
    assert "Custody handover" in record_page.h1


def definitions_final(assessment: Assessment) -> bool:
    from eia.services.definitions import definitions_of

    return definitions_of(assessment).workflow.state(assessment.status).final
