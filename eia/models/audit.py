from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eia.extensions import db
from eia.models.types import UTCDateTime


class AuditEvent(db.Model):
    """An append-only, hash-chained audit event.

    ``canonical`` holds the exact bytes that were hashed (canonical JSON of the whole event), so
    verification re-hashes stored text instead of re-serialising. The application has no update or
    delete path for this table. ``seq`` is the primary key and each event names its predecessor's
    hash, so two concurrent appends cannot both commit: the chain never forks.
    """

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(60))
    canonical: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)

    @property
    def details(self) -> dict:
        return json.loads(self.canonical).get("details", {})
