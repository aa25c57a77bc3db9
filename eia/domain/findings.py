"""Key findings: what someone deciding on an assessment needs to read first.

Per characteristic covered: its relevance, the likely impact on each aim of the duty (with severity)
and the impact left after mitigation; the evidence gaps; the outcome; the legal checks that warn; the
rules that route it; the Board's conditions. Computed from the effective answers and the pinned
questionnaire's bindings only (eia.domain.bindings): code names no page or question. Everything is
in the questionnaire's own words (choice labels), never a stored value, rule code or check id.

Pure: no Flask, no database. The caller says which legal check results and rules apply (recorded
with a transition, or as they stand now).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from eia.domain import questionnaire as q
from eia.domain.bindings import BOARD_CONDITION, BoundQuestion

# The answers the bindings' specs fix (eia.domain.bindings.SPECS "values"): what counts as adverse.
ADVERSE_DIRECTION = "negative"
ADVERSE_RESIDUAL_LEVELS = ("low", "medium", "high")
NO_EVIDENCE = "no"


@dataclass(frozen=True)
class AimImpact:
    aim: str  # the aim's short label
    direction: str  # as the questionnaire words it; "" when not answered
    level: str  # the severity of a negative impact; "" otherwise
    adverse: bool


@dataclass(frozen=True)
class CharacteristicFinding:
    name: str
    relevance: str  # the screening answer, as worded; "" when not answered
    screened_in: bool  # whether it has a full analysis
    impacts: tuple[AimImpact, ...]
    residual: str  # the impact left after mitigation, as worded; "" when not analysed
    residual_adverse: bool


@dataclass(frozen=True)
class EvidenceGap:
    characteristic: str
    no_evidence: bool
    gaps: str  # the author's words; "" when none given


@dataclass(frozen=True)
class Condition:
    text: str
    owner: str
    due: str  # "1 June 2027", or "" when none


@dataclass(frozen=True)
class KeyFindings:
    characteristics: tuple[CharacteristicFinding, ...]
    evidence_gaps: tuple[EvidenceGap, ...]
    outcome: str  # as worded; "" when not answered
    outcome_justification: str
    legal_warnings: tuple[str, ...]
    rules: tuple[str, ...]
    conditions: tuple[Condition, ...]
    # Where the rules send it ("With the Board"), and whether they already did (recorded with a
    # transition) or will when it is decided (as the answers stand).
    rules_lead_to: str = ""
    rules_recorded: bool = False

    @property
    def adverse_impacts(self) -> tuple[str, ...]:
        """Each adverse impact found, one sentence each: what the person signing off says they are aware of."""
        lines = []
        for item in self.characteristics:
            for impact in item.impacts:
                if impact.adverse:
                    severity = f" ({impact.level.lower()} severity)" if impact.level else ""
                    lines.append(f"{item.name}: {impact.direction.lower()} on {_aim_phrase(impact.aim)}{severity}")
            if item.residual_adverse:
                lines.append(f"{item.name}: {item.residual.lower()} adverse impact remains after mitigation")
        return tuple(lines)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KeyFindings:
        """Read back as stored in a snapshot's JSON (eia.domain.snapshot)."""
        return cls(
            characteristics=tuple(
                CharacteristicFinding(**{**c, "impacts": tuple(AimImpact(**i) for i in c["impacts"])})
                for c in data["characteristics"]
            ),
            evidence_gaps=tuple(EvidenceGap(**g) for g in data["evidence_gaps"]),
            outcome=data["outcome"],
            outcome_justification=data["outcome_justification"],
            legal_warnings=tuple(data["legal_warnings"]),
            rules=tuple(data["rules"]),
            conditions=tuple(Condition(**c) for c in data["conditions"]),
            rules_lead_to=data.get("rules_lead_to", ""),
            rules_recorded=data.get("rules_recorded", False),
        )

    @property
    def screened_in(self) -> tuple[CharacteristicFinding, ...]:
        return tuple(item for item in self.characteristics if item.screened_in)

    @property
    def screened_out(self) -> tuple[CharacteristicFinding, ...]:
        return tuple(item for item in self.characteristics if not item.screened_in)


def _aim_phrase(short_label: str) -> str:
    """ "Aim 1: eliminate discrimination" -> "aim 1 (eliminate discrimination)"."""
    head, sep, tail = short_label.partition(": ")
    return f"{head[:1].lower()}{head[1:]} ({tail})" if sep else short_label


def _day(value: str | None) -> str:
    try:
        parsed = date.fromisoformat(value) if value else None
    except ValueError:
        return ""
    return f"{parsed.day} {parsed:%B %Y}" if parsed else ""


def plain_legal_warnings(records: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """Legal check results as stored (eia.domain.legal_checks.CheckResult.record) -> one plain sentence
    per check that did not pass: its name and what was found, without its code."""
    lines = []
    for record in records:
        if record.get("passed"):
            continue
        found = " ".join(f["message"] for f in record.get("findings", ()))
        lines.append(f"{record['label']}: {found}" if found else record["label"])
    return tuple(lines)


def key_findings(
    questionnaire: q.Questionnaire,
    current: q.Path,
    options: Mapping[str, list[q.Choice]],
    *,
    legal_records: Iterable[Mapping[str, Any]] = (),
    rules: Iterable[str] = (),
    rules_lead_to: str = "",
    rules_recorded: bool = False,
) -> KeyFindings:
    """The key findings of an assessment on ``current`` (its path: effective answers only).
    ``legal_records``: legal check results as stored; ``rules``: the labels of the rules that route it
    (to the state labelled ``rules_lead_to``)."""
    bindings = questionnaire.bindings
    answers = current.answers
    relevant = {c.id for c in questionnaire.relevant_characteristics(current)}

    def shown(bound: BoundQuestion, characteristic: q.Characteristic | None = None) -> str:
        return q.display_value(bound.question, bound.value(answers, characteristic), options)

    characteristics = []
    gaps = []
    for characteristic in questionnaire.applicable_characteristics(current.characteristic_ids):
        screened_in = characteristic.id in relevant
        impacts: list[AimImpact] = []
        residual = ""
        residual_adverse = False
        if screened_in:
            for aim in characteristic.aims:
                direction = bindings.impact_direction[aim]
                adverse = direction.value(answers, characteristic) == ADVERSE_DIRECTION
                impacts.append(
                    AimImpact(
                        aim=questionnaire.aims[aim].short_label,
                        direction=shown(direction, characteristic),
                        level=shown(bindings.impact_level[aim], characteristic) if adverse else "",
                        adverse=adverse,
                    )
                )
            residual = shown(bindings.residual_level, characteristic)
            residual_adverse = bindings.residual_level.value(answers, characteristic) in ADVERSE_RESIDUAL_LEVELS
            no_evidence = bindings.has_evidence.value(answers, characteristic) == NO_EVIDENCE
            gap_text = (bindings.evidence_gaps.value(answers, characteristic) or "").strip()
            if no_evidence or gap_text:
                gaps.append(EvidenceGap(characteristic.name, no_evidence, gap_text))
        characteristics.append(
            CharacteristicFinding(
                name=characteristic.name,
                relevance=shown(bindings.relevance, characteristic),
                screened_in=screened_in,
                impacts=tuple(impacts),
                residual=residual,
                residual_adverse=residual_adverse,
            )
        )
    plan = bindings.action_plan
    conditions = tuple(
        Condition(item.action, item.owner, _day(item.due_date))
        for item in (plan.items(answers) if current.page(plan.page_id) else ())
        if item.source == BOARD_CONDITION
    )
    return KeyFindings(
        characteristics=tuple(characteristics),
        evidence_gaps=tuple(gaps),
        outcome=shown(bindings.outcome),
        outcome_justification=(bindings.outcome_justification.value(answers) or "").strip(),
        legal_warnings=plain_legal_warnings(legal_records),
        rules=tuple(dict.fromkeys(rules)),
        conditions=conditions,
        rules_lead_to=rules_lead_to,
        rules_recorded=rules_recorded,
    )
