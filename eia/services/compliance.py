"""The annual compliance report: every figure counted in one place, from signed-off assessments.

The figures are counted in the database from facts kept at sign-off (the search row's outcome, Board
reasons, objectives and review date, and a SignedOffCharacteristic row per characteristic: see
eia.services.search.index_assessment), not by working out each assessment's answers again: a year of
a large force is a few grouped queries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select

from eia.clock import UK, uk_today
from eia.domain import compliance as c
from eia.domain.bindings import BoundQuestion
from eia.extensions import db
from eia.models import Assessment, AssessmentSearch, Department, SignedOffCharacteristic, TrackedAction, User
from eia.services import access, lifecycle, search
from eia.services.database import unit_of_work
from eia.services.definitions import current_definitions, library, signed_off


def _uk_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UK).astimezone(UTC)


def _choice_labels(bound: BoundQuestion) -> dict[str, str]:
    return {choice.value: choice.label for choice in bound.question.choices}


def _counts(counter: Counter, order: list[str] | None = None) -> tuple[c.Count, ...]:
    """Counts with something in them: in ``order`` when given, else largest first then by label."""
    if order is not None:
        return tuple(c.Count(label, counter[label]) for label in order if counter[label])
    return tuple(c.Count(label, n) for label, n in sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def signed_off_in(user: User, start: date, end: date) -> Select:
    """The ids of the assessments this user can see that were signed off from ``start`` to ``end``
    (UK days, both included), as a query to use in others."""
    return (
        access.visible_assessments(user)
        .where(
            signed_off(),
            Assessment.decided_at >= _uk_midnight(start),
            Assessment.decided_at < _uk_midnight(end + timedelta(days=1)),
        )
        .with_only_columns(Assessment.id)
    )


def _index_rows_kept_before_the_facts(population: Select) -> None:
    """Search rows indexed before the report's facts were kept (an upgraded instance) are indexed
    again, once, so that the figures count them."""
    stale = db.session.scalars(
        select(Assessment)
        .join(AssessmentSearch, AssessmentSearch.assessment_id == Assessment.id)
        .where(Assessment.id.in_(population), AssessmentSearch.objectives.is_(None))
    ).all()
    if stale:
        with unit_of_work():
            for assessment in stale:
                search.index_assessment(assessment)


def _grouped(population: Select, column) -> Counter:
    """How many of the population's search rows have each value of ``column``."""
    return Counter(
        dict(
            db.session.execute(
                select(column, func.count()).where(AssessmentSearch.assessment_id.in_(population)).group_by(column)
            ).all()
        )
    )


def _count(population: Select, *conditions) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AssessmentSearch)
            .where(AssessmentSearch.assessment_id.in_(population), *conditions)
        )
        or 0
    )


def _characteristics(population: Select) -> tuple[c.CharacteristicFigures, ...]:
    fact = SignedOffCharacteristic
    in_population = fact.assessment_id.in_(population)
    relevance: dict[str, Counter] = {}
    for characteristic_id, value, count in db.session.execute(
        select(fact.characteristic_id, fact.relevance, func.count())
        .where(in_population)
        .group_by(fact.characteristic_id, fact.relevance)
    ):
        relevance.setdefault(characteristic_id, Counter())[value] = count
    totals = {
        row.characteristic_id: row
        for row in db.session.execute(
            select(
                fact.characteristic_id,
                func.sum(case((fact.adverse_impact, 1), else_=0)).label("adverse_impact"),
                func.sum(case((fact.residual_adverse, 1), else_=0)).label("residual_adverse"),
                func.sum(case((fact.evidence_gap, 1), else_=0)).label("evidence_gaps"),
            )
            .where(in_population)
            .group_by(fact.characteristic_id)
        )
    }
    return tuple(
        c.CharacteristicFigures(
            name=ch.name,
            relevance=tuple(c.Count(label, relevance[ch.id][value]) for value, label in c.RELEVANCE_LABELS),
            adverse_impact=int(totals[ch.id].adverse_impact),
            residual_adverse=int(totals[ch.id].residual_adverse),
            evidence_gaps=int(totals[ch.id].evidence_gaps),
        )
        for ch in current_definitions().questionnaire.characteristics.values()
        if ch.id in totals
    )


def _actions(population: Select, as_at: date) -> tuple[c.Count, ...]:
    by_status = Counter(
        dict(
            db.session.execute(
                select(TrackedAction.status, func.count())
                .where(TrackedAction.assessment_id.in_(population))
                .group_by(TrackedAction.status)
            ).all()
        )
    )
    overdue = (
        db.session.scalar(
            select(func.count())
            .select_from(TrackedAction)
            .where(
                TrackedAction.assessment_id.in_(population),
                TrackedAction.status != "done",
                TrackedAction.due_date < as_at,
            )
        )
        or 0
    )
    return (
        c.Count("Open", by_status["open"]),
        c.Count("In progress", by_status["in_progress"]),
        c.Count("Done", by_status["done"]),
        c.Count("Overdue", overdue),
    )


def _objectives(user: User, population: Select) -> tuple[c.ObjectiveFigures, ...]:
    figures = []
    for objective in user.organisation.objectives:
        linked = db.session.execute(
            select(AssessmentSearch.reference, AssessmentSearch.version_number, AssessmentSearch.title)
            .where(
                AssessmentSearch.assessment_id.in_(population),
                AssessmentSearch.objectives.contains(f",{objective.code},", autoescape=True),
            )
            .order_by(AssessmentSearch.decided_at, AssessmentSearch.assessment_id)
        ).all()
        figures.append(
            c.ObjectiveFigures(
                objective.code,
                objective.title,
                tuple(
                    (reference if version == 1 else f"{reference} v{version}", title)
                    for reference, version, title in linked
                ),
            )
        )
    return tuple(figures)


def report(user: User, start: date, end: date) -> c.ComplianceFigures:
    population = signed_off_in(user, start, end)
    _index_rows_kept_before_the_facts(population)
    as_at = uk_today()  # actions and reviews are counted as they stand now
    bindings = current_definitions().questionnaire.bindings
    subject_types = {subject_type.value: subject_type.label for subject_type in library().subject_types}
    outcome_labels = _choice_labels(bindings.outcome)
    departments = dict(
        db.session.execute(
            select(Department.id, Department.name).where(Department.organisation_id == user.organisation_id)
        ).all()
    )

    board_reasons: Counter = Counter()
    for reasons in db.session.scalars(
        select(AssessmentSearch.board_reasons).where(
            AssessmentSearch.assessment_id.in_(population), AssessmentSearch.went_to_board
        )
    ):
        board_reasons.update({(rule["id"], rule["label"]) for rule in reasons or []})
    current = lifecycle.current_signed_off().with_only_columns(Assessment.id)

    return c.ComplianceFigures(
        organisation=user.organisation.name,
        scope="the whole organisation"
        if access.sees_whole_organisation(user)
        else (user.department.name if user.department else "no department"),
        start=start,
        end=end,
        as_at=as_at,
        signed_off=_count(population),
        by_department=_counts(
            _relabelled(
                _grouped(population, AssessmentSearch.department_id),
                lambda department: departments.get(department, "No department"),
            )
        ),
        by_subject_type=_counts(
            _relabelled(
                _grouped(population, AssessmentSearch.subject_type),
                lambda kind: subject_types.get(kind, kind or "Not given"),
            ),
            order=list(subject_types.values()) + ["Not given"],
        ),
        outcomes=_counts(
            _relabelled(
                _grouped(population, AssessmentSearch.outcome), lambda outcome: outcome_labels.get(outcome, "Not given")
            ),
            order=list(outcome_labels.values()) + ["Not given"],
        ),
        sent_to_board=_count(population, AssessmentSearch.went_to_board),
        # In the rule sets' order (R2 before R10), each shown by its label only.
        board_reasons=tuple(
            c.Count(label, board_reasons[rule_id, label])
            for rule_id, label in sorted(board_reasons, key=lambda rule: (len(rule[0]), rule[0]))
        ),
        characteristics=_characteristics(population),
        actions=_actions(population, as_at),
        reviews_overdue=_count(
            population, AssessmentSearch.assessment_id.in_(current), AssessmentSearch.review_date < as_at
        ),
        objectives=_objectives(user, population),
        not_linked_to_an_objective=_count(population, AssessmentSearch.objectives == ",,"),
    )


def _relabelled(counter: Counter, label_of: Callable[[Any], str]) -> Counter:
    """Counts by value as counts by label (two values may share a label)."""
    relabelled: Counter = Counter()
    for value, n in counter.items():
        relabelled[label_of(value)] += n
    return relabelled
