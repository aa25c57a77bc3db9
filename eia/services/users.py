"""Accounts, passwords and sign-in."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, func, select

from eia.extensions import db
from eia.models import ROLES, Department, Organisation, SignInAttempt, User
from eia.models.types import utcnow
from eia.services import audit, sessions
from eia.services.database import unit_of_work

# NCSC password guidance: length and a deny-list; no composition rules, no expiry.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
DEFAULT_DENY_LIST = Path(__file__).resolve().parents[1] / "data" / "common-passwords.txt"
TOO_COMMON = "Password is too easy to guess: use three or more random words"
WRONG_CURRENT_PASSWORD = "Your current password is not correct"


MAX_NAME_LENGTH = 200


class AccountError(ValueError):
    """A request to create or change an account was refused: the message says why, ``field`` names the
    input it is about (as the forms name it), so a form can show the message next to that input."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class TooManyAttempts(Exception):
    """Sign-in is throttled for this account or client address; nothing was checked."""


def _hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config.get("PASSWORD_HASH_PARAMS", {}))


@lru_cache(maxsize=4)
def _deny_list(path: str) -> frozenset[str]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    deny_list = _deny_list(str(current_app.config.get("PASSWORD_DENY_LIST") or DEFAULT_DENY_LIST))
    if len(set(password)) < 4 or password.strip().casefold() in deny_list:
        return TOO_COMMON
    return None


NO_ROLE = "Select at least one role"
UNKNOWN_ROLE = "Select roles from the list"


def checked_roles(roles: Iterable[str]) -> frozenset[str]:
    """The roles asked for, if they are one or more known roles; AccountError (field "roles") otherwise."""
    roles = frozenset(roles)
    if not roles:
        raise AccountError(NO_ROLE, field="roles")
    if not roles <= set(ROLES):
        raise AccountError(UNKNOWN_ROLE, field="roles")
    return roles


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    *,
    email: str,
    name: str,
    roles: Iterable[str],
    organisation: Organisation,
    password: str,
    department: Department | None = None,
    created_by: User | None = None,
) -> User:
    email = normalise_email(email)
    if not name.strip():
        raise AccountError("Enter the person's full name", field="name")
    if len(name.strip()) > MAX_NAME_LENGTH:
        raise AccountError(f"The name must be {MAX_NAME_LENGTH} characters or fewer", field="name")
    if "@" not in email or len(email) > 254:
        raise AccountError("Enter an email address in the correct format, like name@example.org", field="email")
    roles = checked_roles(roles)  # checked in the order the form asks
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, field="password")
    if department is not None and department.organisation_id != organisation.id:
        raise AccountError("The department belongs to another organisation", field="department")
    with unit_of_work():
        if db.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
            raise AccountError(f"An account for {email} already exists", field="email")
        user = User(
            email=email,
            name=name.strip(),
            organisation=organisation,
            department=department,
            password_hash=_hasher().hash(password),
        )
        user.set_roles(roles)
        db.session.add(user)
        db.session.flush()
        audit.record(
            "user.created",
            actor=created_by,
            object_type="user",
            object_id=user.id,
            details={"email": email, "roles": sorted(roles), "organisation": organisation.slug},
        )
    return user


def _throttled(email: str, client_address: str) -> str | None:
    """Which limit, if any, the recent failures for this account or address have reached."""
    config = current_app.config
    since = utcnow() - config["SIGN_IN_WINDOW"]
    recent = select(func.count()).select_from(SignInAttempt).where(SignInAttempt.attempted_at > since)
    if db.session.scalar(recent.where(SignInAttempt.email == email)) >= config["SIGN_IN_MAX_FAILURES_PER_ACCOUNT"]:
        return "account"
    if db.session.scalar(recent.where(SignInAttempt.client_address == client_address)) >= config[
        "SIGN_IN_MAX_FAILURES_PER_ADDRESS"
    ]:
        return "client address"
    return None


def _record_failure(email: str, client_address: str) -> None:
    now = utcnow()
    db.session.execute(delete(SignInAttempt).where(SignInAttempt.attempted_at <= now - current_app.config["SIGN_IN_WINDOW"]))
    db.session.add(SignInAttempt(email=email, client_address=client_address, attempted_at=now))


def authenticate(email: str, password: str, *, client_address: str = "unknown", user_agent: str | None = None) -> User | None:
    """The user these credentials belong to, signed in to a new server-side session, or None.

    Every attempt is audited with its reason. Failures are counted in the database per account and
    per client address, so the limit holds however many server processes share it: past the limit
    the password is not even checked and TooManyAttempts is raised.
    """
    email = normalise_email(email)[:254]
    client_address = (client_address or "unknown")[:45]
    with unit_of_work():
        limit = _throttled(email, client_address)
        if limit is not None:
            audit.record("sign_in.throttled", details={"email": email, "client_address": client_address, "limit": limit})
    if limit is not None:
        raise TooManyAttempts(limit)
    user = db.session.scalar(select(User).where(User.email == email))
    hasher = _hasher()
    with unit_of_work():
        reason = None
        if user is None:
            # Spend the same time as a real check, so response times do not reveal which emails exist.
            hasher.hash(password or "-")
            reason = "unknown account"
        elif not _verify(hasher, user.password_hash, password):
            reason = "wrong password"
        elif not user.active:
            reason = "account disabled"
        if reason is not None:
            _record_failure(email, client_address)
            subject = {} if user is None else {"object_type": "user", "object_id": user.id}
            audit.record("sign_in.failed", actor=user, **subject,
                         details={"email": email, "reason": reason, "client_address": client_address})
            return None
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        user.last_signed_in_at = utcnow()
        db.session.execute(delete(SignInAttempt).where(SignInAttempt.email == email))
        sessions.start(user, user_agent)
        audit.record("sign_in.succeeded", actor=user, object_type="user", object_id=user.id,
                     details={"client_address": client_address})
    return user


def sign_in_with_identity(*, issuer: str, subject: str, email: str | None, email_verified: bool,
                          multi_factor: bool, client_address: str = "unknown", user_agent: str | None = None) -> User | None:
    """The user linked to this single sign-on identity, signed in to a new session, or None.

    The identity provider has already proved who this is (the caller validated the ID token). An
    account is found by (issuer, subject). The first time, an account not yet linked to any identity is
    linked by the provider's *verified* email; after that the email plays no part, so another identity
    claiming the same email cannot take the account over. Without multi-factor authentication at the
    provider (unless OIDC_REQUIRE_MFA is off) nobody signs in.
    """
    identity = {"issuer": issuer, "subject": subject, "client_address": client_address[:45]}
    with unit_of_work():
        user = db.session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
        reason = None
        if current_app.config["OIDC_REQUIRE_MFA"] and not multi_factor:
            reason = "no multi-factor authentication"  # checked first: nothing is linked on such a sign-in
        elif user is None:
            candidate = db.session.scalar(select(User).where(User.email == normalise_email(email or "")))
            if candidate is None or not email:
                reason = "unknown identity"
            elif not email_verified:
                reason = "email not verified by the identity provider"
            elif candidate.oidc_subject is not None:
                reason = "account is linked to another identity"
            else:
                user = candidate
                user.oidc_issuer, user.oidc_subject = issuer, subject
                audit.record("user.identity_linked", actor=user, object_type="user", object_id=user.id, details=identity)
        if reason is None and not user.active:
            reason = "account disabled"
        if reason is not None:
            subject_of = {} if user is None else {"object_type": "user", "object_id": user.id}
            audit.record("sign_in.failed", actor=user, **subject_of,
                         details={**identity, "email": email, "reason": reason, "method": "single sign-on"})
            return None
        user.last_signed_in_at = utcnow()
        sessions.start(user, user_agent)
        audit.record("sign_in.succeeded", actor=user, object_type="user", object_id=user.id,
                     details={**identity, "method": "single sign-on"})
    return user


def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def sign_out(user: User) -> None:
    with unit_of_work():
        sessions.revoke(user.session_token, "signed out")
        audit.record("sign_out", actor=user, object_type="user", object_id=user.id)


def change_password(user: User, current_password: str, new_password: str) -> int:
    """Change ``user``'s own password and end their other sessions; returns how many ended.

    The current password must be right (a borrowed unlocked screen is not enough to take over the account).
    """
    if not _verify(_hasher(), user.password_hash, current_password):
        with unit_of_work():
            audit.record("password.change_failed", actor=user, object_type="user", object_id=user.id,
                         details={"reason": "wrong current password"})
        raise AccountError(WRONG_CURRENT_PASSWORD, field="current_password")
    problem = password_problem(new_password)
    if problem:
        raise AccountError(problem, field="new_password")
    with unit_of_work():
        user.password_hash = _hasher().hash(new_password)
        ended = sessions.revoke_all(user, "password changed", keep=user.session_token)
        audit.record("password.changed", actor=user, object_type="user", object_id=user.id,
                     details={"other_sessions_ended": ended})
    return ended
