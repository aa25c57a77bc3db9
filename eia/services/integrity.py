"""Integrity checks an auditor can run at any time: the audit chain, checkpoints and the archive.

Every check reports each problem precisely and never stops at the first one. Nothing here writes
except ``create_checkpoint``, which audits its own export.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import LargeBinary, String, cast, func, select, text, type_coerce
from sqlalchemy.exc import DBAPIError

from eia.domain.audit import column_problems, verify_chain
from eia.domain.signing import sha256_hex, verify_pdf
from eia.extensions import db
from eia.models import ArchivedRecord, AuditEvent, User
from eia.models.types import utcnow
from eia.services import audit
from eia.services.archive import archived_pdf, sealer
from eia.services.database import unit_of_work
from eia.services.storage import FilesystemStorage, StorageError

CHECKPOINT_FORMAT = "due-regard-audit-checkpoint/1"
_BATCH = 5000


@dataclass
class IntegrityReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not a breach

    @property
    def ok(self) -> bool:
        return not self.problems


# --- audit chain ----------------------------------------------------------------------------------


def verify_audit_chain(checkpoint: dict | None = None) -> IntegrityReport:
    """Recompute every event's hash and link, and check each event's queryable columns against its
    hashed record; with a checkpoint, also detect deleted recent events."""
    report = IntegrityReport()
    head_seq = db.session.scalar(select(func.max(AuditEvent.seq))) or 0
    engine = db.engine
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The column check runs inside the database engine on its own connection, while this thread
        # hashes: the two overlap (SQLite and psycopg release the GIL), so it costs little wall time.
        disagreeing = pool.submit(_seqs_with_disagreeing_columns, engine, head_seq)
        query = (select(AuditEvent.seq, _as_utf8_bytes(AuditEvent.canonical), AuditEvent.prev_hash,
                        AuditEvent.entry_hash).where(AuditEvent.seq <= head_seq).order_by(AuditEvent.seq))
        # Core, not the ORM session: at 500k events the ORM's row loading alone costs 3-4x the hashing.
        rows = db.session.connection().execute(query.execution_options(yield_per=_BATCH))
        hashes_at: dict[int, str] = {}
        wanted = checkpoint["seq"] if checkpoint else None

        def chain_rows():
            for row in rows:
                if row[0] == wanted:
                    hashes_at[wanted] = row[3]
                yield row

        chain_problems, last_seq, _, report.checked = verify_chain(chain_rows())
        report.problems.extend(chain_problems)
        report.problems.extend(_column_problems(disagreeing.result(), head_seq))
    if checkpoint:
        report.problems.extend(_checkpoint_problems(checkpoint, last_seq, hashes_at))
    archived_up_to = db.session.scalar(select(func.max(ArchivedRecord.audit_seq)))
    if archived_up_to and archived_up_to > last_seq:
        report.problems.append(
            f"the archive refers to audit event {archived_up_to} but the log ends at {last_seq}: recent events were deleted"
        )
    return report


def _as_utf8_bytes(column):
    """The stored text as the bytes that were hashed, without a decode and re-encode per row in Python."""
    if db.engine.dialect.name == "postgresql":
        return func.convert_to(column, "UTF8")
    return cast(column, LargeBinary)


# The same facts as eia.domain.audit.COLUMNS, read from the hashed record and from the columns.
_SQLITE_DISAGREEING = text("""
    SELECT seq FROM audit_event
    WHERE seq <= :head
      AND json_extract(canonical, '$.seq', '$.action', '$.actor.id', '$.object.type', '$.object.id', '$.at')
          IS NOT json_array(seq, action, actor_id, object_type, object_id,
                            substr(occurred_at, 1, 10) || 'T' || substr(occurred_at, 12) || '+00:00')
""")
# One parse per record (a LATERAL alias would be inlined and parsed once per use): the record must
# contain what the columns say, the actor and object nested as the record writes them.
_POSTGRESQL_DISAGREEING = text("""
    SELECT seq FROM audit_event
    WHERE seq <= :head
      AND NOT canonical::jsonb @> jsonb_build_object(
          'seq', seq, 'action', action,
          'actor', CASE WHEN actor_id IS NULL THEN 'null'::jsonb ELSE jsonb_build_object('id', actor_id) END,
          'object', CASE WHEN object_type IS NULL AND object_id IS NULL THEN 'null'::jsonb
                         ELSE jsonb_build_object('type', object_type, 'id', object_id) END,
          'at', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'))
""")


def _seqs_with_disagreeing_columns(engine, head_seq: int) -> list[int] | None:
    """Events whose columns do not say what their hashed record says, found by the database; None when
    the database cannot tell (a record is not valid JSON), so the caller checks every event itself."""
    query = _POSTGRESQL_DISAGREEING if engine.dialect.name == "postgresql" else _SQLITE_DISAGREEING
    try:
        with engine.connect() as connection:
            return list(connection.execute(query, {"head": head_seq}).scalars())
    except DBAPIError:
        return None


def _column_problems(disagreeing: list[int] | None, head_seq: int) -> list[str]:
    """The precise problems, in Python, for the events the database found (or for all, if it could not)."""
    query = (select(AuditEvent.seq, AuditEvent.canonical, AuditEvent.action, AuditEvent.actor_id,
                    AuditEvent.object_type, AuditEvent.object_id, type_coerce(AuditEvent.occurred_at, String))
             .where(AuditEvent.seq <= head_seq).order_by(AuditEvent.seq))
    if disagreeing is not None:
        if not disagreeing:
            return []
        query = query.where(AuditEvent.seq.in_(disagreeing))
    problems = []
    for seq, canonical, *columns, occurred_at in db.session.connection().execute(query.execution_options(yield_per=_BATCH)):
        problems += column_problems(canonical, (seq, *columns, _iso(occurred_at)))
    return problems


def _iso(occurred_at: str | datetime) -> str:
    """The column as the hashed record writes it: SQLite returns its stored text ("2026-01-02 03:04:05.000006",
    always UTC with microseconds), PostgreSQL an aware datetime."""
    if isinstance(occurred_at, str):
        return f"{occurred_at[:10]}T{occurred_at[11:]}+00:00"
    return occurred_at.astimezone(UTC).isoformat(timespec="microseconds")


def _checkpoint_problems(checkpoint: dict, last_seq: int, hashes_at: dict[int, str]) -> list[str]:
    problems = checkpoint_signature_problems(checkpoint)
    seq = checkpoint["seq"]
    if seq > last_seq:
        problems.append(f"the checkpoint of {checkpoint['created_at']} vouches for {seq} events but the log ends "
                        f"at {last_seq}: events {last_seq + 1} to {seq} were deleted")
    elif hashes_at.get(seq) != checkpoint["entry_hash"]:
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
        signature = sealer().sign_bytes(_checkpoint_body(head.seq, head.entry_hash, created_at))
    return {
        "format": CHECKPOINT_FORMAT,
        "seq": head.seq,
        "entry_hash": head.entry_hash,
        "created_at": created_at,
        "signature": signature.hex(),
        "certificate_sha256": sealer().certificate_fingerprint,
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
    if not sealer().verify_bytes(body, bytes.fromhex(checkpoint["signature"])):
        return ["the checkpoint's signature is not valid for this organisation's key: it was altered or made elsewhere"]
    return []


# --- archive --------------------------------------------------------------------------------------


def trust_roots() -> list[bytes]:
    """Certificates an archived signature may chain to: the organisation's own, plus configured extras."""
    roots = [sealer().certificate_pem]
    for path in current_app.config.get("SIGNING_TRUST_ROOTS") or []:
        with open(path, "rb") as handle:
            roots.append(handle.read())
    return roots


def verify_archived_record(record: ArchivedRecord, roots: list[bytes] | None = None) -> list[str]:
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
    verification = verify_pdf(content, roots if roots is not None else trust_roots())
    problems += [f"{label}: {problem}" for problem in verification.problems]
    return problems


def verify_archive() -> IntegrityReport:
    report = IntegrityReport()
    roots = trust_roots()
    referenced = set()
    for record in db.session.scalars(select(ArchivedRecord).order_by(ArchivedRecord.id)):
        report.checked += 1
        referenced.add(record.storage_key)
        report.problems.extend(verify_archived_record(record, roots))
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
    verification = verify_pdf(content, trust_roots())
    candidates = db.session.scalars(select(ArchivedRecord).where(ArchivedRecord.sha256 == digest))
    record = next((r for r in candidates if can_view(user, r.assessment)), None)
    problems = list(verification.problems)
    if record is None:
        problems.append("no archived record you can see has exactly this file: it is not one of ours, or it was altered")
    return UploadVerification(digest, len(content), verification.signatures, problems, record)
