"""The snapshot of exactly what the decision-maker saw: built in the sign-off transaction, rendered into
the signed record, and kept with it (eia.domain.snapshot)."""

from __future__ import annotations

from datetime import date

from eia.clock import UK
from eia.domain import questionnaire as q
from eia.domain.legal_checks import snapshot_rows
from eia.domain.snapshot import (
    ActionRow,
    AssessmentSnapshot,
    CharacteristicSnapshot,
    ImpactRow,
    SnapshotSection,
)
from eia.models import Assessment, User
from eia.services import audit, findings, legal, question_comments
from eia.services.assessments import answer_options, answer_summary, current_path
from eia.services.definitions import definitions_of
from eia.services.trail import decision_trail


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
        findings=findings.for_assessment(assessment),
        question_comments=question_comment_rows(assessment),
    )


def question_comment_rows(assessment: Assessment) -> tuple[tuple[str, str], ...]:
    """Each comment thread on a question as (question, what was said and whether it was resolved)."""
    rows = []
    for thread in question_comments.threads(assessment):
        said = [f"{c.author.name}, {_uk_day(c.created_at)}: {c.text}" for c in [thread.first, *thread.first.replies]]
        if thread.resolved:
            said.append(f"Resolved by {thread.first.resolved_by.name}, {_uk_day(thread.first.resolved_at)}.")
        else:
            said.append("Not resolved.")
        question = (
            f"{thread.subject.page_title}: {thread.subject.label}"
            if thread.subject
            else "A question no longer in the assessment"
        )
        rows.append((question, "\n".join(said)))
    return tuple(rows)


def _uk_day(moment) -> str:
    local = moment.astimezone(UK)
    return f"{local.day} {local.strftime('%B %Y')}"


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
