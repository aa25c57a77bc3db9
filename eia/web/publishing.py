"""Publishing a signed-off assessment: choose what to withhold, check, publish; withdraw. Who may do it is
the assessment's pinned workflow's say (eia.services.publication), so these routes need only a sign-in."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from eia.domain import publication as domain
from eia.services import publication
from eia.services.database import NotAllowed
from eia.web.forms import require_valid_form
from eia.web.permissions import visible_or_404

bp = Blueprint("publishing", __name__, url_prefix="/assessments/<id:assessment_id>/publication")


def _elsewhere(assessment, state):
    """Someone who may not publish goes back to the assessment; once it is published, to its publication."""
    if state.may_publish:
        return redirect(url_for(".overview", assessment_id=assessment.id))
    return redirect(url_for("main.assessment", assessment_id=assessment.id))


@bp.get("")
@login_required
def overview(assessment_id: int):
    assessment = visible_or_404(assessment_id)
    state = publication.publishing(current_user, assessment)
    withheld = publication.withheld_answers(assessment) if state.may_publish and state.publication is None else []
    return render_template(
        "publishing/overview.html",
        assessment=assessment,
        state=state,
        withheld=withheld,
        redactions=domain.redactions_by_reason(state.publication.redactions) if state.publication else [],
        errors=[],
    )


@bp.route("/withhold", methods=["GET", "POST"])
@login_required
def withhold(assessment_id: int):
    assessment = visible_or_404(assessment_id)
    state = publication.publishing(current_user, assessment)
    if not state.may_publish or state.publication is not None:
        if request.method == "POST":
            require_valid_form()
        return _elsewhere(assessment, state)
    answers = domain.answers(publication.original_snapshot(assessment))
    if request.method == "POST":
        require_valid_form()
        chosen = {a.target: request.form.get(f"withhold-{a.target}", "") for a in answers}
        chosen = {target: reason for target, reason in chosen.items() if reason}
        try:
            publication.choose_withheld(assessment, current_user, chosen)
        except NotAllowed:
            abort(404)
        except publication.PublicationError:
            abort(400)  # only a forged form offers a reason the list does not have
        return redirect(url_for(".check", assessment_id=assessment.id))
    groups: dict[str, list] = {}
    for answer in answers:
        groups.setdefault(answer.group, []).append(answer)
    return render_template(
        "publishing/withhold.html",
        assessment=assessment,
        groups=groups,
        reasons=state.rules.withholding_reasons,
        chosen=publication.marks(assessment),
    )


@bp.get("/check")
@login_required
def check(assessment_id: int):
    assessment = visible_or_404(assessment_id)
    state = publication.publishing(current_user, assessment)
    if not state.may_publish or state.publication is not None:
        return _elsewhere(assessment, state)
    withheld = publication.withheld_answers(assessment)
    by_reason: dict[str, list] = {}
    for answer, reason in withheld:
        by_reason.setdefault(reason, []).append(answer)
    return render_template("publishing/check.html", assessment=assessment, by_reason=by_reason, total=len(withheld))


@bp.post("/publish")
@login_required
def publish(assessment_id: int):
    require_valid_form()
    assessment = visible_or_404(assessment_id)
    try:
        published = publication.publish(assessment, current_user)
    except NotAllowed:
        abort(404)
    except publication.PublicationError as refused:
        flash(str(refused), "info")
        return redirect(url_for(".overview", assessment_id=assessment.id))
    flash(f"{published.reference} version {published.version_number} is published on the public register.", "success")
    return redirect(url_for(".overview", assessment_id=assessment.id))


@bp.post("/withdraw")
@login_required
def withdraw(assessment_id: int):
    require_valid_form()
    assessment = visible_or_404(assessment_id)
    try:
        publication.withdraw(assessment, current_user, request.form.get("reason", "")[:100000])
    except NotAllowed:
        abort(404)
    except publication.PublicationError as refused:
        state = publication.publishing(current_user, assessment)
        if not state.may_publish or state.publication is None or state.publication.withdrawn_at is not None:
            flash(str(refused), "info")
            return redirect(url_for(".overview", assessment_id=assessment.id))
        return render_template(
            "publishing/overview.html",
            assessment=assessment,
            state=state,
            withheld=[],
            redactions=domain.redactions_by_reason(state.publication.redactions),
            errors=[{"text": str(refused), "href": "#reason"}],
        ), 400
    flash("The publication is withdrawn. The public register now shows that it was withdrawn, and when.", "success")
    return redirect(url_for(".overview", assessment_id=assessment.id))
