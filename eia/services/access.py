"""Who may see and do what: object-level authorisation, in one place.

Organisations share nothing. Within one: authors see their own assessments and their department's;
approvers their department's; the Board, auditors and admins the whole organisation's.
"""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from eia.models import Assessment, TrackedAction, User
from eia.services import assessments

ORGANISATION_WIDE_ROLES = frozenset({"board", "auditor", "admin"})


def visible_assessments(user: User) -> Select:
    query = select(Assessment).where(Assessment.organisation_id == user.organisation_id)
    if user.role in ORGANISATION_WIDE_ROLES:
        return query
    if user.role == "author":
        conditions = [Assessment.author_id == user.id]
        if user.department_id is not None:
            conditions.append(Assessment.department_id == user.department_id)
        return query.where(or_(*conditions))
    if user.role == "approver":
        if user.department_id is None:
            return query.where(False)
        return query.where(Assessment.department_id == user.department_id)
    return query.where(False)


def can_view(user: User, assessment: Assessment) -> bool:
    if assessment.organisation_id != user.organisation_id:
        return False
    if user.role in ORGANISATION_WIDE_ROLES:
        return True
    if user.role == "author":
        return assessment.author_id == user.id or (
            user.department_id is not None and assessment.department_id == user.department_id
        )
    if user.role == "approver":
        return user.department_id is not None and assessment.department_id == user.department_id
    return False


def can_edit_answers(user: User, assessment: Assessment) -> bool:
    """Only the author edits, and only while the workflow state allows it (draft, returned)."""
    return user.role == "author" and assessment.author_id == user.id and assessments.author_can_edit(assessment)


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
    if user.role == "author":
        return assessment.author_id == user.id
    if user.role == "approver":
        return user.department_id is not None and assessment.department_id == user.department_id
    return False
