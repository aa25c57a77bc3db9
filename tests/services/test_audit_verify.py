"""`verify_audit_chain`: every kind of edit to the audit table is refused or reported, on both databases.

The hash covers the canonical record; the queryable columns beside it are generated from that record
by the database, so they cannot be edited apart from it, and verification checks the table still
generates them as this release defines.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from eia.extensions import db
from eia.models import AuditEvent, User
from eia.models.audit import DERIVED_COLUMNS
from eia.services import audit, integrity
from eia.services.database import unit_of_work
from tests.insider import insider_sql


@pytest.fixture
def chain(demo):
    """The demo's events plus three of our own; returns the app and the seq of the middle one."""
    with demo.app_context():
        actor = db.session.scalar(select(User).where(User.email == "auditor@example.org"))
        with unit_of_work():
            for number in range(3):
                audit.record(
                    "archive.searched",
                    actor=actor,
                    object_type="assessment",
                    object_id=40 + number,
                    details={"query": f"custody {number}"},
                )
        middle = db.session.scalar(select(func.max(AuditEvent.seq))) - 1
    return demo, middle


def _tamper(app, statement: str, seq: int) -> list[str]:
    with app.app_context():
        insider_sql(statement, {"seq": seq})
        db.session.commit()
        return integrity.verify_audit_chain().problems


def test_an_untouched_chain_verifies(chain):
    app, _ = chain
    with app.app_context():
        report = integrity.verify_audit_chain()
        assert report.problems == []
        assert report.checked == db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_the_columns_say_what_the_hashed_record_says(chain):
    app, middle = chain
    with app.app_context():
        event = db.session.get(AuditEvent, middle)
        actor = db.session.scalar(select(User).where(User.email == "auditor@example.org"))
        assert (event.action, event.actor_id, event.object_type, event.object_id) == (
            "archive.searched",
            actor.id,
            "assessment",
            "41",
        )
        assert event.occurred_at == datetime.fromisoformat(json.loads(event.canonical)["at"])
        with unit_of_work():
            system = audit.record("audit.checkpoint")
        assert (system.action, system.actor_id, system.object_type, system.object_id) == (
            "audit.checkpoint",
            None,
            None,
            None,
        )
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.occurred_at >= event.occurred_at)
            )
            == 3
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'user.signed_in' WHERE seq = :seq",
        "UPDATE audit_event SET actor_id = NULL WHERE seq = :seq",
        "UPDATE audit_event SET object_type = 'user' WHERE seq = :seq",
        "UPDATE audit_event SET object_id = '99' WHERE seq = :seq",
        "UPDATE audit_event SET occurred_at = occurred_at WHERE seq = :seq",
    ],
)
def test_the_database_refuses_to_edit_a_column_apart_from_the_record(chain, statement):
    app, middle = chain
    with app.app_context():
        with pytest.raises(DBAPIError, match="(?i)generated column"):
            db.session.execute(text(statement), {"seq": middle})
        db.session.rollback()
        assert integrity.verify_audit_chain().problems == []


def test_the_database_refuses_a_record_that_is_not_json(chain):
    app, middle = chain
    with app.app_context():
        with pytest.raises(DBAPIError, match="(?i)json"):
            insider_sql("UPDATE audit_event SET canonical = 'not json' WHERE seq = :seq", {"seq": middle})
        db.session.rollback()


def test_editing_the_record_is_reported_once_as_altered_and_the_columns_follow_it(chain):
    app, middle = chain
    problems = _tamper(
        app,
        "UPDATE audit_event SET canonical = replace(canonical, 'archive.searched', 'user.signed_in') WHERE seq = :seq",
        middle,
    )
    assert problems == [f"event {middle}: its content does not match its hash (the event was altered)"]
    with app.app_context():
        assert db.session.get(AuditEvent, middle).action == "user.signed_in"


def test_a_column_no_longer_generated_is_reported_and_the_migration_refuses_to_hide_its_edit(chain, capfd):
    """The way round the generated columns is to redefine the table (here: the previous schema, whose
    columns could be updated): verification says so, and upgrading again refuses while a column has
    been edited."""
    app, middle = chain
    with app.app_context():
        try:
            downgrade(revision="0011")
            # The old schema has no append-only triggers (0018 comes later): plain SQL works.
            db.session.execute(
                text("UPDATE audit_event SET action = 'user.signed_in' WHERE seq = :seq"), {"seq": middle}
            )
            db.session.commit()
            problems = integrity.verify_audit_chain().problems
            assert problems == [
                f"audit table: column {column} is no longer generated from the hashed record: its "
                "values may have been edited"
                for column in DERIVED_COLUMNS[db.engine.dialect.name]
            ]
            with pytest.raises(SystemExit):  # Flask-Migrate logs the migration's error and exits 1
                upgrade()
            assert (
                f"columns disagree with their hashed record (edited outside the application): {middle}. "
                "Nothing was changed" in capfd.readouterr().err
            )
            db.session.rollback()
            db.session.execute(
                text("UPDATE audit_event SET action = 'archive.searched' WHERE seq = :seq"), {"seq": middle}
            )
            db.session.commit()
        finally:
            upgrade()
        assert integrity.verify_audit_chain().problems == []


def test_a_column_generated_some_other_way_is_reported(chain):
    app, _ = chain
    with app.app_context():
        dialect = db.engine.dialect.name
        if dialect == "sqlite":  # SQLite keeps the CREATE TABLE text: edit it as someone with the file could
            db.session.execute(text("PRAGMA writable_schema = ON"))
            db.session.execute(
                text(
                    "UPDATE sqlite_master SET sql = replace(sql, '''$.object.id''', '''$.action''') "
                    "WHERE name = 'audit_event'"
                )
            )
            db.session.commit()
            db.session.close()
            db.engine.dispose()
        else:
            _regenerate_object_id("(canonical::jsonb ->> 'action')")
        try:
            problems = integrity.verify_audit_chain().problems
        finally:
            if dialect == "postgresql":
                _regenerate_object_id(DERIVED_COLUMNS["postgresql"]["object_id"])
    assert len(problems) == 1 and problems[0].startswith("audit table: column object_id is generated by "), problems
    assert problems[0].endswith("not as this release defines it: its values may not say what the hashed record says")


def _regenerate_object_id(expression: str) -> None:
    db.session.execute(
        text(
            f"ALTER TABLE audit_event DROP COLUMN object_id, ADD COLUMN object_id varchar(60) "
            f"GENERATED ALWAYS AS ({expression}) STORED"
        )
    )
    db.session.execute(text("CREATE INDEX IF NOT EXISTS ix_audit_event_object ON audit_event (object_type, object_id)"))
    db.session.commit()


def test_a_deleted_event_in_the_middle_is_reported(chain):
    app, middle = chain
    problems = _tamper(app, "DELETE FROM audit_event WHERE seq = :seq", middle)
    assert problems == [
        f"event {middle} missing: the sequence jumps from {middle - 1} to {middle + 1}",
        f"event {middle + 1}: its previous-hash does not match the hash of the event before it",
    ]


def test_several_processes_report_exactly_what_one_does(chain, monkeypatch):
    """Ranges are hashed in separate processes, each carrying on from the event before its range: a gap
    across a range's start, an edit at its first event and a deleted tail read as in a single pass."""
    app, middle = chain
    monkeypatch.setattr(integrity, "_MIN_EVENTS_PER_WORKER", 1)
    with app.app_context():
        head = db.session.scalar(select(func.max(AuditEvent.seq)))
        ranges = integrity._ranges(head, 3)
        assert len(ranges) == 3 and ranges[0][0] == 1 and ranges[-1][1] == head
        second_start = ranges[1][0]
        insider_sql(
            "DELETE FROM audit_event WHERE seq BETWEEN :first AND :last",
            {"first": second_start - 1, "last": second_start},
        )
        insider_sql(
            "UPDATE audit_event SET canonical = replace(canonical, '\"seq\"', '\"seq\" ') WHERE seq = :seq",
            {"seq": ranges[2][0]},
        )
        insider_sql("DELETE FROM audit_event WHERE seq = :seq", {"seq": head})
        db.session.commit()
        single = integrity.verify_audit_chain(workers=1)
        parallel = integrity.verify_audit_chain(workers=3)
    assert parallel.problems == single.problems and parallel.checked == single.checked == head - 3
    assert single.problems[:2] == [
        f"events {second_start - 1} to {second_start} missing: the sequence jumps from {second_start - 2} to {second_start + 1}",
        f"event {second_start + 1}: its previous-hash does not match the hash of the event before it",
    ]
    assert f"event {ranges[2][0]}: its content does not match its hash (the event was altered)" in single.problems


def test_small_chains_are_verified_in_this_process():
    assert integrity._ranges(250_000, 8) == [(1, 125_000), (125_001, 250_000)]
    assert integrity._ranges(99_999, 8) == [(1, 99_999)]
    assert integrity._ranges(0, 2) == [(1, 0)]


def test_renumbering_an_event_shows_as_a_gap(chain):
    """seq is not derived from the record: it is the chain's order, so any change to it breaks the order."""
    app, middle = chain
    problems = _tamper(app, "UPDATE audit_event SET seq = seq + 1000 WHERE seq = :seq", middle)
    assert f"event {middle} missing: the sequence jumps from {middle - 1} to {middle + 1}" in problems
    assert any(problem.startswith(f"events {middle + 2} to {middle + 999} missing") for problem in problems), problems
