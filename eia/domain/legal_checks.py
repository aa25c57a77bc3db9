"""The legal tests of due regard as checks software can run (research: mission-anchors section c).

Each check is data: an id, a label, its legal source, a severity and a test over an assessment's
effective answers. A *blocking* check that fails stops submission; a *warning* is shown and recorded
but allows it. Results are recorded with the submission and again at sign-off, where the check that
sign-off came before the decision date is evaluated too. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from eia.domain.bindings import ActionItem, Bindings, BoundQuestion
from eia.domain.questionnaire import Characteristic

BLOCKING = "blocking"
WARNING = "warning"

IMPACT_LEVELS_NEEDING_CHANGE = ("medium", "high")
ADVERSE_RESIDUAL_LEVELS = ("low", "medium", "high")
REVIEW_WITHIN = timedelta(days=366)  # "usually within 12 months"
NOTHING_CHANGED = ("nothing", "none", "no change", "n/a", "na")


@dataclass(frozen=True)
class CheckContext:
    """What the checks read: the effective answers, the characteristics covered and screened in, and
    the questionnaire's bindings (which questions hold what the checks read)."""

    answers: Mapping[str, Any]
    covered: tuple[Characteristic, ...]
    relevant: tuple[Characteristic, ...]
    today: date
    bindings: Bindings
    signed_off_on: date | None = None  # set when evaluated at sign-off

    def answer(self, bound: BoundQuestion, characteristic: Characteristic | None = None) -> Any:
        return bound.value(self.answers, characteristic)

    def date_answer(self, bound: BoundQuestion) -> date | None:
        value = self.answer(bound)
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            return None

    def actions_for(self, characteristic: Characteristic) -> list[ActionItem]:
        """Action plan items addressing this characteristic, or all of them."""
        return [
            item
            for item in self.bindings.action_plan.items(self.answers)
            if item.characteristic in (characteristic.id, "all")
        ]

    @property
    def action_plan_page(self) -> str:
        return self.bindings.action_plan.page_id


@dataclass(frozen=True)
class Finding:
    message: str
    page_id: str | None  # the page to change to fix it


@dataclass(frozen=True)
class LegalCheck:
    id: str
    label: str
    source: str
    severity: str
    test: Callable[[CheckContext], list[Finding]]


@dataclass(frozen=True)
class CheckResult:
    check: LegalCheck
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def blocks(self) -> bool:
        return not self.passed and self.check.severity == BLOCKING

    def record(self) -> dict[str, Any]:
        """As stored with the transition (JSON)."""
        return {
            "id": self.check.id,
            "label": self.check.label,
            "source": self.check.source,
            "severity": self.check.severity,
            "passed": self.passed,
            "findings": [{"message": f.message, "page_id": f.page_id} for f in self.findings],
        }


def snapshot_rows(records: list[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    """Recorded results as (check, result) rows for the signed record."""
    rows = []
    for entry in records:
        if entry["passed"]:
            result = "Passed"
        else:
            verdict = "Failed" if entry["severity"] == BLOCKING else "Warning"
            result = f"{verdict}: " + " ".join(f["message"] for f in entry["findings"])
        rows.append((f"{entry['id']} {entry['label']} ({entry['source']})", result))
    return tuple(rows)


def _day(value: date) -> str:
    return f"{value.day} {value.strftime('%B %Y')}"


def _blank(value: Any) -> bool:
    return not (value or "").strip() if isinstance(value, str) or value is None else not value


# --- the tests ----------------------------------------------------------------------------------


def _decision_maker_named(context: CheckContext) -> list[Finding]:
    officer = context.bindings.senior_responsible_officer
    if _blank(context.answer(officer)):
        return [Finding("Name the senior responsible officer: the duty rests on them personally.", officer.page_for())]
    return []


def _signed_off_before_decision(context: CheckContext) -> list[Finding]:
    bound = context.bindings.decision_date
    decision = context.date_answer(bound)
    if decision is None:
        return [Finding("Give the date of the decision: due regard must be had before it.", bound.page_for())]
    if context.signed_off_on is not None and context.signed_off_on > decision:
        return [
            Finding(
                f"Signed off on {_day(context.signed_off_on)}, after the decision date of {_day(decision)}.",
                bound.page_for(),
            )
        ]
    return []


def _not_retrospective(context: CheckContext) -> list[Finding]:
    bound = context.bindings.decision_date
    decision = context.date_answer(bound)
    if decision is not None and context.signed_off_on is None and decision < context.today:
        return [
            Finding(
                f"The decision date, {_day(decision)}, has passed: the assessment is retrospective. "
                "If the decision has not been taken yet, correct the date.",
                bound.page_for(),
            )
        ]
    return []


def _screening_reasons(context: CheckContext) -> list[Finding]:
    reason = context.bindings.relevance_reason
    return [
        Finding(
            f"{c.name}: give the reason for the relevance you chose, including when it is not relevant.",
            reason.page_for(c),
        )
        for c in context.covered
        if _blank(context.answer(reason, c))
    ]


def _no_copied_reasons(context: CheckContext) -> list[Finding]:
    bound = context.bindings.relevance_reason
    by_text: dict[str, list[Characteristic]] = {}
    for c in context.covered:
        reason = " ".join((context.answer(bound, c) or "").lower().split())
        if reason:
            by_text.setdefault(reason, []).append(c)
    return [
        Finding(
            f"The same screening reason is given for {', '.join(c.name.lower() for c in group)}: "
            "say why for each characteristic.",
            bound.page_for(group[0]),
        )
        for group in by_text.values()
        if len(group) > 1
    ]


def _levels(context: CheckContext, characteristic: Characteristic) -> list[str]:
    """The severity given for each aim with a negative impact (None where not given)."""
    bindings = context.bindings
    return [
        context.answer(bindings.impact_level[aim], characteristic)
        for aim in characteristic.aims
        if context.answer(bindings.impact_direction[aim], characteristic) == "negative"
    ]


def _something_changed(context: CheckContext) -> list[Finding]:
    bound = context.bindings.changes_made
    changes = " ".join((context.answer(bound) or "").lower().split()).strip(" .")
    serious = [c for c in context.relevant if set(_levels(context, c)) & set(IMPACT_LEVELS_NEEDING_CHANGE)]
    if serious and any(changes.startswith(word) for word in NOTHING_CHANGED):
        names = ", ".join(c.name.lower() for c in serious)
        return [
            Finding(
                f"Nothing changed in the proposal, yet the impact on {names} is medium or high before "
                "mitigation: explain why it could not be changed.",
                bound.page_for(),
            )
        ]
    return []


def _review_date(context: CheckContext) -> list[Finding]:
    bound = context.bindings.review_date
    if context.date_answer(bound) is None:
        return [Finding("Give a review date: the duty continues after the decision.", bound.page_for())]
    return []


def _review_within_a_year(context: CheckContext) -> list[Finding]:
    bound = context.bindings.review_date
    review = context.date_answer(bound)
    decision = context.date_answer(context.bindings.decision_date)
    if review is not None and decision is not None and review > decision + REVIEW_WITHIN:
        return [
            Finding(
                f"The review date, {_day(review)}, is more than 12 months after the decision ({_day(decision)}).",
                bound.page_for(),
            )
        ]
    return []


def _each_aim_answered(context: CheckContext) -> list[Finding]:
    directions = context.bindings.impact_direction
    findings = []
    for c in context.relevant:
        missing = [aim for aim in c.aims if _blank(context.answer(directions[aim], c))]
        if missing:
            findings.append(
                Finding(
                    f"{c.name}: give the likely impact on each aim of the duty ({len(missing)} not answered).",
                    directions[missing[0]].page_for(c),
                )
            )
    return findings


def _no_evidence(context: CheckContext, characteristic: Characteristic) -> bool:
    return bool(context.answer(context.bindings.has_evidence, characteristic) == "no")


def _evidence_gap_explained(context: CheckContext) -> list[Finding]:
    gaps = context.bindings.evidence_gaps
    return [
        Finding(
            f"{c.name}: there is no evidence; say what the gaps are and how and when you will fill them.",
            gaps.page_for(c),
        )
        for c in context.relevant
        if _no_evidence(context, c) and _blank(context.answer(gaps, c))
    ]


def _with_evidence_gaps(context: CheckContext) -> list[Characteristic]:
    return [
        c
        for c in context.relevant
        if _no_evidence(context, c) or not _blank(context.answer(context.bindings.evidence_gaps, c))
    ]


def _evidence_gap_planned(context: CheckContext) -> list[Finding]:
    return [
        Finding(f"{c.name}: add an action to fill the evidence gap to the action plan.", context.action_plan_page)
        for c in _with_evidence_gaps(context)
        if not context.actions_for(c)
    ]


def _evidence_gap_filled_in_time(context: CheckContext) -> list[Finding]:
    decision = context.date_answer(context.bindings.decision_date)
    if decision is None:
        return []
    return [
        Finding(
            f"{c.name}: no action on the plan is due by the decision date ({_day(decision)}) to fill the "
            "evidence gap: say in the gaps why the decision cannot wait.",
            context.action_plan_page,
        )
        for c in _with_evidence_gaps(context)
        if (actions := context.actions_for(c))
        and not any(a.due_date and date.fromisoformat(a.due_date) <= decision for a in actions)
    ]


def _adverse_impact_assessed(context: CheckContext) -> list[Finding]:
    bindings = context.bindings
    findings = []
    for c in context.relevant:
        unrated = [
            aim
            for aim in c.aims
            if context.answer(bindings.impact_direction[aim], c) == "negative"
            and _blank(context.answer(bindings.impact_level[aim], c))
        ]
        if unrated:
            findings.append(
                Finding(
                    f"{c.name}: say how severe each negative impact is.", bindings.impact_level[unrated[0]].page_for(c)
                )
            )
        if _levels(context, c) and _blank(context.answer(bindings.mitigation, c)):
            findings.append(
                Finding(
                    f"{c.name}: say how you will remove or reduce the negative impact.", bindings.mitigation.page_for(c)
                )
            )
        if _blank(context.answer(bindings.residual_level, c)):
            findings.append(
                Finding(
                    f"{c.name}: say what adverse impact remains after mitigation.", bindings.residual_level.page_for(c)
                )
            )
    return findings


def _mitigation_planned(context: CheckContext) -> list[Finding]:
    return [
        Finding(
            f"{c.name}: a negative impact was found but no action on the plan addresses it.", context.action_plan_page
        )
        for c in context.relevant
        if _levels(context, c) and not context.actions_for(c)
    ]


def _remaining_impact_justified(context: CheckContext) -> list[Finding]:
    bindings = context.bindings
    findings = [
        Finding(
            f"{c.name}: adverse impact remains, so state the legitimate aim, why the means are "
            "proportionate and the alternatives you rejected.",
            bindings.residual_justification.page_for(c),
        )
        for c in context.relevant
        if context.answer(bindings.residual_level, c) in ADVERSE_RESIDUAL_LEVELS
        and _blank(context.answer(bindings.residual_justification, c))
    ]
    if context.answer(bindings.outcome) == "continue" and _blank(context.answer(bindings.outcome_justification)):
        findings.append(
            Finding(
                "Say why continuing despite the adverse impact is justified.", bindings.outcome_justification.page_for()
            )
        )
    return findings


def _engagement_when_relevant(context: CheckContext) -> list[Finding]:
    bindings = context.bindings
    return [
        Finding(
            f"{c.name}: relevance is {relevance}, but nobody affected was engaged or consulted.",
            bindings.engaged.page_for(c),
        )
        for c in context.relevant
        if (relevance := context.answer(bindings.relevance, c)) in ("high", "medium")
        and context.answer(bindings.engaged, c) == "no"
    ]


def _linked_to_objective(context: CheckContext) -> list[Finding]:
    objectives = context.bindings.objectives
    if not context.answer(objectives):
        return [
            Finding(
                "Link the assessment to an equality objective, so the annual compliance report counts it.",
                objectives.page_for(),
            )
        ]
    return []


LEGAL_CHECKS: tuple[LegalCheck, ...] = (
    LegalCheck(
        "L1", "A named accountable decision-maker", "Brown principle 1; Bracking", BLOCKING, _decision_maker_named
    ),
    LegalCheck(
        "L2",
        "Signed off before the decision date",
        "Brown principle 2; Bracking",
        BLOCKING,
        _signed_off_before_decision,
    ),
    LegalCheck(
        "L2R",
        "Not a retrospective assessment",
        "Brown principle 2: not a rearguard action",
        WARNING,
        _not_retrospective,
    ),
    LegalCheck(
        "L14", "A reason for every screening answer", "EHRC guidance; Brown principle 3", BLOCKING, _screening_reasons
    ),
    LegalCheck(
        "L3",
        "Reasons written for each characteristic, not copied",
        "Brown principle 3: substance, not box-ticking",
        WARNING,
        _no_copied_reasons,
    ),
    LegalCheck(
        "L3C", "The assessment changed the proposal, or says why not", "Brown principle 3", WARNING, _something_changed
    ),
    LegalCheck("L5", "A review date", "Brown principle 5: a continuing duty", BLOCKING, _review_date),
    LegalCheck("L5Y", "Review within 12 months of the decision", "Brown principle 5", WARNING, _review_within_a_year),
    LegalCheck(
        "L7",
        "Specific regard to each aim of the duty",
        "s149(1) Equality Act 2010; Bracking",
        BLOCKING,
        _each_aim_answered,
    ),
    LegalCheck("L8", "Evidence gaps explained", "Bracking: the duty of inquiry", BLOCKING, _evidence_gap_explained),
    LegalCheck(
        "L8P", "An action to fill each evidence gap", "Bracking: the duty of inquiry", BLOCKING, _evidence_gap_planned
    ),
    LegalCheck(
        "L8D",
        "Evidence gaps filled before the decision",
        "Bracking: the duty of inquiry",
        WARNING,
        _evidence_gap_filled_in_time,
    ),
    LegalCheck(
        "L9", "Extent of adverse impact and its mitigation assessed", "Bracking", BLOCKING, _adverse_impact_assessed
    ),
    LegalCheck(
        "L9P", "Mitigation of each negative impact on the action plan", "Bracking", WARNING, _mitigation_planned
    ),
    LegalCheck(
        "L11",
        "Remaining adverse impact objectively justified",
        "s19 Equality Act 2010",
        BLOCKING,
        _remaining_impact_justified,
    ),
    LegalCheck(
        "L12",
        "Engagement where relevance is high or medium",
        "Bracking; Gunning principles",
        WARNING,
        _engagement_when_relevant,
    ),
    LegalCheck(
        "L13",
        "Linked to an equality objective",
        "Equality Act 2010 (Specific Duties) Regulations 2017, reg 4",
        WARNING,
        _linked_to_objective,
    ),
)


def evaluate(context: CheckContext, checks: tuple[LegalCheck, ...] = LEGAL_CHECKS) -> list[CheckResult]:
    return [CheckResult(check, tuple(check.test(context))) for check in checks]
