"""After sign-off: tracked actions and their status updates, and reviews coming due."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from eia.clock import uk_today
from eia.models import ACTION_STATUSES
from eia.services import access, lifecycle, revisions
from eia.services.database import Conflict, NotAllowed
from eia.web.forms import VersionedForm

bp = Blueprint("lifecycle", __name__)

CONFLICT_MESSAGE = (
    "Someone else updated this action since you opened this page, so your update was not saved. "
    "Its current status is shown below; what you typed is kept."
)


@bp.get("/actions")
@login_required
def actions():
    today = uk_today()
    return render_template(
        "lifecycle/actions.html",
        lists=lifecycle.action_lists(current_user, today),
        window=lifecycle.DEFAULT_WINDOW_DAYS,
        today=today,
    )


@bp.route("/actions/<id:action_id>", methods=["GET", "POST"])
@login_required
def action(action_id: int):
    try:
        found = lifecycle.get_action(current_user, action_id)
    except NotAllowed:
        abort(404)
    can_update = access.can_update_action(current_user, found)
    form = VersionedForm(data={"version": str(found.lock_version)})
    errors: list[dict[str, str]] = []
    field_errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not can_update:
            abort(403)
        if not form.validate_on_submit():
            abort(400)
        try:
            lifecycle.update_action(found, current_user, request.form, form.expected_version())
        except lifecycle.UpdateRefused as refused:
            field_errors = refused.errors
            errors = [
                {"text": message, "href": f"#{'status' if name == 'status' else 'note'}"}
                for name, message in refused.errors.items()
            ]
            status = 400
        except Conflict:
            errors = [{"text": CONFLICT_MESSAGE, "href": "#note"}]
            form.version.data = str(found.lock_version)
            status = 409
        else:
            flash(f"Action updated: now {found.status_label.lower()}", "success")
            return redirect(url_for(".action", action_id=found.id))
    chosen = request.form.get("status", found.status) if request.method == "POST" else found.status
    return render_template(
        "lifecycle/action.html",
        status_items=[
            {"value": value, "text": label, "checked": value == chosen} for value, label in ACTION_STATUSES.items()
        ],
        characteristic=lifecycle.characteristic_label(found.characteristic),
        action=found,
        form=form,
        can_update=can_update,
        errors=errors,
        field_errors=field_errors,
        statuses=ACTION_STATUSES,
        typed=request.form if request.method == "POST" else {},
        overdue=lifecycle.is_overdue(found, uk_today()),
    ), status


@bp.get("/reviews")
@login_required
def reviews():
    today = uk_today()
    due = lifecycle.reviews_due(current_user, today)
    can_review = {r.assessment.id for r in due if revisions.can_start_revision(r.assessment, current_user)}
    return render_template(
        "lifecycle/reviews.html",
        overdue=[r for r in due if r.overdue],
        due_soon=[r for r in due if not r.overdue],
        window=lifecycle.DEFAULT_WINDOW_DAYS,
        can_review=can_review,
    )
