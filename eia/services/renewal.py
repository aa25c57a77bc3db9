"""Long-term validation: `eia archive renew` adds a document timestamp (PAdES B-LTA) to archived records
before the certificates or algorithms that vouch for them age out.

A record is due when its newest timestamp is older than the threshold (or it has none), or when the
certificate of the authority that made its newest timestamp expires within the given number of days.
The renewed file is the record's newest file, unchanged, followed by validation information and a new
document timestamp (incremental updates): it is stored as a new renewal of the record, with its own
SHA-256 and audit event, and the record and its archiving event keep the original's hash. A record
that does not verify is never renewed (a timestamp must not vouch for an altered file). A timestamp
server that fails is reported per record, and changes nothing for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from eia.domain.signing import TimestampError, add_document_timestamp, sha256_hex, verify_pdf
from eia.extensions import db
from eia.models import ArchivedRecord, RecordRenewal, User
from eia.models.types import utcnow
from eia.services import audit, seals
from eia.services.archive import archived_pdf, current_pdf, storage
from eia.services.database import unit_of_work
from eia.services.integrity import RENEWED_EVENT
from eia.services.storage import StorageError


class RenewalError(Exception):
    """Renewal cannot run as asked (no timestamp server configured)."""


@dataclass
class RenewalReport:
    checked: int = 0
    renewed: list[str] = field(default_factory=list)  # one line per renewed record
    failed: list[str] = field(default_factory=list)  # one line per record that could not be renewed

    @property
    def ok(self) -> bool:
        return not self.failed


def _label(record: ArchivedRecord) -> str:
    return f"{record.reference} version {record.version_number} (archive {record.id})"


def renew(
    older_than_days: int | None = None,
    expiring_within_days: int | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> RenewalReport:
    """Timestamp again every archived record that is due; each renewal is one transaction with its event."""
    config = current_app.config
    url = config.get("TIMESTAMP_URL")
    if not url:
        raise RenewalError("no timestamp server is configured: set EIA_TIMESTAMP_URL")
    older_than = timedelta(days=older_than_days if older_than_days is not None else config["RENEW_OLDER_THAN_DAYS"])
    expiring = timedelta(
        days=expiring_within_days if expiring_within_days is not None else config["RENEW_EXPIRING_DAYS"]
    )
    now = now or utcnow()
    report = RenewalReport()
    ids = list(db.session.scalars(select(ArchivedRecord.id).order_by(ArchivedRecord.id)))
    trust = {}
    for record_id in ids:
        record = db.session.get(ArchivedRecord, record_id)
        report.checked += 1
        if record.organisation_id not in trust:
            trust[record.organisation_id] = seals.trust_for(record.organisation_id)
        try:
            original, content = archived_pdf(record), current_pdf(record)
        except StorageError as error:
            report.failed.append(f"{_label(record)}: not renewed: the stored file cannot be read: {error}")
            continue
        verification = verify_pdf(content, trust[record.organisation_id])
        if not verification.ok or sha256_hex(original) != record.sha256 or not content.startswith(original):
            report.failed.append(
                f"{_label(record)}: not renewed: it does not verify (run `eia archive verify` for the problems)"
            )
            continue
        newest = verification.newest_timestamp()
        due = (
            newest is None
            or newest.at < now - older_than
            or (newest.authority_until is not None and newest.authority_until < now + expiring)
        )
        if not due:
            continue
        try:
            renewed = add_document_timestamp(content, url)
        except TimestampError as error:
            report.failed.append(f"{_label(record)}: not renewed: the timestamp server failed: {error}")
            continue
        check = verify_pdf(renewed, trust[record.organisation_id])
        stamp = check.timestamps[-1] if check.timestamps else None
        if not check.ok or stamp is None or not stamp.document or not renewed.startswith(content):
            problems = "; ".join(check.problems) or "it carries no new timestamp"
            report.failed.append(f"{_label(record)}: not renewed: the timestamped file does not verify: {problems}")
            continue
        try:
            _store(record, renewed, stamp.at or now, stamp.authority, actor)
        except StorageError as error:
            report.failed.append(f"{_label(record)}: not renewed: the renewed file cannot be stored: {error}")
            continue
        report.renewed.append(f"{_label(record)}: {stamp.sentence}")
    return report


def _store(record: ArchivedRecord, content: bytes, at: datetime, authority: str, actor: User | None) -> RecordRenewal:
    with unit_of_work():
        backend = storage()
        digest = sha256_hex(content)
        renewal = RecordRenewal(
            archived_record_id=record.id,
            sha256=digest,
            size=len(content),
            storage_backend=backend.name,
            storage_key="",
            timestamped_at=at,
            authority=authority[:200],
        )
        renewal.storage_key = backend.put(renewal, digest, content)  # type: ignore[arg-type]
        db.session.add(renewal)
        db.session.flush()
        audit.record(
            RENEWED_EVENT,
            actor=actor,
            object_type="archive",
            object_id=record.id,
            details={
                "renewal_id": renewal.id,
                "sha256": digest,
                "size": len(content),
                "original_sha256": record.sha256,
                "timestamped_at": at.isoformat(),
                "authority": authority[:200],
                "storage": backend.name,
            },
        )
    return renewal
