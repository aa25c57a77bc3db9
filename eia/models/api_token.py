from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eia.extensions import db
from eia.models.types import JSONDocument, UTCDateTime, utcnow
from eia.models.user import User


class ApiToken(db.Model):
    """A personal access token for the JSON API.

    Only the SHA-256 of the secret is kept: the secret is shown once, when the token is created.
    A token acts as its user, never beyond its scopes, and stops working when it expires, when it
    is revoked, or when its user is deactivated.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list] = mapped_column(JSONDocument, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it stopped working, in words people read ("revoked by its owner", "password changed", an
    # administrator's reason), and who revoked it when that was someone else.
    revoked_reason: Mapped[str | None] = mapped_column(String(200))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
