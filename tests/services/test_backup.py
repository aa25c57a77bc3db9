"""Backup and restore round trips: every row equal, the audit chain verifies, the PDFs verify.

The suite's database (SQLite, or PostgreSQL with TEST_DATABASE_URL) is exported and restored into a
fresh SQLite file; that copy is exported again and restored into PostgreSQL (a separate schema of
the test database) when the suite runs on PostgreSQL, or into a second SQLite file otherwise. So on
PostgreSQL both directions, SQLite -> PostgreSQL and PostgreSQL -> SQLite, are covered in one run.
"""

from __future__ import annotations

import json
import zipfile

import pytest
from sqlalchemy import create_engine, func, select, text

from eia.extensions import db
from eia.models import ArchivedRecord, AuditEvent
from eia.services import backup
from eia.services.backup import BundleError
from tests import factories
from tests.conftest import PASSWORD, POSTGRES_URL, _make_app, _migrate, signed_in
from tests.journeys import act, complete_assessment, start_assessment, submit

RESTORE_SCHEMA = "restore_copy"


def _populate(app) -> None:
    """Something in every part: users, a signed-off record, a returned draft, comments, emails, tokens."""
    from eia.services.demo import seed

    with app.app_context():
        seed(PASSWORD)
    factories.signed_off(app, title="Signed – “quotes”, émoji 🚓", comment="Proportionate")
    returned = factories.submitted(app)
    factories.act(app, returned, "return", factories.APPROVER, comment="More evidence\nplease")
    author = signed_in(app, "author@example.org")
    author.submit(
        "/account/api-tokens/",
        {"name": "Script", "scopes": ["read"], "password": PASSWORD},
        action="/account/api-tokens/",
        status=200,
    )


def _rows(app) -> dict[str, list[dict]]:
    with app.app_context():
        return {
            table.name: [
                dict(row) for row in db.session.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            ]
            for table in backup.tables()
        }


def _without_restore_events(rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    events = rows["audit_event"]
    assert events[-1]["action"] == "backup.restored", "the restore is itself audited, at the end of the chain"
    return {**rows, "audit_event": [e for e in events if e["action"] != "backup.restored"]}


def _sqlite_target(tmp_path, name: str, source):
    instance = tmp_path / name
    instance.mkdir()
    uri = f"sqlite:///{instance / 'eia.db'}"
    _migrate(_make_app(uri, instance))
    # A fresh machine: no signing keys at all. The bundle's seal history is what makes records verify.
    return _make_app(uri, instance, ARCHIVE_DIR=instance / "archive", ARCHIVE_BACKEND=source.config["ARCHIVE_BACKEND"])


@pytest.fixture
def postgres_schema_target(tmp_path):
    """An empty, migrated PostgreSQL schema beside the test database's; dropped afterwards."""
    engine = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {RESTORE_SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {RESTORE_SCHEMA}"))
    uri = (
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1) + f"?options=-csearch_path%3D{RESTORE_SCHEMA}"
    )
    apps = []

    def build(source):
        instance = tmp_path / "postgres-target"
        instance.mkdir()
        _migrate(_make_app(uri, instance))
        app = _make_app(
            uri, instance, ARCHIVE_DIR=instance / "archive", ARCHIVE_BACKEND=source.config["ARCHIVE_BACKEND"]
        )
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {RESTORE_SCHEMA} CASCADE"))
    engine.dispose()


def _export(app, path) -> str:
    result = app.test_cli_runner().invoke(args=["export", "--output", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def _import(app, path) -> str:
    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("backend", ["database", "filesystem"])
def test_round_trip_keeps_every_row_and_everything_still_verifies(make_app, tmp_path, backend, request):
    source = make_app(ARCHIVE_BACKEND=backend)
    _populate(source)
    expected = _rows(source)
    assert len(expected["archived_record"]) == 1 and expected["outbound_email"] and expected["api_token"]

    first = tmp_path / "first.zip"
    assert "1 archived PDF(s)" in _export(source, first)
    with zipfile.ZipFile(first) as bundle:
        assert not [name for name in bundle.namelist() if b"PRIVATE KEY" in bundle.read(name)], "never a private key"
        assert b"BEGIN CERTIFICATE" in bundle.read("tables/seal_certificate.jsonl")
    copy = _sqlite_target(tmp_path, "sqlite-copy", source)
    output = _import(copy, first)
    assert "Audit events: 0 problem(s)" in output and "Archived records: 0 problem(s) in 1 checked" in output
    assert "note: Example Constabulary's seal key is not on this server" in output
    assert _without_restore_events(_rows(copy)) == expected

    second = tmp_path / "second.zip"
    _export(copy, second)
    if POSTGRES_URL:
        again = request.getfixturevalue("postgres_schema_target")(source)
    else:
        again = _sqlite_target(tmp_path, "sqlite-copy-2", source)
    output = _import(again, second)
    assert "Audit events: 0 problem(s)" in output and "Archived records: 0 problem(s) in 1 checked" in output
    restored = _rows(again)
    assert [e["action"] for e in restored["audit_event"][-2:]] == ["backup.restored", "backup.restored"]
    assert {**restored, "audit_event": restored["audit_event"][:-2]} == {
        **expected,
        "audit_event": expected["audit_event"],
    }
    # the restored instance carries on: new ids do not collide with restored ones
    author = signed_in(again, "author@example.org")
    assert start_assessment(author) == max(a["id"] for a in expected["assessment"]) + 1


def test_import_refuses_a_non_empty_instance_and_a_damaged_bundle(make_app, tmp_path):
    source = make_app()
    _populate(source)
    bundle = tmp_path / "bundle.zip"
    _export(source, bundle)
    result = source.test_cli_runner().invoke(args=["import", str(bundle)])
    assert result.exit_code == 1 and "already has data" in result.output

    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(bundle) as original, zipfile.ZipFile(damaged, "w") as copy:
        for item in original.infolist():
            content = original.read(item.filename)
            if item.filename == "tables/assessment.jsonl":
                content = content.replace(b'"status": "returned"', b'"status": "approved"')
            copy.writestr(item, content)
    target = _sqlite_target(tmp_path, "target", source)
    with target.app_context():
        with pytest.raises(BundleError, match="tables/assessment.jsonl does not match its SHA-256"):
            backup.import_bundle(damaged)
        assert db.session.scalar(select(AuditEvent)) is None, "nothing was restored"
    with zipfile.ZipFile(bundle) as original:
        manifest = json.loads(original.read("manifest.json"))
    assert manifest["counts"]["assessment"] == 2 and manifest["audit_head"]["seq"] == len(_rows(source)["audit_event"])


def test_a_restored_instance_without_the_key_verifies_everything_and_a_new_seal_carries_on(make_app, tmp_path, request):
    """Disaster recovery with the key lost: old records verify, sign-off is refused cleanly until
    `eia seal rotate`, then new records get the new seal and everything verifies."""
    source = make_app()
    _populate(source)
    bundle = tmp_path / "bundle.zip"
    _export(source, bundle)
    target = (
        request.getfixturevalue("postgres_schema_target")(source)
        if POSTGRES_URL
        else _sqlite_target(tmp_path, "fresh", source)
    )
    _import(target, bundle)
    assert target.config["INSTANCE_DIR"] != source.config["INSTANCE_DIR"]

    author = signed_in(target, "author@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id)
    submit(author, assessment_id)
    approver = signed_in(target, "approver@example.org")
    act(approver, assessment_id, "start_review")
    refused = act(approver, assessment_id, "approve", {"comment": "Kept"}, status=503)
    assert "Kept" in refused.text_of(id="comment")
    with target.app_context():
        assert db.session.scalar(select(func.count()).select_from(ArchivedRecord)) == 1, "nothing half-archived"

    rotated = target.test_cli_runner().invoke(args=["seal", "rotate", "--organisation", "example-constabulary"])
    assert rotated.exit_code == 0, rotated.output
    act(approver, assessment_id, "approve", {"comment": "Kept"})
    verified = target.test_cli_runner().invoke(args=["archive", "verify"])
    assert verified.exit_code == 0 and "all 2 intact" in verified.output, verified.output
    auditor = signed_in(target, "auditor@example.org")
    with target.app_context():
        assessment_ids = list(db.session.scalars(select(ArchivedRecord.assessment_id)))
    for archived in assessment_ids:
        assert auditor.get(f"/archive/{archived}?check=integrity").text_of(id="record-verdict-1") == "Intact"
