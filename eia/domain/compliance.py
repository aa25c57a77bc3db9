"""The annual compliance report's figures as plain values (the service counts, HTML and PDF present).

Under the specific duties (SI 2017/353 reg 4) a public body publishes, at least yearly, information
showing it complies with the general duty: this is that information, for a chosen period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

RELEVANCE_LABELS = (("high", "High"), ("medium", "Medium"), ("low", "Low"), ("unknown", "Not known yet"),
                    ("none", "Not relevant"))


def last_complete_financial_year(today: date) -> tuple[date, date]:
    """1 April to 31 March (both included) of the last financial year that has ended by ``today``."""
    end_year = today.year if today >= date(today.year, 4, 1) else today.year - 1
    return date(end_year - 1, 4, 1), date(end_year, 3, 31)


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
