from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from eia.extensions import db
from eia.models.assessment import Assessment
from eia.models.types import JSONDocument, UTCDateTime, utcnow


class ArchivedRecord(db.Model):
    """The immutable, signed PDF of a signed-off assessment version, and what it was made from.

    Written once, in the sign-off transaction; the application has no update path. ``content`` holds
    the PDF with the database backend; the filesystem backend keeps it under ``storage_key``.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    reference: Mapped[str] = mapped_column(String(30))
    version_number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    storage_backend: Mapped[str] = mapped_column(String(20))
    storage_key: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    signer_certificate_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The snapshot the PDF was rendered from: exactly what the decision-maker saw.
    snapshot: Mapped[dict] = mapped_column(JSONDocument)
    audit_seq: Mapped[int | None] = mapped_column(Integer)

    assessment: Mapped[Assessment] = relationship()


class RecordRenewal(db.Model):
    """A newer file for an archived record: the original bytes, unchanged, followed by validation
    information and a document timestamp (PAdES B-LTA), added by `eia archive renew`.

    The archived record keeps the original's hash, as its archiving audit event recorded; each renewal
    has its own hash and audit event, and its file must begin with the original's bytes exactly.
    Written once; never updated.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    archived_record_id: Mapped[int] = mapped_column(ForeignKey("archived_record.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    storage_backend: Mapped[str] = mapped_column(String(20))
    storage_key: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    timestamped_at: Mapped[datetime] = mapped_column(UTCDateTime)
    authority: Mapped[str] = mapped_column(String(200))  # the timestamp authority its certificate names
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    record: Mapped[ArchivedRecord] = relationship()
