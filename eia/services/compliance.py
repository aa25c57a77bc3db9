"""The annual compliance report: every figure counted in one place, from signed-off assessments."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eia.domain import compliance as c
from eia.domain.bindings import BoundQuestion
from eia.extensions import db
from eia.models import Assessment, TrackedAction, User
from eia.services import access, lifecycle
from eia.clock import UK, uk_today
from eia.services.assessments import current_path
from eia.services.definitions import current_definitions, definitions_of, library, signed_off

ADVERSE_RESIDUAL = ("low", "medium", "high")


def _uk_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UK).astimezone(UTC)


def _choice_labels(bound: BoundQuestion) -> dict[str, str]:
    return {choice.value: choice.label for choice in bound.question.choices}


def _counts(counter: Counter, order: list[str] | None = None) -> tuple[c.Count, ...]:
    """Counts with something in them: in ``order`` when given, else largest first then by label."""
    if order is not None:
        return tuple(c.Count(label, counter[label]) for label in order if counter[label])
    return tuple(c.Count(label, n) for label, n in sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def signed_off_in(user: User, start: date, end: date) -> list[Assessment]:
    """Assessments this user can see that were signed off from ``start`` to ``end`` (UK days, both included)."""
    query = (access.visible_assessments(user)
             .where(signed_off(),
                    Assessment.decided_at >= _uk_midnight(start),
                    Assessment.decided_at < _uk_midnight(end + timedelta(days=1)))
             .order_by(Assessment.decided_at, Assessment.id)
             .options(selectinload(Assessment.transitions), selectinload(Assessment.department)))
    return list(db.session.scalars(query))


def report(user: User, start: date, end: date) -> c.ComplianceFigures:
    population = signed_off_in(user, start, end)
    as_at = uk_today()  # actions and reviews are counted as they stand now
    questionnaire = current_definitions().questionnaire
    bindings = questionnaire.bindings
    subject_types = {subject_type.value: subject_type.label for subject_type in library().subject_types}
    outcome_labels = _choice_labels(bindings.outcome)
    answers = {a.id: current_path(a).answers for a in population}
    # Each assessment's answers are read with the bindings of the questionnaire it started with.
    bound = {a.id: definitions_of(a).questionnaire.bindings for a in population}

    board_reasons: Counter = Counter()
    sent_to_board = 0
    for assessment in population:
        board_states = definitions_of(assessment).workflow.queue_states("board")
        to_board = [t for t in assessment.transitions if t.to_state in board_states]
        if to_board:
            sent_to_board += 1
            board_reasons.update({(r["id"], r["label"]) for t in to_board for r in t.fired_rules})

    covered = [ch for ch in questionnaire.characteristics.values()
               if any(ch.id in a.characteristic_ids for a in population)]
    characteristics = []
    for ch in covered:
        relevance = Counter(bound[a.id].relevance.value(answers[a.id], ch) for a in population
                            if ch.id in a.characteristic_ids)
        characteristics.append(c.CharacteristicFigures(
            name=ch.name,
            relevance=tuple(c.Count(label, relevance[value]) for value, label in c.RELEVANCE_LABELS),
            adverse_impact=sum(1 for a in population if any(
                direction.value(answers[a.id], ch) == "negative"
                for aim, direction in bound[a.id].impact_direction.items() if aim in ch.aims)),
            residual_adverse=sum(1 for a in population
                                 if bound[a.id].residual_level.value(answers[a.id], ch) in ADVERSE_RESIDUAL),
            evidence_gaps=sum(1 for a in population
                              if bound[a.id].has_evidence.value(answers[a.id], ch) == "no"
                              or (bound[a.id].evidence_gaps.value(answers[a.id], ch) or "").strip()),
        ))

    ids = [a.id for a in population]
    tracked = list(db.session.scalars(select(TrackedAction).where(TrackedAction.assessment_id.in_(ids)))) if ids else []
    current_ids = set(db.session.scalars(lifecycle.current_signed_off().where(Assessment.id.in_(ids))
                                         .with_only_columns(Assessment.id))) if ids else set()

    organisation = population[0].organisation if population else user.organisation
    objectives = tuple(
        c.ObjectiveFigures(o.code, o.title, tuple((a.display_reference, a.title) for a in population
                                                  if o.code in (bound[a.id].objectives.value(answers[a.id]) or [])))
        for o in user.organisation.objectives
    )
    return c.ComplianceFigures(
        organisation=organisation.name,
        scope="the whole organisation" if access.sees_whole_organisation(user) else (
            user.department.name if user.department else "no department"),
        start=start,
        end=end,
        as_at=as_at,
        signed_off=len(population),
        by_department=_counts(Counter(a.department.name if a.department else "No department" for a in population)),
        by_subject_type=_counts(Counter(subject_types.get(a.subject_type, a.subject_type or "Not given") for a in population),
                                order=list(subject_types.values()) + ["Not given"]),
        outcomes=_counts(Counter(outcome_labels.get(bound[a.id].outcome.value(answers[a.id]), "Not given")
                                 for a in population), order=list(outcome_labels.values()) + ["Not given"]),
        sent_to_board=sent_to_board,
        # In the rule sets' order (R2 before R10), each shown by its label only.
        board_reasons=tuple(c.Count(label, board_reasons[rule_id, label])
                            for rule_id, label in sorted(board_reasons, key=lambda rule: (len(rule[0]), rule[0]))),
        characteristics=tuple(characteristics),
        actions=(
            c.Count("Open", sum(1 for t in tracked if t.status == "open")),
            c.Count("In progress", sum(1 for t in tracked if t.status == "in_progress")),
            c.Count("Done", sum(1 for t in tracked if t.status == "done")),
            c.Count("Overdue", sum(1 for t in tracked if t.status != "done" and t.due_date and t.due_date < as_at)),
        ),
        reviews_overdue=sum(1 for a in population if a.id in current_ids
                            and (day := lifecycle.review_date(a)) is not None and day < as_at),
        objectives=objectives,
        not_linked_to_an_objective=sum(1 for a in population
                                       if not bound[a.id].objectives.value(answers[a.id])),
    )

