"""The questionnaire's bindings: each mistake (one fixture per mistake in fixtures/questionnaires/) gets
an exact "file: path: what is wrong" message, the real questionnaire binds everything the application
reads, and a pinned questionnaire stored before bindings existed is read with the shipped ones."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from eia.domain.bindings import SPECS, binding_problems
from eia.domain.definitions import build_questionnaire, questionnaire_problems
from eia.domain.legacy_definitions import LEGACY_BINDINGS
from eia.services.definitions import definition_problems, documents_sha256
from tests.definitions.test_questionnaire_definitions import MINIMAL_CHARACTERISTICS, MINIMAL_QUESTIONNAIRE

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "questionnaires"

CASES = {
    "valid": [],
    # the names: every one present, no other
    "misspelt-binding": [
        "$.bindings: 'review_date' is a required property",
        "$.bindings: Additional properties are not allowed ('review_dat' was unexpected)",
    ],
    # resolving
    "unknown-page": ["$.bindings.title: identifier 'fact.title' names unknown page 'fact'"],
    "unknown-question": ["$.bindings.owner: identifier 'facts.ownr' names unknown question 'ownr'"],
    "unknown-task": ["$.bindings.analysis: names unknown task 'analysys'"],
    "missing-qualifier": ["$.bindings.relevance: identifier 'findings.relevance' needs ':*' (per-characteristic page)"],
    "qualifier-on-ordinary-page": [
        "$.bindings.title: identifier 'facts:*.title': page 'facts' is not per characteristic"
    ],
    # once per assessment, or per characteristic
    "per-characteristic-on-ordinary-page": [
        "$.bindings.relevance: each characteristic's relevance (legal check L12, the report) is read per "
        "characteristic: page 'facts' must be in a per-characteristic task"
    ],
    "once-per-assessment-on-per-characteristic-page": [
        "$.bindings.outcome: the outcome (legal check L11, the PDF, the archive, the report) is read once per "
        "assessment: page 'findings' must not be per characteristic"
    ],
    "task-not-per-characteristic": ["$.bindings.analysis: task 'plan' must be per characteristic (for_each)"],
    "aims-not-covered": [
        "$.bindings.impact_direction: no question for aim 'eliminate'",
        "$.bindings.impact_direction.advance: unknown aim 'advance' (known: eliminate)",
    ],
    # the shape of the question
    "wrong-question-type": [
        "$.bindings.decision_date: question 'title' is of type 'text'; the date of the decision (legal checks L2, "
        "L5Y, L8D) needs 'date'"
    ],
    "missing-choice-value": [
        "$.bindings.residual_level: question 'relevance' needs the choice value(s) 'low': the impact left after "
        "mitigation (legal checks L9, L11, the PDF) compares answers with them"
    ],
    "choices-from-instead-of-choices": [
        "$.bindings.outcome: question 'department' needs choices listed in the file, not choices_from"
    ],
    "wrong-choices-from": ["$.bindings.department: question 'subject_type' needs choices_from 'departments'"],
    "title-too-long-for-its-column": [
        "$.bindings.title: question 'title' needs a max_length of 200 or less (the database keeps a copy)"
    ],
    # the action plan
    "action-plan-not-a-list": ["$.bindings.action_plan: page 'facts' must be a list page"],
    "action-field-on-another-page": [
        "$.bindings.action_owner: 'facts.owner' must name a question of the action plan page 'plan'"
    ],
    "question-of-a-list-page": ["$.bindings.review_date: identifier 'plan.due' names a question of a list page"],
}


def _folder(tmp_path: Path, fixture: str) -> Path:
    shutil.copy(FIXTURES / f"{fixture}.json", tmp_path / "questionnaire-eia.json")
    (tmp_path / "characteristics.json").write_text(json.dumps(MINIMAL_CHARACTERISTICS))
    return tmp_path


def test_every_fixture_has_a_case():
    assert sorted(path.stem for path in FIXTURES.glob("*.json")) == sorted(CASES)


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_each_binding_mistake_gets_an_exact_message(tmp_path, fixture):
    assert questionnaire_problems(_folder(tmp_path, fixture)) == [
        f"questionnaire-eia.json: {message}" for message in CASES[fixture]
    ]


def test_the_valid_fixture_is_the_tests_minimal_questionnaire():
    assert json.loads((FIXTURES / "valid.json").read_text()) == MINIMAL_QUESTIONNAIRE


def test_eia_definitions_check_reports_a_broken_binding_in_a_copy_of_the_real_files(tmp_path):
    folder = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, folder)
    questionnaire = json.loads((folder / "questionnaire-eia.json").read_text())
    questionnaire["bindings"]["review_date"] = "review.monitoring"
    del questionnaire["bindings"]["senior_responsible_officer"]
    (folder / "questionnaire-eia.json").write_text(json.dumps(questionnaire))
    assert definition_problems(folder) == [
        "questionnaire-eia.json: $.bindings: 'senior_responsible_officer' is a required property"
    ]
    questionnaire["bindings"]["senior_responsible_officer"] = "responsibility.owner"
    (folder / "questionnaire-eia.json").write_text(json.dumps(questionnaire))
    assert definition_problems(folder) == [
        "questionnaire-eia.json: $.bindings.review_date: question 'monitoring' is of type 'textarea'; the review "
        "date (reviews, reminders, the report, legal check L5) needs 'date'"
    ]


def test_the_real_questionnaire_binds_every_name_to_the_question_it_means():
    documents = _real_documents()
    questionnaire = build_questionnaire(documents["questionnaire"], documents["characteristics"])
    bindings = questionnaire.bindings
    assert set(documents["questionnaire"]["bindings"]) == set(SPECS)
    assert bindings.review_date.question.label == "When will the assessment be reviewed?"
    assert bindings.relevance.per_characteristic and not bindings.review_date.per_characteristic
    assert set(bindings.impact_direction) == set(bindings.impact_level) == set(questionnaire.aims)
    assert bindings.action_plan.page_id == documents["questionnaire"]["bindings"]["action_plan"]


def _real_documents() -> dict:
    return {
        "questionnaire": json.loads((WORKFLOWS / "questionnaire-eia.json").read_text()),
        "characteristics": json.loads((WORKFLOWS / "characteristics.json").read_text()),
    }


def test_a_pinned_questionnaire_without_bindings_is_read_with_the_shipped_ones_and_left_as_stored():
    # The questionnaire as shipped before bindings existed, as assessments started then pinned it.
    pinned = json.loads((FIXTURES.parent / "pinned" / "questionnaire-eia-v1.json").read_text())
    characteristics = json.loads((FIXTURES.parent / "pinned" / "characteristics-v1.json").read_text())
    assert "bindings" not in pinned
    stored = copy.deepcopy(pinned)
    sha256 = documents_sha256({"questionnaire": pinned, "characteristics": characteristics})

    questionnaire = build_questionnaire(pinned, characteristics)

    assert pinned == stored, "the stored document is not changed"
    assert documents_sha256({"questionnaire": pinned, "characteristics": characteristics}) == sha256
    aim_ids = [aim["id"] for aim in characteristics["aims"]]
    assert binding_problems(LEGACY_BINDINGS, questionnaire.sections, aim_ids, "pinned") == []
    bindings = questionnaire.bindings
    assert bindings.review_date.value({"review": {"review_date": "2027-01-31"}}) == "2027-01-31"
    assert bindings.relevance.page_for("age") == "screening:age"
    assert bindings.action_plan.read({"owner": "Insp A", "action": "Train"}).owner == "Insp A"
