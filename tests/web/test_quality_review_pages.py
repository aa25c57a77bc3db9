"""The equality adviser's pages: their queue with a review summary, the review stage's actions on the
assessment, and their reasons reaching the author in plain English. Driven through the pages, finding
each action by the label people see; the organisation chose the adviser's workflow for SOPs."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from eia.extensions import db
from eia.models import User
from eia.services import admin
from eia.services.definitions import library
from tests.conftest import signed_in
from tests.journeys import complete_assessment, start_assessment, submit
from tests.pages import PageClient


@pytest.fixture
def app(demo):
    with demo.app_context():
        folder = library()
        administrator = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        routes = {
            kind.value: folder.route_for(kind, administrator.organisation.subject_type_routes)
            for kind in folder.subject_types
        }
        routes["sop"] = (folder.subject_type("sop").questionnaire_id, "eia-adviser-review")
        admin.update_subject_type_routes(administrator, routes)
    return demo


def take(user: PageClient, assessment_id: int, label: str, data: dict | None = None):
    """Follow the action the assessment's page offers as ``label`` and send its form."""
    page = user.get(f"/assessments/{assessment_id}")
    links = {a.text.strip(): a.attrs["href"] for a in page.find(id="actions").find_all("a")}
    assert label in links, f"{label!r} is not offered: {sorted(links)}"
    return user.submit(links[label], data or {})


def links(user: PageClient, url: str) -> set[str]:
    return {a.attrs.get("href") for a in user.get(url).find_all("a")}


def offered(user: PageClient, assessment_id: int) -> set[str]:
    actions = user.get(f"/assessments/{assessment_id}").find(id="actions")
    return {a.text.strip() for a in actions.find_all("a")} if actions else set()


def test_the_adviser_reviews_returns_with_reasons_and_passes_it_on(app):
    author, adviser = signed_in(app, "author@example.org"), signed_in(app, "adviser@example.org")
    approver = signed_in(app, "approver@example.org")
    assessment_id = start_assessment(author, "sop")
    complete_assessment(author, assessment_id, title="Spit and bite guards")
    check = author.get(f"/assessments/{assessment_id}/check-answers").text
    assert "its status becomes “With the equality adviser”: an equality adviser reviews the quality" in check
    submit(author, assessment_id)

    assert "/quality-review" in links(adviser, "/"), "reached from the adviser's home"
    waiting = adviser.get("/").find(id="quality-review-list")
    assert waiting is not None and "Spit and bite guards" in waiting.text, "counted as needing their action"
    assert "quality-review-list" not in author.get("/").text
    queue = adviser.get("/quality-review")
    card = queue.find(class_="govuk-summary-card")
    assert card is not None and "Spit and bite guards" in card.text
    words = re.sub(r"\s+", " ", card.text)
    assert "Standard operating procedure" in words
    assert "Characteristics analysed 2 of" in words and "Age, Disability" in words
    assert "The approver can sign it off: no escalation rule fires" in words
    assert "Spit and bite guards" not in approver.get("/review").text, "not the approver's yet"
    assert offered(approver, assessment_id) == set()

    assert offered(adviser, assessment_id) == {"Pass to the approver", "Return to the author"}
    take(
        adviser,
        assessment_id,
        "Return to the author",
        {
            "section-analysis:age": "Say what the youth advisory group told you, and what you changed",
            "comment": "The engagement is described but not what it changed",
        },
    )
    assert "Nothing is waiting for a quality review." in adviser.get("/quality-review").text

    tasks = author.get(f"/assessments/{assessment_id}/tasks").text
    assert "Returned to you" in tasks and "Eden Adviser returned this assessment" in tasks
    assert "Returned: Say what the youth advisory group told you, and what you changed" in tasks
    assert "The engagement is described but not what it changed" in tasks
    notices = author.get("/notifications").text
    assert "Returned to the author by the equality adviser. Status: Returned" in notices
    for internal in ("return_after_quality_review", "with_adviser", "notify:", "adviser queue"):
        assert internal not in tasks and internal not in notices

    submit(author, assessment_id)
    words = re.sub(r"\s+", " ", adviser.get("/quality-review").find(class_="govuk-summary-card").text)
    assert "returned 1 time before" in words
    take(adviser, assessment_id, "Pass to the approver", {"comment": "Proportionate and well evidenced"})
    assert "Spit and bite guards" in approver.get("/review").text
    trail = author.get(f"/assessments/{assessment_id}").text_of(id="decision-trail-entries")
    assert "Quality review passed by the equality adviser" in trail and "Proportionate and well evidenced" in trail
    assert "by Eden Adviser (equality adviser)" in trail


def test_people_without_the_adviser_role_do_not_see_the_quality_review(app):
    author = signed_in(app, "author@example.org")
    assert "/quality-review" not in links(author, "/")
    author.get("/quality-review", status=403)
    assert "/quality-review" in links(signed_in(app, "author-adviser@example.org"), "/")


def test_a_comment_on_a_question_reaches_the_author_where_it_applies_until_resolved(app):
    author, adviser = signed_in(app, "author@example.org"), signed_in(app, "adviser@example.org")
    assessment_id = start_assessment(author, "sop")
    complete_assessment(author, assessment_id, title="Spit and bite guards")
    submit(author, assessment_id)
    comments_url = f"/assessments/{assessment_id}/question-comments"
    assert comments_url in links(adviser, "/quality-review")

    refused = adviser.submit(comments_url, {"text": "Say what they told you"}, action=comments_url, status=400)
    assert "Select the question your comment is about" in refused.text_of(class_="govuk-error-summary")
    page = adviser.get(comments_url)
    question = next(
        o.attrs["value"]
        for o in page.find(id="question").find_all("option")
        if o.text.strip() == "Age: engagement: Who did you engage, when, and what did they tell you?"
    )
    adviser.submit(
        comments_url, {"question": question, "text": "Say what the youth advisory group told you"}, action=comments_url
    )
    assert "(1 not resolved)" in author.get(f"/assessments/{assessment_id}").text, "seen while it is under review"
    take(adviser, assessment_id, "Return to the author", {"comment": "See my comment on the engagement question"})

    tasks = re.sub(r"\s+", " ", author.get(f"/assessments/{assessment_id}/tasks").text_of(id="question-comments"))
    assert "1 comment on your answers not resolved yet" in tasks
    assert (
        "Age: engagement: Who did you engage, when, and what did they tell you?: "
        "“Say what the youth advisory group told you” (Eden Adviser)"
    ) in tasks
    assert "engagement:age" not in tasks and "/engagement" not in tasks.replace(comments_url, "")
    on_page = author.get(f"/assessments/{assessment_id}/pages/engagement:age").text_of(id="question-comments")
    assert "1 comment on this page's questions not resolved yet" in re.sub(r"\s+", " ", on_page)
    assert author.get(f"/assessments/{assessment_id}/pages/aims").find(id="question-comments") is None

    thread = author.get(comments_url).find(class_="govuk-summary-card")
    reply_action = next(f.attrs["action"] for f in thread.find_all("form") if f.attrs["action"].endswith("/replies"))
    resolve_action = next(f.attrs["action"] for f in thread.find_all("form") if f.attrs["action"].endswith("/resolve"))
    author.submit(comments_url, {"text": "The group asked for data by age band; added"}, action=reply_action)
    author.submit(comments_url, action=resolve_action)
    assert author.get(f"/assessments/{assessment_id}/tasks").find(id="question-comments") is None
    words = re.sub(r"\s+", " ", adviser.get(comments_url).text)
    assert "Resolved by Alex Author" in words and "The group asked for data by age band; added" in words
    notices = adviser.get("/notifications").text
    assert (
        "Alex Author resolved your comment on the question “Who did you engage, when, and what did they tell you?”"
        in re.sub(r"\s+", " ", notices)
    )
