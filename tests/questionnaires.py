"""The shipped questionnaires, loaded one by one (the application's loader picks the file by subject
type; these tests read each file directly), and sample answers that complete them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from eia.domain import questionnaire as q
from eia.domain.definitions import build_questionnaire, check_questionnaire_documents

WORKFLOWS = Path(__file__).resolve().parents[1] / "workflows"
QUESTIONNAIRE_FILES = ("questionnaire-eia.json", "questionnaire-screening.json", "questionnaire-eqhria.json")
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
OPTIONS = {
    "departments": [q.Choice("1", "Operational Policing")],
    "objectives": [q.Choice("EO1", "EO1: Trust and confidence")],
    "relevant_characteristics": [q.Choice("all", "All characteristics")],
    "subject_types": [
        q.Choice("sop", "Standard operating procedure"),
        q.Choice("minor_change", "A minor change"),
        q.Choice("police_powers", "Use of police powers"),
    ],
}


def read_document(name: str) -> dict:
    return json.loads((WORKFLOWS / name).read_text(encoding="utf-8"))


def load(name: str) -> q.Questionnaire:
    """One questionnaire file with characteristics.json, checked as the application checks it."""
    questionnaire, characteristics = read_document(name), read_document("characteristics.json")
    problems = check_questionnaire_documents(questionnaire, characteristics)
    assert problems == [], problems
    return build_questionnaire(questionnaire, characteristics)


def screened(level: str = "none", **levels: str) -> dict:
    """Screening answers for the nine: ``level`` for each, except those named."""
    answers = {
        f"screening:{c}": {"relevance": level, "reason": f"Why the relevance to {c} is {level}"} for c in STATUTORY
    }
    answers.update(
        {
            f"screening:{c}": {"relevance": value, "reason": f"Why the relevance to {c} is {value}"}
            for c, value in levels.items()
        }
    )
    return answers


def about() -> dict:
    return {
        "subject": {"title": "Custody: new layout of the booking-in area", "subject_type": "sop", "department": "1"},
        "responsibility": {
            "owner": "Insp Priya Shah, custody manager",
            "senior_responsible_officer": "Ch Supt Tom Reid",
            "decision_date": "2027-01-10",
        },
        "aims": {
            "aims": "Move two booking-in desks to shorten queues",
            "affected": "both",
            "scope": "The central custody suite: about 9,000 detainees a year",
        },
        "objectives": {"objectives": ["EO1"]},
    }


def analysis(characteristic: str) -> dict:
    """A full analysis with a negative impact on the first aim, mitigated to low."""
    return {
        f"evidence:{characteristic}": {"has_evidence": "yes", "evidence": "Custody records 2025 by characteristic"},
        f"engagement:{characteristic}": {"engaged": "yes", "engagement": "Independent custody visitors, May 2026"},
        f"impact:{characteristic}": {
            "eliminate_direction": "negative",
            "eliminate_level": "medium",
            "advance_direction": "neutral",
            "foster_direction": "neutral",
            "description": "Less privacy at the desk when giving health information",
        },
        f"residual:{characteristic}": {
            "mitigation": "Screens between desks",
            "residual_level": "low",
            "justification": "Shorter waits in custody; screens reduce what remains",
        },
    }


def conclusion(actions: bool = True) -> dict:
    return {
        "outcome": {
            "outcome": "adjust",
            "changes_made": "Screens added between the desks",
            "board_review_requested": "no",
        },
        "action_plan": {
            "items": [
                {
                    "action": "Fit screens between the desks",
                    "characteristic": "all",
                    "owner": "Insp Priya Shah",
                    "due_date": "2027-01-05",
                }
            ]
            if actions
            else [],
            "done": True,
        },
        "review": {"monitoring": "Complaints and custody visitor reports, quarterly", "review_date": "2027-11-01"},
    }


def problems(questionnaire: q.Questionnaire, answers: dict, characteristic_ids=STATUTORY) -> list[tuple[str, str]]:
    path = q.path(questionnaire, answers, characteristic_ids)
    return [(p.page_id, p.message) for p in q.submission_problems(path, OPTIONS, TODAY)]
