"""Workflow actions on an assessment (submit, review, decide) and comments."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from eia.domain.capabilities import WRITE_ASSESSMENTS, role_can
from eia.extensions import db
from eia.services import assessments, comments, findings, progress, workflow
from eia.services.database import Conflict, NotAllowed
from eia.services.definitions import definitions_of
from eia.services.trail import decision_trail
from eia.web.errors import CSRF_FAILED, csrf_failed, redisplays_on_csrf_failure
from eia.web.forms import VersionedForm
from eia.web.permissions import visible_or_404

bp = Blueprint("decisions", __name__, url_prefix="/assessments")

CONFLICT_MESSAGE = (
    "Someone else acted on this assessment first, so your decision was not recorded. "
    "Check its current status below; what you typed is kept in the form."
)
SIGN_OFF_FAILED_MESSAGE = (
    "The signed record could not be made or stored, so your decision was not recorded. "
    "Nothing has changed: try again in a few minutes, and tell your administrator if it keeps happening."
)


def _available_transition(assessment, action: str):
    return next((t for t in workflow.available_actions(assessment, current_user) if t.id == action), None)


def _decision_from_form() -> workflow.Decision:
    sections = {
        key.removeprefix("section-"): value.strip()
        for key, value in request.form.items()
        if key.startswith("section-") and value.strip()
    }
    conditions = [
        workflow.Condition(row["text"], row["owner"], _iso_or_typed(row["due"]))
        for row in _condition_rows()
        if row["text"]
    ]
    return workflow.Decision(
        comment=request.form.get("comment", "").strip(), conditions=conditions, section_reasons=sections
    )


def _condition_rows() -> list[dict]:
    """The condition rows posted (conditions-<n>-text, -owner, -due-day/-month/-year), in order, blank ones included."""
    numbers = sorted(
        {
            int(key.split("-")[1])
            for key in request.form
            if key.startswith("conditions-") and key.split("-")[1].isdigit()
        }
    )
    rows = []
    for number in numbers[: workflow.MAX_CONDITIONS + 1]:  # one more than allowed, so "too many" is reported
        prefix = f"conditions-{number}-"
        rows.append(
            {
                "text": request.form.get(prefix + "text", "").strip(),
                "owner": request.form.get(prefix + "owner", "").strip(),
                "due": {part: request.form.get(f"{prefix}due-{part}", "").strip() for part in ("day", "month", "year")},
            }
        )
    return rows


def _iso_or_typed(parts: dict[str, str]) -> str | None:
    """A date input's parts as an ISO date; None when left blank; as typed when not a real date (the service says so)."""
    if not any(parts.values()):
        return None
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts["day"])).isoformat()
    except ValueError:
        return "-".join(parts[key] for key in ("year", "month", "day"))


def _default_condition(assessment) -> dict:
    owner, due = workflow.condition_defaults(assessment)
    parsed = date.fromisoformat(due) if due else None
    return {
        "text": "",
        "owner": owner,
        "due": {"day": str(parsed.day), "month": str(parsed.month), "year": str(parsed.year)}
        if parsed
        else {"day": "", "month": "", "year": ""},
    }


def _anchor(transition, field: str) -> str:
    """The id of the form field a problem is about, if the form shows that field (else the form's)."""
    if field.startswith("section-"):
        shown = transition.takes_section_reasons
    elif field.startswith("conditions"):
        shown = transition.conditions
        if field == "conditions":
            field = "conditions-1-text"
        elif field.endswith("-due"):
            field += "-day"  # a date input's first box
    else:
        shown = {"comment": transition.comment != "none"}.get(field, False)
    return field.replace(":", "-") if shown else workflow.WHOLE_FORM


def _repeated_post(assessment, action: str):
    """A second post of a decision this person has just taken (a double click, a resent form): nothing is
    recorded twice, and they are shown what their first post did rather than told someone else acted."""
    if progress.already_taken(assessment, current_user, action) is None:
        return None
    if progress.submission_receipt(assessment, current_user) is not None:
        return redirect(url_for("main.submitted", assessment_id=assessment.id))
    flash("Your decision was already recorded: it was recorded once.", "success")
    return redirect(url_for("main.assessment", assessment_id=assessment.id))


@bp.route("/<id:assessment_id>/actions/<action>", methods=["GET", "POST"])
@redisplays_on_csrf_failure
@login_required
def act(assessment_id: int, action: str):
    assessment = visible_or_404(assessment_id)
    transition = _available_transition(assessment, action)
    form = VersionedForm(data={"version": str(assessment.lock_version)})
    errors: list[dict[str, str]] = []
    status = 200
    still_possible = transition is not None
    if transition is None and request.method == "POST" and (repeated := _repeated_post(assessment, action)):
        return repeated
    if transition is None:
        # Someone else moved the assessment on since this form was loaded: say so, keep what was typed.
        transition = workflow.overtaken_action(assessment, current_user, action)
        if request.method != "POST" or transition is None or not form.validate_on_submit():
            abort(404)
        state = definitions_of(assessment).workflow.state(assessment.status)
        errors = [
            {
                "text": f"{CONFLICT_MESSAGE} It is now {state.label.lower()}, so this decision can no longer be taken.",
                "href": "#decision",
            }
        ]
        status = 409
    elif csrf_failed():
        errors = [{"text": CSRF_FAILED, "href": "#decision"}]
        status = 400
    elif request.method == "POST" and transition.conditions and "add_condition" in request.form:
        pass  # "Add another condition": show the form again with one more row, and decide nothing yet
    elif request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        decision = _decision_from_form()
        try:
            outcome = workflow.take_action(assessment, current_user, action, decision, form.expected_version())
        except workflow.ActionRefused as refused:
            errors = [
                {"text": reason, "href": f"#{_anchor(transition, field)}", "field": field}
                for reason, field in zip(refused.reasons, refused.fields, strict=True)
            ]
            status = 400
        except workflow.SignOffFailed:
            errors = [{"text": SIGN_OFF_FAILED_MESSAGE, "href": "#decision"}]
            status = 503
        except Conflict:
            db.session.refresh(assessment)
            if repeated := _repeated_post(assessment, action):
                return repeated
            errors = [{"text": CONFLICT_MESSAGE, "href": "#decision"}]
            form.version.data = str(assessment.lock_version)
            status = 409
        else:
            if transition.is_submission:
                return redirect(url_for("main.submitted", assessment_id=assessment.id))
            state = definitions_of(assessment).workflow.state(outcome.to_state)
            message = f"{transition.done_label}. The assessment is now {state.label.lower()}."
            if outcome.fired_rules:
                message += " This is because: " + "; ".join(r.label for r in outcome.fired_rules) + "."
            flash(message, "success")
            return redirect(url_for("main.assessment", assessment_id=assessment.id))
    escalation = workflow.escalation_preview(assessment, transition) if transition.escalating_rule_sets else None
    path = assessments.current_path(assessment)
    return render_template(
        "decisions/act.html",
        assessment=assessment,
        transition=transition,
        form=form,
        errors=errors,
        escalation=escalation,
        can_sign_off=definitions_of(assessment).workflow.can_sign_off(transition),
        tasks=[t for t in path.tasks],
        typed=request.form if request.method == "POST" else {},
        # "Enter at least one condition" is shown at the first condition.
        field_errors={
            ("conditions-1-text" if e["field"] == "conditions" else e["field"]): e["text"]
            for e in reversed(errors)
            if "field" in e
        },
        condition_rows=_rows_to_show(assessment, transition),
        max_conditions=workflow.MAX_CONDITIONS,
        still_possible=still_possible,
        # What the author was warned of at submission, the impacts and why it is here: the decision-maker
        # sees them before deciding (Bracking).
        # Not on the author's own steps (submit, withdraw): the summary is for whoever decides on it.
        findings=None if _authors_own_step(transition) else findings.for_assessment(assessment),
        arrived=_how_it_arrived(assessment),
    ), status


def _rows_to_show(assessment, transition) -> list[dict]:
    """The condition rows the form shows: those typed (kept on an error), plus a new one on "Add another"."""
    if not transition.conditions:
        return []
    rows = _condition_rows() if request.method == "POST" else []
    if not rows or ("add_condition" in request.form and len(rows) < workflow.MAX_CONDITIONS):
        rows.append(_default_condition(assessment))
    return rows


def _authors_own_step(transition) -> bool:
    return all(role_can(role, WRITE_ASSESSMENTS) for role in transition.roles)


def _how_it_arrived(assessment):
    """The step that brought the assessment to where it is now (who, when, and the rules that routed it)."""
    trail = decision_trail(assessment)
    return trail[-1] if trail else None


@bp.post("/<id:assessment_id>/comments")
@login_required
def comment(assessment_id: int):
    assessment = visible_or_404(assessment_id)
    form = VersionedForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        comments.add_comment(assessment, current_user, request.form.get("text", ""))
    except NotAllowed:
        abort(403)
    except comments.CommentRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("main.assessment", assessment_id=assessment.id, _anchor="comments"))
    flash("Comment added", "success")
    return redirect(url_for("main.assessment", assessment_id=assessment.id, _anchor="comments"))
