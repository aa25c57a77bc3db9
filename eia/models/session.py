"""Server-side sessions and sign-in attempts: what makes sign-out and throttling real."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eia.extensions import db
from eia.models.types import UTCDateTime, utcnow
from eia.models.user import User


class UserSession(db.Model):
    """One signed-in browser. The cookie carries a random token; only its SHA-256 is stored here,
    so a copy of the database cannot be replayed as a session."""

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    user_agent: Mapped[str] = mapped_column(String(120), default="")
    # How the person proved who they are, as the sessions page shows it (eia.services.sessions.METHODS).
    authenticated_by: Mapped[str] = mapped_column(String(40), default="password", server_default="password")

    user: Mapped[User] = relationship()


class SignInAttempt(db.Model):
    """A failed sign-in, kept for the throttling window: counted per account and per client address
    by every server process, because they all share the database."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    client_address: Mapped[str] = mapped_column(String(45))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_sign_in_attempt_email_attempted_at", "email", "attempted_at"),
        Index("ix_sign_in_attempt_client_address_attempted_at", "client_address", "attempted_at"),
    )


class RecoveryCode(db.Model):
    """A single-use code for signing in without the authenticator app. Only its SHA-256 is kept: the
    codes are random (59 bits each), so a slow hash adds nothing, and each works once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
