"""Publication: choosing what to withhold, publishing a signed-off record's public copy, withdrawing it,
and the public register's reads.

Whether an assessment can be published, and who may publish it, is its pinned workflow's
"publication" (eia.domain.workflow.Publication): the capability named there, held through a role of the
one capability table. Publishing derives the public copy from the archived record's sealed snapshot
(eia.domain.publication), renders it with the record's renderer, seals it with the organisation's seal
and stores it, recording the original's SHA-256; the original is never changed. Saving the
redactions, publishing and withdrawing are each one transaction with its audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_request_context, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from eia.clock import UK
from eia.domain import publication as domain
from eia.domain.pdf import PublicCopy, render_assessment_pdf
from eia.domain.signing import sha256_hex
from eia.domain.snapshot import AssessmentSnapshot
from eia.domain.workflow import Publication as PublicationRules
from eia.extensions import db
from eia.models import Assessment, Publication, RedactionMark, User
from eia.models.types import utcnow
from eia.services import archive, audit, seals
from eia.services.access import can_view
from eia.services.database import NotAllowed, unit_of_work
from eia.services.definitions import definitions_of
from eia.services.storage import DatabaseStorage, storage_for

PUBLISHED_EVENT = "publication.published"
WITHDRAWN_EVENT = "publication.withdrawn"
REDACTIONS_EVENT = "publication.redactions_chosen"
WITHDRAWAL_REASON_MAX = 2000
PER_PAGE = 20


class PublicationError(Exception):
    """What was asked cannot be done; the message says why, in plain English. Nothing changed."""


@dataclass(frozen=True)
class Publishing:
    """Where one assessment stands on publication, for the person looking at it."""

    rules: PublicationRules | None
    may_publish: bool  # this person may publish or withdraw it now
    why_not: str  # when not: why, in plain English
    publication: Publication | None  # its latest publication, withdrawn or not


# --- who may publish what --------------------------------------------------------------------------


def rules_for(assessment: Assessment) -> PublicationRules | None:
    return definitions_of(assessment).workflow.publication


def latest(assessment: Assessment) -> Publication | None:
    return db.session.scalar(
        select(Publication).where(Publication.assessment_id == assessment.id).order_by(Publication.id.desc()).limit(1)
    )


def publishing(user: User, assessment: Assessment) -> Publishing:
    rules = rules_for(assessment)
    published = latest(assessment)
    if rules is None:
        why = "Assessments that follow this route to sign-off are not published."
    elif not definitions_of(assessment).workflow.state(assessment.status).signed_off:
        why = "Only a signed-off assessment can be published."
    elif archive.record_for(assessment) is None:
        why = "This assessment has no signed record to publish from."
    elif not (user.can(rules.capability) and can_view(user, assessment)):
        why = "You cannot publish this assessment."
    else:
        why = ""
    return Publishing(rules, not why, why, published)


def _checked(user: User, assessment: Assessment) -> Publishing:
    state = publishing(user, assessment)
    if not can_view(user, assessment):
        raise NotAllowed("No such assessment")
    if not state.may_publish:
        raise PublicationError(state.why_not)
    return state


# --- choosing what to withhold ---------------------------------------------------------------------


def original_snapshot(assessment: Assessment) -> AssessmentSnapshot:
    return AssessmentSnapshot.from_dict(archive.record_for(assessment).snapshot)


def marks(assessment: Assessment) -> dict[str, str]:
    """The answers chosen so far not to be published: {target: reason}."""
    rows = db.session.scalars(select(RedactionMark).where(RedactionMark.assessment_id == assessment.id))
    return {row.target: row.reason for row in rows}


def withheld_answers(assessment: Assessment) -> list[tuple[domain.Answer, str]]:
    """Each answer chosen not to be published, with its reason, in the record's order."""
    chosen = marks(assessment)
    return [
        (answer, chosen[answer.target])
        for answer in domain.answers(original_snapshot(assessment))
        if answer.target in chosen
    ]


def choose_withheld(assessment: Assessment, user: User, withheld: dict[str, str]) -> None:
    """Replace the answers chosen not to be published ({target: reason}), in one audited transaction."""
    state = _checked(user, assessment)
    if state.publication is not None:
        raise PublicationError("This assessment has been published already.")
    targets = {answer.target for answer in domain.answers(original_snapshot(assessment))}
    for target, reason in withheld.items():
        if target not in targets or reason not in state.rules.withholding_reasons:
            raise PublicationError("Choose a reason from the list for each answer you withhold.")
    try:
        _save_marks(assessment, user, withheld)
    except IntegrityError as error:  # someone else saved theirs at the same moment
        raise PublicationError(
            "Someone else changed what to withhold at the same time: check it and try again."
        ) from error


def _save_marks(assessment: Assessment, user: User, withheld: dict[str, str]) -> None:
    with unit_of_work():
        for row in db.session.scalars(select(RedactionMark).where(RedactionMark.assessment_id == assessment.id)):
            db.session.delete(row)
        db.session.flush()
        for target, reason in sorted(withheld.items()):
            db.session.add(
                RedactionMark(assessment_id=assessment.id, target=target, reason=reason, marked_by_id=user.id)
            )
        audit.record(
            REDACTIONS_EVENT,
            actor=user,
            object_type="assessment",
            object_id=assessment.id,
            details={"withheld": [{"answer": t, "reason": r} for t, r in sorted(withheld.items())]},
        )


# --- publishing and withdrawing --------------------------------------------------------------------


def _storage():
    # Always in its row, whatever the archive's backend: it commits or rolls back with the publication, and
    # backups and restores carry it with the table (it can also be derived again from the sealed snapshot).
    return DatabaseStorage()


def _check_address() -> str:
    return url_for("public.check_document", _external=True) if has_request_context() else ""


def publish(assessment: Assessment, user: User) -> Publication:
    """Derive, render, seal and store the public copy; record it and its audit event in one transaction."""
    state = _checked(user, assessment)
    if state.publication is not None:
        raise PublicationError(
            "This assessment has been published already."
            if state.publication.withdrawn_at is None
            else "This version was withdrawn from publication; publish a new version instead."
        )
    record = archive.record_for(assessment)
    original = AssessmentSnapshot.from_dict(record.snapshot)
    withheld = withheld_answers(assessment)
    public = domain.redacted_snapshot(original, {answer.target: reason for answer, reason in withheld})
    redactions = [{"question": f"{answer.group}: {answer.label}", "reason": reason} for answer, reason in withheld]
    try:
        return _publish(assessment, user, record, public, redactions)
    except IntegrityError as error:  # published by someone else at the same moment
        raise PublicationError("This assessment has been published already.") from error


def _publish(
    assessment: Assessment, user: User, record, public: AssessmentSnapshot, redactions: list[dict]
) -> Publication:
    now = utcnow()
    with unit_of_work():
        sealer, seal = seals.current_seal(assessment.organisation, user)
        signer_name = f"{assessment.organisation.name} (public copy)"
        rendered = render_assessment_pdf(
            public,
            sealed_by=signer_name,
            certificate_sha256=seal.certificate_sha256,
            public_copy=PublicCopy(
                original_sha256=record.sha256,
                withheld=tuple((r, tuple(q)) for r, q in domain.redactions_by_reason(redactions)),
                published_on=now.astimezone(UK).date(),
                check_address=_check_address(),
            ),
        )
        sealed = sealer.seal(
            rendered.content,
            signer_name=signer_name,
            reason=f"Public copy: {public.decision}",
            location=assessment.organisation.name,
            seal_box=rendered.seal_box,
        )
        digest = sha256_hex(sealed)
        backend = _storage()
        publication = Publication(
            organisation_id=assessment.organisation_id,
            assessment_id=assessment.id,
            archived_record_id=record.id,
            reference=record.reference,
            version_number=record.version_number,
            title=public.title,
            organisation_name=public.organisation,
            department=public.department,
            subject_type=public.subject_type,
            published_at=now,
            published_by_id=user.id,
            public_snapshot=public.to_dict(),
            redactions=redactions,
            search_text=domain.search_text(public),
            sha256=digest,
            size=len(sealed),
            storage_backend=backend.name,
            storage_key="",
            original_sha256=record.sha256,
            signer_certificate_sha256=seal.certificate_sha256,
        )
        publication.storage_key = backend.put(publication, digest, sealed)
        db.session.add(publication)
        db.session.flush()
        event = audit.record(
            PUBLISHED_EVENT,
            actor=user,
            object_type="assessment",
            object_id=assessment.id,
            details={
                "publication_id": publication.id,
                "sha256": digest,
                "original_sha256": record.sha256,
                "withheld": len(redactions),
            },
        )
        publication.audit_seq = event.seq
    return publication


def withdraw(assessment: Assessment, user: User, reason: str) -> Publication:
    """Take the publication off the register (it stays listed as withdrawn, with the date)."""
    _checked(user, assessment)
    publication = latest(assessment)
    if publication is None or publication.withdrawn_at is not None:
        raise PublicationError("This assessment is not published.")
    reason = (reason or "").strip()
    if not reason:
        raise PublicationError("Enter why you are withdrawing it")
    if len(reason) > WITHDRAWAL_REASON_MAX:
        raise PublicationError(f"The reason must be {WITHDRAWAL_REASON_MAX} characters or fewer")
    with unit_of_work():
        publication.withdrawn_at = utcnow()
        publication.withdrawn_by_id = user.id
        publication.withdrawal_reason = reason
        audit.record(
            WITHDRAWN_EVENT,
            actor=user,
            object_type="assessment",
            object_id=assessment.id,
            details={"publication_id": publication.id, "sha256": publication.sha256, "reason": reason},
        )
    return publication


# --- the public register ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterPage:
    items: list[Publication]
    total: int
    page: int
    pages: int
    departments: list[str]
    subject_types: list[str]


def register(
    *, query: str = "", department: str = "", subject_type: str = "", page: int = 1, per_page: int = PER_PAGE
) -> RegisterPage:
    """Published (and withdrawn) EIAs, newest first, searched in their published words only."""
    conditions = []
    words = [word for word in (query or "").lower().split() if word][:10]
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # A withdrawn copy is listed by its title and reference only: its words are no longer published.
        conditions.append(
            or_(
                Publication.search_text.like(f"%{escaped}%", escape="\\") & Publication.withdrawn_at.is_(None),
                func.lower(Publication.title).like(f"%{escaped}%", escape="\\"),
                func.lower(Publication.reference).like(f"%{escaped}%", escape="\\"),
            )
        )
    if department:
        conditions.append(Publication.department == department)
    if subject_type:
        conditions.append(Publication.subject_type == subject_type)
    total = db.session.scalar(select(func.count()).select_from(Publication).where(*conditions))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(
        db.session.scalars(
            select(Publication)
            .where(*conditions)
            .order_by(Publication.published_at.desc(), Publication.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    departments = sorted(d for d in db.session.scalars(select(Publication.department).distinct()) if d)
    kinds = sorted(k for k in db.session.scalars(select(Publication.subject_type).distinct()) if k)
    return RegisterPage(items, total, page, pages, departments, kinds)


def newest(limit: int = 50) -> list[Publication]:
    return list(
        db.session.scalars(
            select(Publication).order_by(Publication.published_at.desc(), Publication.id.desc()).limit(limit)
        )
    )


def get_published(publication_id: int) -> Publication | None:
    return db.session.get(Publication, publication_id)


def public_snapshot(publication: Publication) -> AssessmentSnapshot:
    return AssessmentSnapshot.from_dict(publication.public_snapshot)


def public_pdf(publication: Publication) -> bytes:
    return storage_for(publication.storage_backend, current_app.config["ARCHIVE_DIR"] / "public").get(publication)


def download_name(publication: Publication) -> str:
    return f"{publication.reference}-v{publication.version_number}-public.pdf"


def find_by_content(content: bytes) -> Publication | None:
    """The publication whose public copy is exactly these bytes, if any."""
    return db.session.scalar(
        select(Publication).where(Publication.sha256 == sha256_hex(content)).order_by(Publication.id.desc()).limit(1)
    )


def last_changed() -> datetime | None:
    """When the register last changed (a publication or a withdrawal)."""
    return db.session.scalar(select(func.max(func.coalesce(Publication.withdrawn_at, Publication.published_at))))
