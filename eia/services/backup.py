"""Backup and restore: a portable bundle of everything, and its restore into an empty instance.

The bundle is a zip file:

    manifest.json          format, schema revision, row counts, and the SHA-256 and size of every other member
    tables/<table>.jsonl   every row of every table, one JSON object per line (dates ISO 8601 UTC, bytes base64)
    archive/<sha256>.pdf   every archived signed PDF, whichever storage backend holds it
    (the seal_certificate table carries every organisation's seal certificates, so every record verifies
    on the restored instance; private keys are never in the bundle: they are backed up separately)
    audit-head.json        the audit chain's head (sequence and hash) when the bundle was made

It is database-neutral: a bundle from SQLite restores into PostgreSQL and back. Restoring checks
the manifest first, refuses a database that already has data, writes everything in one
transaction, then re-verifies the audit chain and every archived PDF and reports what it found.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Date, DateTime, LargeBinary, Table, func, select, text

from eia.extensions import db
from eia.models import ArchivedRecord, AuditEvent, Organisation, RecordRenewal
from eia.models.types import utcnow
from eia.services import audit, integrity, seals
from eia.services.archive import archived_pdf, renewal_pdf
from eia.services.database import is_postgresql, unit_of_work
from eia.services.storage import FilesystemStorage

FORMAT = "due-regard-export/1"
MANIFEST = "manifest.json"
AUDIT_HEAD = "audit-head.json"
# The PDF bytes travel as archive/<sha256>.pdf members, not inside the row.
ARCHIVE_CONTENT = ("archived_record", "content")
# So do renewed files (`eia archive renew`): the same columns, the same members.
FILE_TABLES = (ARCHIVE_CONTENT[0], "record_renewal")
_BATCH = 1000


class BundleError(Exception):
    """The bundle cannot be restored here; the message says why. Nothing was written."""


@dataclass
class RestoreReport:
    counts: dict[str, int]
    audit: integrity.IntegrityReport
    archive: integrity.IntegrityReport
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.audit.ok and self.archive.ok


def tables() -> list[Table]:
    return list(db.metadata.sorted_tables)  # parents before children


def _kind(table: Table, column) -> str:
    column_type = getattr(column.type, "impl", column.type)
    if isinstance(column_type, DateTime):
        return "datetime"
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, LargeBinary):
        return "bytes"
    return "json"


def _encode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    return value


def _decode(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    return value


def schema_revision() -> str | None:
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()


# --- export ---------------------------------------------------------------------------------------


def export_bundle(path: Path) -> dict[str, Any]:
    """Write the bundle to ``path``; returns its manifest. Reads in one transaction (a consistent copy
    on PostgreSQL, whose default isolation is per statement, needs REPEATABLE READ: set below)."""
    db.session.close()  # start a fresh transaction, so its isolation level can be chosen
    if is_postgresql():
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    members: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    columns: dict[str, dict[str, str]] = {}

    def add(archive: zipfile.ZipFile, name: str, content: bytes) -> None:
        archive.writestr(name, content)
        members[name] = {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in tables():
            # Generated columns are left out: the database derives them again on restore.
            kinds = {
                c.name: _kind(table, c)
                for c in table.columns
                if not (table.name in FILE_TABLES and c.name == ARCHIVE_CONTENT[1]) and c.computed is None
            }
            columns[table.name] = kinds
            lines = []
            query = select(*[table.c[name] for name in kinds]).order_by(*table.primary_key.columns)
            for row in db.session.execute(query.execution_options(yield_per=_BATCH)).mappings():
                lines.append(
                    json.dumps(
                        {name: _encode(kinds[name], row[name]) for name in kinds}, ensure_ascii=False, sort_keys=True
                    )
                )
            counts[table.name] = len(lines)
            add(archive, f"tables/{table.name}.jsonl", ("\n".join(lines) + "\n" if lines else "").encode("utf-8"))
        for record in db.session.scalars(select(ArchivedRecord).order_by(ArchivedRecord.id)):
            name = f"archive/{record.sha256}.pdf"
            if name not in members:
                add(archive, name, archived_pdf(record))
        for renewal in db.session.scalars(select(RecordRenewal).order_by(RecordRenewal.id)):
            name = f"archive/{renewal.sha256}.pdf"
            if name not in members:
                add(archive, name, renewal_pdf(renewal))
        head = db.session.execute(
            select(AuditEvent.seq, AuditEvent.entry_hash).order_by(AuditEvent.seq.desc()).limit(1)
        ).first()
        audit_head = {"seq": head.seq, "entry_hash": head.entry_hash} if head else None
        add(archive, AUDIT_HEAD, json.dumps(audit_head).encode())
        manifest = {
            "format": FORMAT,
            "created_at": utcnow().isoformat(),
            "schema_revision": schema_revision(),
            "source_database": db.session.get_bind().dialect.name,
            "counts": counts,
            "columns": columns,
            "audit_head": audit_head,
            "members": members,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    db.session.rollback()  # end the read-only transaction
    return manifest


# --- import ---------------------------------------------------------------------------------------


def _read_verified(path: Path) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    try:
        bundle = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise BundleError(f"{path} is not a readable bundle: {error}") from None
    try:
        manifest = json.loads(bundle.read(MANIFEST))
    except (KeyError, ValueError) as error:
        raise BundleError(f"the bundle has no valid {MANIFEST}: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"the bundle is not a {FORMAT} bundle")
    problems = []
    listed = manifest.get("members", {})
    present = set(bundle.namelist()) - {MANIFEST}
    problems += [f"{name} is in the bundle but not in the manifest" for name in sorted(present - set(listed))]
    problems += [f"{name} is in the manifest but missing from the bundle" for name in sorted(set(listed) - present)]
    for name in sorted(present & set(listed)):
        content = bundle.read(name)
        if len(content) != listed[name]["size"] or hashlib.sha256(content).hexdigest() != listed[name]["sha256"]:
            problems.append(f"{name} does not match its SHA-256 in the manifest (altered or damaged)")
    if problems:
        raise BundleError("the bundle failed its manifest check, nothing was restored:\n  " + "\n  ".join(problems))
    return bundle, manifest


def _check_target(manifest: dict[str, Any]) -> None:
    revision = schema_revision()
    if revision != manifest["schema_revision"]:
        raise BundleError(
            f"the bundle is at schema revision {manifest['schema_revision']} but this database is at "
            f"{revision}: run `eia db upgrade` (with the matching release) first"
        )
    known = {table.name for table in tables()}
    if set(manifest["counts"]) != known:
        raise BundleError(f"the bundle's tables ({', '.join(sorted(manifest['counts']))}) are not this release's")
    not_empty = [t.name for t in tables() if db.session.scalar(select(func.count()).select_from(t))]
    if not_empty:
        raise BundleError(
            "this instance already has data (in " + ", ".join(not_empty) + "): restore only into an "
            "empty database, freshly created with `eia db upgrade`"
        )


def import_bundle(path: Path) -> RestoreReport:
    """Restore a bundle into this (empty) instance, then verify the audit chain and the archive."""
    bundle, manifest = _read_verified(path)
    with bundle:
        _check_target(manifest)
        archive_dir = current_app.config["ARCHIVE_DIR"]
        with unit_of_work():
            for table in tables():
                kinds = manifest["columns"][table.name]
                rows = [
                    {name: _decode(kinds[name], value) for name, value in json.loads(line).items()}
                    for line in bundle.read(f"tables/{table.name}.jsonl").decode("utf-8").splitlines()
                    if line
                ]
                if len(rows) != manifest["counts"][table.name]:
                    raise BundleError(
                        f"{table.name}: {len(rows)} rows but the manifest says {manifest['counts'][table.name]}"
                    )
                if table.name in FILE_TABLES:
                    for row in rows:
                        content = bundle.read(f"archive/{row['sha256']}.pdf")
                        if row["storage_backend"] == "filesystem":
                            FilesystemStorage(archive_dir).put(None, row["sha256"], content)
                            row["content"] = None
                        else:
                            row["content"] = content
                for start in range(0, len(rows), _BATCH):
                    db.session.execute(table.insert(), rows[start : start + _BATCH])
            _reset_sequences()
            audit.record(
                "backup.restored",
                details={
                    "created_at": manifest["created_at"],
                    "source_database": manifest["source_database"],
                    "counts": manifest["counts"],
                    "audit_head": manifest["audit_head"],
                },
            )
    report = RestoreReport(
        counts=manifest["counts"], audit=integrity.verify_audit_chain(), archive=integrity.verify_archive()
    )
    for organisation in db.session.scalars(select(Organisation).order_by(Organisation.id)):
        if seals.key_missing(organisation.id):
            report.notes.append(
                f"{organisation.name}'s seal key is not on this server, so its sign-offs will fail until "
                "you restore instance/signing/seals/ from the key backup, or start a new seal with "
                f"`eia seal rotate --organisation {organisation.slug}` (its records verify either way)"
            )
    return report


def _reset_sequences() -> None:
    """PostgreSQL's id sequences start after the restored rows (SQLite needs nothing)."""
    if not is_postgresql():
        return
    for table in tables():
        if "id" in table.c and table.c.id.autoincrement in (True, "auto") and table.c.id.primary_key:
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                )
            )
