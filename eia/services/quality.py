"""The equality adviser's quality review: their queue, and a summary of each assessment waiting in it.

Where the review happens is the workflow's business (a state whose "queue" is "adviser", and the
transitions the adviser takes out of it, in workflows/*.json); this module only reads what those
definitions and the assessment say, so it names no state or transition."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import joinedload

from eia.extensions import db
from eia.models import Assessment, User
from eia.services import home, legal
from eia.services.assessments import current_path
from eia.services.definitions import definitions_of, library
from eia.services.workflow import escalation_preview


@dataclass(frozen=True)
class Onward:
    """Where the approver's decision would send the assessment instead of signing it off, and why."""

    to: str  # the state's label, in the assessment's own workflow
    reasons: tuple[str, ...]  # the labels of the rules that fire


@dataclass(frozen=True)
class QualitySummary:
    """What an equality adviser wants to know before opening an assessment."""

    assessment: Assessment
    kind: str  # the kind of proposal, as people read it
    covered: int  # how many characteristics it covers
    relevant: tuple[str, ...]  # the characteristics screened in, by name
    warnings: tuple[str, ...]  # legal checks that warn (blocking ones stop submission), in plain English
    onward: tuple[Onward, ...]
    times_returned: int  # how often it has been returned to its author before


def adviser_queue(user: User) -> list[Assessment]:
    """The assessments waiting for a quality review that this person, as an adviser, can see; oldest first."""
    query = home.waiting_for_my_quality_review(user).options(
        joinedload(Assessment.department), joinedload(Assessment.author)
    )
    return list(db.session.scalars(query))


def summary(assessment: Assessment) -> QualitySummary:
    definitions = definitions_of(assessment)
    questionnaire, workflow = definitions.questionnaire, definitions.workflow
    path = current_path(assessment)
    kind = library().subject_type(assessment.subject_type or "")
    warnings = tuple(
        f"{result.check.label}: " + " ".join(finding.message for finding in result.findings)
        for result in legal.evaluate(assessment)
        if not result.passed
    )
    onward: dict[str, Onward] = {}
    for transition in workflow.transitions.values():
        if transition.escalating_rule_sets and (escalation := escalation_preview(assessment, transition)):
            onward.setdefault(
                escalation.to_state.id,
                Onward(escalation.to_state.label, tuple(rule.label for rule in escalation.rules)),
            )
    returns = {t.id for t in workflow.transitions.values() if t.takes_section_reasons}
    return QualitySummary(
        assessment=assessment,
        kind=kind.label if kind else "Not given",
        covered=len(questionnaire.applicable_characteristics(assessment.characteristic_ids)),
        relevant=tuple(c.name for c in questionnaire.relevant_characteristics(path)),
        warnings=warnings,
        onward=tuple(onward.values()),
        times_returned=sum(1 for t in assessment.transitions if t.action in returns),
    )
