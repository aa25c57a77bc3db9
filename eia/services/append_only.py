"""Append-only at the database: triggers refuse UPDATE and DELETE on the audit log and the archive.

Installed by migration 0018 on both databases. The one update the application makes is allowed:
setting an archived record's audit event number, once, in its sign-off transaction. On PostgreSQL
the documented role split (``eia audit role-grants``) keeps even DDL out of the application's reach;
an owner who removes the triggers still cannot dodge the hash chain, checkpoints and cross-checks.
"""

from __future__ import annotations

from sqlalchemy import text

from eia.extensions import db

APPEND_ONLY_TABLES = ("audit_event", "archived_record")
# archived_record's columns other than audit_seq: none may change once written.
_ARCHIVED_RECORD_FIXED = (
    "id",
    "assessment_id",
    "organisation_id",
    "reference",
    "version_number",
    "sha256",
    "size",
    "storage_backend",
    "storage_key",
    "content",
    "signer_certificate_sha256",
    "signed_at",
    "snapshot",
)
REFUSAL = "is append-only: rows cannot be changed or deleted"

POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION eia_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% {REFUSAL}', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$""",
    f"""
    CREATE OR REPLACE FUNCTION eia_archived_record_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            IF OLD.audit_seq IS NULL AND NEW.audit_seq IS NOT NULL
               AND ({", ".join(f"NEW.{c}" for c in _ARCHIVED_RECORD_FIXED)})
                   IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in _ARCHIVED_RECORD_FIXED)}) THEN
                RETURN NEW;  -- the sign-off recording which audit event archived the record
            END IF;
        END IF;
        RAISE EXCEPTION 'archived_record {REFUSAL}' USING ERRCODE = 'insufficient_privilege';
    END $$""",
    (
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION eia_refuse_change()"
    ),
    (
        "CREATE TRIGGER archived_record_append_only BEFORE UPDATE OR DELETE ON archived_record "
        "FOR EACH ROW EXECUTE FUNCTION eia_archived_record_guard()"
    ),
    *[
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION eia_refuse_change()"
        for table in APPEND_ONLY_TABLES
    ],
]
POSTGRESQL_REMOVE = [
    *[
        f"DROP TRIGGER IF EXISTS {table}_{kind} ON {table}"
        for table in APPEND_ONLY_TABLES
        for kind in ("append_only", "no_truncate")
    ],
    "DROP FUNCTION IF EXISTS eia_refuse_change()",
    "DROP FUNCTION IF EXISTS eia_archived_record_guard()",
]

_SQLITE_SETTING_AUDIT_SEQ = " AND ".join(
    ["OLD.audit_seq IS NULL", "NEW.audit_seq IS NOT NULL"] + [f"NEW.{c} IS OLD.{c}" for c in _ARCHIVED_RECORD_FIXED]
)
SQLITE_INSTALL = [
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
        BEGIN SELECT RAISE(ABORT, 'audit_event {REFUSAL}'); END""",
    f"""CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
        BEGIN SELECT RAISE(ABORT, 'audit_event {REFUSAL}'); END""",
    f"""CREATE TRIGGER archived_record_no_update BEFORE UPDATE ON archived_record
        WHEN NOT ({_SQLITE_SETTING_AUDIT_SEQ})
        BEGIN SELECT RAISE(ABORT, 'archived_record {REFUSAL}'); END""",
    f"""CREATE TRIGGER archived_record_no_delete BEFORE DELETE ON archived_record
        BEGIN SELECT RAISE(ABORT, 'archived_record {REFUSAL}'); END""",
]
SQLITE_REMOVE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in (
        "audit_event_no_update",
        "audit_event_no_delete",
        "archived_record_no_update",
        "archived_record_no_delete",
    )
]


# Renewed files of archived records (`eia archive renew`, migration 0024): written once, never changed.
RENEWAL_TABLE = "record_renewal"
_RENEWAL_INSTALL = {
    "postgresql": [
        f"CREATE TRIGGER {RENEWAL_TABLE}_append_only BEFORE UPDATE OR DELETE ON {RENEWAL_TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION eia_refuse_change()",
        f"CREATE TRIGGER {RENEWAL_TABLE}_no_truncate BEFORE TRUNCATE ON {RENEWAL_TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION eia_refuse_change()",
    ],
    "sqlite": [
        f"""CREATE TRIGGER {RENEWAL_TABLE}_no_update BEFORE UPDATE ON {RENEWAL_TABLE}
        BEGIN SELECT RAISE(ABORT, '{RENEWAL_TABLE} {REFUSAL}'); END""",
        f"""CREATE TRIGGER {RENEWAL_TABLE}_no_delete BEFORE DELETE ON {RENEWAL_TABLE}
        BEGIN SELECT RAISE(ABORT, '{RENEWAL_TABLE} {REFUSAL}'); END""",
    ],
}
_RENEWAL_REMOVE = {
    "postgresql": [
        f"DROP TRIGGER IF EXISTS {RENEWAL_TABLE}_{kind} ON {RENEWAL_TABLE}" for kind in ("append_only", "no_truncate")
    ],
    "sqlite": [f"DROP TRIGGER IF EXISTS {RENEWAL_TABLE}_{kind}" for kind in ("no_update", "no_delete")],
}


def renewal_install_statements(dialect: str) -> list[str]:
    return _RENEWAL_INSTALL["postgresql" if dialect == "postgresql" else "sqlite"]


def renewal_remove_statements(dialect: str) -> list[str]:
    return _RENEWAL_REMOVE["postgresql" if dialect == "postgresql" else "sqlite"]


def install_statements(dialect: str) -> list[str]:
    return POSTGRESQL_INSTALL if dialect == "postgresql" else SQLITE_INSTALL


def remove_statements(dialect: str) -> list[str]:
    return POSTGRESQL_REMOVE if dialect == "postgresql" else SQLITE_REMOVE


def suspend_triggers() -> list[str]:
    """For the tables' owner only (restores, tests acting as an insider): lift the refusal in this
    transaction. Returns what ``restore_triggers`` needs to put back."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        return []
    installed = db.session.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name IN ('audit_event', 'archived_record', 'record_renewal')"
        )
    ).all()
    for name, _ in installed:
        db.session.execute(text(f"DROP TRIGGER {name}"))
    return [sql for _, sql in installed]


def restore_triggers(suspended: list[str]) -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = origin"))
    for statement in suspended:
        db.session.execute(text(statement))


def role_grants(application_role: str = "eia_app", owner_role: str = "eia_owner") -> str:
    """The SQL that splits the database's roles: the owner holds the tables (and the triggers), the
    application may only INSERT and SELECT the audit log and the archive."""
    tables = ", ".join((*APPEND_ONLY_TABLES, RENEWAL_TABLE))
    return f"""-- 1. As a superuser: the owner runs migrations (`flask db upgrade` with DATABASE_URL as {owner_role});
--    the application connects as {application_role}, which owns nothing.
CREATE ROLE {owner_role} LOGIN PASSWORD 'choose one';
CREATE ROLE {application_role} LOGIN PASSWORD 'choose another';
GRANT CREATE, USAGE ON SCHEMA public TO {owner_role};
GRANT USAGE ON SCHEMA public TO {application_role};
-- 2. As {owner_role}, after every `flask db upgrade`:
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {application_role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {application_role};
-- The audit log and the archive: add and read only. Setting a new record's audit event number is the
-- one UPDATE a sign-off makes; the trigger allows only that.
REVOKE UPDATE, DELETE, TRUNCATE ON {tables} FROM {application_role};
GRANT UPDATE (audit_seq) ON archived_record TO {application_role};
-- {application_role} is not the owner, so it cannot drop or disable the triggers or alter the tables.
"""
