"""Sign-off archive: freeze what the decision-maker saw into a signed PDF, in the sign-off transaction.

snapshot -> render PDF -> seal (PAdES) -> SHA-256 -> write-once storage -> archive record + audit
event. It runs inside the transaction that records the decision, so any failure rolls the decision
back too and the sign-off can simply be retried: nothing is ever half-archived.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from eia.domain.pdf import render_assessment_pdf
from eia.domain.signing import sha256_hex
from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, RecordRenewal, User
from eia.models.types import utcnow
from eia.services import audit, seals
from eia.services.database import unit_of_work
from eia.services.snapshot import build_snapshot
from eia.services.storage import storage_for

# The audit event written in the sign-off transaction; integrity checks compare each record with it.
ARCHIVED_EVENT = "assessment.archived"


def storage():
    return storage_for(current_app.config["ARCHIVE_BACKEND"], current_app.config["ARCHIVE_DIR"])


# --- archiving ----------------------------------------------------------------------------------


def archive_signed_off(assessment: Assessment, decided_by: User) -> ArchivedRecord:
    """Render, seal, hash and store the record, inside the caller's (sign-off) transaction."""
    # First: starting the organisation's first seal is audited, before the events the snapshot precedes.
    sealer, seal = seals.current_seal(assessment.organisation, decided_by)
    snapshot = build_snapshot(assessment, decided_by)
    signer_name = f"{assessment.organisation.name} (decision by {decided_by.name})"
    rendered = render_assessment_pdf(snapshot, sealed_by=signer_name, certificate_sha256=seal.certificate_sha256)
    sealed = sealer.seal(
        rendered.content,
        signer_name=signer_name,
        reason=snapshot.decision,
        location=assessment.organisation.name,
        seal_box=rendered.seal_box,
    )
    digest = sha256_hex(sealed)
    backend = storage()
    record = ArchivedRecord(
        assessment=assessment,
        organisation_id=assessment.organisation_id,
        reference=assessment.reference,
        version_number=assessment.version_number,
        sha256=digest,
        size=len(sealed),
        storage_backend=backend.name,
        storage_key="",
        signer_certificate_sha256=seal.certificate_sha256,
        signed_at=utcnow(),
        snapshot=snapshot.to_dict(),
    )
    record.storage_key = backend.put(record, digest, sealed)
    db.session.add(record)
    db.session.flush()
    event = audit.record(
        ARCHIVED_EVENT,
        actor=decided_by,
        object_type="assessment",
        object_id=assessment.id,
        details={
            "archive_id": record.id,
            "sha256": digest,
            "size": len(sealed),
            "signer_certificate_sha256": record.signer_certificate_sha256,
            "storage": backend.name,
        },
    )
    record.audit_seq = event.seq
    return record


def archived_pdf(record: ArchivedRecord) -> bytes:
    """The file as sealed at sign-off (its hash is the one the archiving audit event recorded)."""
    return storage_for(record.storage_backend, current_app.config["ARCHIVE_DIR"]).get(record)


def renewals(record: ArchivedRecord) -> list[RecordRenewal]:
    """The record's renewed files (`eia archive renew`), oldest first."""
    return list(
        db.session.scalars(
            select(RecordRenewal).where(RecordRenewal.archived_record_id == record.id).order_by(RecordRenewal.id)
        )
    )


def renewal_pdf(renewal: RecordRenewal) -> bytes:
    return storage_for(renewal.storage_backend, current_app.config["ARCHIVE_DIR"]).get(renewal)  # type: ignore[arg-type]


def current_pdf(record: ArchivedRecord) -> bytes:
    """The newest file of the record: its newest renewal (the original bytes, then validation information
    and document timestamps), or the file sealed at sign-off."""
    newest = renewals(record)
    return renewal_pdf(newest[-1]) if newest else archived_pdf(record)


def record_for(assessment: Assessment) -> ArchivedRecord | None:
    return db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment.id))


def download(record: ArchivedRecord, actor: User) -> bytes:
    """The signed PDF (its newest renewal, if it was timestamped again); every retrieval is audited."""
    content = current_pdf(record)
    with unit_of_work():
        audit.record(
            "archive.downloaded",
            actor=actor,
            object_type="archive",
            object_id=record.id,
            details={"assessment_id": record.assessment_id, "sha256": sha256_hex(content)},
        )
    return content


def download_name(record: ArchivedRecord) -> str:
    return f"{record.reference}-v{record.version_number}-signed.pdf"


def visible_records(user: User, limit: int, offset: int) -> list[ArchivedRecord]:
    """Archived records of the assessments this user may see (eia.services.access), newest first."""
    from eia.services.access import visible_assessments

    visible_ids = visible_assessments(user).with_only_columns(Assessment.id)
    query = (
        select(ArchivedRecord)
        .where(ArchivedRecord.assessment_id.in_(visible_ids))
        .order_by(ArchivedRecord.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(db.session.scalars(query))


def get_visible_record(user: User, archive_id: int) -> ArchivedRecord:
    from eia.services.access import can_view
    from eia.services.database import NotAllowed

    record = db.session.get(ArchivedRecord, archive_id)
    if record is None or not can_view(user, record.assessment):
        raise NotAllowed("No such archived record")
    return record
