"""Integrity checks an auditor can run at any time: the audit chain, checkpoints and the archive.

Every check reports each problem precisely and never stops at the first one. Nothing here writes
except ``create_checkpoint``, which audits its own export.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import LargeBinary, cast, create_engine, func, select, text
from sqlalchemy.pool import NullPool

from eia.domain.audit import GENESIS_HASH, verify_chain
from eia.domain.signing import SealTrust, sha256_hex, verify_pdf
from eia.extensions import db
from eia.models import ArchivedRecord, AuditEvent, User
from eia.models.audit import DERIVED_COLUMNS
from eia.models.types import utcnow
from eia.services import audit, seals
from eia.services.archive import archived_pdf
from eia.services.database import unit_of_work
from eia.services.storage import FilesystemStorage, StorageError

CHECKPOINT_FORMAT = "due-regard-audit-checkpoint/1"
_BATCH = 5000
# Below this many events per process, starting another costs more than it saves.
_MIN_EVENTS_PER_WORKER = 100_000
# The workers `eia audit verify` asks for: one per CPU.
EVERY_CPU = os.cpu_count() or 1


@dataclass
class IntegrityReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not a breach

    @property
    def ok(self) -> bool:
        return not self.problems


# --- audit chain ----------------------------------------------------------------------------------


def verify_audit_chain(checkpoint: dict | None = None, *, workers: int = 1) -> IntegrityReport:
    """Recompute every event's hash and link, and check that the table still derives its queryable
    columns from the hashed records; with a checkpoint, also detect deleted recent events.

    With ``workers`` > 1 (the command line), large chains are split into ranges hashed in that many
    processes; the problems reported are the same, in the same order.
    """
    report = IntegrityReport()
    report.problems.extend(derived_column_problems())
    head_seq = db.session.scalar(select(func.max(AuditEvent.seq))) or 0
    ranges = _ranges(head_seq, workers)
    if len(ranges) == 1:
        results = [_verify_range(db.session.connection(), *ranges[0])]
    else:
        # fork: the workers need only the database URL and their range, and start in milliseconds.
        with ProcessPoolExecutor(len(ranges), mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_verify_range_in_worker, [db.engine.url] * len(ranges), *zip(*ranges)))
    for problems, _, _, checked in results:
        report.problems.extend(problems)
        report.checked += checked
    last_seq = results[-1][1]
    if checkpoint:
        report.problems.extend(_checkpoint_problems(checkpoint, last_seq))
    archived_up_to = db.session.scalar(select(func.max(ArchivedRecord.audit_seq)))
    if archived_up_to and archived_up_to > last_seq:
        report.problems.append(
            f"the archive refers to audit event {archived_up_to} but the log ends at {last_seq}: recent events were deleted"
        )
    return report


def _ranges(head_seq: int, workers: int) -> list[tuple[int, int]]:
    """Contiguous sequence ranges, one per worker, none smaller than _MIN_EVENTS_PER_WORKER."""
    count = max(1, min(workers, head_seq // _MIN_EVENTS_PER_WORKER))
    bounds = [1 + head_seq * part // count for part in range(count + 1)]
    bounds[-1] = head_seq + 1
    return [(bounds[part], bounds[part + 1] - 1) for part in range(count)]


def _verify_range(connection, first: int, last: int) -> tuple[list[str], int, str, int]:
    """``verify_chain`` over events first..last, carrying on from the event before ``first`` exactly as a
    single pass would (a gap spanning the range's start is reported here, once)."""
    before = connection.execute(select(AuditEvent.seq, AuditEvent.entry_hash).where(AuditEvent.seq < first)
                                .order_by(AuditEvent.seq.desc()).limit(1)).first()
    start_seq, start_hash = (before[0] + 1, before[1]) if before else (1, GENESIS_HASH)
    query = (select(AuditEvent.seq, _canonical_as_hashed(connection), AuditEvent.prev_hash,
                    AuditEvent.entry_hash).where(AuditEvent.seq.between(first, last)).order_by(AuditEvent.seq))
    # Core rows, not ORM objects: at 500k events the ORM's row loading alone costs 3-4x the hashing.
    rows = connection.execute(query.execution_options(yield_per=_BATCH))
    return verify_chain(rows, start_hash=start_hash, start_seq=start_seq)


def _verify_range_in_worker(url, first: int, last: int) -> tuple[list[str], int, str, int]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return _verify_range(connection, first, last)
    finally:
        engine.dispose()


def _canonical_as_hashed(connection):
    """The stored record in the form that is cheapest to hash: SQLite hands its text over as bytes
    without a decode (CAST AS BLOB); psycopg decodes text in C faster than it reads a bytea's hex
    form (convert_to took twice as long), so PostgreSQL sends text, encoded in the hash loop."""
    if connection.dialect.name == "postgresql":
        return AuditEvent.canonical
    return cast(AuditEvent.canonical, LargeBinary)


def derived_column_problems() -> list[str]:
    """The queryable columns must still be generated by the database from the hashed record, as this
    release defines them: then no edit can make them say something the record does not."""
    dialect = db.engine.dialect.name
    generated = _generated_columns(dialect)
    problems = []
    for column, expected in DERIVED_COLUMNS[dialect].items():
        if column not in generated:
            problems.append(f"audit table: column {column} is no longer generated from the hashed record: "
                            "its values may have been edited")
        elif _normalised(generated[column]) != _normalised(expected):
            problems.append(f"audit table: column {column} is generated by {generated[column]!r}, not as this "
                            "release defines it: its values may not say what the hashed record says")
    return problems


def _generated_columns(dialect: str) -> dict[str, str]:
    """{column: expression} for the audit table's stored generated columns, from the database's catalog."""
    if dialect == "postgresql":
        rows = db.session.execute(text("""
            SELECT attribute.attname, pg_get_expr(definition.adbin, definition.adrelid)
            FROM pg_attribute attribute
            JOIN pg_attrdef definition ON definition.adrelid = attribute.attrelid AND definition.adnum = attribute.attnum
            WHERE attribute.attrelid = 'audit_event'::regclass AND attribute.attgenerated = 's'
              AND NOT attribute.attisdropped"""))
        return dict(rows.all())
    stored = {row[1] for row in db.session.execute(text("PRAGMA table_xinfo(audit_event)")) if row[6] == 3}
    create = db.session.scalar(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'audit_event'"))
    return {name: expression for name, expression in _sqlite_generated_expressions(create).items() if name in stored}


_SQLITE_GENERATED = re.compile(r"[(,]\s*\"?(\w+)\"?\s[^,]*?GENERATED\s+ALWAYS\s+AS\s*\(", re.IGNORECASE)


def _sqlite_generated_expressions(create_table: str) -> dict[str, str]:
    """Each ``name ... GENERATED ALWAYS AS (expression)`` in a CREATE TABLE statement (SQLite keeps it verbatim)."""
    found, position = {}, 0
    while match := _SQLITE_GENERATED.search(create_table, position):
        depth, position = 1, match.end()
        while depth and position < len(create_table):  # to the parenthesis closing the expression
            depth += {"(": 1, ")": -1}.get(create_table[position], 0)
            position += 1
        found[match.group(1)] = create_table[match.end():position - 1]
    return found


def _normalised(expression: str) -> str:
    """Catalogs print an expression their own way (PostgreSQL adds parentheses and ::text casts)."""
    return re.sub(r"[\s()]|::text\b", "", expression).lower()


def _checkpoint_problems(checkpoint: dict, last_seq: int) -> list[str]:
    problems = checkpoint_signature_problems(checkpoint)
    seq = checkpoint["seq"]
    if seq > last_seq:
        problems.append(f"the checkpoint of {checkpoint['created_at']} vouches for {seq} events but the log ends "
                        f"at {last_seq}: events {last_seq + 1} to {seq} were deleted")
    elif db.session.scalar(select(AuditEvent.entry_hash).where(AuditEvent.seq == seq)) != checkpoint["entry_hash"]:
        problems.append(f"event {seq} does not have the hash the checkpoint of {checkpoint['created_at']} recorded: "
                        "the log was rewritten after the checkpoint")
    return problems


# --- checkpoints ----------------------------------------------------------------------------------


def _checkpoint_body(seq: int, entry_hash: str, created_at: str) -> bytes:
    body = {"format": CHECKPOINT_FORMAT, "seq": seq, "entry_hash": entry_hash, "created_at": created_at}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def create_checkpoint(actor: User | None = None) -> dict:
    """A signed statement of the chain head, to keep outside the database (deletion then shows)."""
    with unit_of_work():
        created_at = utcnow().isoformat(timespec="seconds")
        # The export is itself an event, and the checkpoint covers it: deleting it shows too.
        head = audit.record("audit.checkpoint", actor=actor, details={"created_at": created_at})
        signature = seals.instance_signer().sign_bytes(_checkpoint_body(head.seq, head.entry_hash, created_at))
    return {
        "format": CHECKPOINT_FORMAT,
        "seq": head.seq,
        "entry_hash": head.entry_hash,
        "created_at": created_at,
        "signature": signature.hex(),
        "certificate_sha256": seals.instance_signer().certificate_fingerprint,
    }


def load_checkpoint(text: str) -> dict:
    try:
        checkpoint = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"The checkpoint is not JSON: {error}") from None
    required = {"format": str, "seq": int, "entry_hash": str, "created_at": str, "signature": str}
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"The checkpoint is not a {CHECKPOINT_FORMAT} file")
    for key, kind in required.items():
        if not isinstance(checkpoint.get(key), kind):
            raise ValueError(f"The checkpoint has no valid {key!r}")
    try:
        datetime.fromisoformat(checkpoint["created_at"])
        bytes.fromhex(checkpoint["signature"])
    except ValueError:
        raise ValueError("The checkpoint's created_at or signature is malformed") from None
    return checkpoint


def checkpoint_signature_problems(checkpoint: dict) -> list[str]:
    body = _checkpoint_body(checkpoint["seq"], checkpoint["entry_hash"], checkpoint["created_at"])
    if not seals.instance_signer().verify_bytes(body, bytes.fromhex(checkpoint["signature"])):
        return ["the checkpoint's signature is not valid for this instance's key: it was altered or made elsewhere"]
    return []


# --- archive --------------------------------------------------------------------------------------


def verify_archived_record(record: ArchivedRecord, trust: SealTrust | None = None) -> list[str]:
    """The stored file against its record (size, SHA-256) and its seal against its organisation's seal history."""
    label = f"{record.reference} version {record.version_number} (archive {record.id})"
    try:
        content = archived_pdf(record)
    except StorageError as error:
        return [f"{label}: the stored file cannot be read: {error}"]
    problems = []
    if len(content) != record.size:
        problems.append(f"{label}: the stored file is {len(content)} bytes, the record says {record.size}")
    if sha256_hex(content) != record.sha256:
        problems.append(f"{label}: the stored file's SHA-256 does not match the record (the file was altered)")
    verification = verify_pdf(content, trust or seals.trust_for(record.organisation_id))
    problems += [f"{label}: {problem}" for problem in verification.problems]
    return problems


def verify_archive() -> IntegrityReport:
    report = IntegrityReport()
    trust: dict[int, SealTrust] = {}
    referenced = set()
    for record in db.session.scalars(select(ArchivedRecord).order_by(ArchivedRecord.id)):
        report.checked += 1
        referenced.add(record.storage_key)
        if record.organisation_id not in trust:
            trust[record.organisation_id] = seals.trust_for(record.organisation_id)
        report.problems.extend(verify_archived_record(record, trust[record.organisation_id]))
    files = FilesystemStorage(current_app.config["ARCHIVE_DIR"])
    for key in sorted(files.keys() - referenced):
        report.notes.append(f"{files.path_for(key)} is not referenced by any record (left by a sign-off that rolled back)")
    return report


@dataclass
class UploadVerification:
    """What an auditor learns about a PDF they hold: is it intact and signed by us, and is it ours."""

    sha256: str
    size: int
    signatures: list
    problems: list[str]
    record: ArchivedRecord | None  # the archived record with exactly these bytes, if the user may see it

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems


def verify_upload(user: User, content: bytes) -> UploadVerification:
    from eia.services.access import can_view

    digest = sha256_hex(content)
    verification = verify_pdf(content, seals.trust_for(user.organisation_id))
    candidates = db.session.scalars(select(ArchivedRecord).where(ArchivedRecord.sha256 == digest))
    record = next((r for r in candidates if can_view(user, r.assessment)), None)
    problems = list(verification.problems)
    if record is None:
        problems.append("no archived record you can see has exactly this file: it is not one of ours, or it was altered")
    return UploadVerification(digest, len(content), verification.signatures, problems, record)
