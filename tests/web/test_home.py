"""The home page, the navigation and the header's account links, and the assessments list page."""

from __future__ import annotations

import pytest

from tests.journeys import act, complete_assessment, start_assessment, submit

ROLES = [
    "author@example.org",
    "approver@example.org",
    "board@example.org",
    "auditor@example.org",
    "admin@example.org",
    "approver-board@example.org",
]


def _navigation(page) -> tuple[list[str], list[str]]:
    links = page.find("nav", class_="govuk-service-navigation__wrapper").find_all("a")
    return [a.text.strip() for a in links], [a.text.strip() for a in links if a.attrs.get("aria-current")]


def _account(page) -> list[str]:
    return [element.text for element in page.find("nav", class_="app-account").find_all("li")]


@pytest.mark.parametrize("email", ROLES)
def test_every_role_has_six_items_or_fewer_one_current_and_account_links_in_the_header(client_for, email):
    client = client_for(email)
    home_page = client.get("/")
    items, current = _navigation(home_page)
    assert items[0].startswith("Home") and len(items) <= 6 and current == [items[0]]
    assert "API tokens" not in items and "Notifications" not in items
    assert _account(home_page)[-1].startswith("Sign out")
    assert "Change your password" in _account(home_page) and "API tokens" in _account(home_page)
    assert home_page.find(id="needs-action").text.startswith("Needs your action")
    for path in ("/assessments", "/actions", "/reviews", "/notifications", "/account/api-tokens/"):
        page = client.get(path)
        assert len(_navigation(page)[1]) <= 1, path
    assert _navigation(client.get("/reviews"))[1] == ["Actions"]
    assert _navigation(client.get("/notifications"))[1] == []


def test_the_work_queues_are_under_home_for_a_person_with_two_roles(client_for):
    both = client_for("approver-board@example.org")
    items, _ = _navigation(both.get("/"))
    assert items == ["Home", "Assessments", "Archive", "Actions", "Compliance report"]
    for path in ("/review", "/board", "/board/digest"):
        assert _navigation(both.get(path))[1] == ["Home"], path
    hrefs = [a.attrs["href"] for a in both.get("/").find(id="queues").find_all("a")]
    assert hrefs == ["/review", "/board", "/board/digest"]


def test_a_returned_assessment_is_first_on_the_authors_home_and_counted_in_the_navigation(client_for):
    author = client_for("author@example.org")
    approver = client_for("approver@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id, title="Custody suite CCTV")
    submit(author, assessment_id)

    approver_home = approver.get("/")
    assert approver_home.find(id="review").text == "Waiting for your review (1)"
    assert _navigation(approver_home)[0][0].replace(" ", "") == "Home1thingneedsyouraction"
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "return", {"comment": "Please add the 2025 data"})

    page = author.get("/")
    assert page.find(id="needs-action").text == "Needs your action (1)"
    assert page.find(id="returned-to-you").text == "Returned to you (1)"
    assert [a.attrs["href"] for a in page.find(id="returned-to-you-list").find_all("a")] == [
        f"/assessments/{assessment_id}"
    ]
    assert _navigation(page)[0][0].replace(" ", "") == "Home1thingneedsyouraction"
    assert any(link.startswith("Notifications") and "unread" in link for link in _account(page))
    assert _navigation(approver.get("/"))[0][0] == "Home"


def test_the_list_pages_through_everything_and_filters(client_for):
    author = client_for("author@example.org")
    for _ in range(22):
        start_assessment(author)
    first = author.get("/assessments")
    assert first.find(id="results").text == "Showing 1 to 20 of 22 assessments"
    assert len(first.find(id="assessment-results").find_all("li")) == 20
    second = author.get("/assessments?page=2")
    assert second.find(id="results").text == "Showing 21 to 22 of 22 assessments"
    assert author.get("/assessments?stage=signed_off").find(id="results").text == "No assessments match"
    bad = author.get("/assessments?stage=nonsense&page=x&department=y")
    assert "Choose a status from the list" in bad.find(class_="govuk-error-summary").text

    home_page = author.get("/")
    assert home_page.find(id="in-progress").text == "In progress (22)"
    assert any(a.text == "See all 22 in progress" for a in home_page.find_all("a"))
