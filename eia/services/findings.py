"""An assessment's key findings (eia.domain.findings), with the legal checks and rules that apply to it now."""

from __future__ import annotations

from eia.domain.findings import KeyFindings, key_findings
from eia.domain.workflow import evaluate_rule_set
from eia.models import Assessment
from eia.services import legal
from eia.services.assessments import answer_options, current_path
from eia.services.definitions import definitions_of


def for_assessment(assessment: Assessment, *, with_legal_checks: bool = True) -> KeyFindings:
    """The findings as the person deciding sees them.

    Legal checks: the results recorded with the latest transition that recorded any (submission, sign-off),
    else as the answers stand. Rules: those that routed it since it was last submitted, else those that
    would route it when it is decided. ``with_legal_checks=False`` leaves them out, for a page that shows them itself.
    """
    definitions = definitions_of(assessment)
    workflow = definitions.workflow
    path = current_path(assessment)
    records = []
    if with_legal_checks:
        records = legal.recorded(assessment) or [result.record() for result in legal.evaluate(assessment)]
    rules: list[str] = []
    lead_to = ""
    # Only since the latest submission: a referral before the assessment was returned no longer applies.
    since_submission = []
    for transition in reversed(assessment.transitions):
        since_submission.append(transition)
        if transition.action in workflow.transitions and workflow.transitions[transition.action].is_submission:
            break
    # Back with its author, it will be routed afresh when next submitted.
    editable = workflow.state(assessment.status).author_can_edit
    recorded = None if editable else next((t for t in since_submission if t.fired_rules), None)
    if recorded is not None:
        rules = [rule["label"] for rule in recorded.fired_rules]
        lead_to = workflow.states[recorded.to_state].label if recorded.to_state in workflow.states else ""
    elif not workflow.state(assessment.status).final:
        from eia.services.workflow import rule_resolver  # workflow -> archive -> snapshot -> here: import when used

        resolve = rule_resolver(assessment, path)
        for transition in workflow.transitions.values():
            for route in transition.routes:
                if route.when_rule_set_fires is not None and not rules:
                    fired = evaluate_rule_set(workflow, route.when_rule_set_fires, resolve)
                    if fired:
                        rules = [rule.label for rule in fired]
                        lead_to = workflow.state(route.to).label
    return key_findings(
        definitions.questionnaire,
        path,
        answer_options(assessment, path),
        legal_records=records,
        rules=rules,
        rules_lead_to=lead_to,
        rules_recorded=recorded is not None,
    )
