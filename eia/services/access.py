"""Who may see and do what: object-level authorisation, in one place.

Organisations share nothing. Within one, what a person may see follows from their capabilities
(eia.domain.capabilities) and facts about the assessment: those who write assessments see the ones
they wrote; those who may see their department's assessments see those of their department; those
who may see the organisation's see all of them. A person with several roles sees what any of them would.

Where a person acts in one role (a queue of work, a workflow transition), only what that role shows
counts: an approver who also sits on the Board reviews their own department's submissions, not every
department's because the Board sees them all.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, false, or_, select

from eia.domain.capabilities import (
    REVIEW_DEPARTMENT_SUBMISSIONS,
    VIEW_DEPARTMENT_ASSESSMENTS,
    VIEW_ORGANISATION_ASSESSMENTS,
    WRITE_ASSESSMENTS,
    capabilities_of,
    role_can,
)
from eia.models import Assessment, TrackedAction, User
from eia.services.definitions import definitions_of


def _held(user: User, through: str | None) -> frozenset[str]:
    """The person's capabilities; with ``through``, only those of their roles that carry that capability."""
    roles: Iterable[str] = user.roles if through is None else (r for r in user.roles if role_can(r, through))
    return capabilities_of(roles)


def sees_whole_organisation(user: User) -> bool:
    return user.can(VIEW_ORGANISATION_ASSESSMENTS)


def visible_assessments(user: User, *, through: str | None = None) -> Select:
    """The assessments this person sees; ``through`` a capability: those the roles carrying it show (a queue)."""
    held = _held(user, through)
    query = select(Assessment).where(Assessment.organisation_id == user.organisation_id)
    if VIEW_ORGANISATION_ASSESSMENTS in held:
        return query
    conditions = [false()]
    if WRITE_ASSESSMENTS in held:
        conditions.append(Assessment.author_id == user.id)
    if VIEW_DEPARTMENT_ASSESSMENTS in held and user.department_id is not None:
        conditions.append(Assessment.department_id == user.department_id)
    return query.where(or_(*conditions))


def can_view(user: User, assessment: Assessment, *, through: str | None = None) -> bool:
    return _sees(user, assessment, _held(user, through))


def _sees(user: User, assessment: Assessment, held: frozenset[str]) -> bool:
    if assessment.organisation_id != user.organisation_id:
        return False
    return (
        VIEW_ORGANISATION_ASSESSMENTS in held
        or (WRITE_ASSESSMENTS in held and assessment.author_id == user.id)
        or (VIEW_DEPARTMENT_ASSESSMENTS in held and _in_department(user, assessment))
    )


def _in_department(user: User, assessment: Assessment) -> bool:
    return user.department_id is not None and assessment.department_id == user.department_id


def acting_role(user: User, roles: Iterable[str], assessment: Assessment) -> str | None:
    """The role ``user`` takes a workflow transition in: the first of its ``roles`` they hold that lets them
    act on this assessment. A role that writes assessments acts on the person's own; any other on what
    that role alone shows. None: they may not take it here."""
    for role in roles:
        if not user.has_role(role):
            continue
        held = capabilities_of([role])
        if WRITE_ASSESSMENTS in held:
            if assessment.author_id == user.id and assessment.organisation_id == user.organisation_id:
                return role
        elif _sees(user, assessment, held):
            return role
    return None


def is_its_author(user: User, assessment: Assessment) -> bool:
    return (
        user.can(WRITE_ASSESSMENTS)
        and assessment.author_id == user.id
        and user.organisation_id == assessment.organisation_id
    )


def in_editable_state(assessment: Assessment) -> bool:
    """Whether the assessment's own workflow lets its author change answers in its state (draft, returned)."""
    return definitions_of(assessment).workflow.state(assessment.status).author_can_edit


def can_edit_answers(user: User, assessment: Assessment) -> bool:
    """Only its author edits, and only while the workflow state allows it."""
    return is_its_author(user, assessment) and in_editable_state(assessment)


def visible_actions(user: User) -> Select:
    """Tracked actions of the assessments this user can see, and those they own."""
    visible_ids = visible_assessments(user).with_only_columns(Assessment.id)
    return select(TrackedAction).where(
        TrackedAction.organisation_id == user.organisation_id,
        or_(TrackedAction.assessment_id.in_(visible_ids), TrackedAction.owner_id == user.id),
    )


def can_update_action(user: User, action: TrackedAction) -> bool:
    """The action's owner, the assessment's author and their department's approvers update its status."""
    if action.organisation_id != user.organisation_id or not user.active:
        return False
    if action.owner_id == user.id:
        return True
    assessment = action.assessment
    return (user.can(WRITE_ASSESSMENTS) and assessment.author_id == user.id) or (
        user.can(REVIEW_DEPARTMENT_SUBMISSIONS) and _in_department(user, assessment)
    )
