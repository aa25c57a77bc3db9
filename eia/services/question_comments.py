"""Comments on one question of an assessment: an equality adviser (or anyone who may comment on it)
starts a thread on a question; the author and the commenters reply; the author or whoever started the
thread resolves it. The author sees unresolved threads on the task list and on the page concerned.

Every change is audited and the people concerned are told, in plain English: a notification names the
question by its label, never by its id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eia.domain.capabilities import COMMENT
from eia.extensions import db
from eia.models import Assessment, QuestionComment, User
from eia.models.types import utcnow
from eia.services import access, audit, notifications
from eia.services.assessments import current_path
from eia.services.comments import MAX_COMMENT_LENGTH, CommentRefused
from eia.services.database import NotAllowed, unit_of_work


@dataclass(frozen=True)
class Subject:
    """A question a comment can be about, as people read it."""

    page_id: str
    question_id: str
    page_title: str
    label: str

    @property
    def key(self) -> str:
        """The form's value for this question (not shown to people)."""
        return f"{self.page_id}/{self.question_id}"


@dataclass(frozen=True)
class Thread:
    first: QuestionComment
    subject: Subject | None  # None: the question is no longer on the assessment's path

    @property
    def resolved(self) -> bool:
        return self.first.resolved_at is not None


def subjects(assessment: Assessment) -> list[Subject]:
    """Every question on the assessment's pages now, in questionnaire order (list pages excluded)."""
    path = current_path(assessment)
    found = []
    for page in path.pages:
        if page.is_list:
            continue
        for question in path.visible_questions(page):
            found.append(Subject(page.id, question.id, page.title, page.fill(question.label)))
    return found


def can_comment(user: User, assessment: Assessment) -> bool:
    return user.can(COMMENT) and access.can_view(user, assessment)


def _clean(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise CommentRefused("Enter a comment")
    if len(text) > MAX_COMMENT_LENGTH:
        raise CommentRefused(
            f"The comment must be {MAX_COMMENT_LENGTH:,} characters or fewer (you entered {len(text):,})"
        )
    return text


def start_thread(assessment: Assessment, user: User, subject_key: str, text: str) -> QuestionComment:
    if not can_comment(user, assessment):
        raise NotAllowed("You cannot comment on this assessment")
    subject = next((s for s in subjects(assessment) if s.key == subject_key), None)
    if subject is None:
        raise CommentRefused("Select the question your comment is about")
    text = _clean(text)
    with unit_of_work():
        comment = QuestionComment(
            assessment_id=assessment.id,
            page_id=subject.page_id,
            question_id=subject.question_id,
            author_id=user.id,
            text=text,
        )
        db.session.add(comment)
        db.session.flush()
        audit.record(
            "assessment.question_commented",
            actor=user,
            object_type="assessment",
            object_id=assessment.id,
            details={
                "comment_id": comment.id,
                "page_id": subject.page_id,
                "question_id": subject.question_id,
                "text": text,
            },
        )
        if assessment.author_id != user.id and assessment.author.active:
            notifications.notify(
                [assessment.author], assessment, f"{user.name} commented on the question “{subject.label}”"[:500]
            )
    notifications.send_soon()
    return comment


def _thread_of(assessment: Assessment, thread_id: int) -> QuestionComment:
    first = db.session.get(QuestionComment, thread_id)
    if first is None or first.assessment_id != assessment.id or first.parent_id is not None:
        raise NotAllowed("No such comment")
    return first


def _may_take_part(user: User, assessment: Assessment) -> bool:
    return can_comment(user, assessment) or access.is_its_author(user, assessment)


def _label(assessment: Assessment, first: QuestionComment) -> str:
    subject = next(
        (s for s in subjects(assessment) if (s.page_id, s.question_id) == (first.page_id, first.question_id)), None
    )
    return f"the question “{subject.label}”" if subject else "a question no longer in the assessment"


def reply(assessment: Assessment, user: User, thread_id: int, text: str) -> QuestionComment:
    if not _may_take_part(user, assessment):
        raise NotAllowed("You cannot comment on this assessment")
    first = _thread_of(assessment, thread_id)
    if first.resolved_at is not None:
        raise CommentRefused("This comment has been resolved: start a new one if there is more to say")
    text = _clean(text)
    with unit_of_work():
        answer = QuestionComment(
            assessment_id=assessment.id,
            page_id=first.page_id,
            question_id=first.question_id,
            parent_id=first.id,
            author_id=user.id,
            text=text,
        )
        db.session.add(answer)
        db.session.flush()
        audit.record(
            "assessment.question_comment_replied",
            actor=user,
            object_type="assessment",
            object_id=assessment.id,
            details={"comment_id": answer.id, "thread_id": first.id, "text": text},
        )
        people = {assessment.author_id: assessment.author, first.author_id: first.author}
        people.update({r.author_id: r.author for r in first.replies})
        notifications.notify(
            [p for p in people.values() if p.id != user.id and p.active],
            assessment,
            f"{user.name} replied to a comment on {_label(assessment, first)}"[:500],
        )
    notifications.send_soon()
    return answer


def resolve(assessment: Assessment, user: User, thread_id: int) -> QuestionComment:
    """The assessment's author, or whoever started the thread, marks it dealt with."""
    first = _thread_of(assessment, thread_id)
    if not (access.is_its_author(user, assessment) or (first.author_id == user.id and can_comment(user, assessment))):
        raise NotAllowed("Only the author of the assessment or of the comment can resolve it")
    if first.resolved_at is not None:
        return first
    with unit_of_work():
        first.resolved_at, first.resolved_by_id = utcnow(), user.id
        audit.record(
            "assessment.question_comment_resolved",
            actor=user,
            object_type="assessment",
            object_id=assessment.id,
            details={"thread_id": first.id},
        )
        if first.author_id != user.id and first.author.active:
            notifications.notify(
                [first.author], assessment, f"{user.name} resolved your comment on {_label(assessment, first)}"[:500]
            )
    notifications.send_soon()
    return first


def threads(assessment: Assessment, *, page_id: str | None = None, unresolved_only: bool = False) -> list[Thread]:
    """The threads on the assessment (or one of its pages), in the questionnaire's order, oldest first."""
    query = (
        select(QuestionComment)
        .where(QuestionComment.assessment_id == assessment.id, QuestionComment.parent_id.is_(None))
        .options(
            selectinload(QuestionComment.replies).selectinload(QuestionComment.author),
            selectinload(QuestionComment.author),
            selectinload(QuestionComment.resolved_by),
        )
        .order_by(QuestionComment.id)
    )
    if page_id is not None:
        query = query.where(QuestionComment.page_id == page_id)
    if unresolved_only:
        query = query.where(QuestionComment.resolved_at.is_(None))
    found = list(db.session.scalars(query))
    if not found:
        return []
    known = {(s.page_id, s.question_id): (index, s) for index, s in enumerate(subjects(assessment))}
    ordered = sorted(found, key=lambda c: (known.get((c.page_id, c.question_id), (len(known), None))[0], c.id))
    return [Thread(c, known.get((c.page_id, c.question_id), (0, None))[1]) for c in ordered]
