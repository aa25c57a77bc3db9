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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from eia.domain.definitions import (
    CHARACTERISTICS_FILE,
    DefinitionError,
    build_questionnaire,
    check_characteristics,
    questionnaire_document_problems,
    read_json,
    schema_problems,
)
from eia.domain.questionnaire import Questionnaire
from eia.domain.workflow import Workflow, build_workflow, rule_identifier_problems, validate_workflow_data

if TYPE_CHECKING:
    from eia.domain.workflow import State


class HasDefinitions(Protocol):
    """An assessment, or a row about one (its search row), with the hash of its pinned definitions."""

    definitions_sha256: str | None


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


SUBJECT_TYPES_FILE = "subject-types.json"
# Files that are neither a questionnaire nor a workflow.
SHARED_FILES = (CHARACTERISTICS_FILE, SUBJECT_TYPES_FILE)

SUBJECT_TYPES_SCHEMA = {
    "type": "object",
    "required": ["version", "subject_types"],
    "additionalProperties": False,
    "properties": {
        "version": {"type": "integer", "minimum": 1},
        "subject_types": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["value", "label", "questionnaire", "workflow"],
                "additionalProperties": False,
                "properties": {
                    # The assessment's subject_type column holds 40 characters.
                    "value": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "maxLength": 40},
                    "label": {"type": "string", "minLength": 1},
                    "hint": {"type": "string"},
                    "questionnaire": {"type": "string", "minLength": 1},
                    "workflow": {"type": "string", "minLength": 1},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class SubjectType:
    """A kind of proposal, and the questionnaire and workflow an assessment of it follows by default."""

    value: str
    label: str
    hint: str
    questionnaire_id: str
    workflow_id: str


@dataclass(frozen=True)
class Library:
    """Everything in the definitions folder: any number of questionnaires and workflows, the
    characteristics they share, and which subject type follows which questionnaire and workflow."""

    questionnaires: Mapping[str, Any]  # id -> document
    workflows: Mapping[str, Any]  # id -> document
    characteristics: Mapping[str, Any]
    subject_types: tuple[SubjectType, ...]
    # Built definitions, once per process: by (questionnaire, workflow) for new assessments, and by the
    # SHA-256 assessments pin them under (this folder's, or older ones read back from the database).
    _by_pair: dict = field(default_factory=dict, repr=False, compare=False)
    _by_sha256: dict = field(default_factory=dict, repr=False, compare=False)

    def subject_type(self, value: str) -> SubjectType | None:
        return next((s for s in self.subject_types if s.value == value), None)

    def definitions_for(self, questionnaire_id: str, workflow_id: str) -> Definitions:
        """The questionnaire and workflow as one pinnable set of definitions (built once)."""
        key = (questionnaire_id, workflow_id)
        if key not in self._by_pair:
            built = build_definitions(
                {
                    "questionnaire": self.questionnaires[questionnaire_id],
                    "characteristics": self.characteristics,
                    "workflow": self.workflows[workflow_id],
                }
            )
            self._by_pair[key] = self._by_sha256.setdefault(built.sha256, built)
        return self._by_pair[key]

    def pinned(self, sha256: str, documents: Callable[[], Mapping[str, Any]]) -> Definitions:
        """The definitions pinned under ``sha256``, built from ``documents()`` the first time (one object
        per hash, whether it was first needed to start an assessment or to read one)."""
        if sha256 not in self._by_sha256:
            self._by_sha256[sha256] = build_definitions(documents())
        return self._by_sha256[sha256]

    def definitions_for_subject(self, subject_type: SubjectType) -> Definitions:
        return self.definitions_for(subject_type.questionnaire_id, subject_type.workflow_id)

    def route_for(self, subject_type: SubjectType, organisation_routes: Mapping[str, Any]) -> tuple[str, str]:
        """(questionnaire id, workflow id) for this kind at an organisation: its own choice, when it made
        one that still exists, else the folder's."""
        chosen = (organisation_routes or {}).get(subject_type.value) or {}
        questionnaire, workflow = chosen.get("questionnaire"), chosen.get("workflow")
        if questionnaire in self.questionnaires and workflow in self.workflows:
            return questionnaire, workflow
        return subject_type.questionnaire_id, subject_type.workflow_id

    @property
    def default(self) -> Definitions:
        """The first subject type's definitions: for filter options, and assessments started without a kind."""
        return self.definitions_for_subject(self.subject_types[0])


def _read(directory: Path) -> tuple[Library | None, list[str]]:
    """The folder's definitions and every problem in them (each file that could be read is checked).
    A questionnaire is a file with "sections", a workflow one with "states"."""
    directory = Path(directory)
    problems: list[str] = []
    characteristics = read_json(directory / CHARACTERISTICS_FILE, problems)
    subject_types = read_json(directory / SUBJECT_TYPES_FILE, problems)
    if characteristics is not None:
        problems += check_characteristics(characteristics, CHARACTERISTICS_FILE)
    characteristics_ok = characteristics is not None and not problems
    questionnaires: dict[str, tuple[str, Any]] = {}
    workflows: dict[str, tuple[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        if path.name in SHARED_FILES:
            continue
        file_problems: list[str] = []
        document = read_json(path, file_problems)
        if file_problems:
            problems += file_problems
            continue
        kind, found = (
            (questionnaires, "questionnaire")
            if isinstance(document, dict) and "sections" in document
            else (workflows, "workflow")
            if isinstance(document, dict) and "states" in document
            else (None, None)
        )
        if kind is None:
            problems.append(
                f'{path.name}: $: neither a questionnaire (it has no "sections") nor a workflow (it has no "states")'
            )
            continue
        if found == "questionnaire" and characteristics_ok:
            file_problems = questionnaire_document_problems(document, characteristics, path.name)
        elif found == "workflow":
            file_problems = validate_workflow_data(document, path.name)
        problems += file_problems
        identifier = document.get("id")
        if isinstance(identifier, str) and identifier in kind:
            problems.append(f"{path.name}: $.id: the {found} id {identifier!r} is also used by {kind[identifier][0]}")
        elif isinstance(identifier, str):
            kind[identifier] = (path.name, document)
    if not questionnaires:
        problems.append(f'{directory.name}: no questionnaire found (a questionnaire is a .json file with "sections")')
    if not workflows:
        problems.append(f'{directory.name}: no workflow found (a workflow is a .json file with "states")')
    types = _subject_types(subject_types, questionnaires, workflows, problems) if subject_types is not None else ()
    if problems:
        return None, problems
    # A workflow's rules read answers: check them against every questionnaire it is paired with.
    for questionnaire_id, workflow_id in dict.fromkeys((t.questionnaire_id, t.workflow_id) for t in types):
        workflow_file, workflow = workflows[workflow_id]
        questionnaire_file, questionnaire = questionnaires[questionnaire_id]
        source = workflow_file if len(questionnaires) == 1 else f"{workflow_file} (with {questionnaire_file})"
        problems += rule_identifier_problems(workflow, questionnaire, source)
    if problems:
        return None, problems
    return Library(
        questionnaires={key: document for key, (_name, document) in questionnaires.items()},
        workflows={key: document for key, (_name, document) in workflows.items()},
        characteristics=characteristics,
        subject_types=types,
    ), []


def _subject_types(
    data: Any, questionnaires: Mapping, workflows: Mapping, problems: list[str]
) -> tuple[SubjectType, ...]:
    found = schema_problems(data, SUBJECT_TYPES_SCHEMA, SUBJECT_TYPES_FILE)
    if found:
        problems += found
        return ()
    seen: set[str] = set()
    for index, entry in enumerate(data["subject_types"]):
        where = f"{SUBJECT_TYPES_FILE}: $.subject_types[{index}]"
        if entry["value"] in seen:
            problems.append(f"{where}.value: duplicate subject type {entry['value']!r}")
        seen.add(entry["value"])
        if entry["questionnaire"] not in questionnaires:
            problems.append(
                f"{where}.questionnaire: unknown questionnaire {entry['questionnaire']!r} "
                f"(known: {', '.join(sorted(questionnaires)) or 'none'})"
            )
        if entry["workflow"] not in workflows:
            problems.append(
                f"{where}.workflow: unknown workflow {entry['workflow']!r} "
                f"(known: {', '.join(sorted(workflows)) or 'none'})"
            )
    return tuple(
        SubjectType(e["value"], e["label"], e.get("hint", ""), e["questionnaire"], e["workflow"])
        for e in data["subject_types"]
    )


def definition_problems(directory: Path) -> list[str]:
    """Every problem in every definition file of ``directory``, each as "file: path: what is wrong"."""
    return _read(directory)[1]


def load_library(directory: Path) -> Library:
    library, problems = _read(directory)
    if problems:
        raise DefinitionError(problems)
    return library


# --- which definitions: the loaded ones, or an assessment's pinned ones ---------------------------


def library() -> Library:
    """Everything loaded from workflows/ at start-up."""
    from flask import current_app

    return current_app.extensions["eia.definitions"]


def current_definitions() -> Definitions:
    """The default definitions loaded now: for filter options, and assessments started without a
    subject type. Everything about an existing assessment asks ``definitions_of`` instead."""
    return library().default


def definitions_of(holder: HasDefinitions) -> Definitions:
    """The definitions this assessment (or its search row) pinned when it started."""
    sha256 = holder.definitions_sha256
    return current_definitions() if sha256 is None else definitions_of_sha256(sha256)


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
    from eia.extensions import db
    from eia.models import DefinitionVersion

    return library().pinned(sha256, lambda: db.session.get(DefinitionVersion, sha256).documents)


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
    return or_(
        *(
            and_(
                sha256_column.is_(None) if sha256 is None else sha256_column == sha256, state_column.in_(sorted(states))
            )
            for sha256, states in matching.items()
            if states
        )
    )


def signed_off(state_column: Any = None) -> Any:
    """SQL: the assessment (or, given ``state_column``, its transition's target) is signed off, as
    the assessment's own workflow defines it. The query must include the assessment table."""
    from eia.models import Assessment

    return state_condition(
        Assessment.definitions_sha256,
        Assessment.status if state_column is None else state_column,
        lambda state: state.signed_off,
    )


def in_queue_of(role: str, state_column: Any = None) -> Any:
    """SQL: the assessment (or, given ``state_column``, its transition's target) is in ``role``'s
    work queue, as the assessment's own workflow defines it."""
    from eia.models import Assessment

    return state_condition(
        Assessment.definitions_sha256,
        Assessment.status if state_column is None else state_column,
        lambda state: state.queue == role,
    )


def pin_definitions(defs: Definitions) -> None:
    """Store the documents under their hash, unless an earlier assessment already did."""
    from eia.extensions import db
    from eia.models import DefinitionVersion

    if db.session.get(DefinitionVersion, defs.sha256) is None:
        db.session.add(DefinitionVersion(sha256=defs.sha256, documents=dict(defs.documents)))
        db.session.flush()
