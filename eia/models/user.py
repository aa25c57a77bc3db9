from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eia.domain.capabilities import ROLES, capabilities_of, roles_label
from eia.extensions import db
from eia.models.organisation import Department, Organisation
from eia.models.types import UTCDateTime, utcnow

__all__ = ["ROLES", "User", "UserRole"]


class UserRole(db.Model):
    """One role a person holds; a person holds one or more."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The single sign-on identity (OpenID Connect issuer and subject) this account is linked to.
    # Accounts are found by this pair, never by email (ASVS 10.5.2).
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    # A password an administrator set: it works until then, and only to choose a new one (None: the
    # person chose their own).
    password_temporary_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The second factor (eia.services.second_factor): the authenticator app's shared secret (base32;
    # unused until the app's first code confirms it), when that was, and the last time step a code
    # was accepted for (a code works once).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    organisation: Mapped[Organisation] = relationship()
    department: Mapped[Department | None] = relationship()
    # Loaded with the user (one query for all the users loaded together): every request asks what they can do.
    role_rows: Mapped[list[UserRole]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=UserRole.role
    )

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    # The token of the server-side session this request runs in (see eia.services.sessions):
    # Flask-Login stores get_id() in the cookie, so the cookie names a session, never a user.
    session_token = None  # set per request; not a column
    session_authenticated_by = None  # how that session was signed in (UserSession.authenticated_by)

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(row.role for row in self.role_rows)

    def set_roles(self, roles: Iterable[str]) -> None:
        """Hold exactly ``roles`` (checked by the caller: eia.services.users.checked_roles)."""
        wanted = set(roles)
        self.role_rows = [row for row in self.role_rows if row.role in wanted] + [
            UserRole(role=role) for role in sorted(wanted - self.roles)
        ]

    def has_role(self, *roles: str) -> bool:
        """Whether this person holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)

    def can(self, capability: str) -> bool:
        """Whether any of this person's roles carries ``capability`` (eia.domain.capabilities)."""
        return capability in capabilities_of(self.roles)

    @property
    def role_label(self) -> str:
        return roles_label(self.roles)
