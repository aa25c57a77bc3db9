"""The decision trail as people read it: each step in the words of the assessment's own workflow."""

from __future__ import annotations

from eia.domain.snapshot import TrailEntry
from eia.models import ROLES, Assessment
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
        entries.append(TrailEntry(
            at=t.at,
            actor=t.actor.name,
            role=ROLES.get(t.actor_role, "Former role"),
            action_label=transition.done_label if transition else "A step no longer in use",
            from_state=state_label(t.from_state),
            to_state=state_label(t.to_state),
            rules_fired=tuple(rule["label"] for rule in t.fired_rules or ()),
            comment=t.comment or "",
            conditions=tuple(details.get("conditions", ())),
            section_reasons=tuple(f"{sections.get(task_id, 'A section no longer in the assessment')}: {reason}"
                                  for task_id, reason in details.get("sections", {}).items()),
        ))
    return tuple(entries)
