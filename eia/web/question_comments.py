"""Comments on the questions of an assessment: one page lists the threads and takes new comments,
replies and resolutions. Who may do what is the service's (eia.services.question_comments)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from eia.services import access, question_comments
from eia.services.comments import CommentRefused
from eia.services.database import NotAllowed
from eia.web.forms import require_valid_form
from eia.web.permissions import visible_or_404

bp = Blueprint("question_comments", __name__, url_prefix="/assessments")


def _page(assessment, errors: list | None = None, typed: dict | None = None, status: int = 200):
    typed = typed or {}
    chosen = typed.get("question", "")
    question_items = [{"value": "", "text": "Select a question"}] + [
        {"value": s.key, "text": f"{s.page_title}: {s.label}", "selected": s.key == chosen}
        for s in question_comments.subjects(assessment)
    ]
    return render_template(
        "question_comments/index.html",
        assessment=assessment,
        threads=question_comments.threads(assessment),
        question_items=question_items,
        can_comment=question_comments.can_comment(current_user, assessment),
        is_author=access.is_its_author(current_user, assessment),
        errors=errors or [],
        typed=typed,
    ), status


@bp.get("/<id:assessment_id>/question-comments")
@login_required
def index(assessment_id: int):
    return _page(visible_or_404(assessment_id))


@bp.post("/<id:assessment_id>/question-comments")
@login_required
def start(assessment_id: int):
    assessment = visible_or_404(assessment_id)
    require_valid_form()
    typed = {"question": request.form.get("question", ""), "text": request.form.get("text", "")}
    try:
        question_comments.start_thread(assessment, current_user, typed["question"], typed["text"])
    except NotAllowed:
        abort(403)
    except CommentRefused as refused:
        field = "question" if "question" in str(refused) else "text"
        return _page(assessment, [{"text": str(refused), "href": f"#{field}"}], typed, 400)
    flash("Comment added", "success")
    return redirect(url_for(".index", assessment_id=assessment.id))


@bp.post("/<id:assessment_id>/question-comments/<id:thread_id>/replies")
@login_required
def reply(assessment_id: int, thread_id: int):
    assessment = visible_or_404(assessment_id)
    require_valid_form()
    text = request.form.get("text", "")
    try:
        question_comments.reply(assessment, current_user, thread_id, text)
    except NotAllowed:
        abort(404)
    except CommentRefused as refused:
        return _page(
            assessment, [{"text": str(refused), "href": f"#reply-{thread_id}"}], {f"reply-{thread_id}": text}, 400
        )
    flash("Reply added", "success")
    return redirect(url_for(".index", assessment_id=assessment.id, _anchor=f"thread-{thread_id}"))


@bp.post("/<id:assessment_id>/question-comments/<id:thread_id>/resolve")
@login_required
def resolve(assessment_id: int, thread_id: int):
    assessment = visible_or_404(assessment_id)
    require_valid_form()
    try:
        question_comments.resolve(assessment, current_user, thread_id)
    except NotAllowed:
        abort(404)
    flash("Comment resolved", "success")
    return redirect(url_for(".index", assessment_id=assessment.id))


@bp.app_template_global()
def unresolved_question_comments(assessment, page_id: str | None = None) -> list:
    """The threads not yet resolved on the assessment (or on one of its pages), for the author's pages."""
    return question_comments.threads(assessment, page_id=page_id, unresolved_only=True)
