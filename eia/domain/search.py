"""Archive search, pure parts: what an assessment contributes to the index, the query parser, and
neutralising spreadsheet cells. No Flask, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from eia.domain import questionnaire as q
from eia.domain.bindings import Bindings

MAX_QUERY_LENGTH = 200
MAX_QUERY_TERMS = 20
ADVERSE_RESIDUAL_LEVELS = ("medium", "high")
# A spreadsheet reads a cell starting with one of these as a formula (CSV/formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_TERM = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+")


class QueryError(ValueError):
    """The search words cannot be used; the message is for the user."""


@dataclass(frozen=True)
class IndexFields:
    """What one assessment version contributes to the search table, derived from its effective answers."""

    outcome: str | None
    decision_date: date | None
    review_date: date | None
    adverse_characteristics: tuple[str, ...]
    body: str


def index_fields(path: q.Path, reference: str, bindings: Bindings) -> IndexFields:
    answers = path.answers
    texts = [reference]
    for page in path.pages:
        questions = [question for question in page.definition.questions if question.type in ("text", "textarea")]
        stored = answers.get(page.id) or {}
        entries = q.list_items(path, page) if page.is_list else [stored]
        for entry in entries:
            texts += [entry[question.id] for question in questions if isinstance(entry.get(question.id), str)]
    return IndexFields(
        outcome=bindings.outcome.value(answers),
        decision_date=_date(bindings.decision_date.value(answers)),
        review_date=_date(bindings.review_date.value(answers)),
        adverse_characteristics=adverse_characteristics(path, bindings),
        body="\n".join(text for text in texts if text),
    )


def adverse_characteristics(path: q.Path, bindings: Bindings) -> tuple[str, ...]:
    """Characteristics with a negative likely impact on any aim, or a medium or high residual impact."""
    found = []
    for characteristic_id in path.characteristic_ids:
        negative = any(
            direction.value(path.answers, characteristic_id) == "negative"
            for direction in bindings.impact_direction.values()
        )
        if negative or bindings.residual_level.value(path.answers, characteristic_id) in ADVERSE_RESIDUAL_LEVELS:
            found.append(characteristic_id)
    return tuple(found)


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


# --- the query ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedQuery:
    """Words and "quoted phrases", every one required. Operators and punctuation are plain text."""

    terms: tuple[tuple[str, ...], ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.terms)

    @property
    def engine_text(self) -> str:
        """The same string suits FTS5 MATCH and PostgreSQL's websearch_to_tsquery: each term quoted
        (a phrase when it has several words), terms side by side (AND). Only word characters survive,
        so no operator, quote or bracket the user typed can reach either engine's syntax."""
        return " ".join('"' + " ".join(words) + '"' for words in self.terms)


def parse_query(text: str) -> ParsedQuery:
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(f"Search words must be {MAX_QUERY_LENGTH} characters or fewer (you entered {len(text)})")
    terms = []
    for phrase, word in _TERM.findall(text):
        words = tuple(w.lower() for w in _WORD.findall(phrase or word) if w.strip("_"))
        if words:
            terms.append(words)
    if len(terms) > MAX_QUERY_TERMS:
        raise QueryError(f"Use {MAX_QUERY_TERMS} search words or phrases or fewer (you entered {len(terms)})")
    return ParsedQuery(tuple(dict.fromkeys(terms)))


# --- exports ----------------------------------------------------------------------------------------


def neutralise_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; other values pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
