"""Sessions as people manage them: end your own, or (an administrator) end someone else's."""

from __future__ import annotations

from eia.models import User
from eia.services import audit, sessions
from eia.services.database import unit_of_work


def end_other_sessions(user: User) -> int:
    """Sign ``user`` out everywhere but here; returns how many sessions ended."""
    with unit_of_work():
        ended = sessions.revoke_all(user, "ended by its owner", keep=user.session_token)
        audit.record(
            "session.others_ended", actor=user, object_type="user", object_id=user.id, details={"sessions_ended": ended}
        )
    return ended


def end_session(user: User, session_id: str) -> bool:
    """End one of ``user``'s own live sessions (``session_id``: its stored hash); False if there is none."""
    with unit_of_work():
        ended = sessions.revoke_one(user, session_id, "ended by its owner")
        if ended:
            audit.record("session.ended", actor=user, object_type="user", object_id=user.id)
    return ended


def end_all_sessions(user: User, *, actor: User, reason: str) -> int:
    """An administrator signs ``user`` out everywhere (never ending the administrator's own session)."""
    with unit_of_work():
        ended = sessions.revoke_all(user, "ended by an administrator", keep=actor.session_token)
        audit.record(
            "session.ended_by_administrator",
            actor=actor,
            object_type="user",
            object_id=user.id,
            details={"reason": reason, "sessions_ended": ended},
        )
    return ended
