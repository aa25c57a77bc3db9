"""Accounts, passwords and sign-in."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from eia.extensions import db
from eia.models import ROLES, Department, Organisation, User
from eia.models.types import utcnow
from eia.services import audit
from eia.services.database import unit_of_work

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


class AccountError(ValueError):
    """A request to create or change an account was refused; the message says why."""


def _hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config.get("PASSWORD_HASH_PARAMS", {}))


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if len(set(password)) < 4:
        return "Password is too easy to guess: use three or more random words"
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    *,
    email: str,
    name: str,
    role: str,
    organisation: Organisation,
    password: str,
    department: Department | None = None,
    created_by: User | None = None,
) -> User:
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"Role must be one of: {', '.join(ROLES)}")
    if "@" not in email or len(email) > 254:
        raise AccountError("Enter an email address in the correct format, like name@example.org")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    if department is not None and department.organisation_id != organisation.id:
        raise AccountError("The department belongs to another organisation")
    with unit_of_work():
        if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
            raise AccountError(f"An account for {email} already exists")
        user = User(
            email=email,
            name=name.strip(),
            role=role,
            organisation=organisation,
            department=department,
            password_hash=_hasher().hash(password),
        )
        db.session.add(user)
        db.session.flush()
        audit.record(
            "user.created",
            actor=created_by,
            object_type="user",
            object_id=user.id,
            details={"email": email, "role": role, "organisation": organisation.slug},
        )
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user these credentials belong to, or None. Every attempt is audited, with the reason."""
    email = normalise_email(email)
    user = db.session.scalar(select(User).where(User.email == email))
    hasher = _hasher()
    with unit_of_work():
        if user is None:
            # Spend the same time as a real check, so response times do not reveal which emails exist.
            hasher.hash(password or "-")
            audit.record("sign_in.failed", details={"email": email, "reason": "unknown account"})
            return None
        try:
            hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            audit.record("sign_in.failed", actor=user, object_type="user", object_id=user.id,
                         details={"email": email, "reason": "wrong password"})
            return None
        if not user.active:
            audit.record("sign_in.failed", actor=user, object_type="user", object_id=user.id,
                         details={"email": email, "reason": "account disabled"})
            return None
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        user.last_signed_in_at = utcnow()
        audit.record("sign_in.succeeded", actor=user, object_type="user", object_id=user.id)
    return user


def record_sign_out(user: User) -> None:
    with unit_of_work():
        audit.record("sign_out", actor=user, object_type="user", object_id=user.id)


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the session names a user and a session generation (see User.get_id)."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user
