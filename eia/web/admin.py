"""Administration pages for one organisation."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from eia.domain.capabilities import ADMINISTER, CAPABILITIES, ROLE_CAPABILITIES
from eia.extensions import db
from eia.models import ROLES, User
from eia.services import admin, api_tokens, second_factor, sessions, users
from eia.services.database import NotAllowed
from eia.services.definitions import current_definitions, library
from eia.web.forms import VersionedForm, require_valid_form
from eia.web.permissions import capability_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _options():
    questionnaire = current_definitions().questionnaire
    extras = [c for c in questionnaire.characteristics.values() if not c.statutory]
    return extras, library().subject_types


def _render(errors=None, typed=None, status=200):
    extras, subject_types = _options()
    people = db.session.scalars(
        select(User).where(User.organisation_id == current_user.organisation_id).order_by(User.name)
    ).all()
    return render_template(
        "admin/index.html",
        people=people,
        roles=ROLES,
        extras=extras,
        subject_types=subject_types,
        organisation=current_user.organisation,
        form=VersionedForm(),
        errors=errors or [],
        # Each error is also shown at the input its summary link points to.
        field_errors={error["href"].removeprefix("#"): {"text": error["text"]} for error in errors or []},
        typed=typed or {},
        still_needs_app=lambda person: second_factor.required_by_role(person) and not person.has_second_factor,
    ), status


@bp.get("/")
@capability_required(ADMINISTER)
def index():
    return _render()


def _typed() -> dict:
    """What was sent, to show again: the roles ticked as a list, the rest as typed."""
    return {**request.form.to_dict(), "roles": request.form.getlist("roles")}


@bp.post("/users")
@capability_required(ADMINISTER)
def create_user():
    require_valid_form()
    department_id = request.form.get("department", "")
    department = next((d for d in current_user.organisation.departments if str(d.id) == department_id), None)
    if department_id and department is None:
        return _render([{"text": "Select a department from the list", "href": "#department"}], _typed(), 400)
    try:
        user = users.create_user(
            email=request.form.get("email", ""),
            name=request.form.get("name", ""),
            roles=request.form.getlist("roles"),
            organisation=current_user.organisation,
            department=department,
            password=request.form.get("password", ""),
            created_by=current_user,
        )
    except users.AccountError as refused:
        return _render([{"text": str(refused), "href": f"#{refused.field}"}], _typed(), 400)
    flash(f"Account created for {user.email}", "success")
    return redirect(url_for(".index"))


@bp.post("/users/<id:user_id>/<any(activate, deactivate):change>")
@capability_required(ADMINISTER)
def set_active(user_id: int, change: str):
    require_valid_form()
    try:
        user = admin.set_user_active(current_user, user_id, change == "activate")
    except NotAllowed:
        abort(404)
    except admin.AdminRefused as refused:
        return _render([{"text": str(refused), "href": "#people"}], status=400)
    flash(f"{user.email} is now {'active' if user.active else 'deactivated; their sessions have ended'}", "success")
    return redirect(url_for(".index"))


def _person_page(person: User, errors=None, status=200):
    return render_template(
        "admin/person.html",
        person=person,
        form=VersionedForm(),
        errors=errors or [],
        field_errors={error["href"].removeprefix("#"): error["text"] for error in errors or []},
        sso_configured="sso" in current_app.blueprints,
        live_sessions=sessions.live_sessions(person),
        tokens=api_tokens.tokens_for(person),
        is_live=api_tokens.is_live,
        asks_for_password=current_user.session_authenticated_by != sessions.BY_SINGLE_SIGN_ON,
        asks_for_code=current_user.has_second_factor
        and current_user.session_authenticated_by != sessions.BY_SINGLE_SIGN_ON,
    ), status


def _administrator_not_confirmed(user_id: int, form_id: str):
    """None when the administrator gave their own password (and a code) again; otherwise the person's page
    with the error. Asked before the actions that could hand someone's account to another."""
    try:
        users.confirm_identity(
            current_user,
            request.form.get("your_password", ""),
            request.form.get("your_code", ""),
            client_address=request.remote_addr or "unknown",
        )
    except users.AccountError as refused:
        try:
            person = admin.person(current_user, user_id)
        except NotAllowed:
            abort(404)
        return _person_page(person, [{"text": str(refused), "href": f"#{form_id}-your-{refused.field}"}], 400)
    return None


def _account_action(user_id: int, act, anchor: str, done):
    """Run an administrator's action on a person's account (``act`` gives what ``done`` words)."""
    require_valid_form()
    try:
        result = act()
    except NotAllowed:
        abort(404)
    except admin.AdminRefused as refused:
        try:
            return _person_page(
                admin.person(current_user, user_id), [{"text": str(refused), "href": f"#{anchor}"}], 400
            )
        except NotAllowed:
            abort(404)
    flash(done(result), "success")
    return redirect(url_for(".person", user_id=user_id))


@bp.post("/users/<id:user_id>/temporary-password")
@capability_required(ADMINISTER)
def set_temporary_password(user_id: int):
    require_valid_form()
    if (refused := _administrator_not_confirmed(user_id, "temporary-password")) is not None:
        return refused
    try:
        user = admin.set_temporary_password(current_user, user_id, request.form.get("password"))
    except NotAllowed:
        abort(404)
    except (admin.AdminRefused, users.AccountError) as refused:
        return _person_page(
            admin.person(current_user, user_id), [{"text": str(refused), "href": "#temporary-password"}], 400
        )
    days = current_app.config["TEMPORARY_PASSWORD_DAYS"]
    flash(
        f"{user.name} has a new temporary password: it works for {days} days, and only to choose their own. "
        "They have been signed out",
        "success",
    )
    return redirect(url_for(".person", user_id=user_id))


@bp.post("/users/<id:user_id>/second-factor/reset")
@capability_required(ADMINISTER)
def reset_second_factor(user_id: int):
    require_valid_form()
    if (refused := _administrator_not_confirmed(user_id, "second-factor")) is not None:
        return refused
    return _account_action(
        user_id,
        lambda: admin.reset_second_factor(current_user, user_id, request.form.get("reason")),
        "second-factor-reason",
        lambda user: f"{user.name}’s authenticator app has been reset and they have been signed out",
    )


@bp.post("/users/<id:user_id>/sessions/end")
@capability_required(ADMINISTER)
def end_sessions(user_id: int):
    return _account_action(
        user_id,
        lambda: admin.end_sessions(current_user, user_id, request.form.get("reason")),
        "sessions-reason",
        lambda ended: f"Signed out of {ended} session{'' if ended == 1 else 's'}",
    )


@bp.post("/users/<id:user_id>/api-tokens/<id:token_id>/revoke")
@capability_required(ADMINISTER)
def revoke_token(user_id: int, token_id: int):
    return _account_action(
        user_id,
        lambda: admin.revoke_token(current_user, user_id, token_id, request.form.get("reason")),
        f"token-{token_id}-reason",
        lambda token: f"Token “{token.name}” revoked: it no longer works",
    )


@bp.get("/users/<id:user_id>")
@capability_required(ADMINISTER)
def person(user_id: int):
    try:
        return _person_page(admin.person(current_user, user_id))
    except NotAllowed:
        abort(404)


@bp.post("/users/<id:user_id>/unlink-identity")
@capability_required(ADMINISTER)
def unlink_identity(user_id: int):
    require_valid_form()
    try:
        user = admin.unlink_identity(current_user, user_id)
    except NotAllowed:
        abort(404)
    except admin.AdminRefused as refused:
        return _person_page(
            admin.person(current_user, user_id), [{"text": str(refused), "href": "#single-sign-on"}], 400
        )
    flash(
        f"{user.email} is no longer linked to a single sign-on identity and has been signed out. The next single "
        "sign-on with this verified email links the account again.",
        "success",
    )
    return redirect(url_for(".person", user_id=user.id))


@bp.route("/users/<id:user_id>/roles", methods=["GET", "POST"])
@capability_required(ADMINISTER)
def roles(user_id: int):
    """Change the roles a person holds: one or more."""
    try:
        person = admin.person(current_user, user_id)
    except NotAllowed:
        abort(404)
    if request.method == "GET":
        return _roles_page(person, sorted(person.roles))
    require_valid_form()
    chosen = request.form.getlist("roles")
    try:
        admin.set_user_roles(current_user, person.id, chosen)
    except NotAllowed:
        abort(404)
    except (users.AccountError, admin.AdminRefused) as refused:
        return _roles_page(person, chosen, [{"text": str(refused), "href": "#roles"}])
    flash(f"{person.name} is now: {person.role_label.lower()}", "success")
    return redirect(url_for(".index"))


def _roles_page(person: User, chosen: list[str], errors: list[dict] | None = None):
    return render_template(
        "admin/roles.html",
        person=person,
        roles=ROLES,
        chosen=chosen,
        capabilities={role: sorted(CAPABILITIES[c] for c in ROLE_CAPABILITIES[role]) for role in ROLES},
        errors=errors or [],
        form=VersionedForm(),
    ), (400 if errors else 200)


@bp.post("/departments")
@capability_required(ADMINISTER)
def add_department():
    require_valid_form()
    try:
        admin.add_department(current_user, request.form.get("department_name", ""))
    except admin.AdminRefused as refused:
        return _render([{"text": str(refused), "href": "#department_name"}], request.form, 400)
    flash("Department added", "success")
    return redirect(url_for(".index"))


@bp.post("/objectives")
@capability_required(ADMINISTER)
def add_objective():
    require_valid_form()
    try:
        admin.add_objective(current_user, request.form.get("code", ""), request.form.get("objective_title", ""))
    except admin.AdminRefused as refused:
        return _render([{"text": str(refused), "href": "#code"}], request.form, 400)
    flash("Objective added", "success")
    return redirect(url_for(".index"))


@bp.post("/settings")
@capability_required(ADMINISTER)
def settings():
    require_valid_form()
    extras, subject_types = _options()
    try:
        admin.update_settings(
            current_user,
            extra_characteristics=request.form.getlist("extra_characteristics"),
            board_subject_types=request.form.getlist("board_subject_types"),
            known_extras={c.id for c in extras},
            known_subject_types={c.value for c in subject_types},
        )
    except admin.AdminRefused as refused:
        return _render([{"text": str(refused), "href": "#extra_characteristics"}], status=400)
    flash("Settings saved. New assessments use them; assessments already started keep theirs.", "success")
    return redirect(url_for(".index"))


@bp.route("/subject-types", methods=["GET", "POST"])
@capability_required(ADMINISTER)
def subject_types():
    kinds = library()
    errors: list[dict[str, str]] = []
    if request.method == "POST":
        require_valid_form()
        chosen = {
            kind.value: (
                request.form.get(f"questionnaire-{kind.value}", ""),
                request.form.get(f"workflow-{kind.value}", ""),
            )
            for kind in kinds.subject_types
        }
        try:
            admin.update_subject_type_routes(current_user, chosen)
        except admin.AdminRefused as refused:
            first = kinds.subject_types[0].value
            errors = [{"text": str(refused), "href": f"#questionnaire-{first}"}]
        else:
            flash("Saved. Assessments started from now on follow these; those already started keep theirs.", "success")
            return redirect(url_for(".index"))
    routes = current_user.organisation.subject_type_routes
    rows = []
    for kind in kinds.subject_types:
        questionnaire, workflow = kinds.route_for(kind, routes)
        rows.append(
            {
                "kind": kind,
                "questionnaires": [
                    {"value": key, "text": document["title"], "selected": key == questionnaire}
                    for key, document in kinds.questionnaires.items()
                ],
                "workflows": [
                    {"value": key, "text": document.get("title", key), "selected": key == workflow}
                    for key, document in kinds.workflows.items()
                ],
            }
        )
    return render_template("admin/subject_types.html", rows=rows, errors=errors), 400 if errors else 200
