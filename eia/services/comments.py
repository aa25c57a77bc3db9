"""Comments on an assessment."""

from __future__ import annotations

from eia.domain.capabilities import COMMENT
from eia.extensions import db
from eia.models import Assessment, Comment, User
from eia.services import access, audit, notifications
from eia.services.database import NotAllowed, unit_of_work

MAX_COMMENT_LENGTH = 5000


class CommentRefused(ValueError):
    pass


def add_comment(assessment: Assessment, user: User, text: str) -> Comment:
    if not user.can(COMMENT) or not access.can_view(user, assessment):
        raise NotAllowed("You cannot comment on this assessment")
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise CommentRefused("Enter a comment")
    if len(text) > MAX_COMMENT_LENGTH:
        raise CommentRefused(
            f"The comment must be {MAX_COMMENT_LENGTH:,} characters or fewer (you entered {len(text):,})"
        )
    with unit_of_work():
        comment = Comment(assessment=assessment, author=user, text=text)
        db.session.add(comment)
        db.session.flush()
        audit.record(
            "assessment.commented",
            actor=user,
            object_type="assessment",
            object_id=assessment.id,
            details={"comment_id": comment.id, "text": text},
        )
        others = [assessment.author] if assessment.author_id != user.id else []
        notifications.notify(others, assessment, f"{user.name} commented")
    notifications.send_soon()
    return comment
