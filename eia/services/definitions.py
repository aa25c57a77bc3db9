"""The definitions in workflows/, loaded once at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eia.domain.definitions import DefinitionError, load_questionnaire, questionnaire_problems
from eia.domain.questionnaire import Questionnaire
from eia.domain.workflow import Workflow, WorkflowDefinitionError, load_workflow

WORKFLOW_FILE = "eia-standard.json"


@dataclass(frozen=True)
class Definitions:
    questionnaire: Questionnaire
    workflow: Workflow


def load_definitions(directory: Path) -> Definitions:
    problems = definition_problems(directory)
    if problems:
        raise DefinitionError(problems)
    return Definitions(load_questionnaire(directory), load_workflow(directory / WORKFLOW_FILE))


def definition_problems(directory: Path) -> list[str]:
    """Every problem in every definition file, including effects no service can carry out."""
    from eia.services.workflow import unsupported_workflow_features

    problems = questionnaire_problems(directory)
    try:
        workflow = load_workflow(directory / WORKFLOW_FILE)
    except WorkflowDefinitionError as error:
        problems += error.problems
    else:
        problems += [f"{WORKFLOW_FILE}: {p}" for p in unsupported_workflow_features(workflow)]
    return problems
