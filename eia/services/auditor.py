"""The auditor's use cases beyond search: a record's history, integrity on request, verifying an
uploaded file, and auditing register exports.

Auditors, the Board and administrators read their own organisation's records only; nothing here
changes an assessment. Verifying a file and exporting the register are audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select

from eia.domain.signing import PdfVerification, SignatureReport, TimestampReport, sha256_hex, verify_pdf
from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, AuditEvent, RecordRenewal, User
from eia.models.types import utcnow
from eia.services import audit, seals
from eia.services.archive import archived_pdf, current_pdf
from eia.services.database import NotAllowed, unit_of_work
from eia.services.integrity import IntegrityReport, verify_archived_record, verify_audit_chain
from eia.services.search import check_may_search
from eia.services.storage import StorageError

CHAIN_CACHE = timedelta(minutes=5)


# --- a record and its history ---------------------------------------------------------------------


@dataclass
class RecordHistory:
    versions: list[Assessment]
    archived: dict[int, ArchivedRecord]  # assessment id -> its signed record
    events: list[dict]  # each event's canonical body: seq, at, actor, action, object, details


def record_history(user: User, assessment_id: int) -> RecordHistory:
    """Every version sharing this assessment's reference, their signed records and their audit events."""
    check_may_search(user)
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None or assessment.organisation_id != user.organisation_id:
        raise NotAllowed("No such assessment")
    versions = list(
        db.session.scalars(
            select(Assessment)
            .where(Assessment.organisation_id == user.organisation_id, Assessment.reference == assessment.reference)
            .order_by(Assessment.version_number)
        )
    )
    ids = [v.id for v in versions]
    archived = {
        r.assessment_id: r
        for r in db.session.scalars(select(ArchivedRecord).where(ArchivedRecord.assessment_id.in_(ids)))
    }
    events = [
        _event_body(canonical)
        for canonical in db.session.scalars(
            select(AuditEvent.canonical)
            .where(
                or_(
                    and_(AuditEvent.object_type == "assessment", AuditEvent.object_id.in_([str(i) for i in ids])),
                    and_(
                        AuditEvent.object_type == "archive",
                        AuditEvent.object_id.in_([str(r.id) for r in archived.values()] or ["-"]),
                    ),
                )
            )
            .order_by(AuditEvent.seq)
        )
    ]
    return RecordHistory(versions=versions, archived=archived, events=events)


def _event_body(canonical: str) -> dict:
    body = json.loads(canonical)
    return {**body, "at": datetime.fromisoformat(body["at"])}


# --- integrity on request -----------------------------------------------------------------------------


@dataclass
class RecordCheck:
    record: ArchivedRecord
    hash_matches: bool
    size_matches: bool
    signatures: list[SignatureReport]
    problems: list[str]
    timestamps: list[TimestampReport] = field(default_factory=list)  # the seal's, then those added later

    @property
    def ok(self) -> bool:
        return not self.problems


def check_record(record: ArchivedRecord) -> RecordCheck:
    """The stored file against its record (size, SHA-256) and its signatures. Reads only."""
    trust = seals.trust_for(record.organisation_id)
    problems = verify_archived_record(record, trust)
    try:
        content = archived_pdf(record)
        newest = current_pdf(record)  # its newest renewal, if it was timestamped again
    except StorageError:
        return RecordCheck(record, False, False, [], problems)
    verification = verify_pdf(newest, trust)
    return RecordCheck(
        record,
        sha256_hex(content) == record.sha256,
        len(content) == record.size,
        verification.signatures,
        problems,
        verification.timestamps,
    )


@dataclass
class ChainCheck:
    report: IntegrityReport
    head_seq: int
    checked_at: datetime
    from_cache: bool


def check_audit_chain(recheck: bool = False) -> ChainCheck:
    """The whole audit log's verification, reused for up to five minutes while the head is unchanged.

    Recomputing 50,000 events takes a noticeable fraction of a second; the page says when it was
    computed and offers to recompute now (``recheck``), which catches a rewrite that kept the head.
    """
    head = db.session.execute(
        select(AuditEvent.seq, AuditEvent.entry_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    key = (head.seq, head.entry_hash) if head else (0, "")
    cached = current_app.extensions.get("eia.chain_check")  # (head, ChainCheck), for this process
    if not recheck and cached and cached[0] == key and utcnow() - cached[1].checked_at < CHAIN_CACHE:
        return replace(cached[1], from_cache=True)
    check = ChainCheck(verify_audit_chain(), key[0], utcnow(), from_cache=False)
    current_app.extensions["eia.chain_check"] = (key, check)
    return check


# --- verifying an uploaded file -----------------------------------------------------------------------

AUTHENTIC, OURS_NOT_ARCHIVED, FOREIGN, UNSIGNED, UNVERIFIABLE = (
    "authentic",
    "ours_not_archived",
    "foreign",
    "unsigned",
    "unverifiable",
)


@dataclass
class UploadVerdict:
    kind: str
    sha256: str
    size: int
    record: ArchivedRecord | None = None
    problems: list[str] = field(default_factory=list)
    signers: list[str] = field(default_factory=list)
    timestamps: list[str] = field(default_factory=list)  # in words: "Timestamped on ... by ..."


def verify_upload(user: User, filename: str, content: bytes) -> UploadVerdict:
    """Is this file one of the organisation's archived records, and is it intact? Audited.

    Fails closed: a file that cannot be parsed is "cannot verify" with the reason, never an error.
    """
    check_may_search(user)
    digest = sha256_hex(content)
    record = db.session.scalar(
        select(ArchivedRecord)
        .where(ArchivedRecord.sha256 == digest, ArchivedRecord.organisation_id == user.organisation_id)
        .order_by(ArchivedRecord.id)
        .limit(1)
    ) or db.session.scalar(
        select(ArchivedRecord)
        .join(RecordRenewal, RecordRenewal.archived_record_id == ArchivedRecord.id)
        .where(RecordRenewal.sha256 == digest, ArchivedRecord.organisation_id == user.organisation_id)
        .order_by(ArchivedRecord.id)
        .limit(1)
    )
    if b"%PDF-" not in content[:1024]:
        verdict = UploadVerdict(UNVERIFIABLE, digest, len(content), problems=["the file is not a PDF"])
    else:
        verdict = _classify(digest, content, record, verify_pdf(content, seals.trust_for(user.organisation_id)))
    with unit_of_work():
        audit.record(
            "archive.file_verified",
            actor=user,
            object_type="archive" if verdict.record else None,
            object_id=verdict.record.id if verdict.record else None,
            details={
                "filename": filename[:200],
                "sha256": digest,
                "size": len(content),
                "result": verdict.kind,
                "problems": verdict.problems[:10],
            },
        )
    return verdict


def _classify(
    digest: str, content: bytes, record: ArchivedRecord | None, verification: PdfVerification
) -> UploadVerdict:
    signers = [s.signer for s in verification.signatures]
    verdict = UploadVerdict(
        UNSIGNED,
        digest,
        len(content),
        record,
        list(verification.problems),
        signers,
        [t.sentence for t in verification.timestamps],
    )
    if record is not None:
        verdict.kind = AUTHENTIC
    elif not verification.signatures:
        parsed = verification.problems == ["the file has no digital signature"]
        verdict.kind = UNSIGNED if parsed else UNVERIFIABLE
    elif any(s.seal_period is not None for s in verification.signatures):
        verdict.kind = OURS_NOT_ARCHIVED
    else:
        verdict.kind = FOREIGN
    return verdict


# --- the register export ----------------------------------------------------------------------------


def record_export(user: User, file_format: str, rows: int, filters: dict) -> None:
    with unit_of_work():
        audit.record(
            "archive.register_exported", actor=user, details={"format": file_format, "rows": rows, "filters": filters}
        )
