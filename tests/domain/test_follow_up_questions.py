"""Follow-up questions ("who did you engage", "why not", "justify") are conditional reveals declared
in the questionnaires: a follow-up the answers do not ask for is not on the page's path, so it is
never validated, and no page, record, PDF or API shows it ("Not answered" or otherwise)."""

from __future__ import annotations

import pytest

from eia.domain import questionnaire as q
from tests.questionnaires import (
    OPTIONS,
    QUESTIONNAIRE_FILES,
    STATUTORY,
    TODAY,
    about,
    analysis,
    conclusion,
    load,
    screened,
)


@pytest.fixture(scope="module", params=QUESTIONNAIRE_FILES)
def questionnaire(request) -> q.Questionnaire:
    return load(request.param)


def complete(**changes: dict) -> dict:
    answers = {
        **about(),
        **screened("none", race="high"),
        **analysis("race"),
        **conclusion(),
        # the human rights questionnaire's own pages (ignored by the others): a rota change engages no right
        "powers": {"powers": ["stop_search"], "powers_detail": "Response officers"},
        "rights_engaged": {"engages_rights": "no", "no_rights_reason": "No power is used differently"},
    }
    for page_id, page_answers in changes.items():
        answers[page_id.replace("__", ":")] = page_answers
    return answers


def labels(path: q.Path, page_id: str) -> list[str]:
    return [row.label for row in q.answer_rows(path, path.page(page_id), OPTIONS)]


def layout(path: q.Path, page_id: str) -> dict[str, q.LaidOutQuestion]:
    return {laid.question.id: laid for laid in q.page_layout(path, path.page(page_id))}


def test_engagement_asks_who_under_yes_and_why_not_under_no(questionnaire):
    path = q.path(questionnaire, complete(), STATUTORY)
    engaged = layout(path, "engagement:race")["engaged"]
    assert {value: [x.id for x in qs] for value, qs in engaged.revealed.items()} == {
        "yes": ["engagement"],
        "no": ["no_engagement_reason"],
    }
    assert list(layout(path, "engagement:race")) == ["engaged"]  # nothing else at the top level


def test_a_follow_up_the_answer_does_not_ask_for_is_not_shown_even_if_typed_before(questionnaire):
    # The author answered "No" with a reason, then changed to "Yes": the old reason is kept but set aside.
    answers = complete(
        engagement__race={"engaged": "yes", "engagement": "Staff network, May 2026", "no_engagement_reason": "No time"}
    )
    path = q.path(questionnaire, answers, STATUTORY)
    assert labels(path, "engagement:race") == [
        "Have you engaged or consulted people affected?",
        "Who did you engage, when, and what did they tell you?",
    ]
    assert "no_engagement_reason" not in path.answers["engagement:race"]  # what the API returns
    assert q.submission_problems(path, OPTIONS, TODAY) == []


def test_why_not_is_required_when_nobody_was_engaged(questionnaire):
    path = q.path(questionnaire, complete(engagement__race={"engaged": "no"}), STATUTORY)
    messages = [p.message for p in q.submission_problems(path, OPTIONS, TODAY)]
    assert messages == ["Enter why you have not engaged anyone"]


def test_the_evidence_itself_is_asked_only_when_there_is_some(questionnaire):
    path = q.path(
        questionnaire,
        complete(evidence__race={"has_evidence": "no", "gaps": "No data recorded yet", "evidence": "left from before"}),
        STATUTORY,
    )
    assert "What evidence did you use, and what does it show?" not in labels(path, "evidence:race")
    assert layout(path, "evidence:race")["has_evidence"].revealed["yes"][0].id == "evidence"


def test_justification_follows_the_residual_rating_only_when_adverse_impact_remains(questionnaire):
    residual = {"mitigation": "Screens between desks", "residual_level": "none", "justification": "typed earlier"}
    path = q.path(questionnaire, complete(residual__race=residual), STATUTORY)
    assert "Why is the remaining adverse impact justified?" not in labels(path, "residual:race")
    level = layout(path, "residual:race")["residual_level"]
    assert [(values, x.id) for values, x in level.revealed_after] == [(("low", "medium", "high"), "justification")]

    path = q.path(
        questionnaire, complete(residual__race={**residual, "residual_level": "medium", "justification": ""}), STATUTORY
    )
    assert [p.message for p in q.submission_problems(path, OPTIONS, TODAY)] == [
        "Enter why the remaining impact is justified"
    ]


def test_mitigation_is_asked_only_after_a_negative_impact(questionnaire):
    neutral = {
        "eliminate_direction": "neutral",
        "advance_direction": "neutral",
        "foster_direction": "neutral",
        "description": "No difference in privacy at the desk",
    }
    path = q.path(questionnaire, complete(impact__race=neutral, residual__race={"residual_level": "none"}), STATUTORY)
    assert labels(path, "residual:race") == ["What adverse impact remains after mitigation?"]

    path = q.path(
        questionnaire, complete(residual__race={"residual_level": "low", "justification": "Shorter waits"}), STATUTORY
    )
    assert [p.message for p in q.submission_problems(path, OPTIONS, TODAY)] == [
        "Enter how you will reduce the negative impact"
    ]


def test_a_complete_assessment_has_no_row_without_an_answer(questionnaire):
    answers = complete(
        evidence__race={"has_evidence": "yes", "evidence": "Custody records 2025"},  # gaps left blank
        objectives={},
    )  # no objective chosen
    path = q.path(questionnaire, answers, STATUTORY)
    assert q.submission_problems(path, OPTIONS, TODAY) == []
    rows = [row for page in path.pages if not page.is_list for row in q.answer_rows(path, page, OPTIONS)]
    assert rows and all(row.value for row in rows)
    blank_optional = {row.label: row.value for row in rows if row.value == q.NONE_GIVEN}
    assert "What gaps are there in the evidence, and how and when will you fill them?" in blank_optional


def test_a_page_not_started_shows_its_questions_unanswered(questionnaire):
    path = q.path(questionnaire, {**about(), **screened("none", race="high")}, STATUTORY)
    assert all(row.value == "" for row in q.answer_rows(path, path.page("evidence:race"), OPTIONS))


def test_each_rating_and_outcome_is_defined_on_the_page(questionnaire):
    path = q.path(questionnaire, complete(), STATUTORY)
    questions = {(page.definition.id, x.id): x for page in path.pages for x in page.definition.questions}
    rated = [
        questions[("screening", "relevance")],
        questions[("impact", "eliminate_level")],
        questions[("residual", "residual_level")],
        questions[("outcome", "outcome")],
    ]
    for question in rated:
        assert all(choice.hint for choice in question.choices), question.id
    assert "For example" in questions[("screening", "relevance")].choices[0].hint
    assert "Equality and Human Rights Commission" in questions[("outcome", "outcome")].hint


def test_analysis_pages_replay_the_screening_and_mitigation_the_negative_impacts(questionnaire):
    path = q.path(questionnaire, complete(), STATUTORY)
    for page_id in ("evidence:race", "engagement:race", "impact:race"):
        page = path.page(page_id)
        assert page.definition.replay_title == "What you said in screening"
        assert [(row.label, row.value) for row in q.replayed_answers(path, page, OPTIONS)] == [
            ("How relevant is the proposal to race?", "High"),
            ("Why did you give this rating?", "Why the relevance to race is high"),
        ]
    residual = path.page("residual:race")
    assert [(row.label, row.value) for row in q.replayed_answers(path, residual, OPTIONS)] == [
        ("Aim 1: eliminating discrimination, harassment and victimisation", "Negative impact"),
        ("How severe is the negative impact on aim 1 before mitigation?", "Medium"),
    ]  # aims 2 and 3 were neutral


def test_nothing_is_replayed_that_no_longer_counts(questionnaire):
    neutral = {
        "eliminate_direction": "neutral",
        "eliminate_level": "high",
        "advance_direction": "neutral",
        "foster_direction": "neutral",
        "description": "No difference",
    }
    path = q.path(questionnaire, complete(impact__race=neutral, residual__race={"residual_level": "none"}), STATUTORY)
    assert q.replayed_answers(path, path.page("residual:race"), OPTIONS) == []
