"""Extras that are not protected characteristics are tested against their own duty, in every
questionnaire: socio-economic disadvantage against the socio-economic duty (Equality Act 2010, s1),
the armed forces community against the Armed Forces Covenant duty (Armed Forces Act 2006, s343AA-AF),
not against the three aims of the Public Sector Equality Duty."""

from __future__ import annotations

import pytest

from eia.domain import legal_checks
from eia.domain import questionnaire as q
from tests.questionnaires import QUESTIONNAIRE_FILES, STATUTORY, TODAY, about, conclusion, load, problems, screened

EXTRAS = [*STATUTORY, "socio_economic", "armed_forces"]
PSED_AIMS = ("eliminate", "advance", "foster")
HUMAN_RIGHTS = {
    "rights_engaged": {"engages_rights": "no", "no_rights_reason": "No power is used"},
    "powers": {"powers": ["custody"], "powers_detail": "Custody officers"},
}


@pytest.fixture(scope="module", params=QUESTIONNAIRE_FILES)
def questionnaire(request) -> q.Questionnaire:
    return load(request.param)


def test_each_extra_lists_only_its_own_aim(questionnaire):
    characteristics = questionnaire.characteristics
    assert characteristics["socio_economic"].aims == ("reduce_inequality",)
    assert characteristics["armed_forces"].aims == ("covenant",)
    assert questionnaire.aims["reduce_inequality"].short_label == "Socio-economic duty: reduce inequalities of outcome"
    assert questionnaire.aims["covenant"].short_label.startswith("Armed Forces Covenant duty")
    assert all(
        c.aims == PSED_AIMS for c in characteristics.values() if c.statutory and c.id != "marriage_civil_partnership"
    )


def impact_questions(questionnaire, characteristic: str, impact: dict | None = None) -> list[str]:
    answers = {**screened("none"), f"screening:{characteristic}": {"relevance": "high", "reason": "Relevant"}}
    if impact is not None:
        answers[f"impact:{characteristic}"] = impact
    path = q.path(questionnaire, answers, EXTRAS)
    return [x.id for x in path.visible_questions(path.page(f"impact:{characteristic}"))]


@pytest.mark.parametrize(
    "characteristic, asked",
    [
        ("socio_economic", ["reduce_inequality_direction", "description"]),
        ("armed_forces", ["covenant_direction", "description"]),
        ("age", ["eliminate_direction", "advance_direction", "foster_direction", "description"]),
        ("marriage_civil_partnership", ["eliminate_direction", "description"]),
    ],
)
def test_the_impact_page_asks_each_characteristic_about_its_own_aims(questionnaire, characteristic, asked):
    assert impact_questions(questionnaire, characteristic) == asked


@pytest.mark.parametrize("characteristic, aim", [("socio_economic", "reduce_inequality"), ("armed_forces", "covenant")])
def test_a_negative_impact_on_an_extras_own_aim_asks_its_severity(questionnaire, characteristic, aim):
    asked = impact_questions(questionnaire, characteristic, {f"{aim}_direction": "negative"})
    assert asked == [f"{aim}_direction", f"{aim}_level", "description"]


def extra_analysis(**impact) -> dict:
    return {
        "evidence:socio_economic": {
            "has_evidence": "yes",
            "evidence": "Index of Multiple Deprivation 2019 by custody area",
        },
        "engagement:socio_economic": {"engaged": "yes", "engagement": "Citizens Advice, June 2026"},
        "impact:socio_economic": {"description": "Fewer duty solicitors at night in the poorest areas", **impact},
        "residual:socio_economic": {"residual_level": "none"},
    }


def complete(questionnaire: q.Questionnaire, **impact) -> dict:
    answers = {
        **about(),
        **screened("none"),
        **conclusion(),
        **HUMAN_RIGHTS,
        "screening:socio_economic": {"relevance": "high", "reason": "Legal aid eligibility"},
        "screening:armed_forces": {"relevance": "none", "reason": "No link with service"},
        **extra_analysis(**impact),
    }
    answers["outcome"] = {**answers["outcome"], "no_analysis_reason": "-", "evidence_considered": "-"}
    return answers


def test_an_assessment_of_an_extra_is_complete_with_its_own_test_only(questionnaire):
    answers = complete(questionnaire, reduce_inequality_direction="positive")
    assert problems(questionnaire, answers, EXTRAS) == []
    path = q.path(questionnaire, answers, EXTRAS)
    assert set(path.answers["impact:socio_economic"]) == {"reduce_inequality_direction", "description"}


def test_a_negative_impact_on_an_extras_aim_needs_mitigation_and_an_action(questionnaire):
    answers = complete(questionnaire, reduce_inequality_direction="negative", reduce_inequality_level="medium")
    answers["action_plan"] = {"items": [], "done": True}
    assert problems(questionnaire, answers, EXTRAS) == [
        ("residual:socio_economic", "Enter how you will reduce the negative impact"),
        ("action_plan", "Add at least one action: the assessment found a negative impact"),
    ]


def check_findings(questionnaire, answers) -> dict[str, list[str]]:
    path = q.path(questionnaire, answers, EXTRAS)
    context = legal_checks.CheckContext(
        answers=path.answers,
        covered=tuple(questionnaire.applicable_characteristics(EXTRAS)),
        relevant=questionnaire.relevant_characteristics(path),
        today=TODAY,
        bindings=questionnaire.bindings,
    )
    return {r.check.id: [f.message for f in r.findings] for r in legal_checks.evaluate(context) if not r.passed}


def test_the_legal_checks_read_an_extras_own_aim(questionnaire):
    assert check_findings(questionnaire, complete(questionnaire, reduce_inequality_direction="neutral")) == {}
    # The three aims of the equality duty do not stand in for the socio-economic duty.
    wrong_test = complete(
        questionnaire, eliminate_direction="neutral", advance_direction="neutral", foster_direction="neutral"
    )
    assert check_findings(questionnaire, wrong_test)["L7"] == [
        "Socio-economic disadvantage: give the likely impact on each aim of the duty (1 not answered)."
    ]
    serious = complete(questionnaire, reduce_inequality_direction="negative", reduce_inequality_level="high")
    serious["residual:socio_economic"] = {"mitigation": "Remote duty solicitor by video", "residual_level": "none"}
    serious["outcome"] = {**serious["outcome"], "changes_made": "Nothing"}
    assert "socio-economic disadvantage" in check_findings(questionnaire, serious)["L3C"][0]
