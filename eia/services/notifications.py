"""In-app notifications and email: queued in the caller's transaction (outbox), sent after the response
or from cron, never inside the decision."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import after_this_request, current_app, has_request_context
from sqlalchemy import func, or_, select, update

from eia.domain.capabilities import VIEW_ORGANISATION_ASSESSMENTS, WRITE_ASSESSMENTS, role_can
from eia.extensions import db
from eia.models import Assessment, Notification, OutboundEmail, User, UserRole
from eia.models.types import utcnow

MAX_ATTEMPTS = 10
# A claim this old belongs to a sender that died mid-send: another may take the email over.
CLAIM_TIMEOUT = timedelta(minutes=10)


def recipients(role: str, assessment: Assessment) -> list[User]:
    """Who a "notify:<role>" effect reaches: for a role that writes assessments, the assessment's author;
    otherwise the active holders of the role who can see it (the department's approvers, the Board)."""
    if role_can(role, WRITE_ASSESSMENTS):
        return [assessment.author] if assessment.author.active else []
    query = (
        select(User)
        .join(UserRole)
        .where(User.organisation_id == assessment.organisation_id, UserRole.role == role, User.active.is_(True))
    )
    if not role_can(role, VIEW_ORGANISATION_ASSESSMENTS):
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


def send_soon() -> None:
    """Send what the caller just queued without making anyone wait for, or fail because of, SMTP.

    Serving a request, the email goes after the response has been sent (werkzeug calls
    ``call_on_close`` once the body is out); elsewhere (CLI, jobs) it goes now. Either way a failure
    only leaves the email queued for `eia mail send`.
    """
    app = current_app._get_current_object()
    if not app.config["MAIL_ENABLED"]:
        return
    if not has_request_context():
        _send_quietly(app)
        return

    @after_this_request
    def _after(response):
        response.call_on_close(lambda: _send_quietly(app))
        return response


def _send_quietly(app) -> None:
    with app.app_context():
        try:
            send_pending()
        except Exception:  # noqa: BLE001  the email stays queued; the decision it reports already stands
            app.logger.exception("sending queued email failed; `eia mail send` will retry")


def retry_delay(attempts: int) -> timedelta:
    """Back off: 1, 2, 4 ... minutes after each failed attempt, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=6))


def _due(now, *, ignore_backoff: bool):
    conditions = [
        OutboundEmail.sent_at.is_(None),
        OutboundEmail.attempts < MAX_ATTEMPTS,
        or_(OutboundEmail.claimed_at.is_(None), OutboundEmail.claimed_at < now - CLAIM_TIMEOUT),
    ]
    if not ignore_backoff:
        conditions.append(or_(OutboundEmail.next_attempt_at.is_(None), OutboundEmail.next_attempt_at <= now))
    return conditions


def _claim(email_id: int, now) -> OutboundEmail | None:
    """Claim one email with a single conditional UPDATE: of two senders, exactly one gets it.

    (A concurrent UPDATE on PostgreSQL waits for the first to commit, then re-checks the condition.)
    """
    result = db.session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.id == email_id,
            OutboundEmail.sent_at.is_(None),
            or_(OutboundEmail.claimed_at.is_(None), OutboundEmail.claimed_at < now - CLAIM_TIMEOUT),
        )
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return db.session.get(OutboundEmail, email_id, populate_existing=True) if result.rowcount == 1 else None


def _failed(email: OutboundEmail, error: str) -> None:
    email.attempts += 1
    email.last_error = error[:500]
    email.next_attempt_at = utcnow() + retry_delay(email.attempts)
    email.claimed_at = None
    db.session.commit()


def send_pending(limit: int = 100, *, ignore_backoff: bool = False) -> tuple[int, int]:
    """Send queued emails that are due. Returns (sent, failed); a failure waits for its next attempt.

    Every SMTP or network failure is caught and recorded on the email (attempts, error, when to
    retry); nothing here raises because the mail server is down, slow or refusing.
    """
    config = current_app.config
    if not config["MAIL_ENABLED"]:
        return 0, 0
    now = utcnow()
    due = db.session.scalars(
        select(OutboundEmail.id)
        .where(*_due(now, ignore_backoff=ignore_backoff))
        .order_by(OutboundEmail.id)
        .limit(limit)
    ).all()
    db.session.commit()  # end the read, so each claim below is its own short write
    sent = failed = 0
    smtp: smtplib.SMTP | None = None
    connect_error: str | None = None
    try:
        for email_id in due:
            email = _claim(email_id, utcnow())  # a fresh time: a long batch's later claims are not born stale
            if email is None:
                continue  # another sender has it
            if smtp is None and connect_error is None:
                try:
                    smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config.get("SMTP_TIMEOUT", 5))
                except (OSError, smtplib.SMTPException) as error:
                    connect_error = f"cannot connect to {config['SMTP_HOST']}:{config['SMTP_PORT']}: {error}"
            if connect_error is not None:
                _failed(email, connect_error)
                failed += 1
                continue
            try:
                smtp.send_message(_message(email, config["MAIL_FROM"]))
            except (OSError, smtplib.SMTPException) as error:
                _failed(email, f"{type(error).__name__}: {error}")
                failed += 1
            else:
                email.attempts += 1
                email.sent_at = utcnow()
                email.last_error = None
                email.claimed_at = None
                db.session.commit()  # one email's outcome never depends on the next one's
                sent += 1
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
    return sent, failed


def _message(email: OutboundEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message.set_content(email.body)
    return message


def queue_status() -> dict[str, int]:
    """How many emails are waiting, and how many were given up after MAX_ATTEMPTS."""
    waiting = (
        db.session.scalar(
            select(func.count())
            .select_from(OutboundEmail)
            .where(OutboundEmail.sent_at.is_(None), OutboundEmail.attempts < MAX_ATTEMPTS)
        )
        or 0
    )
    given_up = (
        db.session.scalar(
            select(func.count())
            .select_from(OutboundEmail)
            .where(OutboundEmail.sent_at.is_(None), OutboundEmail.attempts >= MAX_ATTEMPTS)
        )
        or 0
    )
    return {"waiting": waiting, "given_up": given_up}


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )
