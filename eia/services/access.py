"""Who may see and do what: object-level authorisation, in one place.

Organisations share nothing. Within one, what a person may see follows from their capabilities
(eia.domain.capabilities) and facts about the assessment: whoever wrote it sees it; those who may see
their department's assessments see those of their department; those who may see the organisation's
see all of them. A person with several roles sees what any of them would.
"""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from eia.domain.capabilities import (
    REVIEW_DEPARTMENT_SUBMISSIONS,
    VIEW_DEPARTMENT_ASSESSMENTS,
    VIEW_ORGANISATION_ASSESSMENTS,
    WRITE_ASSESSMENTS,
)
from eia.models import Assessment, TrackedAction, User
from eia.services import assessments


def sees_whole_organisation(user: User) -> bool:
    return user.can(VIEW_ORGANISATION_ASSESSMENTS)


def _in_department(user: User, assessment: Assessment) -> bool:
    return user.department_id is not None and assessment.department_id == user.department_id


def visible_assessments(user: User) -> Select:
    query = select(Assessment).where(Assessment.organisation_id == user.organisation_id)
    if sees_whole_organisation(user):
        return query
    conditions = [Assessment.author_id == user.id]
    if user.can(VIEW_DEPARTMENT_ASSESSMENTS) and user.department_id is not None:
        conditions.append(Assessment.department_id == user.department_id)
    return query.where(or_(*conditions))


def can_view(user: User, assessment: Assessment) -> bool:
    if assessment.organisation_id != user.organisation_id:
        return False
    return (sees_whole_organisation(user) or assessment.author_id == user.id
            or (user.can(VIEW_DEPARTMENT_ASSESSMENTS) and _in_department(user, assessment)))


def can_edit_answers(user: User, assessment: Assessment) -> bool:
    """Only its author edits, and only while the workflow state allows it (draft, returned)."""
    return user.can(WRITE_ASSESSMENTS) and assessment.author_id == user.id and assessments.author_can_edit(assessment)


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
    return ((user.can(WRITE_ASSESSMENTS) and assessment.author_id == user.id)
            or (user.can(REVIEW_DEPARTMENT_SUBMISSIONS) and _in_department(user, assessment)))
