"""Work queues and the Board's digest of delegated approvals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased, defer, joinedload, load_only

from eia.domain.capabilities import DECIDE_REFERRALS, OVERSEE_DELEGATED_APPROVALS, REVIEW_DEPARTMENT_SUBMISSIONS
from eia.extensions import db
from eia.models import Assessment, Transition, User
from eia.models.assessment import LIST_COLUMNS
from eia.services import access
from eia.services.definitions import in_queue_of, signed_off


def approver_queue(user: User) -> list[Assessment]:
    query = (
        access.visible_assessments(user, through=REVIEW_DEPARTMENT_SUBMISSIONS)
        .where(in_queue_of("approver"))
        .order_by(Assessment.submitted_at)
        .options(load_only(*LIST_COLUMNS), joinedload(Assessment.department), joinedload(Assessment.author))
    )
    return list(db.session.scalars(query))


def board_queue(user: User) -> list[tuple[Assessment, Transition | None]]:
    """Each item with the transition that sent it to the Board (its fired rules say why)."""
    query = (
        access.visible_assessments(user, through=DECIDE_REFERRALS)
        .where(in_queue_of("board"))
        .order_by(Assessment.updated_at)
        .options(load_only(*LIST_COLUMNS), joinedload(Assessment.department), joinedload(Assessment.author))
    )
    items = list(db.session.scalars(query))
    # Only the transitions that sent each item to the Board, without their details (the legal checks
    # recorded with them are the largest part of a transition, and the queue does not show them).
    sent = (
        select(Transition)
        .join(Assessment, Assessment.id == Transition.assessment_id)
        .where(Transition.assessment_id.in_([a.id for a in items]), in_queue_of("board", Transition.to_state))
    )
    latest = {
        t.assessment_id: t
        for t in db.session.scalars(sent.options(defer(Transition.details)).order_by(Transition.at, Transition.id))
    }
    return [(a, latest.get(a.id)) for a in items]


def delegated_approvals(user: User, start: datetime, end: datetime) -> list[tuple[Assessment, Transition]]:
    """Assessments signed off in [start, end) without ever going to the Board (approval by exception)."""
    to_board = aliased(Transition)
    went_to_board = (
        exists()
        .where(and_(to_board.assessment_id == Assessment.id, in_queue_of("board", to_board.to_state)))
        .correlate(Assessment)
    )
    query = (
        access.visible_assessments(user, through=OVERSEE_DELEGATED_APPROVALS)
        .join(Transition, Transition.assessment_id == Assessment.id)
        .where(
            signed_off(Transition.to_state),
            Transition.at >= start,
            Transition.at < end,
            ~went_to_board,
        )
        .order_by(Transition.at.desc())
        .add_columns(Transition)
    )
    return [(row[0], row[1]) for row in db.session.execute(query)]
