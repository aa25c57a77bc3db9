"""Migrations: numbered, in step with the models, and reversible."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from eia.extensions import db
from eia.models.search import include_in_schema_comparison

VERSIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"


def test_revisions_are_numbered_and_chained():
    # Numbers increase; each revision revises the one before it (numbers may skip while branches
    # developed in parallel wait to be merged and renumbered).
    files = sorted(p.name for p in VERSIONS.glob("*.py"))
    numbers = [int(re.match(r"(\d{4})_", name).group(1)) for name in files]
    assert numbers[0] == 1 and numbers == sorted(set(numbers)), files
    previous = "None"
    for number, name in zip(numbers, files, strict=True):
        text = (VERSIONS / name).read_text()
        assert f"revision = '{number:04d}'" in text
        assert f"down_revision = {previous}" in text, name
        previous = f"'{number:04d}'"


def test_models_match_migrations(app):
    with app.app_context():
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_name": include_in_schema_comparison})
            differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_downgrade_to_nothing_and_back(app):
    with app.app_context():
        downgrade(revision="base")
        assert set(db.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert {"assessment", "audit_event", "user"} <= set(db.inspect(db.engine).get_table_names())


def test_each_persons_role_becomes_their_one_role_and_back(demo):
    # 0016: "user.role" became user_role rows. Down, a person keeps one role (the first by name: the
    # demo approver who sits on the Board is an approver again); up again, each role is their one role.
    from sqlalchemy import text

    with demo.app_context():
        downgrade(revision="0013")
        with db.engine.connect() as connection:
            roles = dict(connection.execute(text('SELECT email, role FROM "user"')).all())
        assert roles["approver-board@example.org"] == "approver"
        assert roles["board@example.org"] == "board" and roles["author@example.org"] == "author"
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                text('SELECT u.email, r.role FROM user_role r JOIN "user" u ON u.id = r.user_id')
            ).all()
        assert sorted(rows) == sorted(roles.items())
