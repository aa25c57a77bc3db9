"""Dashboard, the assessment record page and notifications."""

from __future__ import annotations

from collections import OrderedDict

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    render_template_string,
    request,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from eia.clock import uk_today
from eia.domain.capabilities import COMMENT, WRITE_ASSESSMENTS
from eia.domain.workflow_diagram import render_svg
from eia.extensions import db
from eia.models import Assessment, Comment, Notification
from eia.models.types import utcnow
from eia.services import access, archive, assessments, findings, home, progress, publication, revisions, workflow
from eia.services.database import NotAllowed, unit_of_work
from eia.services.definitions import definitions_of
from eia.web.downloads import content_disposition
from eia.web.forms import VersionedForm
from eia.web.permissions import capability_required, visible_or_404

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def dashboard():
    """The person's home: what needs their action first, then what is in progress and recently decided."""
    return render_template("main/home.html", home=home.home_for(current_user, uk_today()))


@bp.get("/assessments")
@login_required
def assessments_list():
    """Every assessment the person can see, filtered and paginated: for authors and approvers, their
    department's (signed-off ones too, read-only), so an old assessment can still be found."""
    filters = home.ListFilters.from_args(request.args)
    departments = home.department_choices(current_user)
    if not departments:  # the page offers no department filter: an address's is ignored
        filters.department_id = None
        filters.problems.pop("department", None)
    results = home.assessment_list(current_user, filters)
    errors = [{"text": text, "href": f"#{field}"} for field, text in filters.problems.items()]
    return render_template(
        "main/assessments.html",
        filters=filters,
        results=results,
        errors=errors,
        stages=home.stage_choices(),
        departments=departments,
    )


@bp.get("/assessments/<id:assessment_id>")
@login_required
def assessment(assessment_id: int):
    found = visible_or_404(assessment_id)
    definitions = definitions_of(found)
    thread = db.session.scalars(select(Comment).where(Comment.assessment_id == found.id).order_by(Comment.id)).all()
    return render_template(
        "main/assessment.html",
        assessment=found,
        answers_html=_answers_html(found),
        # Once submitted, whoever opens it is reading it to decide, or to see what was decided.
        findings=findings.for_assessment(found) if found.submitted_at else None,
        actions=workflow.available_actions(found, current_user),
        diagram=_diagram(definitions, found.status),
        comments=thread,
        form=VersionedForm(data={"version": str(found.lock_version)}),
        can_edit=access.can_edit_answers(current_user, found),
        can_comment=current_user.can(COMMENT),
        archived=archive.record_for(found),
        versions=revisions.versions(found),
        can_revise=revisions.can_start_revision(found, current_user),
        publishing=publication.publishing(current_user, found),
        returned=progress.latest_return(found),
    )


ANSWERS_CACHE_SIZE = 256


def _answers_html(assessment: Assessment) -> Markup:
    """Every answer, rendered: the largest and costliest part of the page (each answer goes through the
    questionnaire's display rules), kept per worker for the assessment's exact state. The key holds what
    the output depends on: the row's version (bumped by every change to it), its pinned definitions and
    the organisation's names for departments and objectives that answers refer to."""
    organisation = assessment.organisation
    key = (
        assessment.id,
        assessment.lock_version,
        assessment.definitions_sha256,
        tuple((d.id, d.name) for d in organisation.departments),
        tuple((o.code, o.title) for o in organisation.objectives),
    )
    cache: OrderedDict = current_app.extensions.setdefault("eia.answers_html", OrderedDict())
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    html = Markup(
        render_template_string(
            '{% from "components/macros.html" import answers_summary %}{{ answers_summary(summary) }}',
            summary=assessments.answer_summary(assessment),
        )
    )
    cache[key] = html
    if len(cache) > ANSWERS_CACHE_SIZE:
        cache.popitem(last=False)
    return html


def _diagram(definitions, state: str) -> Markup:
    """The workflow diagram with ``state`` marked: a few per definitions version, drawn once each."""
    cache = current_app.extensions.setdefault("eia.diagrams", {})
    key = (definitions.sha256, state)
    if key not in cache:
        cache[key] = Markup(render_svg(definitions.workflow, state))
    return cache[key]


@bp.get("/assessments/<id:assessment_id>/submitted")
@login_required
def submitted(assessment_id: int):
    """The confirmation after submitting: the reference, who reviews it next and that they have been told.
    Once the assessment has moved on, its record page says where it is instead."""
    found = visible_or_404(assessment_id)
    receipt = progress.submission_receipt(found, current_user)
    if receipt is None:
        return redirect(url_for(".assessment", assessment_id=found.id))
    return render_template("main/submitted.html", assessment=found, receipt=receipt)


@bp.post("/assessments/<id:assessment_id>/revisions")
@capability_required(WRITE_ASSESSMENTS)
def start_revision(assessment_id: int):
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    previous = visible_or_404(assessment_id)
    reason = request.form.get("reason", "revision")
    if reason not in revisions.REASONS:
        abort(400)
    try:
        revision = revisions.start_revision(previous, current_user, reason=reason)
    except NotAllowed:
        abort(404)
    except revisions.RevisionExists as exists:
        flash(
            f"Version {exists.latest.version_number} of this assessment has already been started: this is it.", "info"
        )
        return redirect(url_for(".assessment", assessment_id=exists.latest.id))
    flash(
        f"Version {revision.version_number} started from version {previous.version_number}'s answers. "
        f"Version {previous.version_number} stays signed off as it is.",
        "success",
    )
    return redirect(url_for("questionnaire.task_list", assessment_id=revision.id))


@bp.get("/assessments/<id:assessment_id>/signed-record.pdf")
@login_required
def signed_record(assessment_id: int):
    record = archive.record_for(visible_or_404(assessment_id))
    if record is None:
        abort(404)
    response = Response(archive.download(record, current_user), mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(archive.download_name(record))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/notifications")
@login_required
def notifications_page():
    items = db.session.scalars(
        select(Notification).where(Notification.user_id == current_user.id).order_by(Notification.id.desc()).limit(100)
    ).all()
    return render_template("main/notifications.html", items=items, form=VersionedForm())


@bp.post("/notifications/read")
@login_required
def mark_notifications_read():
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    with unit_of_work():
        for item in db.session.scalars(
            select(Notification).where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        ):
            item.read_at = utcnow()
    return redirect(url_for(".notifications_page"))
