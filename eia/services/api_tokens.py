"""Personal access tokens for the JSON API: create, list, revoke, and authenticate a bearer token.

The secret is 32 random bytes, shown once; only its SHA-256 is stored (a token is as strong as a
random key, so a slow password hash adds nothing). A token acts as its user within its scopes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from eia.extensions import db
from eia.models import ApiToken, User
from eia.models.types import utcnow
from eia.services import audit
from eia.services.database import NotAllowed, unit_of_work

SCOPES = {
    "read": "Read assessments and the archive, download and verify signed records",
    "write": "Start and change your own drafts, submit and withdraw them",
    "decide": "Take decisions (review, approve, return, reject) as your role allows",
}
LIFETIMES_DAYS = (7, 30, 90, 365)
MAX_NAME_LENGTH = 100
MAX_TOKENS_PER_USER = 20
SECRET_PREFIX = "eia_"
# Recording every use would write on every read request: a minute's precision is enough.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenRefused(ValueError):
    """The request to create a token was refused; ``field`` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def tokens_for(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def is_live(token: ApiToken, now: datetime | None = None) -> bool:
    return token.revoked_at is None and token.expires_at > (now or utcnow())


REVOKED_BY_OWNER = "revoked by its owner"


def lifetimes_days() -> tuple[int, ...]:
    """The lifetimes offered: those within the configured maximum (API_TOKEN_MAX_DAYS), or the shortest."""
    allowed = tuple(days for days in LIFETIMES_DAYS if days <= current_app.config["API_TOKEN_MAX_DAYS"])
    return allowed or LIFETIMES_DAYS[:1]


def create_token(user: User, name: str, scopes: list[str], lifetime_days: int | None) -> tuple[ApiToken, str]:
    """A new token and its secret (the only time the secret exists outside the caller's hands).

    The caller has re-authenticated the person first (eia.services.users.confirm_identity)."""
    name = (name or "").strip()
    if not name:
        raise TokenRefused("name", "Enter a name for the token, for example the script that will use it")
    if len(name) > MAX_NAME_LENGTH:
        raise TokenRefused("name", f"The name must be {MAX_NAME_LENGTH} characters or fewer")
    if not scopes:
        raise TokenRefused("scopes", "Select what the token may do")
    if any(scope not in SCOPES for scope in scopes):
        raise TokenRefused("scopes", "Select what the token may do from the list")
    if lifetime_days not in lifetimes_days():
        raise TokenRefused("lifetime", "Select how long the token lasts")
    if sum(1 for token in tokens_for(user) if is_live(token)) >= MAX_TOKENS_PER_USER:
        raise TokenRefused("name", f"You can have up to {MAX_TOKENS_PER_USER} tokens: revoke one you no longer use")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    with unit_of_work():
        token = ApiToken(
            user_id=user.id,
            name=name,
            secret_sha256=_digest(secret),
            scopes=[scope for scope in SCOPES if scope in scopes],
            created_at=now,
            expires_at=now + timedelta(days=lifetime_days),
        )
        db.session.add(token)
        db.session.flush()
        audit.record(
            "api_token.created",
            actor=user,
            object_type="api_token",
            object_id=token.id,
            details={"name": name, "scopes": token.scopes, "expires_at": token.expires_at.isoformat()},
        )
    return token, secret


def revoke_token(user: User, token_id: int, *, by: User | None = None, reason: str = REVOKED_BY_OWNER) -> ApiToken:
    """Revoke ``user``'s token ``token_id``: by its owner, or by an administrator (``by``) with a reason."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotAllowed("No such token")
    if token.revoked_at is None:
        actor = by or user
        with unit_of_work():
            token.revoked_at, token.revoked_reason = utcnow(), reason
            token.revoked_by_id = None if actor is user else actor.id
            audit.record(
                "api_token.revoked",
                actor=actor,
                object_type="api_token",
                object_id=token.id,
                details={"name": token.name, "owner": user.email, "reason": reason},
            )
    return token


def revoke_all(user: User, reason: str, *, by: User | None = None) -> int:
    """Revoke every live token of ``user`` (inside the caller's unit of work); returns how many."""
    return db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
        .values(revoked_at=utcnow(), revoked_reason=reason, revoked_by_id=by.id if by and by is not user else None)
    ).rowcount


def authenticate(secret: str) -> ApiToken | None:
    """The live token with this secret, its user active; None otherwise (the caller says 401)."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.secret_sha256 == _digest(secret)))
    now = utcnow()
    if token is None or not is_live(token, now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        with unit_of_work():
            token.last_used_at = now
    return token
