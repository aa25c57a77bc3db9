"""Questionnaire and characteristics definitions: the real ones load, and each kind of mistake
gets a precise message naming the file, the JSON path and what is wrong."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from eia.domain.definitions import DefinitionError, load_questionnaire, questionnaire_problems

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"

MINIMAL_CHARACTERISTICS = {
    "version": 1,
    "aims": [{"id": "eliminate", "label": "Eliminate discrimination", "short_label": "Aim 1"}],
    "characteristics": [{"id": "age", "name": "Age", "statutory": True, "aims": ["eliminate"]}],
}
MINIMAL_QUESTIONNAIRE = {
    "id": "mini",
    "version": 1,
    "title": "Mini",
    "sections": [
        {"id": "about", "title": "About", "tasks": [
            {"id": "subject", "title": "Subject", "pages": [
                {"id": "subject", "title": "Subject", "questions": [
                    {"id": "kind", "type": "radios", "label": "Kind", "required": True,
                     "choices": [{"value": "policy", "label": "Policy"}, {"value": "other", "label": "Other"}]},
                    {"id": "other_kind", "type": "text", "label": "What kind", "required": True,
                     "when": {"==": [{"source": "answers", "identifier": "subject.kind"}, "other"]}},
                ]},
            ]},
        ]},
        {"id": "screening", "title": "Screening", "tasks": [
            {"id": "screening", "title": "{characteristic}", "for_each": "characteristic", "pages": [
                {"id": "screening", "title": "{characteristic}: relevant?", "questions": [
                    {"id": "relevance", "type": "radios", "label": "Relevant?", "required": True,
                     "choices": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]},
                ]},
            ]},
        ]},
    ],
}


def write(tmp_path: Path, questionnaire=None, characteristics=None) -> Path:
    (tmp_path / "questionnaire-eia.json").write_text(json.dumps(questionnaire or MINIMAL_QUESTIONNAIRE))
    (tmp_path / "characteristics.json").write_text(json.dumps(characteristics or MINIMAL_CHARACTERISTICS))
    return tmp_path


def mutated(change) -> dict:
    data = copy.deepcopy(MINIMAL_QUESTIONNAIRE)
    change(data)
    return data


def first_question(data) -> dict:
    return data["sections"][0]["tasks"][0]["pages"][0]["questions"][0]


def test_the_real_definitions_are_valid():
    assert questionnaire_problems(WORKFLOWS) == []
    questionnaire = load_questionnaire(WORKFLOWS)
    assert questionnaire.version >= 1 and len(questionnaire.characteristics) >= 9


def test_the_minimal_fixture_is_valid(tmp_path):
    assert questionnaire_problems(write(tmp_path)) == []


def test_invalid_json_names_line_and_column(tmp_path):
    write(tmp_path)
    (tmp_path / "questionnaire-eia.json").write_text('{"id": "x",\n  "version": }')
    (problem,) = questionnaire_problems(tmp_path)
    assert problem.startswith("questionnaire-eia.json: line 2 column 14: invalid JSON")


def test_a_file_that_is_not_utf8_is_named_not_a_traceback(tmp_path):
    write(tmp_path)
    (tmp_path / "characteristics.json").write_bytes(b'{"version": 1, "name": "Caf\xe9"}')
    assert questionnaire_problems(tmp_path) == ["characteristics.json: byte 27: not UTF-8 text (invalid continuation byte)"]


def test_a_wrong_type_says_what_was_expected(tmp_path):
    assert questionnaire_problems(write(tmp_path, mutated(lambda d: d.update(sections={"about": []})))) == [
        "questionnaire-eia.json: $.sections: must be a list, not an object"
    ]


def test_missing_file_is_named(tmp_path):
    write(tmp_path)
    (tmp_path / "characteristics.json").unlink()
    assert questionnaire_problems(tmp_path) == [f"characteristics.json: file not found in {tmp_path}"]


CASES = [
    ("unknown question type",
     lambda d: first_question(d).update(type="slider"),
     "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[0].type: 'slider' is not one of"),
    ("unknown key",
     lambda d: first_question(d).update(colour="red"),
     "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[0]: Additional properties are not allowed ('colour' was unexpected)"),
    ("duplicate page id",
     lambda d: d["sections"][0]["tasks"][0]["pages"].append(copy.deepcopy(d["sections"][0]["tasks"][0]["pages"][0])),
     "questionnaire-eia.json: $.sections: duplicate page id 'subject'"),
    ("unknown rule operator",
     lambda d: first_question(d).update(when={"is": [1, 1]}),
     "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[0].when: unknown operator 'is'"),
    ("wrong arity",
     lambda d: first_question(d).update(when={"==": [1]}),
     "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[0].when: '==' takes 2 operand(s), got 1"),
    ("unknown rule source",
     lambda d: first_question(d).update(when={"==": [{"source": "session", "identifier": "x"}, 1]}),
     "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[0].when.==[0]: unknown source 'session'"),
    ("identifier names an unknown page",
     lambda d: first_question(d).update(when={"==": [{"source": "answers", "identifier": "nowhere.kind"}, "x"]}),
     "identifier 'nowhere.kind' names unknown page 'nowhere'"),
    ("identifier names an unknown question",
     lambda d: first_question(d).update(when={"==": [{"source": "answers", "identifier": "screening:*.colour"}, "x"]}),
     "identifier 'screening:*.colour' names unknown question 'colour'"),
    ("per-characteristic page read without a qualifier",
     lambda d: first_question(d).update(when={"==": [{"source": "answers", "identifier": "screening.relevance"}, "x"]}),
     "identifier 'screening.relevance' needs ':$c' or ':*' (per-characteristic page)"),
    ("radios without choices",
     lambda d: first_question(d).pop("choices"),
     "a radios question needs exactly one of choices or choices_from"),
    ("choices on a text question",
     lambda d: d["sections"][0]["tasks"][0]["pages"][0]["questions"][1].update(choices=[{"value": "a", "label": "A"}]),
     "only radios, checkboxes and select questions have choices"),
    ("placeholder outside a per-characteristic task",
     lambda d: first_question(d).update(label="About {characteristic}"),
     "uses {characteristic} outside a per-characteristic task"),
    ("reserved question id",
     lambda d: first_question(d).update(id="version"),
     "'version' is reserved (it names part of the form)"),
    ("required and required_when together",
     lambda d: first_question(d).update(required_when={"==": [1, 1]}),
     "use either required or required_when, not both"),
    ("reveal under a non-radios question",
     lambda d: d["sections"][0]["tasks"][0]["pages"][0]["questions"][1].update(
         when={"==": [{"source": "answers", "identifier": "subject.other_kind"}, "x"]}),
     "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[1].when: "
     "a question can only be revealed by a radios question of the same page, not 'other_kind'"),
    ("reveal under several values",
     lambda d: d["sections"][0]["tasks"][0]["pages"][0]["questions"][1].update(
         when={"in": [{"source": "answers", "identifier": "subject.kind"}, ["other", "policy"]]}),
     "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[1].when: "
     "a condition on the same page must be == on another question of the page and one value"),
]


@pytest.mark.parametrize("name, change, expected", CASES, ids=[c[0] for c in CASES])
def test_each_mistake_gets_a_precise_message(tmp_path, name, change, expected):
    problems = questionnaire_problems(write(tmp_path, mutated(change)))
    assert any(expected in problem for problem in problems), problems


def test_characteristic_with_unknown_aim(tmp_path):
    characteristics = copy.deepcopy(MINIMAL_CHARACTERISTICS)
    characteristics["characteristics"][0]["aims"] = ["eliminate", "harmony"]
    assert questionnaire_problems(write(tmp_path, characteristics=characteristics)) == [
        "characteristics.json: $.characteristics[0].aims: unknown aim 'harmony' (known: eliminate)"
    ]


def test_loading_an_invalid_definition_raises_with_every_problem(tmp_path):
    def two_mistakes(d):
        first_question(d).update(type="slider")
        d["sections"][1]["tasks"][0]["pages"][0]["questions"][0].update(type="knob")

    with pytest.raises(DefinitionError) as raised:
        load_questionnaire(write(tmp_path, mutated(two_mistakes)))
    assert len(raised.value.problems) == 2
