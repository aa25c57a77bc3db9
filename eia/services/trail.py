"""The decision trail as people read it: each step in the words of the assessment's own workflow."""

from __future__ import annotations

import json

from sqlalchemy import select

from eia.domain.snapshot import TrailEntry
from eia.extensions import db
from eia.models import ROLES, Assessment, AuditEvent
from eia.services.assessments import current_path
from eia.services.definitions import definitions_of


def decision_trail(assessment: Assessment) -> tuple[TrailEntry, ...]:
    """Every workflow step taken on the assessment, oldest first, for its page and its signed record."""
    workflow = definitions_of(assessment).workflow
    sections = {task.id: f"{task.section.title}: {task.title}" for task in current_path(assessment).tasks}

    def state_label(state_id: str) -> str:
        return workflow.states[state_id].label if state_id in workflow.states else "a step no longer in use"

    entries = []
    for t in assessment.transitions:
        transition = workflow.transitions.get(t.action)
        details = t.details or {}
        entries.append(
            TrailEntry(
                at=t.at,
                actor=t.actor.name,
                role=ROLES.get(t.actor_role, "Former role"),
                action_label=transition.done_label if transition else "A step no longer in use",
                from_state=state_label(t.from_state),
                to_state=state_label(t.to_state),
                rules_fired=tuple(rule["label"] for rule in t.fired_rules or ()),
                comment=t.comment or "",
                conditions=tuple(details.get("conditions", ())),
                section_reasons=tuple(
                    f"{sections.get(task_id, 'A section no longer in the assessment')}: {reason}"
                    for task_id, reason in details.get("sections", {}).items()
                ),
            )
        )
    return tuple(entries)


def trail_problems(assessment: Assessment) -> list[str]:
    """Every difference between the trail shown to people (the transition rows) and the audit log, which
    recorded each step in the same transaction and whose hash chain shows any edit to it."""
    workflow = definitions_of(assessment).workflow
    actions = [f"assessment.{transition_id}" for transition_id in workflow.transitions]
    logged = [
        json.loads(canonical)
        for canonical in db.session.scalars(
            select(AuditEvent.canonical)
            .where(
                AuditEvent.object_type == "assessment",
                AuditEvent.object_id == str(assessment.id),
                AuditEvent.action.in_(actions),
            )
            .order_by(AuditEvent.seq)
        )
    ]
    label = f"the decision trail of {assessment.reference} version {assessment.version_number}"
    steps = sorted(assessment.transitions, key=lambda t: t.id)
    problems = []
    if len(steps) != len(logged):
        problems.append(
            f"{label} shows {len(steps)} step(s), the audit log records {len(logged)}: "
            "steps were added or removed outside the application"
        )
    for number, (step, event) in enumerate(zip(steps, logged, strict=False), start=1):
        differences = _differences(step, event)
        if differences:
            done = workflow.transitions[step.action].done_label if step.action in workflow.transitions else "a step"
            problems.append(
                f"{label}, step {number} ({done}): the {', the '.join(differences)} shown "
                "differ from the audit log: the trail was edited"
            )
    return problems


def _differences(step, event: dict) -> list[str]:
    details = event.get("details", {})
    compared = [
        ("action", f"assessment.{step.action}" == event.get("action")),
        ("person", (event.get("actor") or {}).get("id") == step.actor_id),
        ("states", (step.from_state, step.to_state) == (details.get("from"), details.get("to"))),
        ("comment", (step.comment or "") == (details.get("comment") or "")),
        ("rules", list(step.fired_rules or []) == list(details.get("rules_fired") or [])),
        ("conditions", list((step.details or {}).get("conditions", [])) == list(details.get("conditions", []))),
        ("reasons", dict((step.details or {}).get("sections", {})) == dict(details.get("sections", {}))),
    ]
    return [name for name, same in compared if not same]
