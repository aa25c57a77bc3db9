from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eia.extensions import db
from eia.models.types import JSONDocument, UTCDateTime, utcnow


class Organisation(db.Model):
    """A public body. Organisations share nothing by default, even in a collaboration."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Ids of configured extra characteristics (see workflows/characteristics.json) this body assesses.
    extra_characteristics: Mapped[list] = mapped_column(JSONDocument, default=list)
    # Subject types this body always sends to the Board (escalation rule R5).
    board_subject_types: Mapped[list] = mapped_column(JSONDocument, default=list)
    # Subject type -> {"questionnaire": id, "workflow": id}: where this body departs from
    # workflows/subject-types.json (eia.services.definitions.route_for).
    subject_type_routes: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    departments: Mapped[list[Department]] = relationship(back_populates="organisation", order_by="Department.name")
    objectives: Mapped[list[EqualityObjective]] = relationship(
        back_populates="organisation", order_by="EqualityObjective.code"
    )


class Department(db.Model):
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))

    organisation: Mapped[Organisation] = relationship(back_populates="departments")


class EqualityObjective(db.Model):
    """An entry in the organisation's catalogue of equality objectives (PSED specific duties)."""

    __table_args__ = (UniqueConstraint("organisation_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))

    organisation: Mapped[Organisation] = relationship(back_populates="objectives")
