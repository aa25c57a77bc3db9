"""Taking workflow actions on an assessment: submit, review, decide.

The engine (eia.domain.workflow) says whether an action is allowed in a state for a role and where
it routes; this module checks the named preconditions, records the transition with the rules that
fired, carries out the effects, and writes the audit event, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from eia.domain import questionnaire as q
from eia.domain.signing import SigningKeyError
from eia.domain.workflow import Outcome, TransitionRefused, Workflow, decide, evaluate_rule_set
from eia.extensions import db
from eia.models import Assessment, Transition, User
from eia.models.types import utcnow
from eia.services import access, audit, notifications
from eia.services.archive import archive_signed_off
from eia.services.assessments import answer_options, current_path, definitions, today
from eia.services.database import Conflict, NotAllowed, unit_of_work
from eia.services.storage import StorageError

MAX_COMMENT_LENGTH = 5000
MAX_CONDITIONS = 20


class ActionRefused(Exception):
    """The action cannot be taken now. ``reasons`` are plain-English sentences for the user."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class SignOffFailed(Exception):
    """The signed record could not be made or stored; the whole decision was rolled back and can be retried."""


@dataclass
class Decision:
    """What the person deciding typed."""

    comment: str = ""
    conditions: list[str] = field(default_factory=list)
    section_reasons: dict[str, str] = field(default_factory=dict)  # task id -> why it is returned


def rule_resolver(assessment: Assessment, path: q.Path | None = None) -> q.AnswerResolver:
    """Resolves workflow rule operands for this assessment: answers, assessment and organisation."""
    path = path or current_path(assessment)
    return q.AnswerResolver(
        path.answers,
        path.characteristic_ids,
        extra={
            "assessment": {
                "subject_type": assessment.subject_type,
                "version_number": assessment.version_number,
                "department_id": assessment.department_id,
            },
            "organisation": {"board_subject_types": list(assessment.organisation.board_subject_types or [])},
        },
    )


def escalation_preview(assessment: Assessment, rule_set: str = "escalation") -> tuple:
    """The escalation rules that would fire now ("this will go to the Board because ...")."""
    return evaluate_rule_set(definitions().workflow, rule_set, rule_resolver(assessment))


# --- preconditions named in the workflow's "requires" -------------------------------------------


def _questionnaire_complete(assessment: Assessment, actor: User) -> str | None:
    path = current_path(assessment)
    problems = q.submission_problems(path, answer_options(assessment, path), today())
    if problems:
        return f"The assessment is not finished: {len(problems)} thing(s) need finishing. Check your answers to see what."
    return None


def _not_author(assessment: Assessment, actor: User) -> str | None:
    # The duty is non-delegable and personal (Brown 4): nobody signs off their own assessment.
    return "You cannot decide on an assessment you wrote" if assessment.author_id == actor.id else None


REQUIREMENTS: dict[str, Callable[[Assessment, User], str | None]] = {
    "questionnaire_complete": _questionnaire_complete,
    "not_author": _not_author,
}


# --- effects named in the workflow's "effects" ----------------------------------------------------

Effect = Callable[[Assessment, User, Outcome, Decision], None]


def _notifier(role: str) -> Effect:
    def notify(assessment: Assessment, actor: User, outcome: Outcome, decision: Decision) -> None:
        state = definitions().workflow.state(outcome.to_state)
        message = f"{outcome.transition.label}: now {state.label.lower()}"
        notifications.notify(
            [u for u in notifications.recipients(role, assessment) if u.id != actor.id], assessment, message
        )

    return notify


def _add_conditions_to_action_plan(assessment: Assessment, actor: User, outcome: Outcome, decision: Decision) -> None:
    plan = dict((assessment.answers or {}).get("action_plan", {"items": [], "done": True}))
    items = list(plan.get("items", []))
    for condition in decision.conditions:
        items.append({
            "action": f"Board condition: {condition}",
            "characteristic": "all",
            "owner": assessment.answers.get("responsibility", {}).get("senior_responsible_officer", actor.name),
            "due_date": (assessment.answers.get("review", {}) or {}).get("review_date"),
            "source": "board_condition",
        })
    assessment.answers = {**assessment.answers, "action_plan": {**plan, "items": items}}


def _archive(assessment: Assessment, actor: User, outcome: Outcome, decision: Decision) -> None:
    try:
        archive_signed_off(assessment, actor)
    except (StorageError, SigningKeyError) as error:
        current_app.logger.error("sign-off of assessment %s failed: %s", assessment.id, error)
        raise SignOffFailed(str(error)) from error


EFFECTS: dict[str, Effect] = {
    "notify:author": _notifier("author"),
    "notify:approver": _notifier("approver"),
    "notify:board": _notifier("board"),
    "add_conditions_to_action_plan": _add_conditions_to_action_plan,
    "archive": _archive,
}


def unsupported_workflow_features(workflow: Workflow) -> list[str]:
    """Preconditions and effects the definition names that no service carries out."""
    problems = []
    for transition in workflow.transitions.values():
        for requirement in transition.requires:
            if requirement not in REQUIREMENTS:
                problems.append(f"transition {transition.id!r}: unknown requirement {requirement!r} (known: {', '.join(REQUIREMENTS)})")
        effects = list(transition.effects) + [e for route in transition.routes for e in route.effects]
        for effect in effects:
            if effect not in EFFECTS:
                problems.append(f"transition {transition.id!r}: unknown effect {effect!r} (known: {', '.join(EFFECTS)})")
    return problems


# --- taking an action -----------------------------------------------------------------------------


def available_actions(assessment: Assessment, user: User) -> list:
    """The transitions this user could take now (buttons to show); each is re-checked on POST."""
    if not access.can_view(user, assessment):
        return []
    workflow = definitions().workflow
    return [t for t in workflow.allowed_actions(assessment.status, [user.role]) if _actor_fits(t.id, assessment, user)]


def overtaken_action(assessment: Assessment, user: User, action: str):
    """The transition this user could take in another state: their form was overtaken by someone else's action."""
    transition = definitions().workflow.transitions.get(action)
    if transition is None or user.role not in transition.roles or not access.can_view(user, assessment):
        return None
    return transition if _actor_fits(action, assessment, user) else None


def _actor_fits(action: str, assessment: Assessment, user: User) -> bool:
    # Authors act only on their own assessments; everyone else on those they can see.
    return assessment.author_id == user.id if user.role == "author" else True


def take_action(
    assessment: Assessment,
    actor: User,
    action: str,
    decision: Decision,
    expected_version: int | None,
) -> Outcome:
    if not access.can_view(actor, assessment) or not _actor_fits(action, assessment, actor):
        raise NotAllowed("No such assessment")
    if expected_version != assessment.lock_version:
        raise Conflict()
    workflow = definitions().workflow
    try:
        outcome = decide(workflow, assessment.status, action, [actor.role], rule_resolver(assessment))
    except TransitionRefused as refused:
        raise ActionRefused([refused.reason]) from None
    reasons = [reason for name in outcome.transition.requires if (reason := REQUIREMENTS[name](assessment, actor))]
    reasons += _decision_problems(outcome, decision)
    if unknown := set(decision.section_reasons) - {task.id for task in current_path(assessment).tasks}:
        reasons.append(f"There is no section {', '.join(sorted(unknown))} in this assessment to give reasons for")
    if reasons:
        raise ActionRefused(reasons)

    with unit_of_work():
        now = utcnow()
        assessment.status = outcome.to_state
        if action == "submit":
            assessment.submitted_at = now
        if workflow.state(outcome.to_state).final:
            assessment.decided_at = now
        fired = [{"id": rule.id, "label": rule.label} for rule in outcome.fired_rules]
        details: dict[str, Any] = {}
        if decision.conditions:
            details["conditions"] = decision.conditions
        if decision.section_reasons:
            details["sections"] = decision.section_reasons
        transition = Transition(
            assessment=assessment,
            action=action,
            from_state=outcome.from_state,
            to_state=outcome.to_state,
            actor=actor,
            actor_role=actor.role,
            at=now,
            comment=decision.comment or None,
            fired_rules=fired,
            details=details,
        )
        db.session.add(transition)
        db.session.flush()  # version check: a concurrent decision loses here
        for effect in outcome.effects:
            EFFECTS[effect](assessment, actor, outcome, decision)
        audit.record(
            f"assessment.{action}",
            actor=actor,
            object_type="assessment",
            object_id=assessment.id,
            details={
                "from": outcome.from_state,
                "to": outcome.to_state,
                "rules_fired": fired,
                "comment": decision.comment,
                **details,
            },
        )
    notifications.send_soon()
    return outcome


def _decision_problems(outcome: Outcome, decision: Decision) -> list[str]:
    transition = outcome.transition
    problems = []
    comment = decision.comment.strip()
    if transition.comment == "required" and not comment and not decision.section_reasons:
        problems.append("Enter a comment explaining your decision")
    if len(decision.comment) > MAX_COMMENT_LENGTH:
        problems.append(f"The comment must be {MAX_COMMENT_LENGTH:,} characters or fewer")
    if transition.conditions:
        if not decision.conditions:
            problems.append("Enter at least one condition")
        if len(decision.conditions) > MAX_CONDITIONS:
            problems.append(f"Enter at most {MAX_CONDITIONS} conditions")
    elif decision.conditions:
        problems.append("This decision does not take conditions")
    return problems


