from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eia.extensions import db
from eia.models.organisation import Department, Organisation
from eia.models.types import JSONDocument, UTCDateTime, utcnow
from eia.models.user import User


class Assessment(db.Model):
    """One version of an Equality Impact Assessment.

    ``answers`` maps a page id to that page's answers. Title and subject type are copied out of the
    answers on save so lists and search need not parse JSON. ``lock_version`` makes every update
    conditional on the version read: two people saving or deciding at once cannot both win.
    """

    __table_args__ = (
        UniqueConstraint("organisation_id", "reference", "version_number"),
        # The dashboard (an organisation's assessments, most recently updated first) and the queues
        # (its assessments in given states): see migration 0010.
        Index("ix_assessment_organisation_updated", "organisation_id", "updated_at"),
        Index("ix_assessment_organisation_status", "organisation_id", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    reference: Mapped[str] = mapped_column(String(30))
    version_number: Mapped[int] = mapped_column(Integer, default=1)
    previous_version_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"))
    title: Mapped[str] = mapped_column(String(200), default="")
    subject_type: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(30), index=True)
    workflow_id: Mapped[str] = mapped_column(String(60))
    workflow_version: Mapped[int] = mapped_column(Integer)
    questionnaire_version: Mapped[int] = mapped_column(Integer)
    # The exact definitions it uses (see DefinitionVersion); None for assessments started before
    # they were pinned, which use the definitions loaded now.
    definitions_sha256: Mapped[str | None] = mapped_column(ForeignKey("definition_version.sha256"))
    # The characteristics this assessment covers, pinned when it starts (statutory + the
    # organisation's extras at that time), so later configuration changes never move its pages.
    characteristic_ids: Mapped[list] = mapped_column(JSONDocument, default=list)
    answers: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": lock_version}

    organisation: Mapped[Organisation] = relationship()
    department: Mapped[Department | None] = relationship()
    author: Mapped[User] = relationship()
    transitions: Mapped[list[Transition]] = relationship(back_populates="assessment", order_by="Transition.id")

    @property
    def display_reference(self) -> str:
        return self.reference if self.version_number == 1 else f"{self.reference} v{self.version_number}"


# What list pages (dashboard, queues) show of an assessment: loading only these columns keeps a list
# of dozens of rows cheap (the answers are the largest column, the dates and JSON columns the slowest).
LIST_COLUMNS = (
    Assessment.id,
    Assessment.organisation_id,
    Assessment.department_id,
    Assessment.author_id,
    Assessment.reference,
    Assessment.version_number,
    Assessment.title,
    Assessment.status,
    Assessment.lock_version,
    Assessment.updated_at,
    Assessment.submitted_at,
    Assessment.definitions_sha256,
)


class Transition(db.Model):
    """A workflow step taken on an assessment, with the rules that routed it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    actor_role: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    # [{"id": "R1", "label": "..."}]: every rule that fired; empty means none did.
    fired_rules: Mapped[list] = mapped_column(JSONDocument, default=list)
    # Decision detail: reasons per section for a return, conditions for a conditional approval.
    details: Mapped[dict] = mapped_column(JSONDocument, default=dict)

    assessment: Mapped[Assessment] = relationship(back_populates="transitions")
    actor: Mapped[User] = relationship()
