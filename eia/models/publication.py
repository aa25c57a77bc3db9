from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from eia.extensions import db
from eia.models.archive import ArchivedRecord
from eia.models.assessment import Assessment
from eia.models.types import JSONDocument, UTCDateTime, utcnow
from eia.models.user import User


class RedactionMark(db.Model):
    """An answer of a signed-off record marked not for publication, and why: a draft until it is published.

    ``target`` names the answer by its place in the sealed record's snapshot (eia.domain.publication),
    never by a question id, so it always means the answer exactly as it was signed off.
    """

    __table_args__ = (UniqueConstraint("assessment_id", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    target: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(100))
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Publication(db.Model):
    """The public copy of one signed-off record: derived from its sealed snapshot with the redactions
    applied, sealed itself, and linked to the original by the original's SHA-256. The original is never
    changed. Withdrawing keeps the row (the register shows it was withdrawn, and when)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    archived_record_id: Mapped[int] = mapped_column(ForeignKey("archived_record.id"), unique=True)
    reference: Mapped[str] = mapped_column(String(30))
    version_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    organisation_name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200))
    subject_type: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # The snapshot as published (redactions applied) and the redactions: [{"question", "reason"}].
    public_snapshot: Mapped[dict] = mapped_column(JSONDocument)
    redactions: Mapped[list] = mapped_column(JSONDocument)
    # Lower-case published words for the register's search: never a withheld answer.
    search_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    storage_backend: Mapped[str] = mapped_column(String(20))
    storage_key: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    original_sha256: Mapped[str] = mapped_column(String(64))
    signer_certificate_sha256: Mapped[str] = mapped_column(String(64))
    audit_seq: Mapped[int | None] = mapped_column(Integer)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    assessment: Mapped[Assessment] = relationship()
    archived_record: Mapped[ArchivedRecord] = relationship()
    published_by: Mapped[User] = relationship(foreign_keys=[published_by_id])
