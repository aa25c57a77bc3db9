"""Questions that explain and adapt: follow-ups revealed by the answer that asks for them, ratings
defined on the page, and nothing that did not apply printed as "Not answered" on check answers, the
record or the signed PDF."""

from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from eia.extensions import db
from eia.models import ArchivedRecord
from eia.services import archive
from tests.journeys import act, complete_assessment, low_impact_analysis, save, start_assessment, submit

NOT_APPLICABLE = (
    "Why have you not engaged anyone?",
    "Why is the remaining adverse impact justified?",
    "How will you remove or reduce the negative impact?",
)


def test_engagement_follow_ups_sit_under_the_answer_that_asks_for_them(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    save(author, assessment_id, "screening:race", {"relevance": "high", "reason": "Stop and search"})
    page = author.get(f"/assessments/{assessment_id}/pages/engagement:race")
    reveals = page.find_all("div", class_="govuk-radios__conditional")
    assert [r.find("textarea").attrs["name"] for r in reveals] == ["engagement", "no_engagement_reason"]

    # Answering "No" without the reason asks for it; the reason for "Yes" is not asked.
    page = save(author, assessment_id, "engagement:race", {"engaged": "no"}, status=400)
    assert page.error_messages == ["Enter why you have not engaged anyone"]


def test_the_justification_shows_only_for_the_ratings_that_need_it_and_each_rating_is_defined(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    save(author, assessment_id, "screening:race", {"relevance": "high", "reason": "Stop and search"})
    screening = author.get(f"/assessments/{assessment_id}/pages/screening:race")
    assert "For example, a stop and search or strip-search procedure and race" in screening.text

    residual = author.get(f"/assessments/{assessment_id}/pages/residual:race")
    block = residual.find("div", class_="app-reveal-after")
    assert block.attrs["data-reveal-values"] == "low medium high"
    assert block.find("textarea").attrs["name"] == "justification"
    hints = [h.text for h in residual.find_all("div", class_="govuk-radios__hint")]
    assert len(hints) == 4 and hints[0].startswith("No adverse impact remains")
    # No negative impact rated yet, so there is nothing to mitigate.
    assert "How will you remove or reduce the negative impact?" not in residual.text

    page = save(author, assessment_id, "residual:race", {"residual_level": "medium"}, status=400)
    assert page.error_messages == ["Enter why the remaining impact is justified"]
    save(author, assessment_id, "residual:race", {"residual_level": "none", "justification": "typed by mistake"})


def test_outcomes_carry_the_ehrc_descriptions(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    outcome = author.get(f"/assessments/{assessment_id}/pages/outcome")
    assert "The four outcomes the Equality and Human Rights Commission describes" in outcome.text
    assert "objectively justified (a legitimate aim, pursued by proportionate means)" in outcome.text


def test_what_did_not_apply_is_printed_nowhere(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    # No negative impact, nothing left over; a reason for not engaging typed, then "Yes" chosen after all.
    analysis = low_impact_analysis("age")
    analysis["engagement:age"] = {**analysis["engagement:age"], "no_engagement_reason": "Typed before choosing yes"}
    complete_assessment(author, assessment_id, relevant=analysis)

    check = author.get(f"/assessments/{assessment_id}/check-answers")
    assert check.find(id="problems") is None, check.text_of(id="problems")
    for text in (*NOT_APPLICABLE, "Not answered", "Typed before choosing yes"):
        assert text not in check.text, text

    submit(author, assessment_id)
    record = author.get(f"/assessments/{assessment_id}")
    for text in (*NOT_APPLICABLE, "Not answered"):
        assert text not in record.text, text

    approver = client_for("approver@example.org")
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve")
    with demo.app_context():
        archived = db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id))
        pdf = PdfReader(io.BytesIO(archive.archived_pdf(archived)))
        text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "Have you engaged or consulted people affected?" in text
    for phrase in (*NOT_APPLICABLE, "Not answered"):
        assert phrase not in text, phrase


def test_analysis_pages_replay_the_screening_and_the_mitigation_page_the_negative_aims(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    save(author, assessment_id, "screening:race", {"relevance": "high", "reason": "Stop and search by ethnicity"})
    evidence = author.get(f"/assessments/{assessment_id}/pages/evidence:race")
    inset = evidence.text_of(id="replayed-answers")
    assert "What you said in screening" in inset and "High" in inset and "Stop and search by ethnicity" in inset

    save(
        author,
        assessment_id,
        "impact:race",
        {
            "eliminate_direction": "negative",
            "eliminate_level": "high",
            "advance_direction": "positive",
            "foster_direction": "neutral",
            "description": "Risk of disproportionate use",
        },
    )
    residual = author.get(f"/assessments/{assessment_id}/pages/residual:race")
    inset = residual.text_of(id="replayed-answers")
    assert "The negative impacts you found" in inset and "Aim 1" in inset and "Aim 2" not in inset
    assert "How will you remove or reduce the negative impact?" in residual.text


def test_a_mitigation_becomes_an_action_in_one_step_with_an_owner_picked_or_typed(client_for):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    save(author, assessment_id, "screening:race", {"relevance": "high", "reason": "Stop and search"})
    save(
        author,
        assessment_id,
        "impact:race",
        {
            "eliminate_direction": "negative",
            "eliminate_level": "high",
            "advance_direction": "neutral",
            "foster_direction": "neutral",
            "description": "Risk of disproportionate use",
        },
    )
    save(
        author,
        assessment_id,
        "residual:race",
        {"mitigation": "Supervisor review of every search", "residual_level": "low", "justification": "Public safety"},
    )
    plan_url = f"/assessments/{assessment_id}/pages/action_plan"
    plan = author.get(plan_url)
    link = plan.find("a", href=f"{plan_url}?mitigation=race#add-item")
    assert link is not None and "Make this an action" in link.text

    prefilled = author.get(f"{plan_url}?mitigation=race")
    assert prefilled.find("textarea", name="action").text == "Supervisor review of every search"
    chosen = prefilled.find("option", value="race")
    assert chosen is not None and "selected" in chosen.attrs
    owner = prefilled.find("input", name="owner")
    people = prefilled.find("datalist", id=owner.attrs["list"])
    offered = [o.attrs["label"] if "label" in o.attrs else o.text for o in people.find_all("option")]
    assert "approver@example.org" in offered and "author@neighbouring.example.org" not in offered

    # One step: the action and characteristic are there; the owner has no account, so it is typed.
    author.submit(
        f"{plan_url}?mitigation=race",
        {"owner": "Sgt Sam Patel (no account)", "due_date": ["1", "6", "2027"]},
        action=f"{plan_url}/items",
    )
    plan = author.get(plan_url)
    assert "Supervisor review of every search" in plan.text and "Sgt Sam Patel (no account)" in plan.text
    assert "Mitigations not in the plan yet" not in plan.text
