"""The definitions in workflows/: read and checked once at start-up, identified by their SHA-256,
and the one place that says which definitions an assessment uses.

An assessment pins the exact documents it started with (``pin_definitions``): the three documents are kept
together, content-addressed by the SHA-256 of their canonical JSON, so a later change to the files
never moves an assessment that is already under way. Every reader of an assessment (web, API, CLI,
search, compliance, PDF) asks ``definitions_of(assessment)``; the definitions loaded now (``current_definitions()``) serve
only to start an assessment and to offer filter options.

This module must stay light: ``eia definitions check`` imports it, and it must run (and fail with
messages, not tracebacks) without the PDF and signing libraries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from eia.domain.definitions import (
    CHARACTERISTICS_FILE,
    QUESTIONNAIRE_FILE,
    DefinitionError,
    build_questionnaire,
    check_questionnaire_documents,
    read_json,
)
from eia.domain.questionnaire import Questionnaire
from eia.domain.workflow import Workflow, build_workflow, rule_identifier_problems, validate_workflow_data

if TYPE_CHECKING:
    from collections.abc import Callable

    from eia.domain.workflow import State


class HasDefinitions(Protocol):
    """An assessment, or a row about one (its search row), with the hash of its pinned definitions."""

    definitions_sha256: str | None

WORKFLOW_FILE = "eia-standard.json"


@dataclass(frozen=True)
class Definitions:
    questionnaire: Questionnaire
    workflow: Workflow
    sha256: str
    documents: Mapping[str, Any] = field(repr=False, compare=False)


def documents_sha256(documents: Mapping[str, Any]) -> str:
    """The identity of a set of documents: SHA-256 of their canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(documents, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def build_definitions(documents: Mapping[str, Any]) -> Definitions:
    """Domain objects for documents that were valid when checked (now, or when an assessment pinned them)."""
    return Definitions(
        questionnaire=build_questionnaire(documents["questionnaire"], documents["characteristics"]),
        workflow=build_workflow(documents["workflow"]),
        sha256=documents_sha256(documents),
        documents=documents,
    )


def _read(directory: Path) -> tuple[dict[str, Any], list[str]]:
    """The documents and every problem in them (each file that could be read is checked)."""
    questionnaire_problems: list[str] = []
    workflow_problems: list[str] = []
    documents = {
        "questionnaire": read_json(Path(directory) / QUESTIONNAIRE_FILE, questionnaire_problems),
        "characteristics": read_json(Path(directory) / CHARACTERISTICS_FILE, questionnaire_problems),
        "workflow": read_json(Path(directory) / WORKFLOW_FILE, workflow_problems),
    }
    if not questionnaire_problems:
        questionnaire_problems = check_questionnaire_documents(documents["questionnaire"], documents["characteristics"])
    if not workflow_problems:
        workflow_problems = validate_workflow_data(documents["workflow"], WORKFLOW_FILE)
    if not questionnaire_problems and not workflow_problems:
        workflow_problems = rule_identifier_problems(documents["workflow"], documents["questionnaire"], WORKFLOW_FILE)
    return documents, questionnaire_problems + workflow_problems


def definition_problems(directory: Path) -> list[str]:
    """Every problem in every definition file of ``directory``, each as "file: path: what is wrong"."""
    return _read(directory)[1]


def load_definitions(directory: Path) -> Definitions:
    documents, problems = _read(directory)
    if problems:
        raise DefinitionError(problems)
    return build_definitions(documents)


# --- which definitions: the loaded ones, or an assessment's pinned ones ---------------------------


def current_definitions() -> Definitions:
    """The definitions loaded from workflows/ at start-up: what a new assessment starts with."""
    from flask import current_app

    return current_app.extensions["eia.definitions"]


def definitions_of(holder: HasDefinitions) -> Definitions:
    """The definitions this assessment (or its search row) pinned when it started."""
    sha256 = holder.definitions_sha256
    return current_definitions() if sha256 is None else definitions_of_sha256(sha256)


def _pinned(sha256: str) -> Definitions:
    """A pinned version, built once per process."""
    from flask import current_app

    from eia.extensions import db
    from eia.models import DefinitionVersion

    pinned = current_app.extensions.setdefault("eia.pinned_definitions", {})
    if sha256 not in pinned:
        pinned[sha256] = build_definitions(db.session.get(DefinitionVersion, sha256).documents)
    return pinned[sha256]


def workflows_in_use() -> dict[str | None, Workflow]:
    """Every workflow an assessment may follow, by the SHA-256 it is pinned under (None: assessments
    started before pinning, which follow the loaded one)."""
    from sqlalchemy import select

    from eia.extensions import db
    from eia.models import DefinitionVersion

    in_use: dict[str | None, Workflow] = {None: current_definitions().workflow}
    for sha256 in db.session.scalars(select(DefinitionVersion.sha256)):
        in_use[sha256] = definitions_of_sha256(sha256).workflow
    return in_use


def definitions_of_sha256(sha256: str) -> Definitions:
    loaded = current_definitions()
    return loaded if sha256 == loaded.sha256 else _pinned(sha256)


def state_condition(sha256_column: Any, state_column: Any, predicate: Callable[[State], bool]) -> Any:
    """SQL: the state in ``state_column`` satisfies ``predicate`` in the workflow pinned under
    ``sha256_column``: how queries find "in the Board's queue" or "signed off" without naming a state."""
    from sqlalchemy import and_, false, or_

    in_use = workflows_in_use()
    matching = {sha256: workflow.states_where(predicate) for sha256, workflow in in_use.items()}
    union = frozenset().union(*matching.values())
    if not union:
        return false()
    # The usual case: no version gives one of these ids another meaning, so one IN list will do.
    if all(union & set(workflow.states) <= matching[sha256] for sha256, workflow in in_use.items()):
        return state_column.in_(sorted(union))
    return or_(*(
        and_(sha256_column.is_(None) if sha256 is None else sha256_column == sha256, state_column.in_(sorted(states)))
        for sha256, states in matching.items() if states
    ))


def signed_off(state_column: Any = None) -> Any:
    """SQL: the assessment (or, given ``state_column``, its transition's target) is signed off, as
    the assessment's own workflow defines it. The query must include the assessment table."""
    from eia.models import Assessment

    return state_condition(Assessment.definitions_sha256, Assessment.status if state_column is None else state_column,
                           lambda state: state.signed_off)


def in_queue_of(role: str, state_column: Any = None) -> Any:
    """SQL: the assessment (or, given ``state_column``, its transition's target) is in ``role``'s
    work queue, as the assessment's own workflow defines it."""
    from eia.models import Assessment

    return state_condition(Assessment.definitions_sha256, Assessment.status if state_column is None else state_column,
                           lambda state: state.queue == role)


def pin_definitions(defs: Definitions) -> None:
    """Store the documents under their hash, unless an earlier assessment already did."""
    from eia.extensions import db
    from eia.models import DefinitionVersion

    if db.session.get(DefinitionVersion, defs.sha256) is None:
        db.session.add(DefinitionVersion(sha256=defs.sha256, documents=dict(defs.documents)))
        db.session.flush()
