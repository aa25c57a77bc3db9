"""Each person's home (eia.services.home): what needs their action, counted; and the filtered,
paginated list of what they can see, never silently capped."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from eia.extensions import db
from eia.models import Assessment, User
from eia.services import home
from tests.journeys import act, complete_assessment, start_assessment, submit

TODAY = date(2027, 1, 4)


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _counts(app, email: str) -> dict[str, int]:
    with app.app_context():
        built = home.home_for(_user(email), TODAY)
        counts = {group.key: group.total for group in built.needs_action}
        assert sum(counts.values()) == home.needs_action_count(_user(email), TODAY) == built.needs_action_total
        return counts


def test_needs_action_follows_each_assessment_through_the_workflow(client_for, demo):
    author = client_for("author@example.org")
    approver = client_for("approver@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id)
    assert _counts(demo, "author@example.org") == {}
    assert _counts(demo, "approver@example.org") == {}

    submit(author, assessment_id)
    assert _counts(demo, "approver@example.org") == {"review": 1}
    assert _counts(demo, "author@example.org") == {}
    assert _counts(demo, "approver-board@example.org") == {}, "another department's approver is not asked"

    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "return", {"comment": "Please add the 2025 data"})
    assert _counts(demo, "author@example.org") == {"returned-to-you": 1}
    assert _counts(demo, "approver@example.org") == {}
    with demo.app_context():
        author_home = home.home_for(_user("author@example.org"), TODAY)
        assert [a.id for a in author_home.needs_action[0].items] == [assessment_id]
        assert author_home.in_progress_total == 1 and author_home.recently_decided_total == 0


def test_an_escalated_assessment_waits_for_the_board_and_then_is_recently_decided(client_for, demo):
    author = client_for("author@example.org")
    approver = client_for("approver@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id, board_review="yes")
    submit(author, assessment_id)
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve")
    assert _counts(demo, "board@example.org") == {"board": 1}
    assert _counts(demo, "approver-board@example.org") == {"board": 1}
    assert _counts(demo, "approver@example.org") == {}

    act(client_for("board@example.org"), assessment_id, "board_approve")
    assert _counts(demo, "board@example.org") == {}
    with demo.app_context():
        author_home = home.home_for(_user("author@example.org"), TODAY)
        assert [a.id for a in author_home.recently_decided] == [assessment_id]
        assert author_home.in_progress_total == 0


def test_the_list_is_paginated_and_says_how_many_there_are(client_for, demo):
    author = client_for("author@example.org")
    for _ in range(home.PER_PAGE + 3):
        start_assessment(author)
    with demo.app_context():
        user = _user("author@example.org")
        first = home.assessment_list(user, home.ListFilters())
        assert first.total == home.PER_PAGE + 3 and len(first.items) == home.PER_PAGE and first.pages == 2
        second = home.assessment_list(user, home.ListFilters(page=2))
        assert len(second.items) == 3 and (second.first_shown, second.last_shown) == (
            home.PER_PAGE + 1,
            home.PER_PAGE + 3,
        )
        assert not {a.id for a in first.items} & {a.id for a in second.items}
        beyond = home.assessment_list(user, home.ListFilters(page=99))
        assert beyond.page == 2, "a page past the end shows the last page"

        built = home.home_for(user, TODAY)
        assert built.in_progress_total == home.PER_PAGE + 3 and len(built.in_progress) == home.PREVIEW


def test_authors_find_their_departments_signed_off_assessments_by_title_and_stage(client_for, demo):
    author = client_for("author@example.org")
    approver = client_for("approver@example.org")
    signed = start_assessment(author)
    complete_assessment(author, signed, title="Spit and bite guards")
    submit(author, signed)
    act(approver, signed, "start_review")
    act(approver, signed, "approve")
    draft = start_assessment(author)
    other_department = start_assessment(client_for("author2@example.org"))

    with demo.app_context():

        def found(email: str, **filters) -> list[int]:
            return [a.id for a in home.assessment_list(_user(email), home.ListFilters(**filters)).items]

        assert found("author@example.org", stage="signed_off") == [signed]
        assert found("author@example.org", text="BITE") == [signed]
        assert found("author@example.org", stage="in_progress") == [draft]
        assert found("author@example.org", text="%") == [], "a wildcard is searched for, not obeyed"
        assert found("author@example.org", text="_") == []
        assert other_department not in found("author@example.org")
        assert found("approver@example.org", stage="signed_off") == [signed]
        assert set(found("auditor@example.org")) == {signed, draft, other_department}
        assert db.session.get(Assessment, signed).title == "Spit and bite guards"


def test_filters_from_the_address_never_fail(app):
    from werkzeug.datastructures import MultiDict

    filters = home.ListFilters.from_args(
        MultiDict({"stage": "nonsense", "department": "x", "page": "-3", "q": " a " * 200})
    )
    assert filters.stage == "" and filters.department_id is None and filters.page == 1 and len(filters.text) <= 200
    assert set(filters.problems) == {"stage", "department"}
    assert home.ListFilters.from_args(MultiDict({"page": "9" * 30})).page == 1
    assert home.ListFilters(text="x", stage="decided", page=3).args(page=1) == {"q": "x", "stage": "decided"}
