"""Comments on a question: an equality adviser comments on one question of a submission under review,
the author replies and resolves, each step audited and the people concerned told in plain English;
bad input and people who may not take part change nothing. Built through the services."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eia.extensions import db
from eia.models import AuditEvent, Notification, QuestionComment
from eia.services import question_comments
from eia.services.comments import CommentRefused
from eia.services.database import NotAllowed
from tests.pdfs import pdf_words
from tests.services.test_quality_review import _act, _completed, _messages, _route_through_adviser, _user, ctx  # noqa: F401

ENGAGEMENT = "engagement:age/engagement"
OWNER = "responsibility/owner"


@pytest.fixture
def under_review(ctx):  # noqa: F811
    _route_through_adviser("sop")
    assessment = _completed()
    _act(assessment, "author@example.org", "submit")
    return assessment


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_adviser_comments_on_a_question_and_the_author_replies_and_resolves(under_review):
    assessment = under_review
    adviser, author = _user("adviser@example.org"), _user("author@example.org")
    first = question_comments.start_thread(assessment, adviser, ENGAGEMENT, "Say what the group told you")
    question_comments.start_thread(assessment, adviser, OWNER, "Name a post, not only a person")

    assert _messages("author@example.org", assessment) == [
        "Eden Adviser commented on the question “Who did you engage, when, and what did they tell you?”",
        "Eden Adviser commented on the question “Policy owner”",
    ]
    threads = question_comments.threads(assessment)
    assert [t.subject.label for t in threads] == [
        "Policy owner",
        "Who did you engage, when, and what did they tell you?",
    ], "in the questionnaire's order"
    assert threads[1].subject.page_title == "Age: engagement"
    assert [t.first.id for t in question_comments.threads(assessment, page_id="engagement:age")] == [first.id]

    question_comments.reply(assessment, author, first.id, "The group asked for more data; added")
    assert _messages("adviser@example.org", assessment)[-1] == (
        "Alex Author replied to a comment on the question “Who did you engage, when, and what did they tell you?”"
    )
    question_comments.resolve(assessment, author, first.id)
    assert _messages("adviser@example.org", assessment)[-1] == (
        "Alex Author resolved your comment on the question “Who did you engage, when, and what did they tell you?”"
    )
    assert [t.subject.label for t in question_comments.threads(assessment, unresolved_only=True)] == ["Policy owner"]
    resolved = db.session.get(QuestionComment, first.id)
    assert resolved.resolved_by_id == author.id and [r.text for r in resolved.replies] == [
        "The group asked for more data; added"
    ]
    assert db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("assessment.question_%")).order_by(AuditEvent.seq)
    ).all() == [
        "assessment.question_commented",
        "assessment.question_commented",
        "assessment.question_comment_replied",
        "assessment.question_comment_resolved",
    ]
    with pytest.raises(CommentRefused):
        question_comments.reply(assessment, adviser, first.id, "One more thing")


@pytest.mark.parametrize(
    "key, text, message",
    [
        ("nowhere/nothing", "A comment", "Select the question your comment is about"),
        ("", "A comment", "Select the question your comment is about"),
        (OWNER, "   ", "Enter a comment"),
        (OWNER, "x" * 5001, "The comment must be 5,000 characters or fewer (you entered 5,001)"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(under_review, key, text, message):
    before = (_count(QuestionComment), _count(AuditEvent), _count(Notification))
    with pytest.raises(CommentRefused) as refused:
        question_comments.start_thread(under_review, _user("adviser@example.org"), key, text)
    assert str(refused.value) == message
    assert (_count(QuestionComment), _count(AuditEvent), _count(Notification)) == before


def test_only_people_who_may_comment_take_part(under_review):
    assessment = under_review
    for outsider in ("auditor@example.org", "author2@example.org", "author@neighbouring.example.org"):
        with pytest.raises(NotAllowed):
            question_comments.start_thread(assessment, _user(outsider), OWNER, "A comment")
    first = question_comments.start_thread(assessment, _user("adviser@example.org"), OWNER, "Name a post")
    with pytest.raises(NotAllowed):  # another adviser may reply, but resolving is for the author and the commenter
        question_comments.resolve(assessment, _user("author-adviser@example.org"), first.id)
    question_comments.reply(assessment, _user("author-adviser@example.org"), first.id, "Agreed")
    question_comments.resolve(assessment, _user("adviser@example.org"), first.id)
    assert question_comments.threads(assessment, unresolved_only=True) == []


def test_the_signed_record_shows_the_advisers_review_and_the_comments_on_questions(under_review):

    from eia.services.archive import archived_pdf, record_for

    assessment = under_review
    adviser, author = _user("adviser@example.org"), _user("author@example.org")
    first = question_comments.start_thread(assessment, adviser, ENGAGEMENT, "Say what the group told you")
    question_comments.reply(assessment, author, first.id, "They asked for data by age band")
    question_comments.resolve(assessment, adviser, first.id)
    question_comments.start_thread(assessment, adviser, OWNER, "Name a post too")
    _act(assessment, "adviser@example.org", "pass_quality_review", comment="Proportionate and well evidenced")
    _act(assessment, "approver@example.org", "start_review")
    _act(assessment, "approver@example.org", "approve")

    pdf = archived_pdf(record_for(assessment))
    words = pdf_words(pdf)
    assert "Quality review passed by the equality adviser" in words and "Eden Adviser, Equality adviser" in words
    assert "Proportionate and well evidenced" in words
    assert "Comments on questions" in words
    assert "Age: engagement: Who did you engage, when, and what did they tell you?" in words
    assert "Say what the group told you" in words and "They asked for data by age band" in words
    assert "Resolved by Eden Adviser" in words
    assert "Name a post too" in words and "Not resolved." in words
