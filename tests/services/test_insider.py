"""The insider the integrity checks exist for: someone with write access to the database who wants a
different history. Each case is reported by the command line and by the web integrity check, or
refused by the database (issue 16)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from eia.domain.audit import canonical_bytes, chain_hash
from eia.extensions import db
from eia.models import ArchivedRecord, AuditEvent
from eia.services import archive
from eia.services.append_only import role_grants
from tests.conftest import PASSWORD, POSTGRES_URL, signed_in
from tests.insider import insider_sql
from tests.journeys import act, complete_assessment, start_assessment, submit


@pytest.fixture
def system(make_app, tmp_path):
    from eia.services.demo import seed

    app = make_app(AUDIT_CHECKPOINT_DIR=tmp_path / "checkpoints")
    with app.app_context():
        seed(PASSWORD)
    return app


def _signed_off(app, title: str) -> int:
    author = signed_in(app, "author@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id, title=title)
    submit(author, assessment_id)
    approver = signed_in(app, "approver@example.org")
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve", {"comment": "Content with the mitigation"})
    return assessment_id


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _web_check(app, assessment_id: int):
    auditor = signed_in(app, "auditor@example.org")
    return auditor.get(f"/archive/{assessment_id}?check=integrity")


def _record(assessment_id: int) -> ArchivedRecord:
    return db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id))


def test_an_untouched_system_is_intact_everywhere(system):
    assessment_id = _signed_off(system, "Custody handover")
    assert list((system.config["AUDIT_CHECKPOINT_DIR"]).glob("checkpoint-*.json")), "the sign-off kept a checkpoint"
    assert _cli(system, "archive", "verify").exit_code == 0
    assert _cli(system, "audit", "verify").exit_code == 0
    page = _web_check(system, assessment_id)
    assert page.text_of(id="record-verdict-1") == "Intact"
    assert page.text_of(id="chain-verdict") == "Intact"
    assert "does not match the audit log" not in page.text


def test_a_record_swapped_for_another_genuine_record_is_reported(system):
    first = _signed_off(system, "Custody handover")
    second = _signed_off(system, "Stop and search briefing")
    with system.app_context():
        original, other = _record(first), _record(second)
        insider_sql(
            "UPDATE archived_record SET content = :c, sha256 = :h, size = :s WHERE id = :i",
            {"c": archive.archived_pdf(other), "h": other.sha256, "s": other.size, "i": original.id},
        )
        label = f"{original.reference} version 1"
    result = _cli(system, "archive", "verify")
    assert result.exit_code == 1
    assert f"{label} (archive {original.id}): the record's SHA-256 is not the one audit event" in result.output
    assert "the signed file was replaced" in result.output
    assert "not of this one: the file was swapped" in result.output
    page = _web_check(system, first)
    assert page.text_of(id="record-verdict-1") == "Problem found"
    assert "the signed file was replaced" in page.text


def test_a_deleted_record_is_reported(system):
    assessment_id = _signed_off(system, "Custody handover")
    with system.app_context():
        record_id = _record(assessment_id).id
        insider_sql("DELETE FROM archived_record WHERE id = :i", {"i": record_id})
    result = _cli(system, "archive", "verify")
    assert result.exit_code == 1
    assert f"records archiving signed record {record_id}" in result.output
    assert "the archive no longer holds it: it was deleted" in result.output
    assert _cli(system, "audit", "verify").exit_code == 1
    assert _web_check(system, assessment_id).text_of(id="chain-verdict") == "Problem found"


def test_the_last_five_events_deleted_are_reported_by_the_command_and_the_web_check(system):
    assessment_id = _signed_off(system, "Custody handover")
    with system.app_context():
        last = db.session.scalar(select(func.max(AuditEvent.seq)))
        insider_sql("DELETE FROM audit_event WHERE seq > :s", {"s": last - 5})
    result = _cli(system, "audit", "verify")  # no arguments: the newest kept checkpoint is read
    assert result.exit_code == 1
    assert f"events {last - 4} to {last} were deleted" in result.output
    page = _web_check(system, assessment_id)  # signing in appended an event in a deleted one's place
    assert page.text_of(id="chain-verdict") == "Problem found"
    assert f"to {last} were deleted" in page.text_of(id="chain-problems")


def _rewrite_chain_from(seq: int) -> None:
    """Change one early event and recompute every later hash, as a careful insider would."""
    rows = db.session.execute(
        select(AuditEvent.seq, AuditEvent.canonical, AuditEvent.prev_hash)
        .where(AuditEvent.seq >= seq)
        .order_by(AuditEvent.seq)
    ).all()
    prev_hash, updates = rows[0].prev_hash, []
    for row in rows:
        body = json.loads(row.canonical)
        if row.seq == seq:
            body["details"] = {**body.get("details", {}), "note": "rewritten"}
        canonical = canonical_bytes(body)
        entry_hash = chain_hash(prev_hash, canonical)
        updates.append({"s": row.seq, "c": canonical.decode(), "p": prev_hash, "e": entry_hash})
        prev_hash = entry_hash
    # Moved out of the way first: each hash is unique in the table.
    insider_sql("UPDATE audit_event SET prev_hash = 'x' || seq, entry_hash = 'y' || seq WHERE seq >= :s", {"s": seq})
    insider_sql("UPDATE audit_event SET canonical = :c, prev_hash = :p, entry_hash = :e WHERE seq = :s", updates)


def test_a_chain_rewritten_from_an_early_event_is_reported_by_every_check(system):
    assessment_id = _signed_off(system, "Custody handover")
    with system.app_context():
        _rewrite_chain_from(2)
    chain = _cli(system, "audit", "verify")
    assert chain.exit_code == 1
    assert "the log was rewritten after the checkpoint" in chain.output
    records = _cli(system, "archive", "verify")
    assert records.exit_code == 1
    assert "and the log now holds a different one: the log was rewritten" in records.output
    page = _web_check(system, assessment_id)
    assert page.text_of(id="chain-verdict") == "Problem found"
    assert page.text_of(id="record-verdict-1") == "Problem found"
    assert "the log was rewritten" in page.text


def test_a_chain_rewritten_is_caught_by_the_signed_records_even_without_checkpoints(make_app):
    from eia.services.demo import seed

    app = make_app()  # no checkpoint directory
    with app.app_context():
        seed(PASSWORD)
    _signed_off(app, "Custody handover")
    with app.app_context():
        _rewrite_chain_from(2)
    assert _cli(app, "audit", "verify").exit_code == 0, "a careful rewrite keeps the chain itself consistent"
    records = _cli(app, "archive", "verify")
    assert records.exit_code == 1
    assert "the log was rewritten" in records.output


def test_a_forged_trail_row_is_reported_and_shown_with_a_warning(system):
    assessment_id = _signed_off(system, "Custody handover")
    with system.app_context():
        insider_sql(
            "UPDATE transition SET comment = 'Approved without reservation' "
            "WHERE assessment_id = :a AND comment IS NOT NULL",
            {"a": assessment_id},
        )
    result = _cli(system, "archive", "verify")
    assert result.exit_code == 1
    assert "the comment shown differ from the audit log: the trail was edited" in result.output
    auditor = signed_in(system, "auditor@example.org")
    record_page = auditor.get(f"/archive/{assessment_id}")
    assert "the trail was edited" in record_page.text_of(id="trail-warning-1")
    assessment_page = auditor.get(f"/assessments/{assessment_id}")
    assert "This trail does not match the audit log" in assessment_page.text_of(id="trail-warning")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET canonical = canonical WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)",
        "UPDATE archived_record SET sha256 = sha256",
        "UPDATE archived_record SET audit_seq = audit_seq + 1",
        "DELETE FROM archived_record",
    ],
)
def test_the_database_refuses_changes_to_the_audit_log_and_the_archive(system, statement):
    _signed_off(system, "Custody handover")
    with system.app_context():
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(ArchivedRecord)) == 1
    assert _cli(system, "archive", "verify").exit_code == 0


def _drop_role(role: str) -> None:
    if db.session.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
        db.session.execute(text(f"DROP OWNED BY {role}"))
        db.session.execute(text(f"DROP ROLE {role}"))


@pytest.mark.skipif(not POSTGRES_URL, reason="roles are PostgreSQL's")
def test_the_application_role_can_only_add_to_and_read_the_audit_log_and_the_archive(system):
    _signed_off(system, "Custody handover")
    grants = role_grants("eia_app_test", "eia_owner_test")
    with system.app_context():
        owner = db.session.scalar(text("SELECT current_user"))
        _drop_role("eia_app_test")
        # The tables stay owned by the test's superuser, standing in for the owner role.
        sql = " ".join(line for line in grants.splitlines() if not line.lstrip().startswith("--"))
        for statement in filter(str.strip, sql.split(";")):
            if "eia_owner_test" not in statement:
                db.session.execute(text(statement))
        db.session.commit()
        try:
            db.session.execute(text("SET ROLE eia_app_test"))
            assert db.session.scalar(text("SELECT count(*) FROM audit_event")) > 0
            for refused in (
                "UPDATE audit_event SET canonical = canonical",
                "DELETE FROM audit_event",
                "TRUNCATE audit_event",
                "UPDATE archived_record SET sha256 = sha256",
                "DELETE FROM archived_record",
                "ALTER TABLE audit_event DISABLE TRIGGER USER",
            ):
                with (
                    pytest.raises(DBAPIError, match="(?i)permission denied|must be (the )?owner"),
                    db.session.begin_nested(),
                ):
                    db.session.execute(text(refused))
        finally:
            db.session.rollback()
            db.session.execute(text(f"SET ROLE {owner}"))
            _drop_role("eia_app_test")
            db.session.commit()
