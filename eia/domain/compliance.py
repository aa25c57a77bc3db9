"""The annual compliance report's figures as plain values (the service counts, HTML and PDF present).

Under the specific duties (SI 2017/353 reg 4) a public body publishes, at least yearly, information
showing it complies with the general duty: this is that information, for a chosen period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from eia.domain.bindings import Bindings
from eia.domain.questionnaire import Characteristic

RELEVANCE_LABELS = (
    ("high", "High"),
    ("medium", "Medium"),
    ("low", "Low"),
    ("unknown", "Not known yet"),
    ("none", "Not relevant"),
)
ADVERSE_RESIDUAL = ("low", "medium", "high")


def last_complete_financial_year(today: date) -> tuple[date, date]:
    """1 April to 31 March (both included) of the last financial year that has ended by ``today``."""
    end_year = today.year if today >= date(today.year, 4, 1) else today.year - 1
    return date(end_year - 1, 4, 1), date(end_year, 3, 31)


@dataclass(frozen=True)
class CharacteristicFact:
    """What a signed-off assessment found for one characteristic: the report counts these."""

    characteristic_id: str
    relevance: str | None
    adverse_impact: bool  # a negative impact on any of its aims before mitigation
    residual_adverse: bool  # adverse impact remains after mitigation
    evidence_gap: bool  # no evidence, or gaps in it


def characteristic_facts(
    answers: Mapping[str, Any], bindings: Bindings, characteristics: Iterable[Characteristic]
) -> list[CharacteristicFact]:
    """The facts of each characteristic an assessment covers, from its effective answers."""
    return [
        CharacteristicFact(
            characteristic_id=ch.id,
            relevance=bindings.relevance.value(answers, ch),
            adverse_impact=any(
                direction.value(answers, ch) == "negative"
                for aim, direction in bindings.impact_direction.items()
                if aim in ch.aims
            ),
            residual_adverse=bindings.residual_level.value(answers, ch) in ADVERSE_RESIDUAL,
            evidence_gap=bool(
                bindings.has_evidence.value(answers, ch) == "no"
                or (bindings.evidence_gaps.value(answers, ch) or "").strip()
            ),
        )
        for ch in characteristics
    ]


@dataclass(frozen=True)
class Count:
    label: str
    count: int


@dataclass(frozen=True)
class CharacteristicFigures:
    name: str
    relevance: tuple[Count, ...]  # in RELEVANCE_LABELS order
    adverse_impact: int  # assessments with a negative impact on any aim before mitigation
    residual_adverse: int  # assessments where adverse impact remains after mitigation
    evidence_gaps: int  # assessments with no evidence, or gaps in it


@dataclass(frozen=True)
class ObjectiveFigures:
    code: str
    title: str
    assessments: tuple[tuple[str, str], ...]  # (reference, title)


@dataclass(frozen=True)
class ComplianceFigures:
    organisation: str
    scope: str  # "the whole organisation" or a department
    start: date
    end: date  # included
    as_at: date  # the day actions and reviews are counted on: overdue means due before it
    signed_off: int
    by_department: tuple[Count, ...]
    by_subject_type: tuple[Count, ...]
    outcomes: tuple[Count, ...]
    sent_to_board: int
    board_reasons: tuple[Count, ...]
    characteristics: tuple[CharacteristicFigures, ...]
    actions: tuple[Count, ...]  # Open, In progress, Done, Overdue (overdue = not done and past due)
    reviews_overdue: int
    objectives: tuple[ObjectiveFigures, ...]
    not_linked_to_an_objective: int

    @property
    def board_share(self) -> str:
        return f"{round(100 * self.sent_to_board / self.signed_off)}%" if self.signed_off else "none"
