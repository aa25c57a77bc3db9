"""Definitions pinned before they carried their own meaning, read as if they did.

Assessments pin the exact documents they started with (by SHA-256), and pinned documents are never
changed. Workflows pinned before states and transitions said what they are (their queue, how they
end, their tag; a transition's purpose and wording) were all versions of the shipped
``eia-standard`` workflow, and questionnaires pinned before they named their bindings were all the
shipped ``eia`` questionnaire, so their meaning is known: this module supplies it when such a
document is built. It is the one place outside workflows/ where those ids are written; nothing else
may name them.
"""

from __future__ import annotations

from typing import Any

# The bindings of the questionnaire shipped before questionnaires named them (eia.domain.bindings).
LEGACY_BINDINGS = {
    "title": "subject.title",
    "subject_type": "subject.subject_type",
    "department": "subject.department",
    "owner": "responsibility.owner",
    "senior_responsible_officer": "responsibility.senior_responsible_officer",
    "decision_date": "responsibility.decision_date",
    "objectives": "objectives.objectives",
    "analysis": "analysis",
    "relevance": "screening:*.relevance",
    "relevance_reason": "screening:*.reason",
    "has_evidence": "evidence:*.has_evidence",
    "evidence_gaps": "evidence:*.gaps",
    "engaged": "engagement:*.engaged",
    "impact_direction": {
        "eliminate": "impact:*.eliminate_direction",
        "advance": "impact:*.advance_direction",
        "foster": "impact:*.foster_direction",
    },
    "impact_level": {
        "eliminate": "impact:*.eliminate_level",
        "advance": "impact:*.advance_level",
        "foster": "impact:*.foster_level",
    },
    "mitigation": "residual:*.mitigation",
    "residual_level": "residual:*.residual_level",
    "residual_justification": "residual:*.justification",
    "outcome": "outcome.outcome",
    "outcome_justification": "outcome.outcome_justification",
    "changes_made": "outcome.changes_made",
    "action_plan": "action_plan",
    "action": "action_plan.action",
    "action_characteristic": "action_plan.characteristic",
    "action_owner": "action_plan.owner",
    "action_due_date": "action_plan.due_date",
    "review_date": "review.review_date",
}

_STATE_MEANINGS: dict[str, dict[str, Any]] = {
    "draft": {"tag": "grey"},
    "submitted": {"tag": "blue", "queue": "approver"},
    "with_approver": {"tag": "light-blue", "queue": "approver"},
    "with_board": {"tag": "purple", "queue": "board"},
    "returned": {"tag": "orange", "queue": "author"},
    "approved": {"tag": "green", "ends": "signed_off"},
    "rejected": {"tag": "red", "ends": "rejected"},
    "withdrawn": {"tag": "grey", "ends": "withdrawn"},
}
_TRANSITION_MEANINGS: dict[str, dict[str, Any]] = {
    "submit": {"purpose": "submit", "done_label": "Submitted for approval"},
    "start_review": {"purpose": "start_review", "done_label": "Review started"},
    "approve": {"purpose": "decide", "done_label": "Approved", "decision": "Signed off by the accountable officer"},
    "return": {"purpose": "return", "done_label": "Returned to the author"},
    "board_approve": {
        "purpose": "decide",
        "done_label": "Approved by the Board",
        "decision": "Approved by the Equality and Inclusion Board",
    },
    "board_approve_with_conditions": {
        "purpose": "decide",
        "done_label": "Approved with conditions by the Board",
        "decision": "Approved with conditions by the Equality and Inclusion Board",
    },
    "board_return": {"purpose": "return", "done_label": "Returned to the author by the Board"},
    "board_reject": {"purpose": "decide", "done_label": "Rejected by the Board", "warning": True},
    "withdraw": {"purpose": "withdraw", "done_label": "Withdrawn", "warning": True},
}


def upgrade_pinned_workflow(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` as it would be written today: unchanged if it already carries its meaning."""
    if all("purpose" in transition for transition in document["transitions"]):
        return document
    states = []
    for state in document["states"]:
        upgraded = {key: value for key, value in state.items() if key != "final"}
        meaning = _STATE_MEANINGS.get(state["id"], {})
        if state.get("final") and "ends" not in meaning:
            meaning = {**meaning, "ends": "withdrawn"}  # a final state of unknown meaning is at least closed
        states.append({**meaning, **upgraded})
    transitions = [
        {
            "purpose": "decide",
            "done_label": transition["label"],
            **_TRANSITION_MEANINGS.get(transition["id"], {}),
            **transition,
        }
        for transition in document["transitions"]
    ]
    return {**document, "states": states, "transitions": transitions}
