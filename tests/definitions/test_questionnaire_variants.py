"""The shipped questionnaires side by side: each passes the checker with characteristics.json, the
shipped workflow's rules resolve against each, and the pages they share with the full EIA keep its
ids, questions and choices, so answers carry over from one to another."""

from __future__ import annotations

import copy

import pytest

from eia.domain.definitions import check_questionnaire_documents
from eia.domain.workflow import rule_identifier_problems
from tests.questionnaires import QUESTIONNAIRE_FILES, read_document

VARIANTS = [name for name in QUESTIONNAIRE_FILES if name != "questionnaire-eia.json"]


def pages(document: dict) -> dict[str, dict]:
    return {page["id"]: page for section in document["sections"] for task in section["tasks"] for page in task["pages"]}


def tasks(document: dict) -> dict[str, dict]:
    return {task["id"]: task for section in document["sections"] for task in section["tasks"]}


@pytest.mark.parametrize("name", QUESTIONNAIRE_FILES)
def test_each_questionnaire_passes_the_checker(name):
    assert check_questionnaire_documents(read_document(name), read_document("characteristics.json")) == []


@pytest.mark.parametrize("name", QUESTIONNAIRE_FILES)
def test_the_shipped_workflow_rules_resolve_against_each_questionnaire(name):
    assert rule_identifier_problems(read_document("eia-standard.json"), read_document(name), "eia-standard.json") == []


def test_each_questionnaire_has_its_own_id_and_title():
    documents = [read_document(name) for name in QUESTIONNAIRE_FILES]
    assert [(d["id"], d["title"]) for d in documents] == [
        ("eia", "Equality Impact Assessment"),
        ("eia-screening", "Proportionate screening"),
        ("eia-human-rights", "Equality and human rights impact assessment"),
    ]


@pytest.mark.parametrize("name", VARIANTS)
def test_every_page_of_the_full_eia_is_in_the_variant_with_the_same_questions(name):
    full, variant = pages(read_document("questionnaire-eia.json")), pages(read_document(name))
    assert set(full) <= set(variant)
    for page_id, page in full.items():
        theirs = {question["id"]: question for question in variant[page_id]["questions"]}
        assert variant[page_id].get("type", "form") == page.get("type", "form"), page_id
        for question in page["questions"]:
            other = theirs.get(question["id"])
            assert other is not None, f"{page_id}.{question['id']}"
            assert other["type"] == question["type"], f"{page_id}.{question['id']}"
            assert [c["value"] for c in other.get("choices", [])] == [c["value"] for c in question.get("choices", [])]
            assert other.get("choices_from") == question.get("choices_from")


@pytest.mark.parametrize("name", VARIANTS)
def test_the_sections_and_tasks_the_application_reads_keep_their_ids(name):
    variant = read_document(name)
    assert {"about", "screening", "analysis", "conclusion"} <= {section["id"] for section in variant["sections"]}
    assert tasks(variant)["analysis"]["for_each"] == "characteristic"
    assert tasks(variant)["screening"]["for_each"] == "characteristic"


def test_a_questionnaire_id_may_contain_hyphens_but_not_capitals():
    characteristics = read_document("characteristics.json")
    document = copy.deepcopy(read_document("questionnaire-screening.json"))
    document["id"] = "Screening"
    (problem,) = check_questionnaire_documents(document, characteristics)
    assert problem.endswith("$.id: 'Screening' does not match '^[a-z][a-z0-9_-]*$'")
