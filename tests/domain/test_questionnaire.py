"""The questionnaire path (which pages show) and page validation, on the real definition."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from eia.domain import questionnaire as q
from eia.domain.definitions import load_questionnaire

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
TODAY = date(2026, 11, 24)
OPTIONS = {
    "departments": [q.Choice("1", "Operational Policing")],
    "objectives": [q.Choice("EO1", "EO1: Trust")],
    "relevant_characteristics": [q.Choice("age", "Age"), q.Choice("all", "All characteristics")],
    "subject_types": [q.Choice("policy", "Policy"), q.Choice("sop", "Standard operating procedure")],
}
STATUTORY = [
    "age",
    "disability",
    "gender_reassignment",
    "marriage_civil_partnership",
    "pregnancy_maternity",
    "race",
    "religion_belief",
    "sex",
    "sexual_orientation",
]


@pytest.fixture(scope="module")
def questionnaire() -> q.Questionnaire:
    return load_questionnaire(WORKFLOWS)


def screened(**relevance: str) -> dict:
    return {f"screening:{c}": {"relevance": level, "reason": "Because"} for c, level in relevance.items()}


def test_nine_statutory_characteristics_by_default_extras_only_when_configured(questionnaire):
    assert questionnaire.default_characteristic_ids() == STATUTORY
    assert questionnaire.default_characteristic_ids(["carers"]) == [*STATUTORY, "carers"]


def test_no_analysis_until_screening_says_relevant(questionnaire):
    path = q.path(questionnaire, {}, STATUTORY)
    assert [t.id for t in path.tasks if t.definition.id == "analysis"] == []
    assert [t.id for t in path.tasks if t.definition.id == "screening"] == [f"screening:{c}" for c in STATUTORY]


@pytest.mark.parametrize(
    "relevance, analysed", [("high", True), ("medium", True), ("low", True), ("unknown", True), ("none", False)]
)
def test_relevance_decides_the_full_analysis(questionnaire, relevance, analysed):
    path = q.path(questionnaire, screened(age=relevance), STATUTORY)
    assert (path.task("analysis:age") is not None) is analysed
    assert (path.page("impact:age") is not None) is analysed


def test_screened_out_characteristic_hides_its_stale_answers(questionnaire):
    answers = {**screened(race="none"), "residual:race": {"residual_level": "high"}}
    path = q.path(questionnaire, answers, STATUTORY)
    assert path.page("residual:race") is None
    assert "residual:race" not in path.answers
    assert path.resolver()("answers", "residual:*.residual_level") == []


def test_wildcard_identifier_lists_every_characteristics_answer(questionnaire):
    answers = {
        **screened(age="high", sex="low"),
        "residual:age": {"residual_level": "medium", "mitigation": "m"},
        "residual:sex": {"residual_level": "none"},
    }
    path = q.path(questionnaire, answers, STATUTORY)
    assert path.resolver()("answers", "residual:*.residual_level") == ["medium", "none"]


def test_marriage_and_civil_partnership_asks_about_the_first_aim_only(questionnaire):
    path = q.path(questionnaire, screened(marriage_civil_partnership="high", age="high"), STATUTORY)
    marriage = [lq.question.id for lq in q.page_layout(path, path.page("impact:marriage_civil_partnership"))]
    age = [lq.question.id for lq in q.page_layout(path, path.page("impact:age"))]
    assert marriage == ["eliminate_direction", "description"]
    assert age == ["eliminate_direction", "advance_direction", "foster_direction", "description"]


def test_severity_is_revealed_under_the_negative_option(questionnaire):
    path = q.path(questionnaire, screened(age="high"), STATUTORY)
    layout = {lq.question.id: lq for lq in q.page_layout(path, path.page("impact:age"))}
    assert [x.id for x in layout["eliminate_direction"].revealed["negative"]] == ["eliminate_level"]


def test_page_titles_name_the_characteristic(questionnaire):
    path = q.path(questionnaire, screened(religion_belief="low"), STATUTORY)
    assert path.page("evidence:religion_belief").title == "Religion or belief: evidence"


def test_next_page_stays_within_the_task(questionnaire):
    path = q.path(questionnaire, screened(age="high"), STATUTORY)
    assert path.next_page_in_task(path.page("evidence:age")).id == "engagement:age"
    assert path.next_page_in_task(path.page("residual:age")) is None


# --- validation ---------------------------------------------------------------------------------


def validate(questionnaire, page_id, submitted, answers=None, partial=False):
    path = q.path(questionnaire, answers or screened(age="high"), STATUTORY)
    return q.validate_page(path, path.page(page_id), submitted, OPTIONS, TODAY, partial=partial)


def test_required_answers_have_govuk_style_messages(questionnaire):
    assert validate(questionnaire, "subject", {}).errors == {
        "title": "Enter a title",
        "subject_type": "Select what kind of proposal it is",
        "department": "Select the department",
    }


def test_errors_follow_the_order_of_the_page(questionnaire):
    result = validate(questionnaire, "impact:age", {"description": ""})
    assert list(result.errors) == ["eliminate_direction", "advance_direction", "foster_direction", "description"]


def test_revealed_question_required_only_when_revealed(questionnaire):
    negative = validate(
        questionnaire,
        "impact:age",
        {
            "eliminate_direction": "negative",
            "advance_direction": "neutral",
            "foster_direction": "positive",
            "description": "d",
        },
    )
    assert negative.errors == {"eliminate_level": "Select how severe the negative impact on aim 1 is"}
    neutral = validate(
        questionnaire,
        "impact:age",
        {
            "eliminate_direction": "neutral",
            "eliminate_level": "high",
            "advance_direction": "neutral",
            "foster_direction": "positive",
            "description": "d",
        },
    )
    assert neutral.ok


def test_an_answer_hidden_by_a_reveal_on_its_page_is_kept_but_does_not_count(questionnaire):
    # negative -> neutral: the browser still sends the closed reveal's level; it is kept for "negative" again.
    neutral = validate(
        questionnaire,
        "impact:age",
        {
            "eliminate_direction": "neutral",
            "eliminate_level": "high",
            "advance_direction": "neutral",
            "foster_direction": "positive",
            "description": "d",
        },
    )
    assert neutral.ok and neutral.values["eliminate_level"] == "high"
    answers = {**screened(age="high"), "impact:age": neutral.values}
    path = q.path(questionnaire, answers, STATUTORY)
    assert "eliminate_level" not in path.answers["impact:age"], "hidden: not shown, routed on or archived"
    answers["impact:age"] = {**neutral.values, "eliminate_direction": "negative"}
    assert q.path(questionnaire, answers, STATUTORY).answers["impact:age"]["eliminate_level"] == "high"


def test_an_invalid_answer_hidden_by_a_reveal_is_neither_kept_nor_reported(questionnaire):
    result = validate(
        questionnaire,
        "impact:age",
        {
            "eliminate_direction": "neutral",
            "eliminate_level": "forged",
            "advance_direction": "neutral",
            "foster_direction": "positive",
            "description": "d",
        },
    )
    assert result.ok and "eliminate_level" not in result.values


def test_saving_keeps_answers_to_questions_the_page_does_not_show(questionnaire):
    path = q.path(questionnaire, screened(age="high"), STATUTORY)
    page = path.page("impact:age")
    result = q.PageResult({"eliminate_direction": "neutral"}, {})
    previous = {"eliminate_direction": "negative", "eliminate_level": "low", "not_a_question": "x"}
    # eliminate_level is on the page (inside the reveal): the new result decides; nothing else is kept.
    assert q.answers_to_store(path, page, previous, result) == {"eliminate_direction": "neutral"}
    marriage_path = q.path(questionnaire, screened(marriage_civil_partnership="high"), STATUTORY)
    marriage = marriage_path.page("impact:marriage_civil_partnership")
    kept = q.answers_to_store(marriage_path, marriage, {"advance_direction": "positive"}, result)
    assert kept == {"advance_direction": "positive", "eliminate_direction": "neutral"}, "not on this page: kept"


def test_required_when_depends_on_answer_on_the_same_page(questionnaire):
    assert validate(questionnaire, "evidence:age", {"has_evidence": "no"}).errors == {
        "gaps": "Enter the gaps in the evidence"
    }
    assert validate(questionnaire, "evidence:age", {"has_evidence": "yes"}).errors == {
        "evidence": "Enter the evidence and what it shows"
    }


def test_text_longer_than_the_limit_is_refused_never_truncated(questionnaire):
    result = validate(questionnaire, "subject", {"title": "x" * 201, "subject_type": "policy", "department": "1"})
    assert result.errors == {"title": "A title must be 200 characters or fewer (you entered 201)"}
    assert "title" not in result.values


@pytest.mark.parametrize("forged", ["approved", "<script>", ["policy", "sop"], 7])
def test_unknown_choice_values_are_refused(questionnaire, forged):
    result = validate(questionnaire, "subject", {"title": "T", "subject_type": forged, "department": "1"})
    assert result.errors == {"subject_type": "Select what kind of proposal it is from the list"}


def test_department_must_be_one_of_the_organisations(questionnaire):
    result = validate(questionnaire, "subject", {"title": "T", "subject_type": "policy", "department": "999"})
    assert result.errors == {"department": "Select the department from the list"}


@pytest.mark.parametrize("text", ["bell\x07", "nul\x00", "esc\x1b[31m"])
def test_control_characters_are_refused(questionnaire, text):
    result = validate(questionnaire, "subject", {"title": text, "subject_type": "policy", "department": "1"})
    assert result.errors["title"] == "A title must not contain control characters"


def test_text_is_trimmed_and_newlines_normalised(questionnaire):
    result = validate(questionnaire, "aims", {"aims": "  one\r\ntwo  ", "affected": "both", "scope": "s"})
    assert result.ok and result.values["aims"] == "one\ntwo"


def test_single_line_text_refuses_newlines(questionnaire):
    result = validate(questionnaire, "subject", {"title": "a\nb", "subject_type": "policy", "department": "1"})
    assert result.errors["title"] == "A title must be on one line"


@pytest.mark.parametrize(
    "parts, message",
    [
        ({"day": "31", "month": "2", "year": "2027"}, "The review date must be a real date"),
        ({"day": "", "month": "2", "year": "2027"}, "The review date must include a day"),
        ({"day": "1", "month": "", "year": ""}, "The review date must include a month and a year"),
        ({"day": "1", "month": "2", "year": "27"}, "The review date must be a real date"),
        ({"day": "x", "month": "2", "year": "2027"}, "The review date must be a real date"),
        ({"day": "24", "month": "11", "year": "2026"}, "The review date must be in the future"),
        ({"day": "", "month": "", "year": ""}, "Enter the review date"),
        ("not-a-date", "The review date must be a real date"),
    ],
)
def test_date_messages(questionnaire, parts, message):
    result = validate(questionnaire, "review", {"monitoring": "m", "review_date": parts})
    assert result.errors == {"review_date": message}


@pytest.mark.parametrize("raw", [{"day": "1", "month": "3", "year": "2027"}, "2027-03-01"])
def test_valid_date_is_stored_as_iso(questionnaire, raw):
    result = validate(questionnaire, "review", {"monitoring": "m", "review_date": raw})
    assert result.ok and result.values["review_date"] == "2027-03-01"


def test_partial_save_skips_required_but_not_validity(questionnaire):
    empty = validate(questionnaire, "subject", {"title": "Draft"}, partial=True)
    assert empty.ok and empty.values == {"title": "Draft"}
    assert not validate(questionnaire, "subject", {"title": "x" * 300}, partial=True).ok


# --- status and submission ----------------------------------------------------------------------


def complete_answers(characteristic: str = "age") -> dict:
    return {
        "subject": {"title": "Body-worn video", "subject_type": "sop", "department": "1"},
        "responsibility": {"owner": "Insp A", "senior_responsible_officer": "ACC B", "decision_date": "2027-01-10"},
        "aims": {"aims": "Aims", "affected": "both", "scope": "Force-wide"},
        "objectives": {"objectives": ["EO1"]},
        **{f"screening:{c}": {"relevance": "none", "reason": "Not relevant"} for c in STATUTORY},
        f"screening:{characteristic}": {"relevance": "high", "reason": "Relevant"},
        f"evidence:{characteristic}": {"has_evidence": "yes", "evidence": "Force data 2025"},
        f"engagement:{characteristic}": {"engaged": "yes", "engagement": "Staff network, March"},
        f"impact:{characteristic}": {
            "eliminate_direction": "neutral",
            "advance_direction": "positive",
            "foster_direction": "neutral",
            "description": "d",
        },
        f"residual:{characteristic}": {"residual_level": "none"},
        "outcome": {"outcome": "no_change", "changes_made": "Nothing", "board_review_requested": "no"},
        "action_plan": {"items": [], "done": True},
        "review": {"monitoring": "Quarterly", "review_date": "2027-11-01"},
    }


def test_complete_assessment_has_no_submission_problems(questionnaire):
    path = q.path(questionnaire, complete_answers(), STATUTORY)
    assert q.submission_problems(path, OPTIONS, TODAY) == []
    assert {q.task_status(path, t, OPTIONS, TODAY) for t in path.tasks} == {q.COMPLETED}


def test_an_unstarted_assessment_lists_every_page(questionnaire):
    path = q.path(questionnaire, {}, STATUTORY)
    problems = q.submission_problems(path, OPTIONS, TODAY)
    assert [p.page_id for p in problems] == [p.id for p in path.pages]


@pytest.mark.parametrize("partial", [False, True])
def test_an_optional_page_saved_blank_is_completed_not_unstarted(questionnaire, partial):
    # "Leave blank if none apply": saving the objectives page blank finishes it.
    result = validate(questionnaire, "objectives", {}, partial=partial)
    assert result.ok and result.values == {}
    answers = {**complete_answers(), "objectives": result.values}
    path = q.path(questionnaire, answers, STATUTORY)
    assert q.page_status(path, path.page("objectives"), OPTIONS, TODAY) == q.COMPLETED
    assert q.submission_problems(path, OPTIONS, TODAY) == []


def test_a_required_page_saved_blank_is_in_progress(questionnaire):
    answers = {**complete_answers(), "aims": {}}
    path = q.path(questionnaire, answers, STATUTORY)
    assert q.page_status(path, path.page("aims"), OPTIONS, TODAY) == q.IN_PROGRESS
    assert [p.message for p in q.submission_problems(path, OPTIONS, TODAY)] == [
        "Enter the aims of the proposal",
        "Select who it affects",
        "Enter who is affected",
    ]
    del answers["aims"]
    path = q.path(questionnaire, answers, STATUTORY)
    assert q.page_status(path, path.page("aims"), OPTIONS, TODAY) == q.NOT_STARTED


def test_screening_in_a_new_characteristic_reopens_the_assessment(questionnaire):
    answers = {**complete_answers(), "screening:race": {"relevance": "medium", "reason": "Stop and search data"}}
    path = q.path(questionnaire, answers, STATUTORY)
    problems = q.submission_problems(path, OPTIONS, TODAY)
    assert {p.page_id for p in problems} == {"evidence:race", "engagement:race", "impact:race", "residual:race"}
    assert q.task_status(path, path.task("analysis:race"), OPTIONS, TODAY) == q.NOT_STARTED


def test_negative_impact_needs_an_action(questionnaire):
    answers = complete_answers()
    answers["impact:age"] = {**answers["impact:age"], "eliminate_direction": "negative", "eliminate_level": "low"}
    answers["residual:age"] = {"residual_level": "low", "mitigation": "Training", "justification": "Proportionate"}
    path = q.path(questionnaire, answers, STATUTORY)
    assert [(p.page_id, p.message) for p in q.submission_problems(path, OPTIONS, TODAY)] == [
        ("action_plan", "Add at least one action: the assessment found a negative impact")
    ]


def test_residual_impact_needs_justification(questionnaire):
    answers = complete_answers()
    answers["residual:age"] = {"residual_level": "medium"}
    path = q.path(questionnaire, answers, STATUTORY)
    assert "Enter why the remaining impact is justified" in [
        p.message for p in q.submission_problems(path, OPTIONS, TODAY)
    ]


def test_display_values_use_labels_and_readable_dates(questionnaire):
    path = q.path(questionnaire, complete_answers(), STATUTORY)
    rows = {r.question.id: r.value for r in q.answer_rows(path, path.page("subject"), OPTIONS)}
    assert rows["subject_type"] == "Standard operating procedure"
    assert rows["department"] == "Operational Policing"
    review = {r.question.id: r.value for r in q.answer_rows(path, path.page("review"), OPTIONS)}
    assert review["review_date"] == "1 November 2027"
