"""Reusable user journeys through the web pages, driven like a browser would (forms, hidden fields)."""

from __future__ import annotations

import re

from tests.pages import PageClient

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


def start_assessment(author: PageClient, subject_type: str = "sop") -> int:
    page = author.submit("/assessments/new", {"subject_type": subject_type}, action="/assessments/")
    match = re.fullmatch(r"/assessments/(\d+)/tasks", author.location(page))
    assert match, author.location(page)
    return int(match.group(1))


def screened_characteristics(author: PageClient, assessment_id: int) -> list[str]:
    """The characteristics the task list asks to screen: the nine, plus the organisation's extras."""
    tasks = author.get(f"/assessments/{assessment_id}/tasks")
    prefix = f"/assessments/{assessment_id}/all/screening#screening-"  # each one's place on the one screening page
    return [
        a.attrs["href"].removeprefix(prefix) for a in tasks.find_all("a") if a.attrs.get("href", "").startswith(prefix)
    ]


def save(author: PageClient, assessment_id: int, page_id: str, data: dict, status: int = 302):
    return author.submit(
        f"/assessments/{assessment_id}/pages/{page_id}", data, status=status, button=("intent", "continue")
    )


def follow(client: PageClient, page):
    """Load the page a POST redirected to, as a browser does."""
    return client.get(client.location(page))


def screen_one_at_a_time(
    author: PageClient, assessment_id: int, ratings: dict[str, str], characteristics: list[str]
) -> None:
    """Screening as a browser took it before it was one page: from the task list, each characteristic's
    page, its POST, and back to the task list. ``ratings`` maps characteristic -> relevance (else "none")."""
    for characteristic in characteristics:
        relevance = ratings.get(characteristic, "none")
        follow(
            author,
            save(
                author,
                assessment_id,
                f"screening:{characteristic}",
                {"relevance": relevance, "reason": f"Reason for {characteristic}"},
            ),
        )


def screen_on_one_page(
    author: PageClient, assessment_id: int, ratings: dict[str, str], characteristics: list[str]
) -> None:
    """Screening as a browser takes it now: one page for every characteristic, one POST, back to the task list."""
    answers = {}
    for characteristic in characteristics:
        answers[f"screening-{characteristic}-relevance"] = ratings.get(characteristic, "none")
        answers[f"screening-{characteristic}-reason"] = f"Reason for {characteristic}"
    follow(author, author.submit(f"/assessments/{assessment_id}/all/screening", answers, button=("intent", "continue")))


def low_impact_analysis(characteristic: str) -> dict[str, dict]:
    return {
        f"evidence:{characteristic}": {"has_evidence": "yes", "evidence": f"Force data on {characteristic}, 2025"},
        f"engagement:{characteristic}": {"engaged": "yes", "engagement": "Staff network consulted in March"},
        f"impact:{characteristic}": {
            "eliminate_direction": "neutral",
            "advance_direction": "positive",
            "foster_direction": "neutral",
            "description": "Small positive effect",
        },
        f"residual:{characteristic}": {"residual_level": "none"},
    }


def high_impact_analysis(characteristic: str) -> dict[str, dict]:
    return {
        f"evidence:{characteristic}": {"has_evidence": "yes", "evidence": "Stop and search disproportionality data"},
        f"engagement:{characteristic}": {"engaged": "yes", "engagement": "Independent advisory group, April"},
        f"impact:{characteristic}": {
            "eliminate_direction": "negative",
            "eliminate_level": "high",
            "advance_direction": "neutral",
            "foster_direction": "negative",
            "foster_level": "medium",
            "description": "Risk of disproportionate use",
        },
        f"residual:{characteristic}": {
            "mitigation": "Supervisor review of every use",
            "residual_level": "medium",
            "justification": "Legitimate aim of public safety; proportionate; alternatives rejected",
        },
    }


def questionnaire_answers(
    characteristics: list[str],
    *,
    title: str = "Body-worn video in custody",
    relevant: dict[str, dict] | None = None,
    outcome: str = "no_change",
    board_review: str = "no",
    actions: list[dict] | None = None,
) -> list[tuple[str, dict | list]]:
    """Every page's answers in order, as (page id, answers) or, for the action plan, (page id, its items).
    ``characteristics``: those screened; ``relevant`` maps characteristic -> analysis answers."""
    relevant = relevant if relevant is not None else {**low_impact_analysis("age"), **low_impact_analysis("disability")}
    relevant_ids = {key.split(":")[1] for key in relevant}
    outcome_answers = {
        "outcome": outcome,
        "changes_made": "Added supervisor review",
        "board_review_requested": board_review,
    }
    if outcome == "continue":
        outcome_answers["outcome_justification"] = "Objectively justified"
    if board_review == "yes":
        outcome_answers["board_review_reason"] = "High public interest"
    return [
        ("subject", {"title": title}),  # its kind was chosen at the start
        (
            "responsibility",
            {
                "owner": "Inspector Ada Lovelace",
                "senior_responsible_officer": "ACC Grace Hopper",
                "decision_date": ["10", "1", "2027"],
            },
        ),
        ("aims", {"aims": "Improve transparency", "affected": "both", "scope": "Force-wide"}),
        ("objectives", {"objectives": ["EO2"]}),
        *(
            (
                f"screening:{characteristic}",
                {
                    "relevance": "high" if characteristic in relevant_ids else "none",
                    "reason": f"Reason for {characteristic}",
                },
            )
            for characteristic in characteristics
        ),
        *relevant.items(),
        ("outcome", outcome_answers),
        ("action_plan", list(actions or [])),
        ("review", {"monitoring": "Quarterly data review", "review_date": ["1", "11", "2027"]}),
    ]


def complete_assessment(author: PageClient, assessment_id: int, **answers) -> None:
    """Answer every page through the forms (answers as questionnaire_answers takes them)."""
    for page_id, data in questionnaire_answers(screened_characteristics(author, assessment_id), **answers):
        if isinstance(data, list):
            for item in data:
                author.submit(
                    f"/assessments/{assessment_id}/pages/{page_id}",
                    item,
                    action=f"/assessments/{assessment_id}/pages/{page_id}/items",
                )
            author.submit(
                f"/assessments/{assessment_id}/pages/{page_id}",
                action=f"/assessments/{assessment_id}/pages/{page_id}/finish",
            )
        else:
            save(author, assessment_id, page_id, data)


def submit(author: PageClient, assessment_id: int):
    return author.submit(
        f"/assessments/{assessment_id}/check-answers", action=f"/assessments/{assessment_id}/actions/submit"
    )


def read_only_message(author: PageClient, assessment_id: int) -> str:
    """What the author is told on opening a questionnaire page of an assessment they cannot change."""
    author.get(f"/assessments/{assessment_id}")  # shows, and so clears, any message already waiting
    messages = set()
    for page in ("tasks", "pages/subject", "check-answers"):
        refused = author.get(f"/assessments/{assessment_id}/{page}", status=302)
        assert author.location(refused) == f"/assessments/{assessment_id}"
        record = author.get(f"/assessments/{assessment_id}")
        messages.add(record.text_of(class_="govuk-notification-banner__content"))
    assert len(messages) == 1, messages
    return messages.pop()


def act(user: PageClient, assessment_id: int, action: str, data: dict | None = None, status: int = 302):
    return user.submit(f"/assessments/{assessment_id}/actions/{action}", data or {}, status=status)


AN_ACTION = {
    "action": "Train supervisors",
    "characteristic": "all",
    "owner": "Ch Insp Jones",
    "due_date": ["1", "6", "2027"],
}
