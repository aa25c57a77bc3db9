"""A person with two roles: the demo approver who also sits on the Board sees both queues and acts in
both, in their approver's department only; and however many roles someone holds, nobody decides on
an assessment they wrote."""

from __future__ import annotations

from sqlalchemy import select

from eia.extensions import db
from eia.models import Assessment, Department, Organisation, Transition
from eia.services.users import create_user
from tests.conftest import PASSWORD, signed_in
from tests.journeys import act, complete_assessment, start_assessment, submit

BOTH = "approver-board@example.org"  # approver in Crime and Public Protection, and on the Board


def _navigation(page) -> tuple[list[str], list[str]]:
    """The navigation's items and those marked current."""
    links = page.find("nav", class_="govuk-service-navigation__wrapper").find_all("a")
    return [a.text.strip() for a in links], [a.text.strip() for a in links if a.attrs.get("aria-current")]


def _submitted(author) -> int:
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id, board_review="yes")
    submit(author, assessment_id)
    return assessment_id


def _status(app, assessment_id: int) -> str:
    with app.app_context():
        return db.session.get(Assessment, assessment_id).status


def test_the_navigation_is_the_union_of_both_roles_with_one_current_item(client_for, demo):
    both = client_for(BOTH)
    items, current = _navigation(both.get("/board/digest"))
    assert items == ["Home", "Assessments", "Archive", "Actions", "Compliance report"]
    assert current == ["Home"], "the queues are reached from Home, which counts what waits in them"
    queues = [a.text for a in both.get("/").find(id="queues").find_all("a")]
    assert queues == ["Your department's review queue", "The Board's queue", "Assessments signed off without the Board"]
    approver_items, _ = _navigation(client_for("approver@example.org").get("/"))
    assert "Archive" not in approver_items
    approver_queues = [a.text for a in client_for("approver@example.org").get("/").find(id="queues").find_all("a")]
    assert approver_queues == ["Your department's review queue"]
    signed_in_as = both.get("/").find(class_="app-signed-in").text
    assert "approver (accountable senior officer) and equality and inclusion board member" in signed_in_as


def test_an_approver_on_the_board_reviews_their_department_then_decides_as_the_board(client_for, demo):
    theirs = _submitted(client_for("author2@example.org"))  # Crime and Public Protection
    other_department = _submitted(client_for("author@example.org"))  # Operational Policing
    both = client_for(BOTH)

    hrefs = [a.attrs.get("href", "") for a in both.get("/review").find_all("a")]
    assert f"/assessments/{theirs}" in hrefs and f"/assessments/{other_department}" not in hrefs, (
        "the review queue is their own department's, though the Board sees every department"
    )
    both.get(f"/assessments/{other_department}/actions/start_review", status=404)

    act(both, theirs, "start_review")
    act(both, theirs, "approve")
    assert _status(demo, theirs) == "with_board"
    assert f"/assessments/{theirs}" in [a.attrs.get("href", "") for a in both.get("/board").find_all("a")]
    act(both, theirs, "board_approve")
    assert _status(demo, theirs) == "approved"
    with demo.app_context():
        acted = db.session.scalars(
            select(Transition).where(Transition.assessment_id == theirs).order_by(Transition.id)
        ).all()
        assert [(t.action, t.actor.email, t.actor_role) for t in acted] == [
            ("submit", "author2@example.org", "author"),
            ("start_review", BOTH, "approver"),
            ("approve", BOTH, "approver"),
            ("board_approve", BOTH, "board"),
        ]


def test_nobody_decides_on_their_own_assessment_whatever_their_roles(demo):
    with demo.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.slug == "example-constabulary"))
        department = db.session.scalar(
            select(Department).where(
                Department.organisation_id == organisation.id, Department.name == "Operational Policing"
            )
        )
        create_user(
            email="everything@example.org",
            name="Eve Everything",
            roles=["author", "approver", "board"],
            organisation=organisation,
            department=department,
            password=PASSWORD,
        )
    everyone = signed_in(demo, "everything@example.org")
    own = _submitted(everyone)
    page = act(everyone, own, "start_review", status=400)
    assert "You cannot decide on an assessment you wrote" in page.text
    assert _status(demo, own) == "submitted"
    # They still act as an approver on their department's other work.
    colleague = _submitted(signed_in(demo, "author@example.org"))
    act(everyone, colleague, "start_review")
    assert _status(demo, colleague) == "with_approver"
