"""Revisions: a later version of a signed-off assessment, linked to the version before it.

The signed-off version stays exactly as archived (read-only; its signed PDF untouched). A revision is
a new draft with the same reference, the next version number and ``previous_version_id`` pointing
back, pre-filled with the last version's answers so the author changes only what changed. A periodic
review starts one the same way: ``start_revision(previous, author, reason="review")``.
"""

from __future__ import annotations

import copy

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from eia.domain.capabilities import WRITE_ASSESSMENTS
from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, User
from eia.services import access, audit
from eia.services.database import NotAllowed, unit_of_work
from eia.services.definitions import current_definitions, pin_definitions
from eia.services.search import index_assessment

REASONS = {"revision": "a revision of the policy", "review": "a periodic review"}


class RevisionExists(Exception):
    """A later version of this assessment already exists: revise that one instead."""

    def __init__(self, latest: Assessment) -> None:
        super().__init__(f"{latest.reference} already has version {latest.version_number}")
        self.latest = latest


def latest_version(assessment: Assessment) -> Assessment:
    """The newest version of the same assessment (same organisation and reference)."""
    return db.session.scalar(
        select(Assessment)
        .where(Assessment.organisation_id == assessment.organisation_id, Assessment.reference == assessment.reference)
        .order_by(Assessment.version_number.desc())
        .limit(1)
    )


def versions(assessment: Assessment) -> list[Assessment]:
    """Every version of the same assessment, oldest first."""
    return list(
        db.session.scalars(
            select(Assessment)
            .where(
                Assessment.organisation_id == assessment.organisation_id, Assessment.reference == assessment.reference
            )
            .order_by(Assessment.version_number)
        )
    )


def _signed_off(assessment: Assessment) -> bool:
    return (
        db.session.scalar(
            select(func.count()).select_from(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment.id)
        )
        > 0
    )


def can_start_revision(assessment: Assessment, user: User) -> bool:
    """Authors who can see a signed-off assessment may revise its latest version."""
    return (
        user.can(WRITE_ASSESSMENTS)
        and access.can_view(user, assessment)
        and _signed_off(assessment)
        and latest_version(assessment).id == assessment.id
    )


def start_revision(previous: Assessment, author: User, *, reason: str = "revision") -> Assessment:
    """A new draft version of ``previous``, pre-filled from it. RevisionExists if one was started."""
    if reason not in REASONS:
        raise ValueError(f"unknown revision reason {reason!r}")
    if not author.can(WRITE_ASSESSMENTS) or not access.can_view(author, previous) or not _signed_off(previous):
        raise NotAllowed("Only a signed-off assessment can be revised, by an author who can see it")
    latest = latest_version(previous)
    if latest.id != previous.id:
        raise RevisionExists(latest)
    defs = current_definitions()
    current = defs.questionnaire.default_characteristic_ids(author.organisation.extra_characteristics or ())
    try:
        with unit_of_work():
            pin_definitions(defs)
            revision = Assessment(
                organisation_id=previous.organisation_id,
                department_id=previous.department_id,
                author=author,
                reference=previous.reference,
                version_number=previous.version_number + 1,
                previous_version_id=previous.id,
                title=previous.title,
                subject_type=previous.subject_type,
                status=defs.workflow.initial,
                workflow_id=defs.workflow.id,
                workflow_version=defs.workflow.version,
                questionnaire_version=defs.questionnaire.version,
                definitions_sha256=defs.sha256,
                # The characteristics covered now, and any the last version covered that are no longer
                # configured: its analysis of them is carried forward, not dropped.
                characteristic_ids=current + [c for c in previous.characteristic_ids if c not in current],
                answers=copy.deepcopy(previous.answers or {}),
            )
            db.session.add(revision)
            db.session.flush()  # two revisions of one version at once: the unique version number decides
            index_assessment(revision)
            audit.record(
                "assessment.revision_started",
                actor=author,
                object_type="assessment",
                object_id=revision.id,
                details={
                    "reference": revision.reference,
                    "version": revision.version_number,
                    "previous_version_id": previous.id,
                    "reason": reason,
                },
            )
    except IntegrityError:
        raise RevisionExists(latest_version(previous)) from None
    return revision
