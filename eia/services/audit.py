"""Appending to the hash-chained audit log, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context
from sqlalchemy import select, text

from eia.domain.audit import GENESIS_HASH, canonical_bytes, chain_hash
from eia.extensions import db
from eia.models import AuditEvent, User
from eia.models.types import utcnow
from eia.services.database import is_postgresql

# Any constant works; it names the one lock that serialises appends on PostgreSQL.
_AUDIT_APPEND_LOCK = 0x45494100


def head(*, lock: bool) -> tuple[int, str] | None:
    """The last event's (sequence, hash), or None for an empty log.

    With ``lock``, no other transaction can append until this one ends, so the head stays the head:
    on PostgreSQL appends queue on an advisory lock; SQLite allows one writer at a time anyway.
    """
    if lock and is_postgresql():
        # Appends queue here until the previous appender commits, so the chain never forks.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_APPEND_LOCK})
    row = db.session.execute(
        select(AuditEvent.seq, AuditEvent.entry_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (row.seq, row.entry_hash) if row else None


def record(
    action: str,
    *,
    actor: User | None = None,
    object_type: str | None = None,
    object_id: int | str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. It commits or rolls back with the change it records."""
    last = head(lock=True)
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    occurred_at = utcnow()
    body = {
        "seq": seq,
        "at": occurred_at.isoformat(timespec="microseconds"),
        "actor": None if actor is None else {"id": actor.id, "email": actor.email, "role": actor.role},
        "action": action,
        "object": None if object_type is None else {"type": object_type, "id": str(object_id)},
        "details": details or {},
    }
    via = g.get("audit_via") if has_app_context() else None
    if via:  # e.g. {"api_token": 7}: the change came through the API with that token
        body["via"] = via
    canonical = canonical_bytes(body)
    event = AuditEvent(
        seq=seq,
        occurred_at=occurred_at,
        actor_id=None if actor is None else actor.id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        canonical=canonical.decode("utf-8"),
        prev_hash=prev_hash,
        entry_hash=chain_hash(prev_hash, canonical),
    )
    db.session.add(event)
    db.session.flush()
    return event
