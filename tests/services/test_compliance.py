"""The annual compliance report's figures, counted by hand from assessments built through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select, update

from eia.clock import uk_today as today
from eia.domain import compliance as c
from eia.extensions import db
from eia.models import Assessment, AssessmentSearch, SignedOffCharacteristic, TrackedAction, User
from eia.services import compliance
from tests import factories
from tests.journeys import (
    AN_ACTION,
    high_impact_analysis,
    low_impact_analysis,
)
from tests.pdfs import pdf_words

NAMES = [
    "Age",
    "Disability",
    "Gender reassignment",
    "Marriage and civil partnership",
    "Pregnancy and maternity",
    "Race",
    "Religion or belief",
    "Sex",
    "Sexual orientation",
    "Socio-economic disadvantage",
    "Armed forces community",
]  # the nine, then Example Constabulary's extras, in definition order
RELEVANCE = [label for _, label in c.RELEVANCE_LABELS]


def _signed_off(client_for, demo):
    """A: routine, signed off by the approver. B: residual impact, Board approves with a condition.
    C: a policy continuing despite adverse impact with no evidence, Board approves. D: only submitted."""
    author = client_for("author@example.org")
    ids = {}
    for name, kwargs in {
        "A": {"title": "Body-worn video in custody"},
        "B": {
            "title": "Stop and search refresh",
            "relevant": {**high_impact_analysis("race"), **low_impact_analysis("age")},
        },
        "C": {
            "title": "Custody meals",
            "outcome": "continue",
            "relevant": {
                **low_impact_analysis("age"),
                "evidence:age": {"has_evidence": "no", "gaps": "No data yet; survey in spring"},
            },
        },
        "D": {"title": "Draft only"},
    }.items():
        ids[name] = factories.answered(demo, actions=[AN_ACTION], **kwargs)
    factories.save(demo, ids["C"], "subject", {"title": "Custody meals", "subject_type": "policy"})
    factories.save(demo, ids["C"], "objectives", {"objectives": ["EO1", "EO2"]})
    for name in "ABCD":
        factories.act(demo, ids[name], "submit", factories.AUTHOR)
    for name in "ABC":
        factories.act(demo, ids[name], "start_review", factories.APPROVER)
        factories.act(demo, ids[name], "approve", factories.APPROVER)
    factories.act(
        demo, ids["B"], "board_approve_with_conditions", factories.BOARD, conditions=["Publish quarterly figures"]
    )
    factories.act(demo, ids["C"], "board_approve", factories.BOARD)
    with demo.app_context():  # A's action is done, B's first in progress; C's falls due yesterday; A's review too
        action_of = {a.assessment_id * 10 + a.position: a.id for a in db.session.scalars(select(TrackedAction))}
        c_action = db.session.get(TrackedAction, action_of[ids["C"] * 10 + 1])
        c_action.due_date = today() - timedelta(days=1)
        a = db.session.get(Assessment, ids["A"])
        a.answers = {
            **a.answers,
            "review": {**a.answers["review"], "review_date": (today() - timedelta(days=1)).isoformat()},
        }
        db.session.commit()
    assert demo.test_cli_runner().invoke(args=["search", "rebuild"]).exit_code == 0  # the facts follow the answers
    author.submit(f"/actions/{action_of[ids['A'] * 10 + 1]}", {"status": "done", "note": "Trained"})
    author.submit(f"/actions/{action_of[ids['B'] * 10 + 1]}", {"status": "in_progress", "note": "Started"})
    return ids


def _reference(number: int) -> str:
    return f"EIA-{today().year}-{number:04d}"


@pytest.fixture
def built(client_for, demo):
    return _signed_off(client_for, demo)


def _figures(demo, email: str, start, end) -> c.ComplianceFigures:
    with demo.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return compliance.report(user, start, end)


def test_every_figure_matches_the_hand_count(demo, built):
    figures = _figures(demo, "board@example.org", today() - timedelta(days=1), today())

    def relevance(high=0, none=0):
        return tuple(c.Count(label, n) for label, n in zip(RELEVANCE, (high, 0, 0, 0, none), strict=True))

    by_name = {
        "Age": c.CharacteristicFigures("Age", relevance(high=3), 0, 0, 1),
        "Disability": c.CharacteristicFigures("Disability", relevance(high=1, none=2), 0, 0, 0),
        "Race": c.CharacteristicFigures("Race", relevance(high=1, none=2), 1, 1, 0),
    }
    assert figures == c.ComplianceFigures(
        organisation="Example Constabulary",
        scope="the whole organisation",
        start=today() - timedelta(days=1),
        end=today(),
        as_at=today(),
        signed_off=3,
        by_department=(c.Count("Operational Policing", 3),),
        by_subject_type=(c.Count("Policy", 1), c.Count("Standard operating procedure", 2)),
        outcomes=(c.Count("No major change", 2), c.Count("Continue despite adverse impact", 1)),
        sent_to_board=2,
        board_reasons=(
            c.Count("Residual adverse impact of medium or high for a characteristic", 1),
            c.Count("The proposal continues despite adverse impact", 1),
            c.Count("A relevant characteristic has no evidence or no engagement", 1),
        ),
        characteristics=tuple(
            by_name.get(name, c.CharacteristicFigures(name, relevance(none=3), 0, 0, 0)) for name in NAMES
        ),
        actions=(c.Count("Open", 2), c.Count("In progress", 1), c.Count("Done", 1), c.Count("Overdue", 1)),
        reviews_overdue=1,
        objectives=(
            c.ObjectiveFigures(
                "EO1",
                "Increase the trust and confidence of under-represented communities",
                ((_reference(3), "Custody meals"),),
            ),
            c.ObjectiveFigures(
                "EO2",
                "Reduce disproportionality in the use of police powers",
                (
                    (_reference(1), "Body-worn video in custody"),
                    (_reference(2), "Stop and search refresh"),
                    (_reference(3), "Custody meals"),
                ),
            ),
            c.ObjectiveFigures("EO3", "Build a workforce that reflects the communities we serve", ()),
            c.ObjectiveFigures("EO4", "Embed equality impact assessment in every policy and change programme", ()),
        ),
        not_linked_to_an_objective=0,
    )
    assert figures.board_share == "67%"


def test_the_period_and_the_department_scope_what_is_counted(demo, built):
    before = _figures(demo, "board@example.org", today() - timedelta(days=400), today() - timedelta(days=1))
    assert before.signed_off == 0 and before.by_department == () and before.characteristics == ()
    assert before.actions == (c.Count("Open", 0), c.Count("In progress", 0), c.Count("Done", 0), c.Count("Overdue", 0))
    approver = _figures(demo, "approver@example.org", today(), today())
    assert (approver.scope, approver.signed_off) == ("Operational Policing", 3)


def test_the_report_page_and_pdf(client_for, demo, built):
    board = client_for("board@example.org")
    period = f"from={(today() - timedelta(days=1)).isoformat()}&to={today().isoformat()}"
    page = board.get(f"/compliance-report?{period}")
    assert page.find("table", id="summary").find("td").text == "3"
    rows = {tr.find("th").text: tr.find("td").text for tr in page.find("table", id="board-reasons").find_all("tr")[1:]}
    assert rows == {
        "Residual adverse impact of medium or high for a characteristic": "1",
        "The proposal continues despite adverse impact": "1",
        "A relevant characteristic has no evidence or no engagement": "1",
    }
    race = next(tr for tr in page.find("table", id="characteristics").find_all("tr") if tr.find("th").text == "Race")
    assert [td.text for td in race.find_all("td")] == ["1", "0", "0", "0", "2", "1", "1", "0"]
    assert "Custody meals" in page.text_of(id="objectives")

    response = board.client.get(f"/compliance-report.pdf?{period}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    words = pdf_words(response.get_data())
    for expected in (
        "Example Constabulary",
        "Assessments signed off 3",
        "Sent to the Equality and Inclusion Board 2 (67%)",
        "Why assessments went to the Board",
        "Evidence gaps",
        "EO2: Reduce disproportionality",
    ):
        assert expected in words, expected


def test_the_default_period_is_the_last_complete_financial_year(client_for, demo):
    page = client_for("auditor@example.org").get("/compliance-report")
    start, end = c.last_complete_financial_year(today())
    assert page.find("input", id="from").attrs["value"] == start.isoformat()
    assert page.find("input", id="to").attrs["value"] == end.isoformat()
    assert "Assessments signed off" in page.text_of(id="summary")
    assert "No assessments were signed off in the period." in page.text_of(id="by-department")


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("from=2025-13-01&to=2026-03-31", ["Enter the start date as YYYY-MM-DD, for example 2025-04-01"]),
        ("from=2025-04-01&to=31%2F3%2F2026", ["Enter the end date as YYYY-MM-DD, for example 2026-03-31"]),
        ("from=2026-04-01&to=2025-03-31", ["The end date must be on or after the start date"]),
    ],
)
def test_a_bad_period_is_explained_and_counts_nothing(client_for, demo, query, errors):
    board = client_for("board@example.org")
    page = board.get(f"/compliance-report?{query}", status=400)
    assert page.error_messages == errors
    assert page.find("table", id="summary") is None
    assert board.get(f"/compliance-report.pdf?{query}", status=400).error_messages == errors


def test_last_complete_financial_year():
    from datetime import date

    assert c.last_complete_financial_year(date(2026, 11, 25)) == (date(2025, 4, 1), date(2026, 3, 31))
    assert c.last_complete_financial_year(date(2026, 4, 1)) == (date(2025, 4, 1), date(2026, 3, 31))
    assert c.last_complete_financial_year(date(2026, 3, 31)) == (date(2024, 4, 1), date(2025, 3, 31))


def test_assessments_indexed_before_the_facts_were_kept_are_counted_all_the_same(demo, built):
    """An upgraded instance: search rows from before the report's facts were kept (migration 0018)."""
    period = (today() - timedelta(days=1), today())
    counted_from_facts = _figures(demo, "board@example.org", *period)
    with demo.app_context():
        db.session.execute(update(AssessmentSearch).values(objectives=None, board_reasons=None))
        db.session.execute(delete(SignedOffCharacteristic))
        db.session.commit()
    assert _figures(demo, "board@example.org", *period) == counted_from_facts
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(SignedOffCharacteristic)) > 0
