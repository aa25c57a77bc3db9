"""A second factor for password sign-in (ASVS 6.3.3): a six-digit code from an authenticator app
(TOTP, RFC 6238), with single-use recovery codes for when the app is lost.

Who must use one is decided by the capability table (SIGN_IN_WITH_SECOND_FACTOR) and the
SECOND_FACTOR_* settings; anyone may turn it on for themselves. Single sign-on relies on the
identity provider's own multi-factor check instead. Callers run ``check`` inside their own unit of
work; the other changes open their own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, func, select

from eia.domain.capabilities import SIGN_IN_WITH_SECOND_FACTOR
from eia.extensions import db
from eia.models import RecoveryCode, User
from eia.models.types import utcnow
from eia.services import audit, sessions
from eia.services.database import unit_of_work

RECOVERY_CODE_COUNT = 10
# 12 characters from 31 unambiguous ones (no i, l, o, 0, 1): 59 random bits per code, written as
# three groups of four.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
WRONG_CODE = "Enter the 6-digit code your authenticator app shows now, or one of your recovery codes"
WRONG_SETUP_CODE = "Enter the 6-digit code your authenticator app shows now"

# How a session was signed in (sessions.METHODS holds the words people read).
BY_AUTHENTICATOR = "password and authenticator app"
BY_RECOVERY_CODE = "password and recovery code"


class CodeRefused(ValueError):
    """A code was wrong, used before or from the wrong time; the message says what to do."""


def required_by_role(user: User) -> bool:
    """Whether the service requires ``user`` to have a second factor (their role, or everyone's)."""
    config = current_app.config
    return bool(
        config["SECOND_FACTOR_REQUIRED"]
        and (config["SECOND_FACTOR_FOR_EVERYONE"] or user.can(SIGN_IN_WITH_SECOND_FACTOR))
    )


def required(user: User) -> bool:
    """Whether a password sign-in by ``user`` must be confirmed with a second factor."""
    return user.has_second_factor or required_by_role(user)


def setup_needed(user: User) -> bool:
    """Whether this signed-in session may do nothing but set up the second factor: the person must
    have one, has none yet, and signed in with a password alone."""
    return (
        not user.has_second_factor and required_by_role(user) and user.session_authenticated_by == sessions.BY_PASSWORD
    )


def setup_secret(user: User) -> str:
    """The secret being set up: kept on the account, unused until the app's first code confirms it
    (never in the browser's cookie, which is signed but readable). One per person until then."""
    if user.has_second_factor:
        raise ValueError("already set up")
    if not user.totp_secret:
        with unit_of_work():
            user.totp_secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    return user.totp_secret


def setup_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["SERVICE_NAME"])


def qr_code_svg(uri: str) -> str:
    """The QR code of ``uri`` as inline SVG (no image request, nothing for the content policy to allow)."""
    return segno.make(uri, error="m").svg_inline(
        scale=4, border=2, dark="#0b0c0c", light="#ffffff", title="QR code for your authenticator app"
    )


def _normalised(code: str) -> str:
    return "".join(c for c in (code or "")[:64] if c.isalnum()).lower()


def _matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to: now, or one step either side for clock drift, and never a
    step at or before the last one accepted (a code works once)."""
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(utcnow())
    for step in (current - 1, current, current + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(12)) for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_sha256=_digest(code)) for code in codes)
    return ["-".join((code[:4], code[4:8], code[8:])) for code in codes]


def enable(user: User, code: str) -> list[str]:
    """Turn the second factor on with the app's first code for the secret being set up; returns the
    recovery codes (shown once). This session then counts as signed in with it."""
    step = _matching_step(user.totp_secret, _normalised(code), None) if user.totp_secret else None
    if step is None:
        raise CodeRefused(WRONG_SETUP_CODE)
    with unit_of_work():
        user.totp_enabled_at, user.totp_last_step = utcnow(), step
        codes = _replace_recovery_codes(user)
        sessions.mark(user.session_token, BY_AUTHENTICATOR)
        audit.record("second_factor.enabled", actor=user, object_type="user", object_id=user.id)
    user.session_authenticated_by = BY_AUTHENTICATOR
    return codes


def new_recovery_codes(user: User) -> list[str]:
    """A fresh set of recovery codes; the old ones stop working."""
    with unit_of_work():
        codes = _replace_recovery_codes(user)
        audit.record("second_factor.recovery_codes_replaced", actor=user, object_type="user", object_id=user.id)
    return codes


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def check(user: User, code: str) -> str | None:
    """How ``code`` proves the second factor (BY_AUTHENTICATOR or BY_RECOVERY_CODE), using it up; None
    if it does not. Inside the caller's unit of work."""
    if not user.has_second_factor:
        return None
    code = _normalised(code)
    step = _matching_step(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return BY_AUTHENTICATOR
    if len(code) == 12:
        row = db.session.scalar(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_sha256 == _digest(code),
                RecoveryCode.used_at.is_(None),
            )
        )
        if row is not None:
            row.used_at = utcnow()
            return BY_RECOVERY_CODE
    return None


class StillRequired(Exception):
    """The person's role needs a second factor: they cannot turn it off."""


def turn_off(user: User) -> None:
    """The person turns off the app they chose to use (the caller has re-authenticated them). Refused
    (StillRequired) when their role, or the service, needs it."""
    if required_by_role(user):
        raise StillRequired()
    with unit_of_work():
        user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        audit.record("second_factor.turned_off", actor=user, object_type="user", object_id=user.id)


def remove(user: User, *, actor: User | None, reason: str) -> None:
    """Turn ``user``'s second factor off (a lost phone: an administrator, or with None the operator at
    the command line, with a reason) and end their sessions but the actor's own; if they must have
    one, they set it up again at their next sign-in."""
    with unit_of_work():
        user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        ended = sessions.revoke_all(user, "second factor removed", keep=actor.session_token if actor else None)
        audit.record(
            "second_factor.removed",
            actor=actor,
            object_type="user",
            object_id=user.id,
            details={"reason": reason, "sessions_ended": ended},
        )
