from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eia.extensions import db
from eia.models.assessment import Assessment
from eia.models.types import UTCDateTime, utcnow
from eia.models.user import User

ACTION_STATUSES = {"open": "Open", "in_progress": "In progress", "done": "Done"}


class TrackedAction(db.Model):
    """An action of a signed-off assessment's plan (Board conditions included), followed to completion.

    ``lock_version`` makes a status update conditional on the version the person saw.
    """

    __table_args__ = (UniqueConstraint("assessment_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1-based, as in the action plan
    text: Mapped[str] = mapped_column(Text)
    characteristic: Mapped[str] = mapped_column(String(60))  # characteristic id, or "all"
    owner_text: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)  # when the name matched a user
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), index=True, default="open")
    source: Mapped[str] = mapped_column(String(30), default="plan")  # or "board_condition"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": lock_version}

    assessment: Mapped[Assessment] = relationship()
    owner: Mapped[User | None] = relationship()
    notes: Mapped[list[ActionNote]] = relationship(back_populates="action", order_by="ActionNote.id")

    @property
    def status_label(self) -> str:
        return ACTION_STATUSES[self.status]


class ActionNote(db.Model):
    """One status update of a tracked action: who, when, from what to what, and why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("tracked_action.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action: Mapped[TrackedAction] = relationship(back_populates="notes")
    author: Mapped[User] = relationship()


class SentReminder(db.Model):
    """A reminder email queued for a person about an item on a day: the key makes reminders idempotent."""

    __table_args__ = (UniqueConstraint("user_id", "kind", "item_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(20))  # "action" or "review"
    item_id: Mapped[int] = mapped_column(Integer)  # the tracked action's or the assessment's id
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
