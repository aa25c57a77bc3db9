"""What the decision-maker saw, frozen at sign-off: the single input of the archived PDF.

Plain immutable values, no ORM objects, so rendering is pure and a snapshot stored as JSON beside
the archive record re-renders the same document decades later.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from typing import Any

from eia.domain.findings import KeyFindings


@dataclass(frozen=True)
class SnapshotSection:
    title: str
    rows: tuple[tuple[str, str], ...]  # (question label, answer as shown)


@dataclass(frozen=True)
class ImpactRow:
    aim_label: str
    direction: str  # Positive / Neutral / Negative / Not answered
    level: str  # Low / Medium / High, or "" when not applicable


@dataclass(frozen=True)
class CharacteristicSnapshot:
    name: str
    relevance: str
    reason: str
    rows: tuple[tuple[str, str], ...]
    impacts: tuple[ImpactRow, ...]
    residual_level: str
    justification: str


@dataclass(frozen=True)
class ActionRow:
    action: str
    characteristic: str
    owner: str
    due_date: date | None
    status: str


@dataclass(frozen=True)
class TrailEntry:
    at: datetime
    actor: str
    role: str
    action_label: str
    from_state: str
    to_state: str
    rules_fired: tuple[str, ...]
    comment: str
    conditions: tuple[str, ...] = ()
    section_reasons: tuple[str, ...] = ()  # "Section: task: why it is returned"


@dataclass(frozen=True)
class AssessmentSnapshot:
    reference: str
    version: int
    title: str
    organisation: str
    department: str
    subject_type: str
    author: str
    owner: str
    status_label: str
    decision: str
    decision_date: date | None
    signed_off_at: datetime
    sections: tuple[SnapshotSection, ...]
    characteristics: tuple[CharacteristicSnapshot, ...]
    outcome_label: str
    actions: tuple[ActionRow, ...]
    review_date: date | None
    decision_trail: tuple[TrailEntry, ...]
    # (sequence, entry hash) of the last audit event before this sign-off; its own events follow it.
    audit_chain_head: tuple[int, str] | None
    legal_checks: tuple[tuple[str, str], ...] = ()  # (check, result) recorded at sign-off
    # The summary on the record's first page. Records sealed before it existed have none, and re-render without it.
    findings: KeyFindings | None = None
    # (question, its thread as people read it): comments on particular questions, an adviser's say.
    question_comments: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        encoded: dict[str, Any] = _encode(self)
        return encoded

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AssessmentSnapshot:
        return cls(
            **{
                **data,
                "decision_date": _date(data["decision_date"]),
                "signed_off_at": datetime.fromisoformat(data["signed_off_at"]),
                "review_date": _date(data["review_date"]),
                "sections": tuple(SnapshotSection(title=s["title"], rows=_pairs(s["rows"])) for s in data["sections"]),
                "characteristics": tuple(
                    CharacteristicSnapshot(
                        **{
                            **c,
                            "rows": _pairs(c["rows"]),
                            "impacts": tuple(ImpactRow(**i) for i in c["impacts"]),
                        }
                    )
                    for c in data["characteristics"]
                ),
                "actions": tuple(ActionRow(**{**a, "due_date": _date(a["due_date"])}) for a in data["actions"]),
                "decision_trail": tuple(
                    TrailEntry(
                        **{
                            **t,
                            "at": datetime.fromisoformat(t["at"]),
                            "rules_fired": tuple(t["rules_fired"]),
                            "conditions": tuple(t.get("conditions", ())),
                            "section_reasons": tuple(t.get("section_reasons", ())),
                        }
                    )
                    for t in data["decision_trail"]
                ),
                "audit_chain_head": tuple(data["audit_chain_head"]) if data["audit_chain_head"] else None,
                "legal_checks": _pairs(data.get("legal_checks", ())),
                "findings": KeyFindings.from_dict(data["findings"]) if data.get("findings") else None,
                "question_comments": _pairs(data.get("question_comments", ())),
            }
        )


def _encode(value: Any) -> Any:
    """JSON-ready values (dataclasses.asdict would deep-copy every value first, only to be re-encoded)."""
    if is_dataclass(value):
        return {field.name: _encode(getattr(value, field.name)) for field in fields(value)}
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _pairs(rows: Iterable[Sequence[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((label, value) for label, value in rows)
