"""In-app notifications and email, queued in the caller's transaction and sent after commit."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from eia.extensions import db
from eia.models import Assessment, Notification, OutboundEmail, User
from eia.models.types import utcnow

MAX_ATTEMPTS = 10


def recipients(role: str, assessment: Assessment) -> list[User]:
    """Who a "notify:<role>" effect reaches: the author, the department's approvers, or the Board."""
    if role == "author":
        return [assessment.author] if assessment.author.active else []
    query = select(User).where(
        User.organisation_id == assessment.organisation_id, User.role == role, User.active.is_(True)
    )
    if role == "approver":
        query = query.where(User.department_id == assessment.department_id)
    return list(db.session.scalars(query.order_by(User.id)))


def notify(users: list[User], assessment: Assessment, message: str) -> None:
    """Queue an in-app notification and an email for each user (inside the current transaction)."""
    link = public_url("main.assessment", assessment_id=assessment.id)
    for user in users:
        db.session.add(Notification(user_id=user.id, assessment_id=assessment.id, message=message))
        db.session.add(
            OutboundEmail(
                to_address=user.email,
                subject=f"{assessment.display_reference}: {message}"[:300],
                body=f"Dear {user.name},\n\n{message}\n\n{assessment.display_reference}: {assessment.title}\n{link}\n\n"
                "This message was sent by Due Regard.",
            )
        )


def public_url(endpoint: str, **values) -> str:
    """An absolute link for emails: works outside a request (CLI, background jobs) too."""
    path = current_app.url_map.bind("").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def send_pending(limit: int = 100) -> tuple[int, int]:
    """Send queued emails. Returns (sent, failed). A failure is kept for the next run."""
    config = current_app.config
    if not config["MAIL_ENABLED"]:
        return 0, 0
    pending = db.session.scalars(
        select(OutboundEmail)
        .where(OutboundEmail.sent_at.is_(None), OutboundEmail.attempts < MAX_ATTEMPTS)
        .order_by(OutboundEmail.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    if not pending:
        return sent, failed
    try:
        smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10)
    except OSError as error:
        for email in pending:
            email.attempts += 1
            email.last_error = f"cannot connect to {config['SMTP_HOST']}:{config['SMTP_PORT']}: {error}"[:500]
        db.session.commit()
        return 0, len(pending)
    with smtp:
        for email in pending:
            message = EmailMessage()
            message["From"] = config["MAIL_FROM"]
            message["To"] = email.to_address
            message["Subject"] = email.subject
            message.set_content(email.body)
            email.attempts += 1
            try:
                smtp.send_message(message)
            except smtplib.SMTPException as error:
                email.last_error = str(error)[:500]
                failed += 1
            else:
                email.sent_at = utcnow()
                email.last_error = None
                sent += 1
            db.session.commit()  # one email's outcome never depends on the next one's
    return sent, failed


def unread_count(user: User) -> int:
    from sqlalchemy import func

    return db.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ) or 0
