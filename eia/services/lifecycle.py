"""After sign-off: the action plan becomes tracked actions, and review dates come round."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from eia.domain.capabilities import REVIEW_DEPARTMENT_SUBMISSIONS
from eia.extensions import db
from eia.models import ACTION_STATUSES, ActionNote, Assessment, TrackedAction, User
from eia.services import access, audit
from eia.services.assessments import current_path
from eia.services.database import Conflict, NotAllowed, unit_of_work
from eia.services.definitions import current_definitions, definitions_of, signed_off

DEFAULT_WINDOW_DAYS = 14
MAX_NOTE_LENGTH = 5000


class UpdateRefused(Exception):
    """Bad input for a status update; ``errors`` maps a field to its message. Nothing was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


# --- tracking the action plan ---------------------------------------------------------------------


def track_actions(assessment: Assessment, actor: User) -> list[TrackedAction]:
    """Turn the signed-off plan (Board conditions included) into tracked actions, in the sign-off transaction."""
    path = current_path(assessment)
    plan = definitions_of(assessment).questionnaire.bindings.action_plan
    items = plan.items(path.answers) if path.page(plan.page_id) else []
    tracked = []
    for position, item in enumerate(items, start=1):
        owner_text = item.owner.strip()
        action = TrackedAction(
            organisation_id=assessment.organisation_id,
            assessment=assessment,
            position=position,
            text=item.action,
            characteristic=item.characteristic or "all",
            owner_text=owner_text,
            owner=_matching_user(assessment.organisation_id, owner_text),
            due_date=date.fromisoformat(item.due_date) if item.due_date else None,
            status="open",
            source=item.source or "plan",
        )
        db.session.add(action)
        tracked.append(action)
    db.session.flush()
    if tracked:
        audit.record(
            "assessment.actions_tracked",
            actor=actor,
            object_type="assessment",
            object_id=assessment.id,
            details={"actions": [a.id for a in tracked]},
        )
    return tracked


def _matching_user(organisation_id: int, owner_text: str) -> User | None:
    """The organisation's one active user whose name or email is the owner as typed, if there is exactly one."""
    if not owner_text:
        return None
    wanted = owner_text.lower()
    matches = db.session.scalars(
        select(User).where(
            User.organisation_id == organisation_id,
            User.active.is_(True),
            (func.lower(User.name) == wanted) | (func.lower(User.email) == wanted),
        )
    ).all()
    return matches[0] if len(matches) == 1 else None


# --- the actions list and status updates ----------------------------------------------------------


@dataclass
class ActionLists:
    overdue: list[TrackedAction]
    due_soon: list[TrackedAction]
    open_later: list[TrackedAction]
    done: list[TrackedAction]


def action_lists(user: User, today: date, window_days: int = DEFAULT_WINDOW_DAYS) -> ActionLists:
    query = access.visible_actions(user).order_by(TrackedAction.due_date, TrackedAction.id)
    lists = ActionLists([], [], [], [])
    for action in db.session.scalars(query):
        lists_for = _bucket(action, today, window_days)
        getattr(lists, lists_for).append(action)
    return lists


def _bucket(action: TrackedAction, today: date, window_days: int) -> str:
    if action.status == "done":
        return "done"
    if action.due_date is not None and action.due_date < today:
        return "overdue"
    if action.due_date is not None and action.due_date <= today + timedelta(days=window_days):
        return "due_soon"
    return "open_later"


def characteristic_label(characteristic_id: str) -> str:
    if characteristic_id == "all":
        return "All characteristics"
    found = current_definitions().questionnaire.characteristics.get(characteristic_id)
    return found.name if found else characteristic_id


def is_overdue(action: TrackedAction, today: date) -> bool:
    return _bucket(action, today, 0) == "overdue"


def get_action(user: User, action_id: int) -> TrackedAction:
    action = db.session.scalar(access.visible_actions(user).where(TrackedAction.id == action_id))
    if action is None:
        raise NotAllowed("No such action")
    return action


def update_action(
    action: TrackedAction, user: User, submitted: Mapping[str, Any], expected_version: int | None
) -> None:
    """Change the status with a note saying why; version-checked and audited."""
    if not access.can_update_action(user, action):
        raise NotAllowed("You cannot update this action")
    status = (submitted.get("status") or "").strip()
    note = (submitted.get("note") or "").replace("\r\n", "\n").strip()
    errors = {}
    if status not in ACTION_STATUSES:
        errors["status"] = "Select the status of the action"
    if not note:
        errors["note"] = "Enter a note saying what has been done"
    elif len(note) > MAX_NOTE_LENGTH:
        errors["note"] = f"The note must be {MAX_NOTE_LENGTH:,} characters or fewer (you entered {len(note):,})"
    elif any(ord(c) < 32 and c != "\n" for c in note):
        errors["note"] = "The note must not contain control characters"
    if errors:
        raise UpdateRefused(errors)
    if expected_version != action.lock_version:
        raise Conflict()
    with unit_of_work():
        previous = action.status
        db.session.add(ActionNote(action=action, author_id=user.id, from_status=previous, to_status=status, text=note))
        action.status = status
        db.session.flush()  # the version check happens here
        audit.record(
            "action.updated",
            actor=user,
            object_type="action",
            object_id=action.id,
            details={"assessment_id": action.assessment_id, "from": previous, "to": status, "note": note},
        )


# --- reviews --------------------------------------------------------------------------------------


def current_signed_off() -> Select:
    """Signed-off assessments that no later version has replaced (a revision names its predecessor)."""
    # Uncorrelated: evaluated once, not per row (previous_version_id has no index).
    newer = aliased(Assessment)
    replaced = select(newer.previous_version_id).where(newer.previous_version_id.is_not(None))
    return select(Assessment).where(signed_off(), Assessment.id.not_in(replaced))


def review_date(assessment: Assessment) -> date | None:
    value = definitions_of(assessment).questionnaire.bindings.review_date.value(assessment.answers or {})
    return date.fromisoformat(value) if value else None


@dataclass
class DueReview:
    assessment: Assessment
    review_date: date
    overdue: bool


def reviews_due(user: User, today: date, window_days: int = DEFAULT_WINDOW_DAYS) -> list[DueReview]:
    """Reviews due within the window or overdue: an author's own, an approver's department's, else the organisation's."""
    query = current_signed_off().where(
        Assessment.id.in_(access.visible_assessments(user).with_only_columns(Assessment.id))
    )
    if not (user.can(REVIEW_DEPARTMENT_SUBMISSIONS) or access.sees_whole_organisation(user)):
        query = query.where(Assessment.author_id == user.id)
    return due_reviews_in(db.session.scalars(query), today, window_days)


def due_reviews_in(assessments, today: date, window_days: int) -> list[DueReview]:
    horizon = today + timedelta(days=window_days)
    due = [DueReview(a, day, day < today) for a in assessments if (day := review_date(a)) and day <= horizon]
    return sorted(due, key=lambda r: (r.review_date, r.assessment.id))
