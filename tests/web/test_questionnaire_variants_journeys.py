"""The screening and the equality and human rights questionnaires, each taken through the real pages
to a signed record: the kind of proposal chosen at the start (a minor change, a use of police powers)
chooses them."""

from __future__ import annotations

import pytest

from eia.extensions import db
from eia.models import Assessment
from tests.conftest import signed_in
from tests.journeys import (
    act,
    complete_assessment,
    low_impact_analysis,
    save,
    screened_characteristics,
    start_assessment,
    submit,
)
from tests.pdfs import pdf_words


@pytest.fixture
def app(demo):
    return demo


def links(page) -> set[str]:
    return {a.attrs.get("href", "") for a in page.find_all("a")}


def signed_off_words(app, assessment_id: int) -> str:
    approver = signed_in(app, "approver@example.org")
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve", {"comment": "Proportionate"})
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "approved"
    pdf = approver.client.get(f"/assessments/{assessment_id}/signed-record.pdf").get_data()
    return pdf_words(pdf)


def test_a_minor_change_is_screened_concluded_and_signed_off_without_a_full_analysis(app):
    author = signed_in(app, "author@example.org")
    assessment_id = start_assessment(author, "minor_change")
    save(author, assessment_id, "subject", {"title": "Custody: booking-in desks moved"})
    save(
        author,
        assessment_id,
        "responsibility",
        {
            "owner": "Insp Priya Shah",
            "senior_responsible_officer": "Ch Supt Tom Reid",
            "decision_date": ["10", "1", "2027"],
        },
    )
    save(author, assessment_id, "aims", {"aims": "Shorter queues", "affected": "both", "scope": "One custody suite"})
    save(author, assessment_id, "objectives", {"objectives": ["EO2"]})
    for characteristic in screened_characteristics(author, assessment_id):
        relevance = "low" if characteristic == "disability" else "none"
        save(
            author,
            assessment_id,
            f"screening:{characteristic}",
            {"relevance": relevance, "reason": f"The desks move within the room; nothing changes for {characteristic}"},
        )
    tasks = author.get(f"/assessments/{assessment_id}/tasks")
    assert "No characteristic needs a full analysis" in tasks.text
    assert f"/assessments/{assessment_id}/pages/action_plan" not in links(tasks)
    save(
        author,
        assessment_id,
        "outcome",
        {
            "no_analysis_reason": "The desks stay level-access and the same staff book people in",
            "evidence_considered": "Access audit of the suite, June 2026",
            "outcome": "no_change",
            "board_review_requested": "no",
        },
    )
    save(author, assessment_id, "review", {"review_date": ["1", "11", "2027"]})
    submit(author, assessment_id)
    words = signed_off_words(app, assessment_id)
    assert "Why is no full analysis needed? The desks stay level-access" in words
    assert "Access audit of the suite, June 2026" in words


def test_a_police_powers_procedure_is_assessed_for_equality_and_human_rights_and_signed_off(app):
    author = signed_in(app, "author@example.org")
    assessment_id = start_assessment(author, "police_powers")
    complete_assessment(
        author,
        assessment_id,
        title="Stop and search: body-worn video",
        relevant={**low_impact_analysis("age"), **low_impact_analysis("disability")},
    )
    save(
        author,
        assessment_id,
        "powers",
        {
            "powers": ["stop_search", "data_technology"],
            "powers_detail": "Every response officer, about 4,000 searches a year",
        },
    )
    page = author.get(f"/assessments/{assessment_id}/pages/rights_engaged")
    reveal = page.find(id="conditional-engages_rights")  # under "Yes": the rights, as checkboxes
    assert reveal is not None and reveal.find("input", value="article_8") is not None
    save(author, assessment_id, "rights_engaged", {"engages_rights": "yes", "articles": ["article_5", "article_8"]})
    tasks = author.get(f"/assessments/{assessment_id}/tasks")
    assert f"/assessments/{assessment_id}/pages/liberty" in links(tasks)
    assert f"/assessments/{assessment_id}/pages/fair_trial" not in links(tasks)
    assert f"/assessments/{assessment_id}/pages/action_plan" in links(tasks)
    save(
        author,
        assessment_id,
        "liberty",
        {
            "detention_grounds": ["suspicion"],
            "detention_duration": "Only as long as the search takes",
            "detention_safeguards": "Grounds given before the search",
        },
    )
    save(author, assessment_id, "private_life", {"intrusion": "Recording people searched", "uses_personal_data": "yes"})
    save(
        author,
        assessment_id,
        "personal_data",
        {
            "personal_data": "Video of the person searched",
            "retention": "31 days unless evidential",
            "dpia": "yes",
            "dpia_reference": "DPIA-2026-014",
        },
    )
    save(author, assessment_id, "legal_basis", {"legal_basis": "PACE section 1 and Code A", "law_clear": "yes"})
    save(
        author,
        assessment_id,
        "legitimate_aim",
        {
            "legitimate_aims": ["disorder_crime"],
            "pressing_need": "Complaints about searches",
            "effectiveness": "Footage settles disputes",
        },
    )
    save(
        author,
        assessment_id,
        "proportionality",
        {
            "less_intrusive": "Audio only: rejected",
            "fair_balance": "Short retention",
            "safeguards": "Camera on for every search",
            "recording": "Search record and footage",
            "use_review": "Scrutiny panel, quarterly",
        },
    )
    save(
        author,
        assessment_id,
        "human_rights_conclusion",
        {"compatible": "yes", "compatibility_reasons": "With these safeguards", "legal_advice": "no"},
    )
    submit(author, assessment_id)
    words = signed_off_words(app, assessment_id)
    assert "Human rights" in words
    assert "Article 5: right to liberty and security" in words and "DPIA-2026-014" in words
