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


def CHOICES(*values: str) -> list[dict]:  # noqa: N802 (reads as the data it makes)
    return [{"value": v, "label": v.capitalize()} for v in values]


# The questions the application reads (eia.domain.bindings), each of the shape it needs.
BOUND_SECTION = {
    "id": "bound",
    "title": "What the application reads",
    "tasks": [
        {
            "id": "facts",
            "title": "Facts",
            "pages": [
                {
                    "id": "facts",
                    "title": "Facts",
                    "questions": [
                        {"id": "title", "type": "text", "label": "Title"},
                        {"id": "subject_type", "type": "radios", "label": "Kind", "choices_from": "subject_types"},
                        {"id": "department", "type": "select", "label": "Department", "choices_from": "departments"},
                        {"id": "owner", "type": "text", "label": "Owner"},
                        {"id": "officer", "type": "text", "label": "Senior responsible officer"},
                        {"id": "decided", "type": "date", "label": "Decision date"},
                        {"id": "objectives", "type": "checkboxes", "label": "Objectives", "choices_from": "objectives"},
                        {
                            "id": "outcome",
                            "type": "radios",
                            "label": "Outcome",
                            "choices": CHOICES("adjust", "continue"),
                        },
                        {"id": "why_continue", "type": "textarea", "label": "Why continue"},
                        {"id": "changes", "type": "textarea", "label": "Changes made"},
                        {"id": "review_date", "type": "date", "label": "Review date"},
                    ],
                },
            ],
        },
        {
            "id": "analysis",
            "title": "{characteristic}",
            "for_each": "characteristic",
            "pages": [
                {
                    "id": "findings",
                    "title": "{characteristic}: findings",
                    "questions": [
                        {
                            "id": "relevance",
                            "type": "radios",
                            "label": "Relevance",
                            "choices": CHOICES("high", "medium", "none"),
                        },
                        {"id": "reason", "type": "textarea", "label": "Why"},
                        {"id": "has_evidence", "type": "radios", "label": "Evidence?", "choices": CHOICES("yes", "no")},
                        {"id": "gaps", "type": "textarea", "label": "Gaps"},
                        {"id": "engaged", "type": "radios", "label": "Engaged?", "choices": CHOICES("yes", "no")},
                        {
                            "id": "direction",
                            "type": "radios",
                            "label": "Impact",
                            "choices": CHOICES("positive", "negative"),
                        },
                        {
                            "id": "level",
                            "type": "radios",
                            "label": "Severity",
                            "choices": CHOICES("low", "medium", "high"),
                        },
                        {"id": "mitigation", "type": "textarea", "label": "Mitigation"},
                        {
                            "id": "residual",
                            "type": "radios",
                            "label": "Residual",
                            "choices": CHOICES("none", "low", "medium", "high"),
                        },
                        {"id": "justification", "type": "textarea", "label": "Justification"},
                    ],
                },
            ],
        },
        {
            "id": "plan",
            "title": "Plan",
            "pages": [
                {
                    "id": "plan",
                    "title": "Action plan",
                    "type": "list",
                    "item_name": "action",
                    "questions": [
                        {"id": "action", "type": "textarea", "label": "Action"},
                        {
                            "id": "characteristic",
                            "type": "select",
                            "label": "For",
                            "choices_from": "relevant_characteristics",
                        },
                        {"id": "owner", "type": "text", "label": "Owner"},
                        {"id": "due", "type": "date", "label": "Due"},
                    ],
                },
            ],
        },
    ],
}
BINDINGS = {
    "title": "facts.title",
    "subject_type": "facts.subject_type",
    "department": "facts.department",
    "owner": "facts.owner",
    "senior_responsible_officer": "facts.officer",
    "decision_date": "facts.decided",
    "objectives": "facts.objectives",
    "analysis": "analysis",
    "relevance": "findings:*.relevance",
    "relevance_reason": "findings:*.reason",
    "has_evidence": "findings:*.has_evidence",
    "evidence_gaps": "findings:*.gaps",
    "engaged": "findings:*.engaged",
    "impact_direction": {"eliminate": "findings:*.direction"},
    "impact_level": {"eliminate": "findings:*.level"},
    "mitigation": "findings:*.mitigation",
    "residual_level": "findings:*.residual",
    "residual_justification": "findings:*.justification",
    "outcome": "facts.outcome",
    "outcome_justification": "facts.why_continue",
    "changes_made": "facts.changes",
    "action_plan": "plan",
    "action": "plan.action",
    "action_characteristic": "plan.characteristic",
    "action_owner": "plan.owner",
    "action_due_date": "plan.due",
    "review_date": "facts.review_date",
}
MINIMAL_QUESTIONNAIRE = {
    "id": "mini",
    "version": 1,
    "title": "Mini",
    "bindings": BINDINGS,
    "sections": [
        {
            "id": "about",
            "title": "About",
            "tasks": [
                {
                    "id": "subject",
                    "title": "Subject",
                    "pages": [
                        {
                            "id": "subject",
                            "title": "Subject",
                            "questions": [
                                {
                                    "id": "kind",
                                    "type": "radios",
                                    "label": "Kind",
                                    "required": True,
                                    "choices": [
                                        {"value": "policy", "label": "Policy"},
                                        {"value": "other", "label": "Other"},
                                    ],
                                },
                                {
                                    "id": "other_kind",
                                    "type": "text",
                                    "label": "What kind",
                                    "required": True,
                                    "when": {"==": [{"source": "answers", "identifier": "subject.kind"}, "other"]},
                                },
                            ],
                        },
                    ],
                },
            ],
        },
        {
            "id": "screening",
            "title": "Screening",
            "tasks": [
                {
                    "id": "screening",
                    "title": "{characteristic}",
                    "for_each": "characteristic",
                    "pages": [
                        {
                            "id": "screening",
                            "title": "{characteristic}: relevant?",
                            "questions": [
                                {
                                    "id": "relevance",
                                    "type": "radios",
                                    "label": "Relevant?",
                                    "required": True,
                                    "choices": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}],
                                },
                            ],
                        },
                    ],
                },
            ],
        },
        BOUND_SECTION,
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
    assert questionnaire_problems(tmp_path) == [
        "characteristics.json: byte 27: not UTF-8 text (invalid continuation byte)"
    ]


def test_a_wrong_type_says_what_was_expected(tmp_path):
    assert questionnaire_problems(write(tmp_path, mutated(lambda d: d.update(sections={"about": []})))) == [
        "questionnaire-eia.json: $.sections: must be a list, not an object"
    ]


def test_missing_file_is_named(tmp_path):
    write(tmp_path)
    (tmp_path / "characteristics.json").unlink()
    assert questionnaire_problems(tmp_path) == [f"characteristics.json: file not found in {tmp_path}"]


CASES = [
    (
        "unknown question type",
        lambda d: first_question(d).update(type="slider"),
        "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[0].type: 'slider' is not one of",
    ),
    (
        "unknown key",
        lambda d: first_question(d).update(colour="red"),
        "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[0]: Additional properties are not allowed ('colour' was unexpected)",
    ),
    (
        "duplicate page id",
        lambda d: d["sections"][0]["tasks"][0]["pages"].append(copy.deepcopy(d["sections"][0]["tasks"][0]["pages"][0])),
        "questionnaire-eia.json: $.sections: duplicate page id 'subject'",
    ),
    (
        "unknown rule operator",
        lambda d: first_question(d).update(when={"is": [1, 1]}),
        "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[0].when: unknown operator 'is'",
    ),
    (
        "wrong arity",
        lambda d: first_question(d).update(when={"==": [1]}),
        "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[0].when: '==' takes 2 operand(s), got 1",
    ),
    (
        "unknown rule source",
        lambda d: first_question(d).update(when={"==": [{"source": "session", "identifier": "x"}, 1]}),
        "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[0].when.==[0]: unknown source 'session'",
    ),
    (
        "identifier names an unknown page",
        lambda d: first_question(d).update(when={"==": [{"source": "answers", "identifier": "nowhere.kind"}, "x"]}),
        "identifier 'nowhere.kind' names unknown page 'nowhere'",
    ),
    (
        "identifier names an unknown question",
        lambda d: first_question(d).update(
            when={"==": [{"source": "answers", "identifier": "screening:*.colour"}, "x"]}
        ),
        "identifier 'screening:*.colour' names unknown question 'colour'",
    ),
    (
        "per-characteristic page read without a qualifier",
        lambda d: first_question(d).update(
            when={"==": [{"source": "answers", "identifier": "screening.relevance"}, "x"]}
        ),
        "identifier 'screening.relevance' needs ':$c' or ':*' (per-characteristic page)",
    ),
    (
        "radios without choices",
        lambda d: first_question(d).pop("choices"),
        "a radios question needs exactly one of choices or choices_from",
    ),
    (
        "choices on a text question",
        lambda d: d["sections"][0]["tasks"][0]["pages"][0]["questions"][1].update(
            choices=[{"value": "a", "label": "A"}]
        ),
        "only radios, checkboxes and select questions have choices",
    ),
    (
        "placeholder outside a per-characteristic task",
        lambda d: first_question(d).update(label="About {characteristic}"),
        "uses {characteristic} outside a per-characteristic task",
    ),
    (
        "reserved question id",
        lambda d: first_question(d).update(id="version"),
        "'version' is reserved (it names part of the form)",
    ),
    (
        "required and required_when together",
        lambda d: first_question(d).update(required_when={"==": [1, 1]}),
        "use either required or required_when, not both",
    ),
    (
        "reveal under a non-radios question",
        lambda d: d["sections"][0]["tasks"][0]["pages"][0]["questions"][1].update(
            when={"==": [{"source": "answers", "identifier": "subject.other_kind"}, "x"]}
        ),
        "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[1].when: "
        "a question can only be revealed by a radios question of the same page, not 'other_kind'",
    ),
    (
        "every characteristic on one page, for a task that is not per characteristic",
        lambda d: d["sections"][0]["tasks"][0].update(all_on_one_page={"title": "About"}),
        "questionnaire-eia.json: $.sections[0].tasks[0].all_on_one_page: "
        "only a per-characteristic task (for_each) can show every characteristic on one page",
    ),
    (
        "every characteristic on one page, for a task of several pages",
        lambda d: (
            d["sections"][1]["tasks"][0]["pages"].append(
                {
                    "id": "second",
                    "title": "{characteristic}: more",
                    "questions": [{"id": "x", "type": "text", "label": "X"}],
                }
            ),
            d["sections"][1]["tasks"][0].update(all_on_one_page={"title": "Screening"}),
        ),
        "questionnaire-eia.json: $.sections[1].tasks[0].all_on_one_page: "
        "the task must have exactly one form page, without a when",
    ),
    (
        "an inset replaying an unknown question",
        lambda d: d["sections"][1]["tasks"][0]["pages"][0].update(
            replay={"title": "Earlier", "answers": [{"source": "answers", "identifier": "subject.nonesuch"}]}
        ),
        "questionnaire-eia.json: $.sections[1].tasks[0].pages[0].replay.answers[0]: "
        "identifier 'subject.nonesuch' names unknown question 'nonesuch'",
    ),
    (
        "reveal by a condition that is not == or in",
        lambda d: d["sections"][0]["tasks"][0]["pages"][0]["questions"][1].update(
            when={"!=": [{"source": "answers", "identifier": "subject.kind"}, "other"]}
        ),
        "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[1].when: "
        "a condition on the same page must be == (one value) or in (a list of values) on another question of the page",
    ),
    (
        "reveal under an empty list of values",
        lambda d: d["sections"][0]["tasks"][0]["pages"][0]["questions"][1].update(
            when={"in": [{"source": "answers", "identifier": "subject.kind"}, []]}
        ),
        "questionnaire-eia.json: $.sections[0].tasks[0].pages[0].questions[1].when: "
        "a condition on the same page must be == (one value) or in (a list of values) on another question of the page",
    ),
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
