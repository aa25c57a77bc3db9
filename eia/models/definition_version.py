from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from eia.extensions import db
from eia.models.types import JSONDocument, UTCDateTime, utcnow


class DefinitionVersion(db.Model):
    """The questionnaire, characteristics and workflow documents an assessment started with.

    Content-addressed: ``sha256`` is the SHA-256 of the documents' canonical JSON
    (eia.services.definitions.documents_sha256), so each distinct set is stored once and never changes.
    """

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    # {"questionnaire": {...}, "characteristics": {...}, "workflow": {...}}
    documents: Mapped[dict] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
