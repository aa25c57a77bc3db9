"""Key findings read the answers through the questionnaire's bindings, in its own words."""

from __future__ import annotations

import copy

import pytest

from eia.domain import findings
from eia.domain import questionnaire as q
from tests.questionnaires import OPTIONS, STATUTORY, about, analysis, conclusion, load, screened


@pytest.fixture(scope="module")
def questionnaire():
    return load("questionnaire-eia.json")


def answers(**pages) -> dict:
    """Race relevant (high), sex medium, the rest screened out; race has a negative impact mitigated to low."""
    base = {**about(), **screened(race="high", sex="medium"), **analysis("race"), **analysis("sex"), **conclusion()}
    base = copy.deepcopy(base)
    base.update(pages)
    return base


def compute(questionnaire, answered: dict, **kwargs) -> findings.KeyFindings:
    return findings.key_findings(questionnaire, q.path(questionnaire, answered, STATUTORY), OPTIONS, **kwargs)


def test_each_characteristic_shows_relevance_impact_per_aim_and_residual_impact(questionnaire):
    result = compute(
        questionnaire,
        answers(
            **{
                "impact:sex": {
                    "eliminate_direction": "neutral",
                    "advance_direction": "positive",
                    "foster_direction": "neutral",
                    "description": "None",
                },
                "residual:sex": {"residual_level": "none"},
            }
        ),
    )

    by_name = {item.name: item for item in result.characteristics}
    assert list(by_name) == [
        "Age",
        "Disability",
        "Gender reassignment",
        "Marriage and civil partnership",
        "Pregnancy and maternity",
        "Race",
        "Religion or belief",
        "Sex",
        "Sexual orientation",
    ]
    race = by_name["Race"]
    assert (race.relevance, race.screened_in, race.residual, race.residual_adverse) == ("High", True, "Low", True)
    assert [(i.aim, i.direction, i.level, i.adverse) for i in race.impacts] == [
        ("Aim 1: eliminate discrimination", "Negative impact", "Medium", True),
        ("Aim 2: advance equality of opportunity", "Neutral: no differential impact", "", False),
        ("Aim 3: foster good relations", "Neutral: no differential impact", "", False),
    ]
    assert (by_name["Sex"].relevance, by_name["Sex"].residual, by_name["Sex"].residual_adverse) == (
        "Medium",
        "None",
        False,
    )
    age = by_name["Age"]
    assert (age.relevance, age.screened_in, age.impacts, age.residual) == ("Not relevant", False, (), "")
    assert [c.name for c in result.screened_in] == ["Race", "Sex"]
    assert result.adverse_impacts == (
        "Race: negative impact on aim 1 (eliminate discrimination) (medium severity)",
        "Race: low adverse impact remains after mitigation",
    )


def test_evidence_gaps_are_listed_for_screened_in_characteristics_only(questionnaire):
    result = compute(
        questionnaire,
        answers(
            **{
                "evidence:race": {"has_evidence": "no", "gaps": "No custody data by ethnicity before 2024"},
                "evidence:age": {"has_evidence": "no", "gaps": "Kept from before it was screened out"},
            }
        ),
    )

    assert result.evidence_gaps == (
        findings.EvidenceGap("Race", no_evidence=True, gaps="No custody data by ethnicity before 2024"),
    )


def test_the_outcome_is_in_the_questionnaires_words(questionnaire):
    result = compute(
        questionnaire,
        answers(
            outcome={
                "outcome": "continue",
                "changes_made": "None",
                "outcome_justification": "Public safety outweighs it",
                "board_review_requested": "no",
            }
        ),
    )

    assert (result.outcome, result.outcome_justification) == (
        "Continue despite adverse impact",
        "Public safety outweighs it",
    )


def test_legal_warnings_and_rules_are_plain_words_without_codes(questionnaire):
    records = [
        {
            "id": "L1",
            "label": "A named accountable decision-maker",
            "source": "Brown principle 1",
            "severity": "blocking",
            "passed": True,
            "findings": [],
        },
        {
            "id": "L2R",
            "label": "Not a retrospective assessment",
            "source": "Brown principle 2",
            "severity": "warning",
            "passed": False,
            "findings": [{"message": "The decision date has passed.", "page_id": "responsibility"}],
        },
    ]
    result = compute(
        questionnaire,
        answers(),
        legal_records=records,
        rules=["The author asked for Board review", "The author asked for Board review"],
    )

    assert result.legal_warnings == ("Not a retrospective assessment: The decision date has passed.",)
    assert result.rules == ("The author asked for Board review",)
    assert not any("L2R" in line for line in result.legal_warnings)


def test_board_conditions_are_the_action_plan_items_the_board_added(questionnaire):
    plan = copy.deepcopy(conclusion()["action_plan"])
    plan["items"].append(
        questionnaire.bindings.action_plan.new_item(
            action="Board condition: Publish quarterly figures",
            characteristic="all",
            owner="ACC Grace Hopper",
            due_date="2027-06-01",
            source="board_condition",
        )
    )
    result = compute(questionnaire, answers(action_plan=plan))

    assert result.conditions == (
        findings.Condition("Board condition: Publish quarterly figures", "ACC Grace Hopper", "1 June 2027"),
    )


def test_nothing_answered_yet_gives_empty_findings(questionnaire):
    result = compute(questionnaire, {})

    assert result.outcome == "" and result.evidence_gaps == () and result.adverse_impacts == ()
    assert all(item.relevance == "" and not item.screened_in for item in result.characteristics)
