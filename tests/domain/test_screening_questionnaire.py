"""The proportionate screening questionnaire: a minor change stops after screening with a short
conclusion; anything of medium or high relevance brings in the full analysis of just that
characteristic, keeping every answer already given."""

from __future__ import annotations

import pytest

from eia.domain import legal_checks
from eia.domain import questionnaire as q
from eia.domain.workflow import decide, load_workflow
from tests.questionnaires import (
    STATUTORY,
    TODAY,
    WORKFLOWS,
    about,
    analysis,
    conclusion,
    load,
    problems,
    screened,
)

ANALYSIS_PAGES = ("evidence", "engagement", "impact", "residual")


@pytest.fixture(scope="module")
def screening() -> q.Questionnaire:
    return load("questionnaire-screening.json")


def short_conclusion() -> dict:
    return {
        "outcome": {
            "no_analysis_reason": "Moving two desks within the same room changes nothing about who is booked in "
            "or how; the desks stay accessible to wheelchair users.",
            "evidence_considered": "Custody complaints 2025 (none about the desks); access audit of the suite, "
            "June 2026; advice of the disabled staff network, July 2026.",
            "outcome": "no_change",
            "board_review_requested": "no",
        },
        "review": {"review_date": "2027-11-01"},
    }


def analysed(path: q.Path) -> list[str]:
    return [task.characteristic.id for task in path.tasks if task.definition.id == "analysis"]


@pytest.mark.parametrize("levels", [{}, {"disability": "low"}, {"age": "low", "race": "low", "sex": "low"}])
def test_nothing_above_low_stops_after_screening_with_a_short_conclusion(screening, levels):
    path = q.path(screening, {**about(), **screened(**levels)}, STATUTORY)
    assert analysed(path) == []
    assert not any(page.id.split(":")[0] in ANALYSIS_PAGES for page in path.pages)
    assert [page.id for page in path.pages if page.characteristic is None] == [
        "subject",
        "responsibility",
        "aims",
        "objectives",
        "outcome",
        "review",
    ]
    outcome = [question.id for question in path.visible_questions(path.page("outcome"))]
    assert outcome == ["no_analysis_reason", "evidence_considered", "outcome", "board_review_requested"]
    assert [question.id for question in path.visible_questions(path.page("review"))] == ["review_date"]


def test_a_screening_only_assessment_can_be_submitted(screening):
    answers = {**about(), **screened("none", disability="low", age="low"), **short_conclusion()}
    assert problems(screening, answers) == []


def test_the_short_conclusion_asks_why_and_what_evidence(screening):
    answers = {**about(), **screened(), **short_conclusion()}
    answers["outcome"] = {"outcome": "no_change", "board_review_requested": "no"}
    assert problems(screening, answers) == [
        ("outcome", "Enter why no full analysis is needed"),
        ("outcome", "Enter the evidence you looked at"),
    ]


@pytest.mark.parametrize(
    "levels, expected",
    [
        ({"race": "high"}, ["race"]),
        ({"race": "medium", "age": "low"}, ["race"]),
        ({"sex": "medium", "disability": "high", "age": "low", "religion_belief": "none"}, ["disability", "sex"]),
        ({"age": "unknown"}, ["age"]),
    ],
)
def test_the_full_analysis_appears_for_exactly_the_characteristics_of_medium_or_high_relevance(
    screening, levels, expected
):
    path = q.path(screening, {**about(), **screened(**levels)}, STATUTORY)
    assert analysed(path) == expected
    assert [page.id for page in path.pages if page.id.split(":")[0] in ANALYSIS_PAGES] == [
        f"{page}:{c}" for c in expected for page in ANALYSIS_PAGES
    ]
    assert [c.value for c in _relevant_choices(path)] == expected


def _relevant_choices(path: q.Path) -> list[q.Choice]:
    """What the action plan offers, computed as the service does: the analysed characteristics."""
    return [
        q.Choice(task.characteristic.id, task.characteristic.name)
        for task in path.tasks
        if task.definition.id == "analysis"
    ]


def test_escalating_keeps_every_answer_and_asks_the_full_conclusion(screening):
    short = {**about(), **screened("none", age="low"), **short_conclusion()}
    escalated = {
        **short,
        "screening:race": {"relevance": "high", "reason": "Detainees' health is discussed at the desk"},
    }
    path = q.path(screening, escalated, STATUTORY)
    # Everything answered before is still there and counts, except the short conclusion, kept but set aside.
    for page_id in [*about(), *screened()]:
        assert path.answers[page_id] == escalated[page_id]
    assert path.answers["outcome"] == {"outcome": "no_change", "board_review_requested": "no"}
    assert escalated["outcome"]["no_analysis_reason"] == short["outcome"]["no_analysis_reason"]
    assert problems(screening, escalated) == [
        *((f"{page}:race", "Not started") for page in ANALYSIS_PAGES),
        ("outcome", "Enter what changed because of the assessment"),
        ("action_plan", "Confirm the action plan is complete"),
        ("review", "Enter how you will monitor the impact"),
    ]
    complete = {**escalated, **analysis("race"), **conclusion()}
    complete["outcome"] = {**escalated["outcome"], **conclusion()["outcome"]}
    assert problems(screening, complete) == []
    # Screening the race back out returns to the short route with the short conclusion intact.
    back = {**complete, "screening:race": {"relevance": "low", "reason": "Desk screens remove the privacy risk"}}
    assert problems(screening, back) == []
    assert (
        q.path(screening, back, STATUTORY).answers["outcome"]["no_analysis_reason"]
        == short["outcome"]["no_analysis_reason"]
    )


def test_an_answer_given_in_the_full_eia_carries_over_page_for_page(screening):
    """The pages the two questionnaires share have the same ids, so answers move between them."""
    full = load("questionnaire-eia.json")
    answers = {**about(), **screened("none", race="high"), **analysis("race"), **conclusion()}
    assert problems(full, answers) == []
    assert problems(screening, answers) == []
    assert q.path(screening, answers, STATUTORY).answers == q.path(full, answers, STATUTORY).answers


def _legal_context(questionnaire: q.Questionnaire, answers: dict) -> legal_checks.CheckContext:
    path = q.path(questionnaire, answers, STATUTORY)
    return legal_checks.CheckContext(
        answers=path.answers,
        covered=tuple(questionnaire.applicable_characteristics(STATUTORY)),
        relevant=questionnaire.relevant_characteristics(path),
        today=TODAY,
        bindings=questionnaire.bindings,
    )


def test_a_screening_only_assessment_passes_every_blocking_legal_check(screening):
    context = _legal_context(screening, {**about(), **screened("none", age="low"), **short_conclusion()})
    assert [r.check.id for r in legal_checks.evaluate(context) if r.blocks] == []
    assert [r.check.id for r in legal_checks.evaluate(context) if not r.passed] == []


def test_an_escalated_characteristic_gets_the_legal_checks_of_a_full_analysis(screening):
    answers = {**about(), **screened("none", race="high"), **short_conclusion()}
    context = _legal_context(screening, answers)
    failing = {r.check.id for r in legal_checks.evaluate(context) if r.blocks}
    assert {"L7", "L9"} <= failing


def _resolver(questionnaire, answers):
    path = q.path(questionnaire, answers, STATUTORY)
    return q.AnswerResolver(
        path.answers, path.characteristic_ids, extra={"assessment": {}, "organisation": {"board_subject_types": []}}
    )


def test_the_shipped_escalation_rules_read_the_screening_route(screening):
    workflow = load_workflow(WORKFLOWS / "eia-standard.json")
    short = {**about(), **screened("none", age="low"), **short_conclusion()}
    outcome = decide(workflow, "with_approver", "approve", ["approver"], _resolver(screening, short))
    assert outcome.fired_rules == ()
    escalated = {**short, **screened("none", race="high"), **analysis("race"), **conclusion()}
    escalated["residual:race"] = {**escalated["residual:race"], "residual_level": "medium"}
    escalated["engagement:race"] = {"engaged": "no", "no_engagement_reason": "Planned for January"}
    outcome = decide(workflow, "with_approver", "approve", ["approver"], _resolver(screening, escalated))
    assert [rule.id for rule in outcome.fired_rules] == ["R1", "R3"]
    asked = {
        **short,
        "outcome": {**short["outcome"], "board_review_requested": "yes", "board_review_reason": "First use"},
    }
    outcome = decide(workflow, "with_approver", "approve", ["approver"], _resolver(screening, asked))
    assert [rule.id for rule in outcome.fired_rules] == ["R4"]


def test_the_screening_page_says_what_each_answer_leads_to(screening):
    path = q.path(screening, {}, STATUTORY)
    relevance = next(x for x in path.page("screening:age").definition.questions if x.id == "relevance")
    hints = {choice.value: choice.hint for choice in relevance.choices}
    assert "full analysis" in hints["high"] and "full analysis" in hints["medium"]
    assert "No full analysis" in hints["low"]
    assert screening.sections[[s.id for s in screening.sections].index("analysis")].empty_message
