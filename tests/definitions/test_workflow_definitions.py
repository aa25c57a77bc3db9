"""Workflow definitions: the real one is valid, and each kind of mistake (one tiny fixture per
feature in fixtures/workflows/) gets a precise "file: path: what is wrong" message, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eia.domain.workflow import WorkflowDefinitionError, load_workflow, rule_identifier_problems
from eia.services.definitions import definition_problems
from tests.definitions.test_questionnaire_definitions import MINIMAL_QUESTIONNAIRE

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "workflows"

KNOWN_EFFECTS = (
    "notify:author, notify:approver, notify:board, notify:adviser, add_conditions_to_action_plan, archive, "
    "record_legal_checks, track_actions"
)
CASES = {
    # structure (JSON Schema): misspelt and unknown keys, wrong types, lengths
    "unknown-key": ["$.transitions[0]: Additional properties are not allowed ('rolse' was unexpected)"],
    "misspelt-key": [
        "$.transitions[0]: 'roles' is a required property",
        "$.transitions[0]: Additional properties are not allowed ('rolse' was unexpected)",
    ],
    "rule-sets-as-list": ["$.rule_sets: must be an object, not a list"],
    "routes-as-object": ["$.transitions[1].routes: must be a list, not an object"],
    "transitions-null": ["$.transitions: must be a list, not null"],
    "from-as-text": ["$.transitions[0].from: must be a list, not text"],
    "wrong-type-ends": ["$.states[3].ends: 'yes' is not one of ['signed_off', 'rejected', 'withdrawn']"],
    "state-id-too-long": ["$.states[4].id: must be 30 characters or fewer"],
    "no-roles": ["$.transitions[0].roles: [] should be non-empty"],
    "unknown-role": [
        "$.transitions[0].roles[1]: 'superuser' is not one of "
        "['author', 'approver', 'adviser', 'board', 'auditor', 'admin']"
    ],
    # states and transitions
    "unknown-state": ["$.transitions[0].to: unknown state 'reviw'"],
    "unknown-initial": ["$.initial: unknown state 'start'"],
    "unreachable-state": ["$.states[4]: state 'limbo' cannot be reached from 'draft'"],
    "dead-end-state": [
        "$.states[3]: state 'stuck' does not end the assessment (no \"ends\") but no transition leaves it"
    ],
    "duplicate-state-id": ["$.states[4].id: duplicate state id 'review'"],
    "duplicate-transition-id": ["$.transitions[2].id: duplicate transition id 'submit'"],
    "self-loop": ["$.transitions[0].to: leads from 'review' back to 'review': a transition must change the state"],
    "to-and-routes": ["$.transitions[0]: give exactly one of to or routes"],
    "when-and-rule-set": ["$.transitions[1].routes[0]: give at most one of when and when_rule_set_fires"],
    "unknown-rule-set": ["$.transitions[1].routes[0].when_rule_set_fires: unknown rule set 'escalations'"],
    "default-route-not-last": [
        "$.transitions[1].routes: needs exactly one default route (no when), and it must be last"
    ],
    "unknown-effect": [f"$.transitions[0].effects[1]: unknown effect 'email:everyone' (known: {KNOWN_EFFECTS})"],
    "unknown-requirement": [
        "$.transitions[0].requires[0]: unknown requirement 'questionnaire_finished' "
        "(known: questionnaire_complete, not_author, legal_checks_pass)"
    ],
    # what states and transitions mean: the application names none of them, so it must be able to rely on this
    "unknown-queue": [
        "$.states[2].queue: 'boardroom' is not one of ['author', 'approver', 'adviser', 'board', 'auditor', 'admin']"
    ],
    "queue-nobody-acts-on": [
        "$.states[1].queue: state 'review' waits in the adviser queue, but no transition from "
        "it lists the role 'adviser'"
    ],
    "no-signed-off-state": ['$.states: no state signs an assessment off: give one "ends": "signed_off"'],
    "no-submission": ['$.transitions: no transition submits an assessment: give one "purpose": "submit"'],
    "submit-from-locked-state": [
        "$.transitions[0].from[0]: an assessment is submitted from a state its author can "
        "edit, and 'draft' is not (\"author_can_edit\": true)"
    ],
    "return-to-locked-state": [
        "$.transitions[2].to: a return goes back to the author, to a state they can edit, "
        "and 'done' is not (\"author_can_edit\": true)"
    ],
    "sign-off-without-archive": [
        "$.transitions[2].to: signs the assessment off ('done'), so it must have the effect "
        "'archive' (the signed record)"
    ],
    "archive-too-early": [
        "$.transitions[2].to: effect 'archive' must come after 'record_legal_checks': the signed "
        "record shows their results"
    ],
    "archive-without-sign-off": [
        "$.transitions[0].to: has the effect 'archive' but 'review' does not sign the "
        'assessment off ("ends": "signed_off")'
    ],
    "no-decision-wording": [
        '$.transitions[2]: can sign the assessment off, so give "decision": how the signed record names the decision'
    ],
    # rules
    "duplicate-rule-id": ["$.rule_sets.escalation[1].id: duplicate rule id 'R1'"],
    "unknown-operator": [
        "$.rule_sets.escalation[0].when: unknown operator 'is' (known: ==, !=, >, >=, <, <=, in, "
        "any-in, all-in, contains, count, answered, not-answered, and, or, not)"
    ],
    "unknown-source-identifier": [
        "$.rule_sets.escalation[0].when.in[1]: unknown organisation identifier "
        "'board_types' (known: board_subject_types)"
    ],
    # files
    "not-utf8": ["byte 42: not UTF-8 text (invalid continuation byte)"],
    "malformed": ["line 3 column 1: invalid JSON: Expecting property name enclosed in double quotes"],
}
# Answers identifiers are checked against the questionnaire (here tests' minimal one).
IDENTIFIER_CASES = {
    "unknown-answer-identifier": [
        "$.rule_sets.escalation[0].when.==[0]: identifier 'subject.knd' names unknown question 'knd'"
    ],
    "current-characteristic": [
        "$.rule_sets.escalation[0].when.==[0]: identifier 'screening:$c.relevance': ':$c' "
        "means nothing here (there is no current characteristic): use ':*'"
    ],
}


def problems_in(name: str) -> list[str]:
    try:
        load_workflow(FIXTURES / f"{name}.json")
    except WorkflowDefinitionError as error:
        return error.problems
    return rule_identifier_problems(
        json.loads((FIXTURES / f"{name}.json").read_text()), MINIMAL_QUESTIONNAIRE, f"{name}.json"
    )


def test_every_fixture_is_covered():
    assert {p.stem for p in FIXTURES.glob("*.json")} == {"valid", *CASES, *IDENTIFIER_CASES}


def test_the_valid_fixture_is_valid():
    assert problems_in("valid") == []


@pytest.mark.parametrize("name", [*CASES, *IDENTIFIER_CASES])
def test_each_mistake_gets_a_precise_message(name):
    expected = {**CASES, **IDENTIFIER_CASES}[name]
    assert problems_in(name) == [f"{name}.json: {message}" for message in expected]


def test_the_real_definitions_are_valid():
    assert definition_problems(WORKFLOWS) == []


def _copy_with(tmp_path: Path, change) -> Path:
    folder = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, folder)
    flow = json.loads((folder / "eia-standard.json").read_text())
    change(flow)
    (folder / "eia-standard.json").write_text(json.dumps(flow))
    return folder


def test_a_misspelt_answers_identifier_in_the_real_workflow_is_an_error(tmp_path):
    def misspell(flow):
        flow["rule_sets"]["escalation"][0]["when"]["any-in"][1]["identifier"] = "residual:*.residual_levl"

    assert definition_problems(_copy_with(tmp_path, misspell)) == [
        f"eia-standard.json (with {questionnaire}): $.rule_sets.escalation[0].when.any-in[1]: "
        "identifier 'residual:*.residual_levl' names unknown question 'residual_levl'"
        for questionnaire in ("questionnaire-eia.json", "questionnaire-eqhria.json", "questionnaire-screening.json")
    ]


def _check(folder: Path) -> subprocess.CompletedProcess:
    """`eia definitions check` in a fresh interpreter, reporting which heavy libraries it imported."""
    script = (
        "import sys\n"
        "from eia.cli import main\n"
        "try:\n"
        f"    main(['definitions', 'check', '--directory', {str(folder)!r}])\n"
        "except SystemExit as exit:\n"
        "    heavy = sorted({m.split('.')[0] for m in sys.modules} & {'reportlab', 'pyhanko', 'eia.services.archive'})\n"
        "    print('imported:', heavy)\n"
        "    raise\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )


def test_the_check_command_lists_problems_without_the_pdf_and_signing_libraries(tmp_path):
    folder = _copy_with(tmp_path, lambda flow: flow["transitions"][0].update(rolse=["author"]))
    (folder / "characteristics.json").write_bytes(b"\xff\xfe not json")
    result = _check(folder)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "error: characteristics.json: byte 0: not UTF-8 text (invalid start byte)",
        "error: eia-standard.json: $.transitions[0]: Additional properties are not allowed ('rolse' was unexpected)",
    ]
    assert "imported: []" in result.stdout

    valid = _check(WORKFLOWS)
    assert valid.returncode == 0 and "are valid" in valid.stdout and "imported: []" in valid.stdout


def test_the_checker_knows_exactly_what_the_services_carry_out():
    from eia.domain import workflow as engine
    from eia.services import workflow as services

    assert tuple(services.REQUIREMENTS) == engine.REQUIREMENT_NAMES
    assert tuple(services.EFFECTS) == engine.EFFECT_NAMES
    assert engine.SOURCE_IDENTIFIERS["organisation"] == ("board_subject_types",)  # rule_resolver's only one
