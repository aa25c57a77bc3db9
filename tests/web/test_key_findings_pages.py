"""Key findings at the top of every page where a decision is made, and decision pages that say what is decided."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.journeys import (
    AN_ACTION,
    act,
    complete_assessment,
    high_impact_analysis,
    low_impact_analysis,
    start_assessment,
    submit,
)


def _written(client_for, **answers) -> tuple:
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(
        author,
        assessment_id,
        title="Stop and search refresh",
        relevant={**high_impact_analysis("race"), **low_impact_analysis("age")},
        actions=[AN_ACTION],
        **answers,
    )
    return author, assessment_id


def _findings_text(page) -> str:
    return page.text_of(id="key-findings")


def _card(page, name: str) -> dict[str, str]:
    """A characteristic's findings: each row's key -> value."""
    findings = page.find(id="key-findings")
    card = next(c for c in findings.find_all("div", class_="govuk-summary-card") if c.find("h4").text == name)
    return {row.find("dt").text: row.find("dd").text for row in card.find_all("div", class_="govuk-summary-list__row")}


def _screened_out(page) -> dict[str, str]:
    listing = page.find(id="screened-out")
    return {
        row.find("dt").text: row.find("dd").text for row in listing.find_all("div", class_="govuk-summary-list__row")
    }


def test_check_your_answers_opens_with_the_key_findings(client_for, demo):
    author, assessment_id = _written(client_for)

    page = author.get(f"/assessments/{assessment_id}/check-answers")

    assert _card(page, "Race") == {
        "Relevance": "High",
        "Aim 1: eliminate discrimination": "Negative impact: high severity",
        "Aim 2: advance equality of opportunity": "Neutral: no differential impact",
        "Aim 3: foster good relations": "Negative impact: medium severity",
        "Impact remaining after mitigation": "Medium",
    }
    assert _card(page, "Age")["Impact remaining after mitigation"] == "None"
    assert _screened_out(page)["Disability"] == "Not relevant"
    assert page.text_of(id="finding-outcome") == "No major change"
    text = _findings_text(page)
    assert "will go to “with the board” rather than being signed off straight away" in text
    assert "Residual adverse impact of medium or high for a characteristic" in text


def test_the_approver_starts_the_review_from_the_record_in_one_step_and_sees_what_they_are_aware_of(client_for, demo):
    author, assessment_id = _written(client_for)
    submit(author, assessment_id)
    approver = client_for("approver@example.org")

    record = approver.get(f"/assessments/{assessment_id}")
    assert _card(record, "Race")["Relevance"] == "High"
    form = record.form(f"/assessments/{assessment_id}/actions/start_review")
    started = approver.post(form.attrs["action"], record.form_fields(form))
    assert approver.location(started) == f"/assessments/{assessment_id}"

    decide = approver.get(f"/assessments/{assessment_id}/actions/approve")
    what = " ".join(decide.text_of(id="what-is-decided").split())
    assert "You are deciding on Stop and search refresh, version 1" in what
    assert "Last step: review started by" in what and "It is with approver." in what
    adverse = decide.find(id="adverse-impacts")
    assert [li.text for li in adverse.find_all("li")] == [
        "Race: negative impact on aim 1 (eliminate discrimination) (high severity)",
        "Race: negative impact on aim 3 (foster good relations) (medium severity)",
        "Race: medium adverse impact remains after mitigation",
    ]
    assert _card(decide, "Race")["Relevance"] == "High"


def test_the_boards_decision_page_says_which_rules_sent_it_there(client_for, demo):
    author, assessment_id = _written(client_for)
    submit(author, assessment_id)
    approver = client_for("approver@example.org")
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve")

    board = client_for("board@example.org")
    page = board.get(f"/assessments/{assessment_id}/actions/board_approve")
    assert "It is with the board because:" in page.text_of(id="what-is-decided")
    why = page.find(id="why-rules")
    assert [li.text for li in why.find_all("li")] == ["Residual adverse impact of medium or high for a characteristic"]
    text = _findings_text(page)
    assert "It was sent to “with the board” because" in text
    assert "R1" not in page.text_of(id="what-is-decided") + text


def test_legal_warnings_are_shown_in_plain_words_without_check_codes(client_for, demo):
    author, assessment_id = _written(client_for)
    author.submit(f"/assessments/{assessment_id}/pages/objectives", {"objectives": []}, button=("intent", "continue"))
    submit(author, assessment_id)

    approver = client_for("approver@example.org")
    act(approver, assessment_id, "start_review")
    page = approver.get(f"/assessments/{assessment_id}/actions/approve")
    warnings = page.text_of(id="finding-legal-warnings")
    assert "Linked to an equality objective: Link the assessment to an equality objective" in warnings
    assert "L13" not in warnings


def _with_board(client_for) -> int:
    author, assessment_id = _written(client_for)
    submit(author, assessment_id)
    approver = client_for("approver@example.org")
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve")
    return assessment_id


def test_board_conditions_are_rows_with_an_owner_and_due_date_defaulted_but_editable(client_for, demo):
    assessment_id = _with_board(client_for)
    board = client_for("board@example.org")
    url = f"/assessments/{assessment_id}/actions/board_approve_with_conditions"

    form = board.get(url)
    assert form.find("input", id="conditions-1-owner").attrs["value"] == "ACC Grace Hopper"
    assert [form.find("input", id=f"conditions-1-due-{part}").attrs["value"] for part in ("day", "month", "year")] == [
        "1",
        "11",
        "2027",
    ], "the review date"

    more = board.submit(
        url, {"conditions-1-text": "Publish quarterly figures"}, button=("add_condition", "1"), status=200
    )
    assert more.find("textarea", id="conditions-1-text").text == "Publish quarterly figures"
    assert more.find("input", id="conditions-2-owner").attrs["value"] == "ACC Grace Hopper"

    refused = board.post(
        url,
        {**more.form_fields(more.form()), "conditions-2-text": "Review with the IAG", "conditions-2-due-month": "13"},
        status=400,
    )
    assert refused.error_messages == ["The due date of condition 2 must be a real date"]
    assert refused.find("a", href="#conditions-2-due-day") is not None

    board.post(
        url,
        {**refused.form_fields(refused.form()), "conditions-2-owner": "Supt Mo Khan", "conditions-2-due-month": "3"},
    )
    record = board.get(f"/assessments/{assessment_id}")
    conditions = [" ".join(li.text.split()) for li in record.find(id="finding-conditions").find_all("li")]
    assert conditions == [
        "Board condition: Publish quarterly figures Owner: ACC Grace Hopper. Due: 1 November 2027.",
        "Board condition: Review with the IAG Owner: Supt Mo Khan. Due: 1 March 2027.",
    ]


def test_the_signed_pdf_opens_with_the_key_findings(client_for, demo):
    assessment_id = _with_board(client_for)
    board = client_for("board@example.org")
    act(board, assessment_id, "board_approve_with_conditions", {"conditions-1-text": "Publish quarterly figures"})

    content = board.client.get(f"/assessments/{assessment_id}/signed-record.pdf").get_data()
    first = " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    for expected in [
        "Key findings",
        "Race",
        "Aim 1: eliminate discrimination: Negative impact, high severity",
        "Screened out: Disability (not relevant)",
        "Outcome: No major change",
        "Sent to “with the board” because",
        "Residual adverse impact of medium or high for a characteristic",
        "Board condition: Publish quarterly figures",
        "ACC Grace Hopper",
    ]:
        assert expected in first, expected
    assert "Not answered" not in first


def test_after_a_return_the_findings_show_the_rules_as_they_stand_not_the_old_referral(client_for, demo):
    assessment_id = _with_board(client_for)
    act(client_for("board@example.org"), assessment_id, "board_return", {"comment": "Reduce the remaining impact"})
    author = client_for("author@example.org")
    author.submit(
        f"/assessments/{assessment_id}/pages/residual:race",
        {**high_impact_analysis("race")["residual:race"], "residual_level": "low"},
        button=("intent", "continue"),
    )

    page = author.get(f"/assessments/{assessment_id}/check-answers")
    assert page.text_of(id="finding-rules") == "No escalation rule applies."
