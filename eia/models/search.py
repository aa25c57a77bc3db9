from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from eia.extensions import db
from eia.models.types import JSONDocument, UTCDateTime

# The full-text index lives outside the ORM because it is dialect-specific (see migration 0005):
# SQLite: an FTS5 external-content table over assessment_search_text (title, body), kept in step by
# triggers; PostgreSQL: a stored generated tsvector column ``document`` on that table, GIN-indexed.
# PostgreSQL also has an index in the newest-first page's order, NULLS LAST (migration 0013), which
# SQLite cannot declare (and does not need).
FTS_TABLE = "assessment_search_fts"
PG_DOCUMENT_COLUMN = "document"
PG_DOCUMENT_INDEX = "ix_assessment_search_document"
PG_NEWEST_INDEX = "ix_assessment_search_organisation_newest"


class AssessmentSearch(db.Model):
    """One row per assessment version: what archive search filters, sorts and shows.

    Denormalised from the assessment, its transitions and its effective answers by
    eia.services.search.index_assessment, in the same transaction as every change. The text lives
    in AssessmentSearchText: kept out of this row, it leaves filter scans reading ~150-byte rows,
    not 2 KB ones (SQLite stores a row's text in the table's own pages).
    """

    __tablename__ = "assessment_search"
    __table_args__ = (
        Index("ix_assessment_search_organisation_decided", "organisation_id", "decided_at"),
        Index("ix_assessment_search_organisation_title", "organisation_id", "title"),
    )

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), primary_key=True, autoincrement=False)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    reference: Mapped[str] = mapped_column(String(30))
    version_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    subject_type: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(30))
    definitions_sha256: Mapped[str | None] = mapped_column(String(64))  # the assessment's pinned definitions
    signed_off: Mapped[bool] = mapped_column(Boolean, server_default=false())  # as its own workflow says
    outcome: Mapped[str | None] = mapped_column(String(30))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_date: Mapped[date | None] = mapped_column(Date)
    went_to_board: Mapped[bool] = mapped_column(Boolean)
    review_date: Mapped[date | None] = mapped_column(Date)
    # ",age,race," so that one characteristic is matched as ",age," whatever its position.
    adverse_characteristics: Mapped[str] = mapped_column(String(1000))
    fired_rules: Mapped[list] = mapped_column(JSONDocument)  # [{"id", "label"}], each rule once
    # The annual report's facts, kept from sign-off on: the equality objectives as ",EO1,EO2," (",," for
    # none; NULL in a row indexed before they were kept) and the rules that sent it to the Board.
    objectives: Mapped[str | None] = mapped_column(String(1000))
    board_reasons: Mapped[list | None] = mapped_column(JSONDocument)  # [{"id", "label"}]


class SignedOffCharacteristic(db.Model):
    """What a signed-off assessment version found for one characteristic it covers (the annual report
    counts these rows rather than working out every assessment's answers each time)."""

    __tablename__ = "signed_off_characteristic"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), primary_key=True, autoincrement=False)
    characteristic_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    relevance: Mapped[str | None] = mapped_column(String(30))
    adverse_impact: Mapped[bool] = mapped_column(Boolean)
    residual_adverse: Mapped[bool] = mapped_column(Boolean)
    evidence_gap: Mapped[bool] = mapped_column(Boolean)


class AssessmentSearchText(db.Model):
    """The words an assessment version is found by: its title, and its reference and free-text answers."""

    __tablename__ = "assessment_search_text"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)


def include_in_schema_comparison(name: str | None, type_: str, parent_names: dict) -> bool:
    """Autogenerate and the models-match-migrations test ignore the dialect-specific search parts."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    if type_ == "column" and parent_names.get("table_name") == "assessment_search_text" and name == PG_DOCUMENT_COLUMN:
        return False
    return not (type_ == "index" and name in (PG_DOCUMENT_INDEX, PG_NEWEST_INDEX))
