"""Where an assessment has just got to, told to the people concerned: the receipt after a submission,
the decision that returned it to its author, and a decision the person has already taken (a repeated
form post, which must create nothing twice and is not "someone else acted")."""

from __future__ import annotations

from dataclasses import dataclass

from eia.domain.workflow import State
from eia.models import Assessment, Transition, User
from eia.services import notifications
from eia.services.definitions import definitions_of


def _latest(assessment: Assessment) -> Transition | None:
    return assessment.transitions[-1] if assessment.transitions else None


def latest_return(assessment: Assessment) -> Transition | None:
    """The decision that returned the assessment, if that is why it is where it is now."""
    latest = _latest(assessment)
    if latest is None or latest.to_state != assessment.status:
        return None
    transition = definitions_of(assessment).workflow.transitions.get(latest.action)
    return latest if transition is not None and transition.takes_section_reasons else None


@dataclass(frozen=True)
class Receipt:
    """What the author is told once they have submitted: where it is now and who looks at it next."""

    state: State
    reviewers: list[User]


def submission_receipt(assessment: Assessment, user: User) -> Receipt | None:
    """The receipt for ``user``'s submission of ``assessment``, while it is still where that put it."""
    latest = _latest(assessment)
    if latest is None or latest.actor_id != user.id or latest.to_state != assessment.status:
        return None
    workflow = definitions_of(assessment).workflow
    transition = workflow.transitions.get(latest.action)
    if transition is None or not transition.is_submission:
        return None
    state = workflow.state(assessment.status)
    reviewers = [u for u in notifications.recipients(state.queue, assessment) if u.id != user.id] if state.queue else []
    return Receipt(state, reviewers)


def already_taken(assessment: Assessment, user: User, action: str) -> Transition | None:
    """The step ``user`` took last on this assessment, if it was ``action``: a second post of the same form."""
    latest = _latest(assessment)
    return latest if latest is not None and latest.actor_id == user.id and latest.action == action else None
