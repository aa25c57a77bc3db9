"""Database set-up and the one way to run a unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm.exc import StaleDataError

from eia.extensions import db


def configure_sqlite(engine: Engine, busy_timeout_ms: int = 5000) -> None:
    """Foreign keys on, WAL so readers never block the writer, and a busy timeout for writers."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


class NotAllowed(Exception):
    """The user may not do this to this object (views answer 404 or 403, revealing nothing)."""


class Conflict(Exception):
    """Someone else changed the object since the user loaded it. Nothing was saved."""


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit everything done inside the block, or nothing: any exception rolls it all back.

    A concurrent update caught by the optimistic version check surfaces as Conflict.
    """
    try:
        yield
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise Conflict() from error
    except BaseException:
        db.session.rollback()
        raise
