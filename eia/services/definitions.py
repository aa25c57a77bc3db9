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
from typing import TYPE_CHECKING, Any

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
    from eia.models import Assessment

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


def definitions_of(assessment: Assessment) -> Definitions:
    """The definitions this assessment pinned when it started (built once per process per version)."""
    from flask import current_app

    from eia.extensions import db
    from eia.models import DefinitionVersion

    loaded = current_definitions()
    sha256 = assessment.definitions_sha256
    if sha256 is None or sha256 == loaded.sha256:
        return loaded
    pinned = current_app.extensions.setdefault("eia.pinned_definitions", {})
    if sha256 not in pinned:
        pinned[sha256] = build_definitions(db.session.get(DefinitionVersion, sha256).documents)
    return pinned[sha256]


def pin_definitions(defs: Definitions) -> None:
    """Store the documents under their hash, unless an earlier assessment already did."""
    from eia.extensions import db
    from eia.models import DefinitionVersion

    if db.session.get(DefinitionVersion, defs.sha256) is None:
        db.session.add(DefinitionVersion(sha256=defs.sha256, documents=dict(defs.documents)))
        db.session.flush()
