from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eia.extensions import db
from eia.models.assessment import Assessment
from eia.models.organisation import Department, Organisation
from eia.models.types import UTCDateTime, utcnow
from eia.models.user import User


class PolicyRegisterEntry(db.Model):
    """One of an organisation's policies, standard operating procedures or change programmes, listed so
    that the coverage register can show whether it has a current equality impact assessment.

    ``kind`` is a subject type of the definitions library (workflows/subject-types.json), so an
    assessment started from the entry is of the same kind."""

    __tablename__ = "policy_register_entry"
    __table_args__ = (UniqueConstraint("organisation_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(String(200), default="")
    document_version: Mapped[str] = mapped_column(String(40), default="")
    review_date: Mapped[date | None] = mapped_column(Date)
    document_url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    department: Mapped[Department | None] = relationship()
    links: Mapped[list[PolicyRegisterLink]] = relationship(back_populates="entry", order_by="PolicyRegisterLink.id")


class PolicyRegisterLink(db.Model):
    """An assessment of a register entry. ``document_version`` is the version of the entry's document the
    assessment is for: kept up to date while the assessment is in progress, then kept as it was once it
    is signed off, so a later version of the document shows the assessment is older than it."""

    __tablename__ = "policy_register_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("policy_register_entry.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), unique=True)
    document_version: Mapped[str] = mapped_column(String(40), default="")
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    entry: Mapped[PolicyRegisterEntry] = relationship(back_populates="links")
    assessment: Mapped[Assessment] = relationship()
    linked_by: Mapped[User | None] = relationship()
