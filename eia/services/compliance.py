"""The annual compliance report: every figure counted in one place, from signed-off assessments."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eia.domain import compliance as c
from eia.extensions import db
from eia.models import Assessment, TrackedAction, User
from eia.services import access, lifecycle
from eia.clock import UK, uk_today
from eia.services.assessments import current_path
from eia.services.definitions import current_definitions

ADVERSE_RESIDUAL = ("low", "medium", "high")


def _uk_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UK).astimezone(UTC)


def _choice_labels(page_id: str, question_id: str) -> dict[str, str]:
    for section in current_definitions().questionnaire.sections:
        for task in section.tasks:
            for page in task.pages:
                if page.id == page_id:
                    question = next(question for question in page.questions if question.id == question_id)
                    return {choice.value: choice.label for choice in question.choices}
    raise KeyError(page_id)


def _counts(counter: Counter, order: list[str] | None = None) -> tuple[c.Count, ...]:
    """Counts with something in them: in ``order`` when given, else largest first then by label."""
    if order is not None:
        return tuple(c.Count(label, counter[label]) for label in order if counter[label])
    return tuple(c.Count(label, n) for label, n in sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def signed_off_in(user: User, start: date, end: date) -> list[Assessment]:
    """Assessments this user can see that were signed off from ``start`` to ``end`` (UK days, both included)."""
    query = (access.visible_assessments(user)
             .where(Assessment.status == lifecycle.SIGNED_OFF,
                    Assessment.decided_at >= _uk_midnight(start),
                    Assessment.decided_at < _uk_midnight(end + timedelta(days=1)))
             .order_by(Assessment.decided_at, Assessment.id)
             .options(selectinload(Assessment.transitions), selectinload(Assessment.department)))
    return list(db.session.scalars(query))


def report(user: User, start: date, end: date) -> c.ComplianceFigures:
    population = signed_off_in(user, start, end)
    as_at = uk_today()  # actions and reviews are counted as they stand now
    questionnaire = current_definitions().questionnaire
    subject_types = _choice_labels("subject", "subject_type")
    outcome_labels = _choice_labels("outcome", "outcome")
    answers = {a.id: current_path(a).answers for a in population}

    board_reasons: Counter = Counter()
    sent_to_board = 0
    for assessment in population:
        to_board = [t for t in assessment.transitions if t.to_state == "with_board"]
        if to_board:
            sent_to_board += 1
            board_reasons.update({f"{r['id']}: {r['label']}" for t in to_board for r in t.fired_rules})

    covered = [ch for ch in questionnaire.characteristics.values()
               if any(ch.id in a.characteristic_ids for a in population)]
    characteristics = []
    for ch in covered:
        relevance = Counter((answers[a.id].get(f"screening:{ch.id}") or {}).get("relevance") for a in population
                            if ch.id in a.characteristic_ids)
        impacts = [answers[a.id].get(f"impact:{ch.id}") or {} for a in population]
        evidence = [answers[a.id].get(f"evidence:{ch.id}") or {} for a in population]
        characteristics.append(c.CharacteristicFigures(
            name=ch.name,
            relevance=tuple(c.Count(label, relevance[value]) for value, label in c.RELEVANCE_LABELS),
            adverse_impact=sum(1 for i in impacts if any(i.get(f"{aim}_direction") == "negative" for aim in ch.aims)),
            residual_adverse=sum(1 for a in population
                                 if (answers[a.id].get(f"residual:{ch.id}") or {}).get("residual_level") in ADVERSE_RESIDUAL),
            evidence_gaps=sum(1 for e in evidence if e.get("has_evidence") == "no" or (e.get("gaps") or "").strip()),
        ))

    ids = [a.id for a in population]
    tracked = list(db.session.scalars(select(TrackedAction).where(TrackedAction.assessment_id.in_(ids)))) if ids else []
    current_ids = set(db.session.scalars(lifecycle.current_signed_off().where(Assessment.id.in_(ids))
                                         .with_only_columns(Assessment.id))) if ids else set()

    organisation = population[0].organisation if population else user.organisation
    objectives = tuple(
        c.ObjectiveFigures(o.code, o.title, tuple((a.display_reference, a.title) for a in population
                                                  if o.code in ((answers[a.id].get("objectives") or {}).get("objectives") or [])))
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
        outcomes=_counts(Counter(outcome_labels.get((answers[a.id].get("outcome") or {}).get("outcome"), "Not given")
                                 for a in population), order=list(outcome_labels.values()) + ["Not given"]),
        sent_to_board=sent_to_board,
        board_reasons=_counts(board_reasons, order=sorted(board_reasons, key=_rule_order)),
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
                                       if not (answers[a.id].get("objectives") or {}).get("objectives")),
    )


def _rule_order(label: str) -> tuple:
    rule_id = label.split(":", 1)[0]
    return (len(rule_id), rule_id)
