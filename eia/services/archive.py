"""Sign-off archive: freeze what the decision-maker saw into a signed PDF, in the sign-off transaction.

snapshot -> render PDF -> seal (PAdES) -> SHA-256 -> write-once storage -> archive record + audit
event. It runs inside the transaction that records the decision, so any failure rolls the decision
back too and the sign-off can simply be retried: nothing is ever half-archived.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from eia.domain import questionnaire as q
from eia.domain.legal_checks import snapshot_rows
from eia.domain.pdf import render_assessment_pdf
from eia.domain.signing import sha256_hex
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
from eia.services import audit, legal, seals
from eia.services.assessments import answer_options, answer_summary, current_path
from eia.services.definitions import definitions_of
from eia.services.database import unit_of_work
from eia.services.storage import storage_for
from eia.services.trail import decision_trail



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
    # First: starting the organisation's first seal is audited, before the events the snapshot precedes.
    sealer, seal = seals.current_seal(assessment.organisation, decided_by)
    snapshot = build_snapshot(assessment, decided_by)
    signer_name = f"{assessment.organisation.name} (decision by {decided_by.name})"
    rendered = render_assessment_pdf(snapshot, sealed_by=signer_name, certificate_sha256=seal.certificate_sha256)
    sealed = sealer.seal(rendered.content, signer_name=signer_name, reason=snapshot.decision,
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
        signer_certificate_sha256=seal.certificate_sha256,
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
