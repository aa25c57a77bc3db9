"""Sign-off archive: freeze what the decision-maker saw into a signed PDF, in the sign-off transaction.

snapshot -> render PDF -> seal (PAdES) -> SHA-256 -> write-once storage -> archive record + audit
event. It runs inside the transaction that records the decision, so any failure rolls the decision
back too and the sign-off can simply be retried: nothing is ever half-archived.
"""

from __future__ import annotations

import os
import tempfile
import threading
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from flask import current_app
from sqlalchemy import select

from eia.domain import questionnaire as q
from eia.domain.legal_checks import snapshot_rows
from eia.domain.pdf import render_assessment_pdf
from eia.domain.signing import (
    PdfSealer,
    SigningKeyError,
    new_signing_key,
    self_signed_certificate,
    sha256_hex,
)
from eia.domain.snapshot import (
    ActionRow,
    AssessmentSnapshot,
    CharacteristicSnapshot,
    ImpactRow,
    SnapshotSection,
)
from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, User
from eia.models.types import utcnow
from eia.services import audit, legal
from eia.services.assessments import answer_options, answer_summary, current_path
from eia.services.definitions import definitions_of
from eia.services.database import unit_of_work
from eia.services.storage import fsync_directory, storage_for
from eia.services.trail import decision_trail

_sealer_lock = threading.Lock()



# --- the organisation's signing identity --------------------------------------------------------


def signing_paths(instance_dir: Path) -> tuple[Path, Path]:
    folder = Path(instance_dir) / "signing"
    return folder / "organisation-key.pem", folder / "organisation-certificate.pem"


def ensure_signing_identity(instance_dir: Path, organisation_name: str = "Due Regard") -> tuple[Path, Path]:
    """The embedded default: a key and self-signed certificate generated on first use.

    Crash-safe and race-free without a lock file: each file is written and fsynced under a private
    temporary name, then hard-linked into place, which fails if the name exists, so the first
    writer wins and everyone else reads the winner's complete file. The key is published first and
    the certificate is made from whichever key won; a crash between the two leaves a key without a
    certificate, and the next call certifies that key.
    """
    key_path, cert_path = signing_paths(instance_dir)
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not key_path.exists():
        _publish_once(key_path, new_signing_key(), 0o600)
    if not cert_path.exists():
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as error:
            raise SigningKeyError(f"cannot read the signing key {key_path}: {error}") from error
        certificate = self_signed_certificate(key, f"{organisation_name} archive seal", organisation_name)
        _publish_once(cert_path, certificate, 0o644)
    return key_path, cert_path


def _publish_once(path: Path, content: bytes, mode: int) -> None:
    """Write ``path`` complete and durable, unless another process already has (then keep theirs)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return
        fsync_directory(path.parent)
    finally:
        os.unlink(temporary)


def sealer() -> PdfSealer:
    """One sealer per process: the key is loaded once, not per document."""
    app = current_app._get_current_object()
    existing = app.extensions.get("eia.sealer")
    if existing is not None:
        return existing
    with _sealer_lock:
        if "eia.sealer" not in app.extensions:
            config = app.config
            if config.get("SIGNING_PKCS12"):
                passphrase = config.get("SIGNING_PKCS12_PASSPHRASE")
                built = PdfSealer.from_pkcs12(config["SIGNING_PKCS12"], passphrase.encode() if passphrase else None,
                                              timestamp_url=config.get("TIMESTAMP_URL"))
            else:
                key_path, cert_path = ensure_signing_identity(config["INSTANCE_DIR"])
                built = PdfSealer.from_pem_files(key_path, cert_path, timestamp_url=config.get("TIMESTAMP_URL"))
            app.extensions["eia.sealer"] = built
        return app.extensions["eia.sealer"]


def storage():
    return storage_for(current_app.config["ARCHIVE_BACKEND"], current_app.config["ARCHIVE_DIR"])


# --- snapshot ---------------------------------------------------------------------------------


def build_snapshot(assessment: Assessment, decided_by: User) -> AssessmentSnapshot:
    path = current_path(assessment)
    options = answer_options(assessment, path)
    workflow = definitions_of(assessment).workflow
    questionnaire = definitions_of(assessment).questionnaire
    bindings = questionnaire.bindings
    summary = answer_summary(assessment, path, options)
    sections: list[SnapshotSection] = []
    characteristics: list[CharacteristicSnapshot] = []
    for entry in summary:
        rows: list[tuple[str, str]] = []
        for task in entry["tasks"]:
            if task["task"].characteristic is not None and task["task"].definition.id == bindings.analysis_task:
                characteristics.append(_characteristic_snapshot(path, task, questionnaire))
                continue
            for page in task["pages"]:
                if page["items"] is not None:
                    continue  # the action plan has its own table
                prefix = f"{task['task'].title}: " if task["task"].characteristic is not None else ""
                rows += [(prefix + row.label, row.value or "Not answered") for row in page["rows"]]
        if rows:
            sections.append(SnapshotSection(title=entry["section"].title, rows=tuple(rows)))
    plan = bindings.action_plan
    relevant_names = {c.value: c.label for c in options["relevant_characteristics"]}
    actions = tuple(
        ActionRow(
            action=item.action,
            characteristic=relevant_names.get(item.characteristic or "", item.characteristic or ""),
            owner=item.owner,
            due_date=date.fromisoformat(item.due_date) if item.due_date else None,
            status="Open",
        )
        for item in (plan.items(path.answers) if path.page(plan.page_id) else [])
    )
    answers = path.answers
    # Holding the append lock, so the decision's and the archive's own events come straight after it.
    head = audit.head(lock=True)
    last = assessment.transitions[-1]
    return AssessmentSnapshot(
        reference=assessment.reference,
        version=assessment.version_number,
        title=assessment.title,
        organisation=assessment.organisation.name,
        department=assessment.department.name if assessment.department else "",
        subject_type=q.display_value(bindings.subject_type.question, bindings.subject_type.value(answers), options),
        author=assessment.author.name,
        owner=bindings.owner.value(answers) or "",
        status_label=workflow.state(assessment.status).label,
        decision=workflow.transitions[last.action].decision,
        decision_date=_iso_date(bindings.decision_date.value(answers)),
        signed_off_at=last.at,
        sections=tuple(sections),
        characteristics=tuple(characteristics),
        outcome_label=q.display_value(bindings.outcome.question, bindings.outcome.value(answers), options),
        actions=actions,
        review_date=_iso_date(bindings.review_date.value(answers)),
        decision_trail=decision_trail(assessment),
        audit_chain_head=head,
        legal_checks=snapshot_rows(legal.recorded(assessment)),
    )


def _iso_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _characteristic_snapshot(path: q.Path, task: dict, questionnaire) -> CharacteristicSnapshot:
    characteristic = task["task"].characteristic
    answers = path.answers
    bindings = questionnaire.bindings
    rows = tuple((row.label, row.value or "Not answered") for page in task["pages"] for row in page["rows"])
    impacts = tuple(
        ImpactRow(
            aim_label=questionnaire.aims[aim].short_label,
            direction=(bindings.impact_direction[aim].value(answers, characteristic) or "not answered").capitalize(),
            level=(bindings.impact_level[aim].value(answers, characteristic) or "").capitalize(),
        )
        for aim in characteristic.aims
    )
    return CharacteristicSnapshot(
        name=characteristic.name,
        relevance=(bindings.relevance.value(answers, characteristic) or "").capitalize(),
        reason=bindings.relevance_reason.value(answers, characteristic) or "",
        rows=rows,
        impacts=impacts,
        residual_level=(bindings.residual_level.value(answers, characteristic) or "").capitalize(),
        justification=bindings.residual_justification.value(answers, characteristic) or "",
    )


# --- archiving ----------------------------------------------------------------------------------


def archive_signed_off(assessment: Assessment, decided_by: User) -> ArchivedRecord:
    """Render, seal, hash and store the record, inside the caller's (sign-off) transaction."""
    snapshot = build_snapshot(assessment, decided_by)
    signer_name = f"{assessment.organisation.name} (decision by {decided_by.name})"
    rendered = render_assessment_pdf(snapshot, sealed_by=signer_name,
                                     certificate_sha256=sealer().certificate_fingerprint)
    sealed = sealer().seal(rendered.content, signer_name=signer_name, reason=snapshot.decision,
                           location=assessment.organisation.name, seal_box=rendered.seal_box)
    digest = sha256_hex(sealed)
    backend = storage()
    record = ArchivedRecord(
        assessment=assessment,
        organisation_id=assessment.organisation_id,
        reference=assessment.reference,
        version_number=assessment.version_number,
        sha256=digest,
        size=len(sealed),
        storage_backend=backend.name,
        storage_key="",
        signer_certificate_sha256=sealer().certificate_fingerprint,
        signed_at=utcnow(),
        snapshot=snapshot.to_dict(),
    )
    record.storage_key = backend.put(record, digest, sealed)
    db.session.add(record)
    db.session.flush()
    event = audit.record(
        "assessment.archived",
        actor=decided_by,
        object_type="assessment",
        object_id=assessment.id,
        details={"archive_id": record.id, "sha256": digest, "size": len(sealed),
                 "signer_certificate_sha256": record.signer_certificate_sha256, "storage": backend.name},
    )
    record.audit_seq = event.seq
    return record


def archived_pdf(record: ArchivedRecord) -> bytes:
    return storage_for(record.storage_backend, current_app.config["ARCHIVE_DIR"]).get(record)


def record_for(assessment: Assessment) -> ArchivedRecord | None:
    return db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment.id))


def download(record: ArchivedRecord, actor: User) -> bytes:
    """The signed PDF; every retrieval is audited."""
    content = archived_pdf(record)
    with unit_of_work():
        audit.record("archive.downloaded", actor=actor, object_type="archive", object_id=record.id,
                     details={"assessment_id": record.assessment_id, "sha256": record.sha256})
    return content


def download_name(record: ArchivedRecord) -> str:
    return f"{record.reference}-v{record.version_number}-signed.pdf"


def visible_records(user: User, limit: int, offset: int) -> list[ArchivedRecord]:
    """Archived records of the assessments this user may see (eia.services.access), newest first."""
    from eia.services.access import visible_assessments

    visible_ids = visible_assessments(user).with_only_columns(Assessment.id)
    query = (select(ArchivedRecord).where(ArchivedRecord.assessment_id.in_(visible_ids))
             .order_by(ArchivedRecord.id.desc()).limit(limit).offset(offset))
    return list(db.session.scalars(query))


def get_visible_record(user: User, archive_id: int) -> ArchivedRecord:
    from eia.services.access import can_view
    from eia.services.database import NotAllowed

    record = db.session.get(ArchivedRecord, archive_id)
    if record is None or not can_view(user, record.assessment):
        raise NotAllowed("No such archived record")
    return record
