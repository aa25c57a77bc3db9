"""Accounts, passwords and sign-in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, func, select
from zxcvbn import zxcvbn

from eia.extensions import db
from eia.models import ROLES, Department, Organisation, SignInAttempt, User
from eia.models.types import utcnow
from eia.services import api_tokens, audit, second_factor, sessions
from eia.services.database import unit_of_work

# NCSC password guidance: length and a deny-list; no composition rules, no expiry.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
DEFAULT_DENY_LIST = Path(__file__).resolve().parents[1] / "data" / "common-passwords.txt"
TOO_COMMON = "Password is too easy to guess: use three or more random words"
WRONG_CURRENT_PASSWORD = "Your current password is not correct"
SAME_PASSWORD = "Your new password must be different from your current one"
DEMO_PASSWORD_REFUSED = "This password is published in the demo instructions: choose another"


MAX_NAME_LENGTH = 200


class AccountError(ValueError):
    """A request to create or change an account was refused: the message says why, ``field`` names the
    input it is about (as the forms name it), so a form can show the message next to that input."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class TooManyAttempts(Exception):
    """Sign-in is throttled for this account or client address; nothing was checked. ``limit`` says
    which ("account" or "client address"), ``wait`` how long until the next attempt is checked."""

    def __init__(self, limit: str, wait: timedelta) -> None:
        super().__init__(limit)
        self.limit, self.wait = limit, wait


class TemporaryPasswordExpired(Exception):
    """The password was an administrator's temporary one, and it has expired: an administrator sets another."""


class SecondFactorNeeded(Exception):
    """The password was right; ``user`` must now give a code from their authenticator app (or a recovery
    code) before a session starts: see complete_sign_in."""

    def __init__(self, user: User) -> None:
        super().__init__("second factor needed")
        self.user = user


class PasswordSignInClosed(Exception):
    """Single sign-on is on and this account is not a break-glass account: the password was not checked."""


PASSWORD_SIGN_IN_CLOSED = "password sign-in is for break-glass accounts only"


def password_sign_in_allowed(email: str) -> bool:
    """With single sign-on configured, only the named break-glass accounts may use a password."""
    config = current_app.config
    return not config.get("OIDC_ISSUER") or normalise_email(email) in config["BREAK_GLASS_ACCOUNTS"]


def _hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config.get("PASSWORD_HASH_PARAMS", {}))


@lru_cache(maxsize=4)
def _deny_list(path: str) -> frozenset[str]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, *, about: Iterable[str] = ()) -> str | None:
    """Why ``password`` may not be used, or None. ``about``: the person's email and name, which a
    password must not lean on. zxcvbn estimates how many guesses it would take (its dictionaries
    hold some 30,000 common passwords and 40,000 common words and names, keyboard patterns,
    dates and repeats); fewer than 10^8 (zxcvbn's score below 3) is too easy."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if current_app.config.get("REFUSE_DEMO_PASSWORD") and password == current_app.config["DEMO_PASSWORD_DEFAULT"]:
        return DEMO_PASSWORD_REFUSED
    deny_list = _deny_list(str(current_app.config.get("PASSWORD_DENY_LIST") or DEFAULT_DENY_LIST))
    if len(set(password)) < 4 or password.strip().casefold() in deny_list:
        return TOO_COMMON
    # The first 100 characters decide: zxcvbn's time grows quickly with length, and 100 is plenty.
    if zxcvbn(password[:100], user_inputs=[value[:100] for value in about if value])["score"] < 3:
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
    problem = password_problem(password, about=(email, name))
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
            # Set by an administrator: theirs to hand over, so it lasts days and must be changed at once.
            password_temporary_until=_temporary_until() if created_by is not None else None,
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


def _temporary_until():
    return utcnow() + timedelta(days=current_app.config["TEMPORARY_PASSWORD_DAYS"])


TEMPORARY_PASSWORD_EXPIRED = "temporary password expired"


def _throttled(email: str, client_address: str, *, known_device: bool = False) -> tuple[str, timedelta] | None:
    """Which limit, if any, the recent failures for this account or address hold this attempt back by,
    and for how much longer. Past the free failures, each attempt waits after the last failure: the
    first delay, doubled for every failure beyond, up to the longest. A known device (one that has signed
    in to this account before) is held back only by its address's failures, never by the account's."""
    config = current_app.config
    now = utcnow()
    since = now - config["SIGN_IN_WINDOW"]
    recent = select(func.count(), func.max(SignInAttempt.attempted_at)).where(SignInAttempt.attempted_at > since)
    checks = [
        ("client address", SignInAttempt.client_address == client_address, config["SIGN_IN_MAX_FAILURES_PER_ADDRESS"])
    ]
    if not known_device:
        checks.insert(0, ("account", SignInAttempt.email == email, config["SIGN_IN_MAX_FAILURES_PER_ACCOUNT"]))
    for limit, condition, free in checks:
        failures, last = db.session.execute(recent.where(condition)).one()
        if failures >= free:
            delay = min(config["SIGN_IN_FIRST_DELAY"] * 2 ** min(failures - free, 20), config["SIGN_IN_LONGEST_DELAY"])
            if now < last + delay:
                return limit, last + delay - now
    return None


def _record_failure(email: str, client_address: str) -> None:
    now = utcnow()
    db.session.execute(
        delete(SignInAttempt).where(SignInAttempt.attempted_at <= now - current_app.config["SIGN_IN_WINDOW"])
    )
    db.session.add(SignInAttempt(email=email, client_address=client_address, attempted_at=now))


def authenticate(
    email: str,
    password: str,
    *,
    client_address: str = "unknown",
    user_agent: str | None = None,
    known_device: bool = False,
) -> User | None:
    """The user these credentials belong to, signed in to a new server-side session, or None.

    Every attempt is audited with its reason. Failures are counted in the database per account and
    per client address, so the limit holds however many server processes share it: past the limit
    the password is not even checked and TooManyAttempts is raised. With single sign-on configured, an
    account that is not a break-glass account raises PasswordSignInClosed, its password unchecked.
    """
    email = normalise_email(email)[:254]
    client_address = (client_address or "unknown")[:45]
    with unit_of_work():
        throttled = _throttled(email, client_address, known_device=known_device)
        if throttled is not None:
            audit.record(
                "sign_in.throttled", details={"email": email, "client_address": client_address, "limit": throttled[0]}
            )
    if throttled is not None:
        raise TooManyAttempts(*throttled)
    user = db.session.scalar(select(User).where(User.email == email))
    hasher = _hasher()
    with unit_of_work():
        reason = None
        if not password_sign_in_allowed(email):
            reason = PASSWORD_SIGN_IN_CLOSED  # the email alone decides: nothing says whether the account exists
        elif user is None:
            # Spend the same time as a real check, so response times do not reveal which emails exist.
            hasher.hash(password or "-")
            reason = "unknown account"
        elif not _verify(hasher, user.password_hash, password):
            reason = "wrong password"
        elif not user.active:
            reason = "account disabled"
        elif user.password_temporary_until is not None and user.password_temporary_until <= utcnow():
            reason = TEMPORARY_PASSWORD_EXPIRED
        if reason is not None:
            _record_failure(email, client_address)
            subject = {} if user is None else {"object_type": "user", "object_id": user.id}
            audit.record(
                "sign_in.failed",
                actor=user,
                **subject,
                details={"email": email, "reason": reason, "client_address": client_address},
            )
    if reason == PASSWORD_SIGN_IN_CLOSED:
        raise PasswordSignInClosed()
    if reason == TEMPORARY_PASSWORD_EXPIRED:
        raise TemporaryPasswordExpired()
    if reason is not None:
        return None
    needs_code = user.has_second_factor
    with unit_of_work():
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        if needs_code:
            audit.record(
                "sign_in.password_accepted",
                actor=user,
                object_type="user",
                object_id=user.id,
                details={"client_address": client_address},
            )
        else:
            _signed_in(user, client_address, user_agent, sessions.BY_PASSWORD)
    if needs_code:
        raise SecondFactorNeeded(user)
    return user


def _signed_in(user: User, client_address: str, user_agent: str | None, authenticated_by: str) -> None:
    user.last_signed_in_at = utcnow()
    # Only this address's failures are forgiven: the owner signing in must not reset a stranger's delay.
    db.session.execute(
        delete(SignInAttempt).where(SignInAttempt.email == user.email, SignInAttempt.client_address == client_address)
    )
    sessions.start(user, user_agent, authenticated_by)
    audit.record(
        "sign_in.succeeded",
        actor=user,
        object_type="user",
        object_id=user.id,
        details={"client_address": client_address, "method": authenticated_by},
    )


def complete_sign_in(
    user_id: int,
    code: str,
    *,
    client_address: str = "unknown",
    user_agent: str | None = None,
    known_device: bool = False,
) -> User | None:
    """The second step of a password sign-in: ``code`` from the authenticator app or a recovery code.
    The user signed in to a new session, or None (a wrong code counts as a failed sign-in, so the same
    throttling applies). TooManyAttempts past the limit, the code unchecked."""
    client_address = (client_address or "unknown")[:45]
    user = db.session.get(User, user_id)
    if user is None or not user.active or not user.has_second_factor:
        return None
    with unit_of_work():
        throttled = _throttled(user.email, client_address, known_device=known_device)
        if throttled is not None:
            audit.record(
                "sign_in.throttled",
                details={"email": user.email, "client_address": client_address, "limit": throttled[0]},
            )
    if throttled is not None:
        raise TooManyAttempts(*throttled)
    with unit_of_work():
        method = second_factor.check(user, code)
        if method is None:
            _record_failure(user.email, client_address)
            audit.record(
                "sign_in.failed",
                actor=user,
                object_type="user",
                object_id=user.id,
                details={"email": user.email, "reason": "wrong second factor code", "client_address": client_address},
            )
        else:
            _signed_in(user, client_address, user_agent, method)
    return user if method is not None else None


class IdentityRefused(Exception):
    """The identity provider proved who this is, but they may not sign in here. ``reason`` is one of the
    REFUSAL reasons below (as audited); ``email`` is what the provider said."""

    def __init__(self, reason: str, email: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.email = email


# Why single sign-on refused someone (audited as written; the sign-in page explains each in its own words).
NO_MULTI_FACTOR = "no multi-factor authentication"
NO_EMAIL = "no email from the identity provider"
UNKNOWN_EMAIL = "no account with this email"
EMAIL_NOT_VERIFIED = "email not verified by the identity provider"
LINKED_TO_ANOTHER_IDENTITY = "account is linked to another identity"
ACCOUNT_DISABLED = "account disabled"


def sign_in_with_identity(
    *,
    issuer: str,
    subject: str,
    email: str | None,
    email_verified: bool | None,
    multi_factor: bool,
    client_address: str = "unknown",
    user_agent: str | None = None,
) -> User:
    """The user linked to this single sign-on identity, signed in to a new session; IdentityRefused if none may be.

    The identity provider has already proved who this is (the caller validated the ID token). An
    account is found by (issuer, subject). The first time, an active account not yet linked to any
    identity is linked by the provider's *verified* email; after that the email plays no part, so another
    identity claiming the same email cannot take the account over. Without multi-factor authentication
    at the provider (unless OIDC_REQUIRE_MFA is off) nobody signs in. Nothing is linked on a refusal.
    ``email_verified`` None means the provider did not say: an email in OIDC_TRUSTED_EMAIL_DOMAINS then counts.
    """
    identity = {"issuer": issuer, "subject": subject, "client_address": client_address[:45]}
    email = normalise_email(email) if isinstance(email, str) and email.strip() else None
    if email_verified is None and email is not None:
        email_verified = email.rpartition("@")[2] in current_app.config["OIDC_TRUSTED_EMAIL_DOMAINS"]
    with unit_of_work():
        user = db.session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
        candidate = (
            user
            if user is not None
            else (db.session.scalar(select(User).where(User.email == email)) if email else None)
        )
        reason = None
        if current_app.config["OIDC_REQUIRE_MFA"] and not multi_factor:
            reason = NO_MULTI_FACTOR
        elif user is None and email is None:
            reason = NO_EMAIL
        elif candidate is None:
            reason = UNKNOWN_EMAIL
        elif user is None and not email_verified:
            reason = EMAIL_NOT_VERIFIED
        elif user is None and candidate.oidc_subject is not None:
            reason = LINKED_TO_ANOTHER_IDENTITY
        elif not candidate.active:
            reason = ACCOUNT_DISABLED
        if reason is not None:  # nothing is linked
            subject_of = {} if candidate is None else {"object_type": "user", "object_id": candidate.id}
            audit.record(
                "sign_in.failed",
                actor=user,
                **subject_of,
                details={**identity, "email": email, "reason": reason, "method": "single sign-on"},
            )
        else:
            if user is None:
                user = candidate
                user.oidc_issuer, user.oidc_subject = issuer, subject
                audit.record(
                    "user.identity_linked", actor=user, object_type="user", object_id=user.id, details=identity
                )
            user.last_signed_in_at = utcnow()
            sessions.start(user, user_agent, sessions.BY_SINGLE_SIGN_ON)
            audit.record(
                "sign_in.succeeded",
                actor=user,
                object_type="user",
                object_id=user.id,
                details={**identity, "method": "single sign-on"},
            )
    if reason is not None:
        raise IdentityRefused(reason, email)
    return user


def record_single_sign_on_failure(reason: str, *, client_address: str = "unknown") -> None:
    """Audit a single sign-on that failed before anyone was identified (the provider unreachable, slow or
    misbehaving; a callback that is forged, replayed or from another sign-in)."""
    with unit_of_work():
        audit.record(
            "sign_in.failed",
            details={
                "method": "single sign-on",
                "reason": reason,
                "client_address": (client_address or "unknown")[:45],
            },
        )


def unlink_identity(user: User, *, actor: User | None) -> dict[str, str] | None:
    """Remove ``user``'s single sign-on identity and end their sessions (but the actor's own); returns the
    identity that was linked, or None if there was none. The next single sign-on links by verified email again."""
    if user.oidc_subject is None:
        return None
    unlinked = {"issuer": user.oidc_issuer, "subject": user.oidc_subject}
    with unit_of_work():
        user.oidc_issuer = user.oidc_subject = None
        ended = sessions.revoke_all(user, "identity unlinked", keep=actor.session_token if actor else None)
        audit.record(
            "user.identity_unlinked",
            actor=actor,
            object_type="user",
            object_id=user.id,
            details={**unlinked, "email": user.email, "sessions_ended": ended},
        )
    return unlinked


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
            audit.record(
                "password.change_failed",
                actor=user,
                object_type="user",
                object_id=user.id,
                details={"reason": "wrong current password"},
            )
        raise AccountError(WRONG_CURRENT_PASSWORD, field="current_password")
    if new_password == current_password:
        raise AccountError(SAME_PASSWORD, field="new_password")
    problem = password_problem(new_password, about=(user.email, user.name))
    if problem:
        raise AccountError(problem, field="new_password")
    with unit_of_work():
        user.password_hash = _hasher().hash(new_password)
        user.password_temporary_until = None
        ended = sessions.revoke_all(user, "password changed", keep=user.session_token)
        # A token minted with the old password must not outlive it (whoever knew it may hold one).
        tokens_revoked = api_tokens.revoke_all(user, "password changed")
        audit.record(
            "password.changed",
            actor=user,
            object_type="user",
            object_id=user.id,
            details={"other_sessions_ended": ended, "api_tokens_revoked": tokens_revoked},
        )
    return ended


WRONG_PASSWORD_AGAIN = "Enter your password"
WRONG_CODE_AGAIN = "Enter the 6-digit code your authenticator app shows now"
SIGN_IN_AGAIN = "Sign out and sign in again: this needs a sign-in in the last {minutes} minutes"


def _reauthentication_held_back(user: User, client_address: str) -> None:
    """A signed-in session guessing the password (or code) is slowed down like a sign-in: the same
    failures, the same delays (AccountError, field "password", saying how long)."""
    with unit_of_work():
        throttled = _throttled(user.email, client_address)
        if throttled is not None:
            audit.record(
                "sign_in.throttled",
                actor=user,
                details={
                    "email": user.email,
                    "client_address": client_address,
                    "limit": throttled[0],
                    "re_authentication": True,
                },
            )
    if throttled is not None:
        seconds = max(1, int(throttled[1].total_seconds() + 0.999))
        raise AccountError(TOO_MANY_AGAIN.format(seconds=seconds), field="password")


TOO_MANY_AGAIN = "Too many wrong attempts: wait {seconds} seconds and try again"


def confirm_identity(user: User, password: str, code: str = "", *, client_address: str = "unknown") -> None:
    """Re-authentication before something sensitive (a new API token, new recovery codes): the password
    again and, if the person has a second factor, a fresh code; for a single sign-on session (no
    password to ask for), a sign-in within REAUTHENTICATION_WINDOW. AccountError (field "password" or
    "code") otherwise; every refusal is audited."""
    client_address = (client_address or "unknown")[:45]
    reason = None
    if user.session_authenticated_by != sessions.BY_SINGLE_SIGN_ON:
        _reauthentication_held_back(user, client_address)
    with unit_of_work():
        if user.session_authenticated_by == sessions.BY_SINGLE_SIGN_ON:
            # The provider proved who this is, with its own second factor: a recent enough sign-in counts.
            since = sessions.signed_in_since(user.session_token)
            if since is None or utcnow() - since > current_app.config["REAUTHENTICATION_WINDOW"]:
                minutes = int(current_app.config["REAUTHENTICATION_WINDOW"].total_seconds() // 60)
                reason, field, message = (
                    "single sign-on too long ago",
                    "password",
                    SIGN_IN_AGAIN.format(minutes=minutes),
                )
        elif not _verify(_hasher(), user.password_hash, password or ""):
            reason, field, message = "wrong password", "password", WRONG_PASSWORD_AGAIN
        elif user.has_second_factor and second_factor.check(user, code or "") is None:
            reason, field, message = "wrong second factor code", "code", WRONG_CODE_AGAIN
    if reason is not None:
        with unit_of_work():
            if user.session_authenticated_by != sessions.BY_SINGLE_SIGN_ON:
                _record_failure(user.email, client_address)
            audit.record(
                "reauthentication.failed",
                actor=user,
                object_type="user",
                object_id=user.id,
                details={"reason": reason, "client_address": client_address},
            )
        raise AccountError(message, field=field)


def set_temporary_password(user: User, password: str, *, actor: User) -> None:
    """An administrator gives ``user`` a new password to hand over (they forgot theirs): it lasts
    TEMPORARY_PASSWORD_DAYS and must be changed at the next sign-in. Their sessions and API tokens end."""
    problem = password_problem(password, about=(user.email, user.name))
    if problem:
        raise AccountError(problem, field="temporary-password")
    with unit_of_work():
        user.password_hash = _hasher().hash(password)
        user.password_temporary_until = _temporary_until()
        ended = sessions.revoke_all(user, "password reset by an administrator")
        tokens_revoked = api_tokens.revoke_all(user, "password reset by an administrator", by=actor)
        audit.record(
            "password.reset_by_administrator",
            actor=actor,
            object_type="user",
            object_id=user.id,
            details={
                "expires_at": user.password_temporary_until.isoformat(),
                "sessions_ended": ended,
                "api_tokens_revoked": tokens_revoked,
            },
        )
