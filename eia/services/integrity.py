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
from pathlib import Path

from flask import current_app
from sqlalchemy import LargeBinary, cast, create_engine, func, select, text
from sqlalchemy.pool import NullPool

from eia.domain.audit import GENESIS_HASH, verify_chain
from eia.domain.record_facts import read_record_facts
from eia.domain.signing import SealTrust, sha256_hex, verify_pdf
from eia.extensions import db
from eia.models import ArchivedRecord, AuditEvent, RecordRenewal, User
from eia.models.audit import DERIVED_COLUMNS
from eia.models.types import utcnow
from eia.services import audit, seals
from eia.services.archive import ARCHIVED_EVENT, archived_pdf, renewal_pdf, renewals
from eia.services.database import unit_of_work
from eia.services.storage import FilesystemStorage, StorageError
from eia.services.trail import trail_problems

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
    if checkpoint is None:
        checkpoint, unreadable = latest_checkpoint()
        report.problems.extend(unreadable)
    report.problems.extend(derived_column_problems())
    head_seq = db.session.scalar(select(func.max(AuditEvent.seq))) or 0
    ranges = _ranges(head_seq, workers)
    if len(ranges) == 1:
        results = [_verify_range(db.session.connection(), *ranges[0])]
    else:
        # fork: the workers need only the database URL and their range, and start in milliseconds.
        with ProcessPoolExecutor(len(ranges), mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_verify_range_in_worker, [db.engine.url] * len(ranges), *zip(*ranges, strict=True)))
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
    report.problems.extend(removed_record_problems())
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
    before = connection.execute(
        select(AuditEvent.seq, AuditEvent.entry_hash)
        .where(AuditEvent.seq < first)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    start_seq, start_hash = (before[0] + 1, before[1]) if before else (1, GENESIS_HASH)
    query = (
        select(AuditEvent.seq, _canonical_as_hashed(connection), AuditEvent.prev_hash, AuditEvent.entry_hash)
        .where(AuditEvent.seq.between(first, last))
        .order_by(AuditEvent.seq)
    )
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
            problems.append(
                f"audit table: column {column} is no longer generated from the hashed record: "
                "its values may have been edited"
            )
        elif _normalised(generated[column]) != _normalised(expected):
            problems.append(
                f"audit table: column {column} is generated by {generated[column]!r}, not as this "
                "release defines it: its values may not say what the hashed record says"
            )
    return problems


def _generated_columns(dialect: str) -> dict[str, str]:
    """{column: expression} for the audit table's stored generated columns, from the database's catalog."""
    if dialect == "postgresql":
        rows = db.session.execute(
            text("""
            SELECT attribute.attname, pg_get_expr(definition.adbin, definition.adrelid)
            FROM pg_attribute attribute
            JOIN pg_attrdef definition ON definition.adrelid = attribute.attrelid AND definition.adnum = attribute.attnum
            WHERE attribute.attrelid = 'audit_event'::regclass AND attribute.attgenerated = 's'
              AND NOT attribute.attisdropped""")
        )
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
        found[match.group(1)] = create_table[match.end() : position - 1]
    return found


def _normalised(expression: str) -> str:
    """Catalogs print an expression their own way (PostgreSQL adds parentheses and ::text casts)."""
    return re.sub(r"[\s()]|::text\b", "", expression).lower()


def _checkpoint_problems(checkpoint: dict, last_seq: int) -> list[str]:
    problems = checkpoint_signature_problems(checkpoint)
    seq = checkpoint["seq"]
    if seq > last_seq:
        problems.append(
            f"the checkpoint of {checkpoint['created_at']} vouches for {seq} events but the log ends "
            f"at {last_seq}: events {last_seq + 1} to {seq} were deleted"
        )
    elif db.session.scalar(select(AuditEvent.entry_hash).where(AuditEvent.seq == seq)) != checkpoint["entry_hash"]:
        problems.append(
            f"event {seq} does not have the hash the checkpoint of {checkpoint['created_at']} recorded: "
            "the log was rewritten after the checkpoint"
        )
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


def checkpoint_directory() -> Path | None:
    configured = current_app.config.get("AUDIT_CHECKPOINT_DIR")
    return Path(configured) if configured else None


def write_checkpoint(actor: User | None = None) -> tuple[dict, Path | None]:
    """Create a checkpoint and, when a checkpoint directory is configured, keep it there (write-once)."""
    checkpoint = create_checkpoint(actor)
    directory = checkpoint_directory()
    if directory is None:
        return checkpoint, None
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"checkpoint-{checkpoint['seq']:012d}.json"
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(checkpoint, indent=2) + "\n")
    os.chmod(partial, 0o444)
    os.replace(partial, path)  # readers never see half a file
    return checkpoint, path


def latest_checkpoint() -> tuple[dict | None, list[str]]:
    """The newest checkpoint in the checkpoint directory (None if none is configured or kept), and why
    it cannot be used if it is damaged: a damaged newest checkpoint is itself a sign of tampering."""
    directory = checkpoint_directory()
    if directory is None or not directory.is_dir():
        return None, []
    newest = max(directory.glob("checkpoint-*.json"), default=None)
    if newest is None:
        return None, []
    try:
        return load_checkpoint(newest.read_text()), []
    except (OSError, ValueError) as error:
        return None, [f"the newest audit checkpoint ({newest.name}) cannot be used: {error}"]


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


def archiving_events(assessment_ids: list[int] | None = None) -> dict[int, list[tuple[int, dict]]]:
    """assessment id -> [(seq, details)] of the audit events that archived its record (all, or these)."""
    query = select(AuditEvent.seq, AuditEvent.object_id, AuditEvent.canonical).where(
        AuditEvent.action == ARCHIVED_EVENT
    )
    if assessment_ids is not None:
        query = query.where(AuditEvent.object_id.in_([str(i) for i in assessment_ids] or ["-"]))
    found: dict[int, list[tuple[int, dict]]] = {}
    for seq, object_id, canonical in db.session.execute(query.order_by(AuditEvent.seq)):
        if object_id and object_id.isdigit():
            found.setdefault(int(object_id), []).append((seq, json.loads(canonical).get("details", {})))
    return found


def verify_archived_record(
    record: ArchivedRecord, trust: SealTrust | None = None, events: dict[int, list[tuple[int, dict]]] | None = None
) -> list[str]:
    """The stored file against its record (size, SHA-256), its seal against its organisation's seal history,
    and all three against the audit log: the event that archived it, and the log head the PDF states."""
    label = f"{record.reference} version {record.version_number} (archive {record.id})"
    if events is None:
        events = archiving_events([record.assessment_id])
    problems = [f"{label}: {problem}" for problem in _archiving_event_problems(record, events)]
    problems += trail_problems(record.assessment)
    try:
        content = archived_pdf(record)
    except StorageError as error:
        return problems + [f"{label}: the stored file cannot be read: {error}"]
    if len(content) != record.size:
        problems.append(f"{label}: the stored file is {len(content)} bytes, the record says {record.size}")
    if sha256_hex(content) != record.sha256:
        problems.append(f"{label}: the stored file's SHA-256 does not match the record (the file was altered)")
    renewal_problems, content = _renewal_problems(record, content)
    problems += [f"{label}: {problem}" for problem in renewal_problems]
    verification = verify_pdf(content, trust or seals.trust_for(record.organisation_id))
    problems += [f"{label}: {problem}" for problem in verification.problems]
    if verification.ok:  # an altered file's text proves nothing
        problems += [f"{label}: {problem}" for problem in _printed_fact_problems(record, content)]
    return problems


RENEWED_EVENT = "archive.renewed"


def renewal_events(record_id: int | None = None) -> dict[int, tuple[int, dict]]:
    """renewal id -> (seq, details) of the audit events that stored renewed files (of one record, or all)."""
    query = select(AuditEvent.seq, AuditEvent.canonical).where(AuditEvent.action == RENEWED_EVENT)
    if record_id is not None:
        query = query.where(AuditEvent.object_id == str(record_id))
    found = {}
    for seq, canonical in db.session.execute(query.order_by(AuditEvent.seq)):
        details = json.loads(canonical).get("details", {})
        if isinstance(details.get("renewal_id"), int):
            found[details["renewal_id"]] = (seq, details)
    return found


def _renewal_problems(record: ArchivedRecord, original: bytes) -> tuple[list[str], bytes]:
    """Each renewed file against its row and its audit event, each beginning with exactly the file before
    it; and the newest file, which is the one to verify (the original when there is no renewal)."""
    found = renewals(record)
    if not found:
        return [], original
    events = renewal_events(record.id)
    problems, previous = [], original
    for number, renewal in enumerate(found, start=1):
        name = f"renewal {number} (timestamped on {renewal.timestamped_at:%-d %B %Y})"
        seq, details = events.get(renewal.id, (None, {}))
        if seq is None:
            problems.append(
                f"{name}: the audit log has no event recording it: the renewed file was added outside the application"
            )
        elif (details.get("sha256"), details.get("size")) != (renewal.sha256, renewal.size):
            problems.append(
                f"{name}: its SHA-256 or size is not what audit event {seq} recorded: the file was replaced"
            )
        try:
            content = renewal_pdf(renewal)
        except StorageError as error:
            problems.append(f"{name}: the stored file cannot be read: {error}")
            continue
        if sha256_hex(content) != renewal.sha256 or len(content) != renewal.size:
            problems.append(
                f"{name}: the stored file's SHA-256 or size does not match its record (the file was altered)"
            )
        if not content.startswith(previous):
            problems.append(f"{name}: the file does not begin with the file it renews: it is not the same record")
        previous = content
    return problems, previous


def _archiving_event_problems(record: ArchivedRecord, events: dict[int, list[tuple[int, dict]]]) -> list[str]:
    candidates = events.get(record.assessment_id, [])
    seq, details = next(
        ((s, d) for s, d in candidates if d.get("archive_id") == record.id),
        candidates[-1] if candidates else (None, None),
    )
    if seq is None:
        return [
            (
                "the audit log has no event recording that this record was archived: the record was added "
                "or replaced outside the application, or its event was deleted"
            )
        ]
    problems = []
    if details.get("sha256") != record.sha256:
        problems.append(
            f"the record's SHA-256 is not the one audit event {seq} recorded when it was archived: "
            "the signed file was replaced"
        )
    if details.get("size") != record.size:
        problems.append(
            f"the record's size ({record.size} bytes) is not the one audit event {seq} recorded when "
            f"it was archived ({details.get('size')} bytes): the signed file was replaced"
        )
    if details.get("archive_id") != record.id:
        problems.append(f"audit event {seq} archived a different record of this assessment: the record was replaced")
    if record.audit_seq != seq:
        problems.append(
            f"the record says it was archived by audit event {record.audit_seq}, but the log says "
            f"event {seq}: the record was edited"
        )
    assessment = record.assessment
    if (record.reference, record.version_number) != (assessment.reference, assessment.version_number):
        problems.append(
            f"the record says it is {record.reference} version {record.version_number}, but its "
            f"assessment is {assessment.reference} version {assessment.version_number}: the record was edited"
        )
    return problems


def _printed_fact_problems(record: ArchivedRecord, content: bytes) -> list[str]:
    """The sealed PDF's own words against its record and the audit log."""
    try:
        facts = read_record_facts(content)
    except ValueError:
        return ["the signed file's text cannot be read, so it cannot be compared with the audit log"]
    problems = []
    if (facts.reference, facts.version) != (record.reference, record.version_number):
        problems.append(
            f"the signed file is the record of {facts.reference or 'an unnamed assessment'} version "
            f"{facts.version or 'unknown'}, not of this one: the file was swapped"
        )
    if facts.chain_head:
        seq, printed_hash = facts.chain_head
        stored = db.session.scalar(select(AuditEvent.entry_hash).where(AuditEvent.seq == seq))
        if stored is None:
            problems.append(
                f"the signed file states that the audit log had reached event {seq} before sign-off, "
                "but that event is no longer in the log: events were deleted"
            )
        elif stored != printed_hash:
            problems.append(
                f"the signed file states the hash of audit event {seq} before sign-off, and the log now "
                "holds a different one: the log was rewritten"
            )
    return problems


def removed_record_problems() -> list[str]:
    """Records the audit log says were archived but the archive no longer holds."""
    present = set(db.session.scalars(select(ArchivedRecord.id)))
    problems = []
    for assessment_id, events in archiving_events().items():
        for seq, details in events:
            if details.get("archive_id") not in present:
                problems.append(
                    f"audit event {seq} records archiving signed record {details.get('archive_id')} "
                    f"(assessment {assessment_id}), but the archive no longer holds it: it was deleted"
                )
    return problems


def verify_archive() -> IntegrityReport:
    report = IntegrityReport()
    trust: dict[int, SealTrust] = {}
    events = archiving_events()
    referenced = set()
    for record in db.session.scalars(select(ArchivedRecord).order_by(ArchivedRecord.id)):
        report.checked += 1
        referenced.add(record.storage_key)
        if record.organisation_id not in trust:
            trust[record.organisation_id] = seals.trust_for(record.organisation_id)
        report.problems.extend(verify_archived_record(record, trust[record.organisation_id], events))
    report.problems.extend(removed_record_problems())
    present = set(db.session.scalars(select(RecordRenewal.id)))
    for renewal_id, (seq, _details) in renewal_events().items():
        if renewal_id not in present:
            report.problems.append(
                f"audit event {seq} records a renewed file (renewal {renewal_id}) that the archive no longer holds: "
                "it was deleted"
            )
    referenced |= set(db.session.scalars(select(RecordRenewal.storage_key)))
    files = FilesystemStorage(current_app.config["ARCHIVE_DIR"])
    for key in sorted(files.keys() - referenced):
        report.notes.append(
            f"{files.path_for(key)} is not referenced by any record (left by a sign-off that rolled back)"
        )
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
    candidates = list(db.session.scalars(select(ArchivedRecord).where(ArchivedRecord.sha256 == digest)))
    candidates += db.session.scalars(  # a renewed file (`eia archive renew`) is its record's too
        select(ArchivedRecord)
        .join(RecordRenewal, RecordRenewal.archived_record_id == ArchivedRecord.id)
        .where(RecordRenewal.sha256 == digest)
    )
    record = next((r for r in candidates if can_view(user, r.assessment)), None)
    problems = list(verification.problems)
    if record is None:
        problems.append(
            "no archived record you can see has exactly this file: it is not one of ours, or it was altered"
        )
    return UploadVerification(digest, len(content), verification.signatures, problems, record)
