"""Reminder emails about actions and reviews coming due or overdue, through the outbox, once a day each.

`eia reminders send` (cron) lists what is due within the window, then queues one email per
recipient per item per day: the sent-reminder key makes a second run that day send nothing more.
Overdue actions escalate: the department's approvers are reminded too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eia.extensions import db
from eia.models import Assessment, OutboundEmail, SentReminder, TrackedAction, User
from eia.services import audit, lifecycle, notifications
from eia.services.database import unit_of_work


@dataclass(frozen=True)
class Reminder:
    user_id: int
    kind: str  # "action" or "review"
    item_id: int
    subject: str
    body: str


def _when(due: date, day: date) -> str:
    due_text = f"{due.day} {due.strftime('%B %Y')}"
    if due < day:
        return f"overdue: it was due on {due_text}"
    return "due today" if due == day else f"due on {due_text}"


def _email(user: User, lead: str, detail: str, link: str) -> str:
    return f"Dear {user.name},\n\n{lead}\n\n{detail}\n{link}\n\nThis reminder was sent by Due Regard."


def due_reminders(day: date, window_days: int) -> list[Reminder]:
    """Every reminder due on ``day``: actions not done and reviews due by ``day`` + window, or overdue."""
    horizon = day + timedelta(days=window_days)
    reminders: list[Reminder] = []
    actions = db.session.scalars(
        select(TrackedAction)
        .where(TrackedAction.status != "done", TrackedAction.due_date.is_not(None), TrackedAction.due_date <= horizon)
        .order_by(TrackedAction.due_date, TrackedAction.id)
    )
    for action in actions:
        assessment = action.assessment
        recipients = (
            [action.owner]
            if action.owner is not None and action.owner.active
            else ([assessment.author] if assessment.author.active else [])
        )
        if action.due_date < day:  # escalation: the accountable officers hear of it too
            recipients += notifications.recipients("approver", assessment)
        when = _when(action.due_date, day)
        link = notifications.public_url("lifecycle.action", action_id=action.id)
        for user in {u.id: u for u in recipients}.values():
            reminders.append(
                Reminder(
                    user.id,
                    "action",
                    action.id,
                    f"{assessment.display_reference}: action {when}"[:300],
                    _email(
                        user,
                        f"An action from an equality impact assessment is {when}.",
                        f"{action.text}\nOwner: {action.owner_text}\n{assessment.display_reference}: {assessment.title}",
                        link,
                    ),
                )
            )
    for assessment in db.session.scalars(lifecycle.current_signed_off().order_by(Assessment.id)):
        review = lifecycle.review_date(assessment)
        if review is None or review > horizon or not assessment.author.active:
            continue
        when = _when(review, day)
        reminders.append(
            Reminder(
                assessment.author_id,
                "review",
                assessment.id,
                f"{assessment.display_reference}: review {when}"[:300],
                _email(
                    assessment.author,
                    f"The review of an equality impact assessment you wrote is {when}.",
                    f"{assessment.display_reference}: {assessment.title}",
                    notifications.public_url("main.assessment", assessment_id=assessment.id),
                ),
            )
        )
    return reminders


def queue(reminder: Reminder, day: date) -> bool:
    """Queue the email unless this person was already reminded of this item today. True if queued."""
    already = db.session.scalar(
        select(SentReminder.id).where(
            SentReminder.user_id == reminder.user_id,
            SentReminder.kind == reminder.kind,
            SentReminder.item_id == reminder.item_id,
            SentReminder.day == day,
        )
    )
    if already is not None:
        return False
    user = db.session.get(User, reminder.user_id)
    try:
        with unit_of_work():
            db.session.add(SentReminder(user_id=user.id, kind=reminder.kind, item_id=reminder.item_id, day=day))
            db.session.add(OutboundEmail(to_address=user.email, subject=reminder.subject, body=reminder.body))
            db.session.flush()  # a concurrent run that got here first fails the unique key here
            audit.record(
                "reminder.queued",
                object_type=reminder.kind,
                object_id=reminder.item_id,
                details={"to": user.email, "day": day.isoformat()},
            )
    except IntegrityError:
        return False
    return True
