"""Server-side sessions (OWASP ASVS 7.x): sign-out, password change and deactivation really end them.

The browser's cookie holds a random token; the database holds its SHA-256 with the user, times and
a short user-agent summary. Every request checks the row: revoked, idle too long or simply too old
means signed out. Callers run these inside their own unit of work, except ``load``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from eia.extensions import db
from eia.models import User, UserSession
from eia.models.types import utcnow
from eia.services import audit
from eia.services.database import unit_of_work

# Recording "last seen" on every request would turn every page view into a write; a minute's
# resolution is plenty for a 30-minute idle timeout.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)

# How a session was signed in (UserSession.authenticated_by); the second factor adds its own two.
BY_PASSWORD = "password"
BY_SINGLE_SIGN_ON = "single sign-on"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_agent_summary(user_agent: str | None) -> str:
    """Enough to recognise a browser in a list of sessions; never the whole header."""
    printable = "".join(c for c in (user_agent or "") if c.isprintable())
    return printable[:120]


def start(user: User, user_agent: str | None, authenticated_by: str = BY_PASSWORD) -> str:
    """A new session for ``user`` (inside the caller's unit of work); returns the cookie token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(
            token_hash=_hash(token),
            user=user,
            created_at=now,
            last_seen_at=now,
            user_agent=user_agent_summary(user_agent),
            authenticated_by=authenticated_by,
        )
    )
    user.session_token, user.session_authenticated_by = token, authenticated_by
    return token


def mark(token: str | None, authenticated_by: str) -> None:
    """Record that the session ``token`` has now proved more (a second factor set up in it)."""
    if token:
        db.session.execute(
            update(UserSession).where(UserSession.token_hash == _hash(token)).values(authenticated_by=authenticated_by)
        )


def signed_in_since(token: str | None) -> datetime | None:
    """When the session ``token`` was signed in (None: no such session)."""
    row = db.session.get(UserSession, _hash(token)) if token else None
    return row.created_at if row is not None else None


def is_current(row: UserSession, user: User) -> bool:
    return bool(user.session_token) and row.token_hash == _hash(user.session_token)


def live_sessions(user: User) -> list[UserSession]:
    """``user``'s sessions that still work, newest first."""
    now = utcnow()
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.created_at.desc())
    )
    return [row for row in rows if expiry_reason(row, now) is None]


def revoke_one(user: User, token_hash: str, reason: str) -> bool:
    """End ``user``'s session ``token_hash`` (inside the caller's unit of work); False if there is no such live one."""
    return (
        db.session.execute(
            update(UserSession)
            .where(
                UserSession.token_hash == token_hash, UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
            )
            .values(revoked_at=utcnow(), revoked_reason=reason)
        ).rowcount
        == 1
    )


def revoke(token: str | None, reason: str) -> None:
    if token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _hash(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason=reason)
        )


def revoke_all(user: User, reason: str, *, keep: str | None = None) -> int:
    """End every live session of ``user`` (except the one whose token is ``keep``); returns how many."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep:
        query = query.where(UserSession.token_hash != _hash(keep))
    return db.session.execute(query.values(revoked_at=utcnow(), revoked_reason=reason)).rowcount


def expiry_reason(row: UserSession, now: datetime) -> str | None:
    config = current_app.config
    if now - row.created_at >= config["SESSION_ABSOLUTE_TIMEOUT"]:
        return "absolute timeout"
    if now - row.last_seen_at >= config["SESSION_IDLE_TIMEOUT"]:
        return "idle timeout"
    return None


def load(token: str) -> User | None:
    """Flask-Login's user loader: the user of a live session, or None (signed out)."""
    if not token or len(token) > 100:
        return None
    # One query for the session, its user, their roles (what they may do) and the organisation every
    # page header names.
    user = joinedload(UserSession.user)
    row = db.session.get(
        UserSession, _hash(token), options=[user.joinedload(User.organisation), user.joinedload(User.role_rows)]
    )
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    reason = expiry_reason(row, now)
    if reason is not None:
        with unit_of_work():
            row.revoked_at, row.revoked_reason = now, reason
            audit.record(
                "session.expired", actor=row.user, object_type="user", object_id=row.user_id, details={"reason": reason}
            )
        return None
    if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
        with unit_of_work():
            row.last_seen_at = now
    row.user.session_token, row.user.session_authenticated_by = token, row.authenticated_by
    return row.user
