"""Acting as the insider the integrity checks exist for: someone with write access to the database.

``insider_sql`` and ``as_owner`` write past the append-only triggers, as the tables' owner (who can
disable them) would: on PostgreSQL with triggers switched off for the transaction, on SQLite with them
dropped and put back. Tests then assert that what the insider did is reported, not that it was refused.
"""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import text

from eia.extensions import db
from eia.services.append_only import restore_triggers, suspend_triggers


def insider_sql(statement: str, parameters: dict | list[dict] | None = None) -> None:
    """Run one statement (for each of a list of parameter sets) in its own committed transaction, as
    the database owner."""
    suspended = suspend_triggers()
    try:
        db.session.execute(text(statement), parameters or {})
    except Exception:
        db.session.rollback()  # undoes the suspension too: SET LOCAL, and SQLite's DDL is transactional
        raise
    restore_triggers(suspended)
    db.session.commit()


@contextmanager
def as_owner():
    """ORM changes made inside are flushed past the triggers and committed."""
    suspended = suspend_triggers()
    yield
    db.session.flush()
    restore_triggers(suspended)
    db.session.commit()
