"""`verify_audit_chain`: every kind of edit to the audit table is reported, precisely, on both databases.

The hash covers the canonical record; the queryable columns beside it are checked against that record
by the database (and, where it finds a difference or cannot parse a record, in Python for the message).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from eia.extensions import db
from eia.models import AuditEvent, User
from eia.services import audit, integrity
from eia.services.database import unit_of_work


@pytest.fixture
def chain(demo):
    """The demo's events plus three of our own; returns the app and the seq of the middle one."""
    with demo.app_context():
        actor = db.session.scalar(select(User).where(User.email == "auditor@example.org"))
        with unit_of_work():
            for number in range(3):
                audit.record("archive.searched", actor=actor, object_type="assessment", object_id=40 + number,
                             details={"query": f"custody {number}"})
        middle = db.session.scalar(select(func.max(AuditEvent.seq))) - 1
    return demo, middle


def _is_sqlite(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "sqlite"


def _tamper(app, statement: str, seq: int) -> list[str]:
    with app.app_context():
        db.session.execute(text(statement), {"seq": seq})
        db.session.commit()
        return integrity.verify_audit_chain().problems


def test_an_untouched_chain_verifies(chain):
    app, _ = chain
    with app.app_context():
        report = integrity.verify_audit_chain()
        assert report.problems == []
        assert report.checked == db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_the_database_itself_finds_the_events_whose_columns_disagree(chain):
    """The fast path: without it every event would be parsed in Python (correct, but several times slower)."""
    app, middle = chain
    with app.app_context():
        head = db.session.scalar(select(func.max(AuditEvent.seq)))
        assert integrity._seqs_with_disagreeing_columns(db.engine, head) == []
        db.session.execute(text("UPDATE audit_event SET object_id = '99' WHERE seq = :seq"), {"seq": middle})
        db.session.commit()
        assert integrity._seqs_with_disagreeing_columns(db.engine, head) == [middle]


@pytest.mark.parametrize(("statement", "expected"), [
    ("UPDATE audit_event SET action = 'user.signed_in' WHERE seq = :seq",
     "column action is 'user.signed_in' but the hashed record says 'archive.searched'"),
    ("UPDATE audit_event SET actor_id = NULL WHERE seq = :seq", "column actor_id is None but the hashed record says"),
    ("UPDATE audit_event SET object_type = 'user' WHERE seq = :seq",
     "column object_type is 'user' but the hashed record says 'assessment'"),
    ("UPDATE audit_event SET object_id = '99' WHERE seq = :seq", "column object_id is '99' but the hashed record says '41'"),
    ("UPDATE audit_event SET occurred_at = occurred_at - INTERVAL '1 day' WHERE seq = :seq",
     "column occurred_at is"),
])
def test_editing_a_column_the_hash_does_not_cover_is_reported(chain, statement, expected):
    app, middle = chain
    if "INTERVAL" in statement and _is_sqlite(app):
        statement = "UPDATE audit_event SET occurred_at = datetime(occurred_at, '-1 day') || '.000000' WHERE seq = :seq"
    problems = _tamper(app, statement, middle)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"event {middle}: {expected}"), problems


def test_editing_the_record_is_reported_once_as_altered(chain):
    app, middle = chain
    problems = _tamper(app, "UPDATE audit_event SET canonical = replace(canonical, 'custody 1', 'custody 9') "
                            "WHERE seq = :seq", middle)
    assert problems == [f"event {middle}: its content does not match its hash (the event was altered)"]


def test_a_record_that_is_not_json_is_reported_and_every_other_event_still_checked(chain):
    app, middle = chain
    with app.app_context():
        first = db.session.scalar(select(func.min(AuditEvent.seq)))
        db.session.execute(text("UPDATE audit_event SET action = 'user.signed_in' WHERE seq = :seq"), {"seq": first})
        db.session.commit()
    problems = _tamper(app, "UPDATE audit_event SET canonical = 'not json' WHERE seq = :seq", middle)
    assert f"event {middle}: its content does not match its hash (the event was altered)" in problems
    assert f"event {middle}: its hashed record is not valid JSON" in problems
    assert any(p.startswith(f"event {first}: column action is 'user.signed_in'") for p in problems), problems


def test_a_deleted_event_in_the_middle_is_reported(chain):
    app, middle = chain
    problems = _tamper(app, "DELETE FROM audit_event WHERE seq = :seq", middle)
    assert f"event {middle} missing: the sequence jumps from {middle - 1} to {middle + 1}" in problems
    assert f"event {middle + 1}: its previous-hash does not match the hash of the event before it" in problems
