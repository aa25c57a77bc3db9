"""Archive search: keeping the search table in step, and querying it.

``index_assessment`` is the one function that writes the search table; every service that changes
an assessment (saving answers, starting, workflow actions including sign-off) calls it inside its
own transaction, so the index never disagrees with a committed assessment.

Full text, over AssessmentSearchText: SQLite FTS5 (bm25, title weighted 10:1) or PostgreSQL
tsvector (ts_rank, title weight A). The matches are materialised first and only then filtered,
sorted and paged (see ``_matches``).

Ranking scores every match before the first row comes out, so a common word would cost in
proportion to the archive. A search therefore ranks only when at most ARCHIVE_RANK_LIMIT assessments
match; otherwise the matches are counted only up to the limit and the rows come newest first by
walking the decision-date index, testing each row against the words. The result says both
(``too_many_to_rank``, ``counted_up_to``), for the page to tell the user. On SQLite the full-text
index says first, on its own, whether more than the limit match in the whole index, and only then is
the count capped; on PostgreSQL the count is always capped, one query (see ``_plan``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, delete, func, insert, literal, literal_column, select, text
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import selectinload

from eia.clock import UK, uk_today
from eia.domain import questionnaire as q
from eia.domain.capabilities import READ_ARCHIVE
from eia.domain.compliance import characteristic_facts
from eia.domain.search import ParsedQuery, index_fields
from eia.extensions import db
from eia.models import (
    ArchivedRecord,
    Assessment,
    AssessmentSearch,
    AssessmentSearchText,
    Department,
    SignedOffCharacteristic,
    User,
)
from eia.models.search import FTS_TABLE
from eia.services.database import NotAllowed, is_postgresql, unit_of_work
from eia.services.definitions import Definitions, current_definitions, definitions_of, library

# --- keeping the index in step ----------------------------------------------------------------------


def index_assessment(assessment: Assessment) -> AssessmentSearch:
    """Write this assessment version's search row (insert or update), inside the caller's transaction;
    once it is signed off, also what it found per characteristic (the annual report's facts)."""
    values, text_values, facts = _index_values(assessment, definitions_of(assessment))
    row = _upsert(AssessmentSearch, assessment.id, values)
    _upsert(AssessmentSearchText, assessment.id, text_values)
    if facts:
        db.session.execute(
            delete(SignedOffCharacteristic).where(SignedOffCharacteristic.assessment_id == assessment.id)
        )
        db.session.execute(insert(SignedOffCharacteristic), facts)
    db.session.flush()
    return row


def _index_values(
    assessment: Assessment, definitions: Definitions
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """The search row's and the text row's values for this assessment version, and its
    per-characteristic facts (rows for SignedOffCharacteristic: none until it is signed off)."""
    path = q.path(definitions.questionnaire, assessment.answers or {}, assessment.characteristic_ids)
    workflow = definitions.workflow
    bindings = definitions.questionnaire.bindings
    board_states = workflow.queue_states("board")
    signed_off = workflow.state(assessment.status).signed_off
    fields = index_fields(path, assessment.display_reference, bindings)
    rules: dict[str, str] = {}
    board_reasons: dict[str, str] = {}
    for transition in assessment.transitions:
        for rule in transition.fired_rules or []:
            rules.setdefault(rule["id"], rule["label"])
            if transition.to_state in board_states:
                board_reasons.setdefault(rule["id"], rule["label"])
    values: dict[str, Any] = {
        "organisation_id": assessment.organisation_id,
        "department_id": assessment.department_id,
        "reference": assessment.reference,
        "version_number": assessment.version_number,
        "title": assessment.title,
        "subject_type": assessment.subject_type,
        "status": assessment.status,
        "definitions_sha256": assessment.definitions_sha256,
        "signed_off": signed_off,
        "outcome": fields.outcome,
        "decided_at": assessment.decided_at,
        "decision_date": fields.decision_date,
        "went_to_board": any(t.to_state in board_states for t in assessment.transitions),
        "review_date": fields.review_date,
        "adverse_characteristics": "," + ",".join(fields.adverse_characteristics) + ",",
        "fired_rules": [{"id": rule_id, "label": label} for rule_id, label in rules.items()],
        "objectives": "," + ",".join(bindings.objectives.value(path.answers) or []) + ",",
        "board_reasons": [{"id": rule_id, "label": label} for rule_id, label in board_reasons.items()],
    }
    covered = [
        ch for ch in definitions.questionnaire.characteristics.values() if ch.id in assessment.characteristic_ids
    ]
    facts = (
        [
            {"assessment_id": assessment.id, **vars(fact)}
            for fact in characteristic_facts(path.answers, bindings, covered)
        ]
        if signed_off
        else []
    )
    return values, {"title": assessment.title, "body": fields.body}, facts


def _upsert(model, assessment_id: int, values: dict[str, Any]):
    row = db.session.get(model, assessment_id)
    if row is None:
        row = model(assessment_id=assessment_id, **values)
        db.session.add(row)
    else:
        for key, value in values.items():
            if getattr(row, key) != value:  # unchanged text must not re-index (the FTS trigger fires on UPDATE OF)
                setattr(row, key, value)
    return row


def rebuild(batch_size: int = 500) -> int:
    """Re-index every assessment (after an upgrade, or to repair the index), in one transaction.
    Returns how many. The rows are inserted in batches, not upserted one by one: about three times
    faster, which matters for `eia dev generate` at 500k."""
    count = 0
    with unit_of_work():
        db.session.execute(delete(AssessmentSearch))
        db.session.execute(delete(AssessmentSearchText))
        db.session.execute(delete(SignedOffCharacteristic))
        if not is_postgresql():
            db.session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))
        ids = db.session.scalars(select(Assessment.id).order_by(Assessment.id)).all()
        for start in range(0, len(ids), batch_size):
            batch = db.session.scalars(
                select(Assessment)
                .where(Assessment.id.in_(ids[start : start + batch_size]))
                .options(selectinload(Assessment.transitions))
            ).all()
            rows, text_rows, fact_rows = [], [], []
            for assessment in batch:
                values, text_values, facts = _index_values(assessment, definitions_of(assessment))
                rows.append({"assessment_id": assessment.id, **values})
                text_rows.append({"assessment_id": assessment.id, **text_values})
                fact_rows += facts
            db.session.execute(insert(AssessmentSearch), rows)
            db.session.execute(insert(AssessmentSearchText), text_rows)
            if fact_rows:
                db.session.execute(insert(SignedOffCharacteristic), fact_rows)
            count += len(batch)
            for assessment in batch:  # bounded memory, without detaching the caller's objects
                db.session.expunge(assessment)
        if not is_postgresql():
            db.session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')"))
    return count


# --- querying ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    """A validated search: everything optional; ``query`` already parsed."""

    query: ParsedQuery = field(default_factory=ParsedQuery)
    department_id: int | None = None
    subject_type: str | None = None
    adverse_characteristic: str | None = None
    outcome: str | None = None
    status: str | None = None
    decided_from: date | None = None
    decided_to: date | None = None
    went_to_board: bool | None = None
    review_overdue: bool = False
    sort: str = ""

    @property
    def effective_sort(self) -> str:
        if self.sort == "relevance" and not self.query:
            return "newest"
        return self.sort or ("relevance" if self.query else "newest")


@dataclass
class SearchResult:
    total: int
    rows: list[AssessmentSearch]
    page: int
    page_size: int
    sort: str  # the order of the rows
    too_many_to_rank: bool = False  # relevance was asked for, but the rows are newest first (see _sort)
    counted_up_to: int | None = None  # set when more than this many match: counting stopped there

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def check_may_search(user: User) -> None:
    if not user.can(READ_ARCHIVE):
        raise NotAllowed("Only auditors, the Board and administrators search the archive")


def _day_start(day: date) -> datetime:
    """Decision dates are UK calendar days."""
    return datetime(day.year, day.month, day.day, tzinfo=UK)


def _conditions(user: User, filters: SearchFilters) -> list:
    table = AssessmentSearch
    conditions = [table.organisation_id == user.organisation_id]  # never across organisations
    if filters.department_id is not None:
        conditions.append(table.department_id == filters.department_id)
    if filters.subject_type:
        conditions.append(table.subject_type == filters.subject_type)
    if filters.adverse_characteristic:
        conditions.append(
            table.adverse_characteristics.contains(f",{filters.adverse_characteristic},", autoescape=True)
        )
    if filters.outcome:
        conditions.append(table.outcome == filters.outcome)
    if filters.status:
        conditions.append(table.status == filters.status)
    if filters.decided_from:
        conditions.append(table.decided_at >= _day_start(filters.decided_from))
    if filters.decided_to:
        conditions.append(table.decided_at < _day_start(filters.decided_to + timedelta(days=1)))
    if filters.went_to_board is not None:
        conditions.append(table.went_to_board.is_(filters.went_to_board))
    if filters.review_overdue:
        newer = select(Assessment.id).where(Assessment.previous_version_id == table.assessment_id).exists()
        conditions += [table.signed_off.is_(True), table.review_date < uk_today(), ~newer]
    return conditions


def _ordering(sort: str, best_first=None) -> list:
    table = AssessmentSearch
    if sort == "relevance" and best_first is not None:
        return [best_first, table.assessment_id.desc()]
    if sort == "title":
        return [func.lower(table.title), table.assessment_id.desc()]
    return [table.decided_at.desc().nulls_last(), table.assessment_id.desc()]


def _matches(filters: SearchFilters, ranked: bool):
    """The assessments whose text matches the words, as (id) or, when ``ranked``, (id, score).

    Materialised first, then joined to the search rows by primary key, filtered, sorted and paged:
    otherwise both planners may walk the organisation's index testing every row against the text
    (SQLite probes FTS5 once per row; PostgreSQL walks decided_at backwards), a full scan for rare
    or absent words. (For many matches the walk is what is wanted: see ``_rows``.)"""
    matching = _match_ids(filters)
    if ranked:
        if is_postgresql():
            score = func.ts_rank(literal_column("assessment_search_text.document"), _tsquery(filters))
        else:
            score = literal_column(f"bm25({FTS_TABLE}, 10.0, 1.0)")
        matching = matching.add_columns(score.label("score"))
    return matching.cte("matches").prefix_with("MATERIALIZED")


def _tsquery(filters: SearchFilters):
    return func.websearch_to_tsquery(literal("english", REGCONFIG), filters.query.engine_text)


def _match_ids(filters: SearchFilters) -> Select:
    """The ids (as ``id``) of the assessment versions whose text matches the words, in every organisation."""
    if is_postgresql():
        document = literal_column("assessment_search_text.document")
        return select(AssessmentSearchText.assessment_id.label("id")).where(document.op("@@")(_tsquery(filters)))
    return (
        select(literal_column("rowid").label("id"))
        .select_from(text(FTS_TABLE))
        .where(text(f"{FTS_TABLE} MATCH :match").bindparams(match=filters.query.engine_text))
    )


def _many_matches(filters: SearchFilters) -> bool:
    """Whether more documents match the words, in the whole index, than are worth ranking: the index
    answers this on its own, and it bounds what any one organisation's search can match."""
    if not filters.query:
        return False
    index_count = db.session.scalar(select(func.count()).select_from(_match_ids(filters).subquery()))
    return index_count > current_app.config["ARCHIVE_RANK_LIMIT"]


def _count(user: User, filters: SearchFilters, up_to: int | None = None) -> Select:
    """How many assessments match, unranked; with ``up_to``, counting stops there (on SQLite each row
    is then tested against the matches as the organisation's index is walked, instead of joining
    them all; PostgreSQL takes the matches from the GIN index, or walks them in key order)."""
    if up_to is not None:
        first = (
            select(literal(1))
            .where(*_conditions(user, filters), AssessmentSearch.assessment_id.in_(_match_ids(filters)))
            .limit(up_to)
            .subquery()
        )
        return select(func.count()).select_from(first)
    source = AssessmentSearch.__table__
    if filters.query:
        matches = _matches(filters, ranked=False)
        source = source.join(matches, matches.c.id == AssessmentSearch.assessment_id)
    return select(func.count()).select_from(source).where(*_conditions(user, filters))


def _rows(user: User, filters: SearchFilters, sort: str, many: bool = False) -> Select:
    """The matching assessments in ``sort`` order. With ``many`` matches and an index order (newest,
    title), the index is walked and each row tested against the matches: the first page comes after a
    few rows instead of after joining and sorting every match."""
    table = AssessmentSearch
    conditions = _conditions(user, filters)
    if not filters.query:
        return select(table).where(*conditions).order_by(*_ordering(sort))
    if many and sort != "relevance":
        return select(table).where(*conditions, table.assessment_id.in_(_match_ids(filters))).order_by(*_ordering(sort))
    ranked = sort == "relevance"
    matches = _matches(filters, ranked)
    best_first = None
    if ranked:
        best_first = matches.c.score.desc() if is_postgresql() else matches.c.score.asc()  # bm25: lower is better
    joined = table.__table__.join(matches, matches.c.id == table.assessment_id)
    return select(table).select_from(joined).where(*conditions).order_by(*_ordering(sort, best_first))


def _sort(filters: SearchFilters, total: int) -> str:
    """The order the rows come in: relevance only up to ARCHIVE_RANK_LIMIT matches (see the module notes)."""
    if filters.effective_sort == "relevance" and total > current_app.config["ARCHIVE_RANK_LIMIT"]:
        return "newest"
    return filters.effective_sort


def _plan(user: User, filters: SearchFilters) -> tuple[int, str, bool]:
    """(the matches counted, the order the rows come in, whether there are many matches: see ``_rows``).

    SQLite asks the full-text index first: its capped count walks the organisation's rows testing each
    against the matches, a whole walk for a rare word. PostgreSQL's capped count starts from the GIN
    index's matches whatever their number, so it is the only question asked there."""
    limit = current_app.config["ARCHIVE_RANK_LIMIT"]
    if is_postgresql() and filters.query:
        _plan_for_these_words()
        total = db.session.scalar(_count(user, filters, up_to=limit + 1)) or 0
        return total, _sort(filters, total), total > limit
    many = _many_matches(filters)
    total = db.session.scalar(_count(user, filters, up_to=limit + 1 if many else None)) or 0
    return total, _sort(filters, total), many


def _plan_for_these_words() -> None:
    """PostgreSQL only: plan the rest of this transaction's statements for their words, with cached pages.

    Each plan depends on how common the words are: for a word in one document in ten the matches
    come from the GIN index; for one in most documents, walking the key and testing rows is cheaper
    than building the index's bitmap. A generic plan (psycopg prepares a statement after five runs,
    then PostgreSQL may keep one plan for every parameter) cannot do both, so plans are made per
    search. At the default random_page_cost (4, for spinning disks) PostgreSQL would test every row
    for the mid-frequency word too, as it does not count decompressing each tsvector (60 ms for a
    word in 10% of 50,000 documents, against 5 ms from the index). SET LOCAL ends with the
    transaction."""
    db.session.execute(
        text(
            "SELECT set_config('random_page_cost', '1.1', true), "
            "set_config('plan_cache_mode', 'force_custom_plan', true)"
        )
    )


def search(user: User, filters: SearchFilters, page: int = 1, page_size: int = 20) -> SearchResult:
    check_may_search(user)
    total, sort, many = _plan(user, filters)
    found = db.session.scalars(_rows(user, filters, sort, many).limit(page_size).offset((page - 1) * page_size)).all()
    limit = current_app.config["ARCHIVE_RANK_LIMIT"]
    return SearchResult(
        total=total,
        rows=list(found),
        page=page,
        page_size=page_size,
        sort=sort,
        too_many_to_rank=sort != filters.effective_sort,
        counted_up_to=limit if total > limit else None,
    )


# --- the register export ----------------------------------------------------------------------------

REGISTER_COLUMNS = (
    "Reference",
    "Version",
    "Title",
    "Department",
    "Subject type",
    "Status",
    "Outcome",
    "Decided on",
    "Decision date",
    "Went to the Board",
    "Rules that fired",
    "Review date",
    "Archive SHA-256",
)


def register_rows(user: User, filters: SearchFilters) -> Iterator[tuple]:
    """Every assessment matching the search, as register rows (labels, not codes), in the search's order."""
    check_may_search(user)
    definitions = current_definitions()
    labels = choice_labels(definitions)
    departments = dict(
        db.session.execute(
            select(Department.id, Department.name).where(Department.organisation_id == user.organisation_id)
        ).all()
    )
    _, sort, many = _plan(user, filters)
    query = (
        _rows(user, filters, sort, many)
        .outerjoin(ArchivedRecord, ArchivedRecord.assessment_id == AssessmentSearch.assessment_id)
        .add_columns(ArchivedRecord.sha256)
    )
    for row, sha256 in db.session.execute(query.execution_options(yield_per=1000)):
        yield (
            row.reference,
            row.version_number,
            row.title,
            departments.get(row.department_id, ""),
            labels["subject_type"].get(row.subject_type or "", row.subject_type or ""),
            definitions_of(row).workflow.state(row.status).label,
            labels["outcome"].get(row.outcome or "", row.outcome or ""),
            row.decided_at.astimezone(UK).date() if row.decided_at else None,
            row.decision_date,
            "Yes" if row.went_to_board else "No",
            "; ".join(rule["label"] for rule in row.fired_rules),
            row.review_date,
            sha256 or "",
        )


def choice_labels(definitions: Definitions) -> dict[str, dict[str, str]]:
    """Labels of the coded answers the archive shows: subject type and outcome."""
    bindings = definitions.questionnaire.bindings
    return {
        "subject_type": {kind.value: kind.label for kind in library().subject_types},
        "outcome": {c.value: c.label for c in bindings.outcome.question.choices},
    }


def statuses(definitions: Definitions) -> list[tuple[str, str]]:
    return [(state.id, state.label) for state in definitions.workflow.states.values()]
