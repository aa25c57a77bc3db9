from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eia.extensions import db
from eia.models.assessment import Assessment
from eia.models.types import UTCDateTime, utcnow


class Notification(db.Model):
    """An in-app message: something landed in the user's queue, or was decided."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"))
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assessment: Mapped[Assessment | None] = relationship()


class OutboundEmail(db.Model):
    """An email queued in the same transaction as the change that caused it (outbox).

    It is sent after the response (or by `eia mail send` from cron); if the SMTP server is down the
    change still stands and the email waits for its next attempt (``next_attempt_at``, backing off).
    A sender claims a row (``claimed_at``) with one conditional UPDATE before sending, so two senders
    never send the same email; a claim older than a few minutes is stale (its sender died) and lapses.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
