"""Taking workflow actions on an assessment: submit, review, decide.

The engine (eia.domain.workflow) says whether an action is allowed in a state for a role and where
it routes; this module checks the named preconditions, records the transition with the rules that
fired, carries out the effects, and writes the audit event, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app

from eia.clock import uk_today
from eia.domain import questionnaire as q
from eia.domain.bindings import BOARD_CONDITION
from eia.domain.pdf import RenderError
from eia.domain.signing import SigningKeyError
from eia.domain.workflow import SOURCE_IDENTIFIERS, Outcome, State, TransitionRefused, decide, evaluate_rule_set
from eia.domain.workflow import Transition as WorkflowTransition
from eia.extensions import db
from eia.models import Assessment, Transition, User
from eia.models.types import utcnow
from eia.services import access, audit, legal, lifecycle, notifications
from eia.services.archive import archive_signed_off
from eia.services.assessments import answer_options, current_path
from eia.services.database import Conflict, NotAllowed, unit_of_work
from eia.services.definitions import definitions_of
from eia.services.search import index_assessment
from eia.services.storage import StorageError

MAX_COMMENT_LENGTH = 5000
MAX_CONDITIONS = 20
MAX_CONDITION_LENGTH = 2000  # a condition becomes an action on the plan, whose text allows 2,000
MAX_CONDITION_OWNER_LENGTH = 200
MAX_SECTION_REASONS = 100  # more than an assessment has sections, even with many characteristics
MAX_SECTION_REASON_LENGTH = 2000

# Where in the decision form a problem is: "comment", "conditions", "section-<task id>", or the
# form as a whole.
WHOLE_FORM = "decision"


class ActionRefused(Exception):
    """The action cannot be taken now. ``reasons`` are plain-English sentences for the user;
    ``fields`` says, for each, which part of the decision form it is about (``WHOLE_FORM`` if none)."""

    def __init__(self, reasons: list[str], fields: list[str] | None = None) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons
        self.fields = fields or [WHOLE_FORM] * len(reasons)


class SignOffFailed(Exception):
    """The signed record could not be made or stored; the whole decision was rolled back and can be retried."""


@dataclass(frozen=True)
class Condition:
    """A condition of an approval: it becomes an action on the plan, with an owner and a due date.
    Left blank, they are the senior responsible officer and the review date (``condition_defaults``)."""

    text: str
    owner: str = ""
    due_date: str | None = None  # ISO


@dataclass
class Decision:
    """What the person deciding typed."""

    comment: str = ""
    conditions: list[Condition] = field(default_factory=list)  # plain text: a condition with the defaults
    section_reasons: dict[str, str] = field(default_factory=dict)  # task id -> why it is returned

    def __post_init__(self) -> None:
        self.conditions = [c if isinstance(c, Condition) else Condition(c) for c in self.conditions]


def rule_resolver(assessment: Assessment, path: q.Path | None = None) -> q.AnswerResolver:
    """Resolves workflow rule operands for this assessment: answers, assessment and organisation."""
    path = path or current_path(assessment)
    return q.AnswerResolver(
        path.answers,
        path.characteristic_ids,
        extra={
            "assessment": {name: getattr(assessment, name) for name in SOURCE_IDENTIFIERS["assessment"]},
            "organisation": {"board_subject_types": list(assessment.organisation.board_subject_types or [])},
        },
    )


@dataclass(frozen=True)
class Escalation:
    """Where an action would send the assessment instead of its usual destination, and why."""

    to_state: State
    rules: tuple


def escalation_preview(assessment: Assessment, transition: WorkflowTransition) -> Escalation | None:
    """What taking ``transition`` now would escalate to ("this will go to the Board because ..."),
    or None when it would go the default way."""
    workflow = definitions_of(assessment).workflow
    resolve = rule_resolver(assessment)
    for route in transition.routes:
        if route.when_rule_set_fires is not None:
            rules = evaluate_rule_set(workflow, route.when_rule_set_fires, resolve)
            if rules:
                return Escalation(workflow.state(route.to), rules)
    return None


# --- preconditions named in the workflow's "requires" -------------------------------------------


def _questionnaire_complete(assessment: Assessment, actor: User) -> str | None:
    path = current_path(assessment)
    problems = q.submission_problems(path, answer_options(assessment, path), uk_today())
    if problems:
        return (
            f"The assessment is not finished: {len(problems)} thing(s) need finishing. Check your answers to see what."
        )
    return None


def _not_author(assessment: Assessment, actor: User) -> str | None:
    # The duty is non-delegable and personal (Brown 4): nobody signs off their own assessment.
    return "You cannot decide on an assessment you wrote" if assessment.author_id == actor.id else None


def _legal_checks_pass(assessment: Assessment, actor: User) -> str | None:
    blocking = [result for result in legal.evaluate(assessment) if result.blocks]
    if blocking:
        return (
            "The assessment fails the legal checks: "
            + "; ".join(f"{r.check.id} {r.check.label.lower()}" for r in blocking)
            + ". Check your answers to see what to change."
        )
    return None


# Keyed by eia.domain.workflow.REQUIREMENT_NAMES, the names the definition checker accepts.
REQUIREMENTS: dict[str, Callable[[Assessment, User], str | None]] = {
    "questionnaire_complete": _questionnaire_complete,
    "not_author": _not_author,
    "legal_checks_pass": _legal_checks_pass,
}


# --- effects named in the workflow's "effects" ----------------------------------------------------

Effect = Callable[[Assessment, User, Outcome, Decision], None]


def _notifier(role: str) -> Effect:
    def notify(assessment: Assessment, actor: User, outcome: Outcome, decision: Decision) -> None:
        state = definitions_of(assessment).workflow.state(outcome.to_state)
        message = f"{outcome.transition.done_label}. Status: {state.label}"
        notifications.notify(
            [u for u in notifications.recipients(role, assessment) if u.id != actor.id], assessment, message
        )

    return notify


def condition_defaults(assessment: Assessment) -> tuple[str, str | None]:
    """A condition's owner and due date unless the Board says otherwise: the senior responsible officer
    (else the assessment's author) and the review date (ISO, or None)."""
    bindings = definitions_of(assessment).questionnaire.bindings
    answers = assessment.answers or {}
    owner = bindings.senior_responsible_officer.value(answers) or assessment.author.name
    return owner, bindings.review_date.value(answers)


def _add_conditions_to_action_plan(assessment: Assessment, actor: User, outcome: Outcome, decision: Decision) -> None:
    bindings = definitions_of(assessment).questionnaire.bindings
    answers = assessment.answers or {}
    plan = dict(answers.get(bindings.action_plan.page_id, {"items": [], "done": True}))
    items = list(plan.get("items", []))
    default_owner, default_due = condition_defaults(assessment)
    for condition in decision.conditions:
        items.append(
            bindings.action_plan.new_item(
                action=f"Board condition: {condition.text}",
                characteristic="all",
                owner=condition.owner or default_owner,
                due_date=condition.due_date or default_due,
                source=BOARD_CONDITION,
            )
        )
    assessment.answers = {**answers, bindings.action_plan.page_id: {**plan, "items": items}}


def _archive(assessment: Assessment, actor: User, outcome: Outcome, decision: Decision) -> None:
    try:
        archive_signed_off(assessment, actor)
    except (StorageError, SigningKeyError, RenderError) as error:
        current_app.logger.error("sign-off of assessment %s failed: %s", assessment.id, error, exc_info=error)
        raise SignOffFailed(str(error)) from error


def _checkpoint_after_sign_off(assessment: Assessment) -> None:
    """Keep a checkpoint outside the database once a sign-off is committed (when a directory is configured):
    cutting the log back past a sign-off then shows. The sign-off stands even if this fails."""
    from eia.services import integrity

    if integrity.checkpoint_directory() is None:
        return
    try:
        integrity.write_checkpoint()
    except Exception as error:  # the decision is committed; the next checkpoint covers it
        current_app.logger.error(
            "checkpoint after sign-off of assessment %s failed: %s", assessment.id, error, exc_info=error
        )


def _record_legal_checks(assessment: Assessment, actor: User, outcome: Outcome, decision: Decision) -> None:
    """Store the legal checks' results with this transition; a signing-off one also checks the decision date."""
    signing_off = definitions_of(assessment).workflow.state(outcome.to_state).final
    results = legal.evaluate(assessment, signed_off_on=uk_today() if signing_off else None)
    transition = assessment.transitions[-1]
    transition.details = {**(transition.details or {}), "legal_checks": [r.record() for r in results]}


def _track_actions(assessment: Assessment, actor: User, outcome: Outcome, decision: Decision) -> None:
    lifecycle.track_actions(assessment, actor)


# Keyed by eia.domain.workflow.EFFECT_NAMES, the names the definition checker accepts.
EFFECTS: dict[str, Effect] = {
    "notify:author": _notifier("author"),
    "notify:approver": _notifier("approver"),
    "notify:board": _notifier("board"),
    "notify:adviser": _notifier("adviser"),
    "add_conditions_to_action_plan": _add_conditions_to_action_plan,
    "archive": _archive,
    "record_legal_checks": _record_legal_checks,
    "track_actions": _track_actions,
}


# --- taking an action -----------------------------------------------------------------------------


def available_actions(assessment: Assessment, user: User) -> list:
    """The transitions this user could take now (buttons to show); each is re-checked on POST."""
    if not access.can_view(user, assessment):
        return []
    workflow = definitions_of(assessment).workflow
    return [t for t in workflow.allowed_actions(assessment.status, user.roles) if _actor_fits(t.id, assessment, user)]


def overtaken_action(assessment: Assessment, user: User, action: str):
    """The transition this user could take in another state: their form was overtaken by someone else's action."""
    transition = definitions_of(assessment).workflow.transitions.get(action)
    if transition is None or not user.has_role(*transition.roles) or not access.can_view(user, assessment):
        return None
    return transition if _actor_fits(action, assessment, user) else None


def _actor_fits(action: str, assessment: Assessment, user: User) -> bool:
    # Authors act only on their own assessments; everyone else on those their acting role shows (access.acting_role).
    transition = definitions_of(assessment).workflow.transitions.get(action)
    return transition is None or access.acting_role(user, transition.roles, assessment) is not None


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
    workflow = definitions_of(assessment).workflow
    try:
        outcome = decide(workflow, assessment.status, action, actor.roles, rule_resolver(assessment))
    except TransitionRefused as refused:
        raise ActionRefused([refused.reason]) from None
    problems = [
        (WHOLE_FORM, reason)
        for name in outcome.transition.requires
        if (reason := REQUIREMENTS[name](assessment, actor))
    ]
    sections = {task.id: f"{task.section.title}: {task.title}" for task in current_path(assessment).tasks}
    problems += _decision_problems(outcome, decision, sections)
    if problems:
        raise ActionRefused([reason for _, reason in problems], [field for field, _ in problems])

    with unit_of_work():
        now = utcnow()
        assessment.status = outcome.to_state
        if outcome.transition.is_submission:
            assessment.submitted_at = now
        if workflow.state(outcome.to_state).final:
            assessment.decided_at = now
        fired = [{"id": rule.id, "label": rule.label} for rule in outcome.fired_rules]
        details: dict[str, Any] = {}
        if decision.conditions:
            details["conditions"] = [condition.text for condition in decision.conditions]
        if decision.section_reasons:
            details["sections"] = decision.section_reasons
        transition = Transition(
            assessment=assessment,
            action=action,
            from_state=outcome.from_state,
            to_state=outcome.to_state,
            actor=actor,
            actor_role=access.acting_role(actor, outcome.transition.roles, assessment),
            at=now,
            comment=decision.comment or None,
            fired_rules=fired,
            details=details,
        )
        db.session.add(transition)
        db.session.flush()  # version check: a concurrent decision loses here
        for effect in outcome.effects:
            EFFECTS[effect](assessment, actor, outcome, decision)
        index_assessment(assessment)
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
                **transition.details,  # as effects left them (the legal checks' results, say)
            },
        )
    if any(EFFECTS[effect] is _archive for effect in outcome.effects):
        _checkpoint_after_sign_off(assessment)
    notifications.send_soon()
    return outcome


def _condition_problems(conditions) -> list[tuple[str, str]]:
    """What is wrong with the conditions a decision attaches, as (field, message) pairs."""
    problems: list[tuple[str, str]] = []
    if not conditions:
        problems.append(("conditions", "Enter at least one condition"))
    if len(conditions) > MAX_CONDITIONS:
        problems.append(("conditions", f"Enter at most {MAX_CONDITIONS} conditions (you entered {len(conditions)})"))
    for number, condition in enumerate(conditions, start=1):
        if len(condition.text) > MAX_CONDITION_LENGTH:
            problems.append(
                (
                    f"conditions-{number}-text",
                    f"Condition {number} must be {MAX_CONDITION_LENGTH:,} "
                    f"characters or fewer (you entered {len(condition.text):,})",
                )
            )
        if len(condition.owner) > MAX_CONDITION_OWNER_LENGTH:
            problems.append(
                (
                    f"conditions-{number}-owner",
                    f"The owner of condition {number} must be {MAX_CONDITION_OWNER_LENGTH} characters or fewer",
                )
            )
        if condition.due_date is not None and not _is_iso_date(condition.due_date):
            problems.append((f"conditions-{number}-due", f"The due date of condition {number} must be a real date"))
    return problems


def _decision_problems(outcome: Outcome, decision: Decision, sections: Mapping[str, str]) -> list[tuple[str, str]]:
    """What is wrong with what the person deciding typed, as (field, message) pairs.
    ``sections`` maps the assessment's task ids to their names."""
    transition = outcome.transition
    problems: list[tuple[str, str]] = []
    comment = decision.comment.strip()
    if transition.comment == "none":
        if comment:
            problems.append((WHOLE_FORM, f"{transition.label} does not take a comment"))
        if decision.section_reasons:
            problems.append((WHOLE_FORM, f"{transition.label} does not take reasons for sections"))
    elif transition.comment == "required" and not comment and not decision.section_reasons:
        problems.append(("comment", "Enter a comment explaining your decision"))
    if len(decision.comment) > MAX_COMMENT_LENGTH:
        problems.append(
            (
                "comment",
                f"The comment must be {MAX_COMMENT_LENGTH:,} characters or fewer "
                f"(you entered {len(decision.comment):,})",
            )
        )
    if transition.conditions:
        problems += _condition_problems(decision.conditions)
    elif decision.conditions:
        problems.append((WHOLE_FORM, "This decision does not take conditions"))
    if len(decision.section_reasons) > MAX_SECTION_REASONS:
        problems.append((WHOLE_FORM, f"Give reasons for at most {MAX_SECTION_REASONS} sections"))
        return problems
    if unknown := set(decision.section_reasons) - set(sections):
        problems.append(
            (WHOLE_FORM, f"There is no section {', '.join(sorted(unknown))} in this assessment to give reasons for")
        )
    for task_id, name in sections.items():
        reason = decision.section_reasons.get(task_id, "")
        if len(reason) > MAX_SECTION_REASON_LENGTH:
            problems.append(
                (
                    f"section-{task_id}",
                    f"The reason for {name} must be {MAX_SECTION_REASON_LENGTH:,} "
                    f"characters or fewer (you entered {len(reason):,})",
                )
            )
    return problems


def _is_iso_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
