"""The public copy of a sealed record: which answers can be withheld, and the snapshot as published.

An answer is named by its place in the sealed snapshot ("s2.5": section 2, row 5; "c1.3": the first
characteristic's third row; "a4": the fourth action), never by a question id: the snapshot is frozen,
so a place always means exactly the answer that was signed off.

The public copy keeps what the public is owed (the answers, the analysis, the outcome, the action
plan, the legal checks and the decision) and leaves out what is internal: comments on questions, the
author, the comments and reasons of the decision trail (only the decision itself is kept). A withheld
answer reads "Withheld: <reason>", and its words are scrubbed from every other field of the copy.

Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from eia.domain.snapshot import AssessmentSnapshot

WITHHELD = "Withheld: {reason}"
# Shorter answers ("Yes", "High") are replaced where they stand but not scrubbed from other text.
SCRUB_MIN_LENGTH = 12


@dataclass(frozen=True)
class Answer:
    target: str
    group: str  # the section or characteristic it belongs to
    label: str
    value: str


def answers(snapshot: AssessmentSnapshot) -> list[Answer]:
    """Every answer of the record that can be withheld, in the record's order."""
    found = []
    for s, section in enumerate(snapshot.sections, start=1):
        found += [
            Answer(f"s{s}.{r}", section.title, label, value) for r, (label, value) in enumerate(section.rows, start=1)
        ]
    for c, item in enumerate(snapshot.characteristics, start=1):
        found += [Answer(f"c{c}.{r}", item.name, label, value) for r, (label, value) in enumerate(item.rows, start=1)]
    for a, action in enumerate(snapshot.actions, start=1):
        found.append(Answer(f"a{a}", "Action plan", f"Action {a}", action.action))
    return found


def redacted_snapshot(snapshot: AssessmentSnapshot, withheld: dict[str, str]) -> AssessmentSnapshot:
    """The snapshot as published: ``withheld`` maps answers' targets to reasons (unknown targets: ignored)."""
    by_target = {answer.target: answer for answer in answers(snapshot)}
    withheld = {target: reason for target, reason in withheld.items() if target in by_target}
    secrets = {
        by_target[target].value: reason for target, reason in withheld.items() if by_target[target].value.strip()
    }

    def rows(prefix: str, items: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple(
            (label, WITHHELD.format(reason=withheld[f"{prefix}{r}"]) if f"{prefix}{r}" in withheld else value)
            for r, (label, value) in enumerate(items, start=1)
        )

    sections = tuple(
        replace(section, rows=rows(f"s{s}.", section.rows)) for s, section in enumerate(snapshot.sections, start=1)
    )
    characteristics = tuple(
        replace(item, rows=rows(f"c{c}.", item.rows)) for c, item in enumerate(snapshot.characteristics, start=1)
    )
    actions = tuple(
        replace(action, action=WITHHELD.format(reason=withheld[f"a{a}"])) if f"a{a}" in withheld else action
        for a, action in enumerate(snapshot.actions, start=1)
    )
    trail = tuple(replace(entry, comment="", section_reasons=()) for entry in snapshot.decision_trail[-1:])
    public = replace(
        snapshot,
        sections=sections,
        characteristics=characteristics,
        actions=actions,
        author="",
        decision_trail=trail,
        question_comments=(),
    )
    # Anything else that repeats a withheld answer is scrubbed: other fields wholly equal to it, and any
    # text containing a long one (answers themselves only for long ones: withholding one "No" is not
    # withholding every "No").
    data = public.to_dict()
    answers_only = {
        "sections": data.pop("sections"),
        "actions": data.pop("actions"),
        "rows": [item.pop("rows") for item in data["characteristics"]],
    }
    data = _scrub(data, secrets, whole=True)
    answers_only = _scrub(answers_only, secrets, whole=False)
    data["sections"], data["actions"] = answers_only["sections"], answers_only["actions"]
    for item, item_rows in zip(data["characteristics"], answers_only["rows"], strict=True):
        item["rows"] = item_rows
    return AssessmentSnapshot.from_dict(data)


def _scrub(value: Any, secrets: dict[str, str], *, whole: bool) -> Any:
    if isinstance(value, dict):
        return {key: _scrub(item, secrets, whole=whole) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, secrets, whole=whole) for item in value]
    if isinstance(value, str) and secrets:
        if whole and value in secrets:
            return WITHHELD.format(reason=secrets[value])
        for secret, reason in secrets.items():
            if len(secret) >= SCRUB_MIN_LENGTH and secret in value:
                value = value.replace(secret, WITHHELD.format(reason=reason))
    return value


def redactions_by_reason(redactions: list[dict[str, str]]) -> list[tuple[str, list[str]]]:
    """[(reason, [question, ...])] in the order reasons first appear."""
    grouped: dict[str, list[str]] = {}
    for item in redactions:
        grouped.setdefault(item["reason"], []).append(item["question"])
    return list(grouped.items())


def search_text(snapshot: AssessmentSnapshot) -> str:
    """The published words the register's search looks in, lower case."""
    parts = [snapshot.title, snapshot.reference, snapshot.department, snapshot.subject_type, snapshot.outcome_label]
    parts += [value for section in snapshot.sections for _label, value in section.rows]
    parts += [value for item in snapshot.characteristics for _label, value in item.rows]
    parts += [action.action for action in snapshot.actions]
    return "\n".join(part for part in parts if part).lower()
