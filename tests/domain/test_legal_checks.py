"""Each legal check of due regard fires on the answers it is about, and not on a sound assessment."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest

from eia.domain import legal_checks as lc
from eia.domain.definitions import load_questionnaire

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
TODAY = date(2026, 11, 24)
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
def questionnaire():
    return load_questionnaire(WORKFLOWS)


def sound_answers() -> dict:
    """A complete assessment with one relevant characteristic (race) with a negative impact, well handled."""
    return {
        "responsibility": {"owner": "Insp A", "senior_responsible_officer": "ACC B", "decision_date": "2027-01-10"},
        "objectives": {"objectives": ["EO1"]},
        **{
            f"screening:{c}": {"relevance": "none", "reason": f"No link between the proposal and {c}"}
            for c in STATUTORY
        },
        "screening:race": {"relevance": "high", "reason": "Disproportionality in stop and search"},
        "evidence:race": {"has_evidence": "yes", "evidence": "Force data 2025"},
        "engagement:race": {"engaged": "yes", "engagement": "Independent advisory group, March"},
        "impact:race": {
            "eliminate_direction": "negative",
            "eliminate_level": "high",
            "advance_direction": "neutral",
            "foster_direction": "neutral",
            "description": "Risk of disproportionate use",
        },
        "residual:race": {
            "mitigation": "Supervisor review",
            "residual_level": "low",
            "justification": "Public safety; proportionate; alternatives rejected",
        },
        "outcome": {"outcome": "adjust", "changes_made": "Added supervisor review", "board_review_requested": "no"},
        "action_plan": {
            "items": [
                {"action": "Train supervisors", "characteristic": "race", "owner": "Insp A", "due_date": "2027-06-01"}
            ],
            "done": True,
        },
        "review": {"monitoring": "Quarterly", "review_date": "2027-11-01"},
    }


def fired(questionnaire, answers: dict, relevant=("race",), signed_off_on: date | None = None) -> dict[str, list[str]]:
    """Check id -> finding messages, for the checks that fail."""
    context = lc.CheckContext(
        answers=answers,
        covered=tuple(questionnaire.applicable_characteristics(STATUTORY)),
        relevant=tuple(c for c in questionnaire.applicable_characteristics(STATUTORY) if c.id in relevant),
        today=TODAY,
        bindings=questionnaire.bindings,
        signed_off_on=signed_off_on,
    )
    return {r.check.id: [f.message for f in r.findings] for r in lc.evaluate(context) if not r.passed}


def changed(**pages) -> dict:
    answers = copy.deepcopy(sound_answers())
    for page_id, values in pages.items():
        answers[page_id.replace("__", ":")] = {**answers.get(page_id.replace("__", ":"), {}), **values}
    return answers


def test_a_sound_assessment_passes_every_check(questionnaire):
    assert fired(questionnaire, sound_answers()) == {}
    assert fired(questionnaire, sound_answers(), signed_off_on=date(2027, 1, 10)) == {}


def test_every_check_has_an_id_label_source_and_severity():
    ids = [check.id for check in lc.LEGAL_CHECKS]
    assert len(ids) == len(set(ids))
    for check in lc.LEGAL_CHECKS:
        assert check.label and check.source and check.severity in (lc.BLOCKING, lc.WARNING)


@pytest.mark.parametrize(
    ("check_id", "pages", "severity"),
    [
        ("L1", {"responsibility": {"senior_responsible_officer": "  "}}, lc.BLOCKING),
        ("L2", {"responsibility": {"decision_date": None}}, lc.BLOCKING),
        ("L2R", {"responsibility": {"decision_date": "2026-11-23"}}, lc.WARNING),
        ("L14", {"screening__age": {"reason": ""}}, lc.BLOCKING),
        (
            "L3",
            {"screening__age": {"reason": "Not relevant"}, "screening__sex": {"reason": "not  relevant"}},
            lc.WARNING,
        ),
        ("L3C", {"outcome": {"changes_made": "Nothing. It was fine."}}, lc.WARNING),
        ("L5", {"review": {"review_date": None}}, lc.BLOCKING),
        ("L5Y", {"review": {"review_date": "2028-02-01"}}, lc.WARNING),
        ("L7", {"impact__race": {"foster_direction": None}}, lc.BLOCKING),
        ("L8", {"evidence__race": {"has_evidence": "no", "evidence": None, "gaps": ""}}, lc.BLOCKING),
        ("L8P", {"evidence__race": {"gaps": "No data on age"}, "action_plan": {"items": []}}, lc.BLOCKING),
        ("L8D", {"evidence__race": {"gaps": "No data on age"}}, lc.WARNING),
        ("L9", {"residual__race": {"mitigation": ""}}, lc.BLOCKING),
        ("L9P", {"action_plan": {"items": []}}, lc.WARNING),
        ("L11", {"residual__race": {"justification": ""}}, lc.BLOCKING),
        ("L12", {"engagement__race": {"engaged": "no", "no_engagement_reason": "No time"}}, lc.WARNING),
        ("L13", {"objectives": {"objectives": []}}, lc.WARNING),
    ],
)
def test_each_check_fires_on_the_answers_it_is_about(questionnaire, check_id, pages, severity):
    failures = fired(questionnaire, changed(**pages))
    assert check_id in failures, failures
    assert next(c for c in lc.LEGAL_CHECKS if c.id == check_id).severity == severity


def test_sign_off_after_the_decision_date_fails_and_says_when(questionnaire):
    assert fired(questionnaire, sound_answers(), signed_off_on=date(2027, 1, 11)) == {
        "L2": ["Signed off on 11 January 2027, after the decision date of 10 January 2027."]
    }
    # On the day of the decision it is still before it; a retrospective warning is for submission only.
    late = changed(responsibility={"decision_date": "2026-11-01"})
    assert "L2R" not in fired(questionnaire, late, signed_off_on=date(2026, 10, 30))


def test_a_retrospective_assessment_is_a_warning_not_a_block(questionnaire):
    failures = fired(questionnaire, changed(responsibility={"decision_date": "2026-11-23"}))
    assert failures == {
        "L2R": [
            "The decision date, 23 November 2026, has passed: the assessment is retrospective. "
            "If the decision has not been taken yet, correct the date."
        ]
    }


def test_an_evidence_gap_needs_an_action_due_by_the_decision(questionnaire):
    gap = {"evidence__race": {"has_evidence": "no", "evidence": None, "gaps": "No data on ethnicity of people stopped"}}
    assert fired(questionnaire, changed(**gap)) == {
        "L8D": [
            "Race: no action on the plan is due by the decision date (10 January 2027) to fill the evidence gap: "
            "say in the gaps why the decision cannot wait."
        ]
    }
    in_time = changed(
        **gap,
        action_plan={
            "items": [{"action": "Collect data", "characteristic": "all", "owner": "X", "due_date": "2027-01-05"}]
        },
    )
    assert fired(questionnaire, in_time) == {}
    no_action = changed(**gap, action_plan={"items": []})
    assert fired(questionnaire, no_action)["L8P"] == [
        "Race: add an action to fill the evidence gap to the action plan."
    ]
    assert next(c for c in lc.LEGAL_CHECKS if c.id == "L8P").severity == lc.BLOCKING


def test_nothing_changed_is_fine_when_impact_is_low(questionnaire):
    low = changed(impact__race={"eliminate_level": "low"}, outcome={"changes_made": "Nothing: it was fine"})
    assert "L3C" not in fired(questionnaire, low)


def test_copied_reasons_name_the_characteristics(questionnaire):
    answers = changed(screening__age={"reason": "Not relevant"}, screening__sex={"reason": "Not relevant."[:-1]})
    assert fired(questionnaire, answers)["L3"] == [
        "The same screening reason is given for age, sex: say why for each characteristic."
    ]


def test_remaining_impact_and_continuing_need_justifying(questionnaire):
    answers = changed(outcome={"outcome": "continue", "outcome_justification": ""})
    assert fired(questionnaire, answers)["L11"] == ["Say why continuing despite the adverse impact is justified."]


def test_checks_only_consider_screened_in_characteristics(questionnaire):
    # Race screened out: its (hidden) analysis answers are not judged.
    answers = changed(impact__race={"foster_direction": None})
    assert "L7" not in fired(questionnaire, answers, relevant=())


def test_snapshot_rows_say_passed_failed_or_warning():
    records = [
        {"id": "L1", "label": "A", "source": "S", "severity": lc.BLOCKING, "passed": True, "findings": []},
        {
            "id": "L2",
            "label": "B",
            "source": "S",
            "severity": lc.BLOCKING,
            "passed": False,
            "findings": [{"message": "Too late.", "page_id": "responsibility"}],
        },
        {
            "id": "L13",
            "label": "C",
            "source": "S",
            "severity": lc.WARNING,
            "passed": False,
            "findings": [{"message": "No objective.", "page_id": "objectives"}],
        },
    ]
    assert lc.snapshot_rows(records) == (
        ("L1 A (S)", "Passed"),
        ("L2 B (S)", "Failed: Too late."),
        ("L13 C (S)", "Warning: No objective."),
    )
