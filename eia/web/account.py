"""Your account: the second factor (authenticator app and recovery codes) and your signed-in sessions.

Someone signed in with a temporary password, or who must use a second factor and signed in with a
password alone, can reach only the page that puts it right (and sign out) until it is done: see
``account_first``.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from eia.services import accounts, second_factor, sessions, users
from eia.web.forms import SecondFactorForm, VersionedForm, require_valid_form

bp = Blueprint("account", __name__, url_prefix="/account")

# What a person who still has to change a temporary password or set up their second factor may reach.
ALLOWED_BEFORE_SETUP = {"account.authenticator_app", "auth.change_password", "auth.sign_out", "static"}


@bp.before_app_request
def account_first():
    """A temporary password changed, then the second factor set up, before anything else."""
    if request.blueprint == "api" or request.endpoint in ALLOWED_BEFORE_SETUP or not current_user.is_authenticated:
        return None
    if (
        current_user.password_temporary_until is not None
        and current_user.session_authenticated_by != sessions.BY_SINGLE_SIGN_ON
    ):
        return redirect(url_for("auth.change_password"))
    if second_factor.setup_needed(current_user):
        return redirect(url_for("account.authenticator_app"))
    return None


@bp.get("/")
@login_required
def index():
    return render_template(
        "account/index.html",
        has_second_factor=current_user.has_second_factor,
        second_factor_required=second_factor.required(current_user),
        session_count=len(sessions.live_sessions(current_user)),
    )


@bp.route("/second-factor", methods=["GET", "POST"])
@login_required
def authenticator_app():
    if current_user.has_second_factor:
        return _manage_page()
    form = SecondFactorForm()
    errors = []
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            codes = second_factor.enable(current_user, form.code.data or "")
        except second_factor.CodeRefused as refused:
            form.code.errors = [str(refused)]
            errors = [{"text": str(refused), "href": "#code"}]
        else:
            return render_template("account/recovery_codes.html", codes=codes, first_time=True)
    secret = second_factor.setup_secret(current_user)
    uri = second_factor.setup_uri(current_user, secret)
    page = render_template(
        "account/second_factor_setup.html",
        form=form,
        errors=errors,
        secret=secret,
        qr_code=second_factor.qr_code_svg(uri),
        required=second_factor.setup_needed(current_user),
    )
    return page, 400 if errors else 200


def _manage_page(errors=None, field_errors=None, status=200):
    return render_template(
        "account/second_factor.html",
        form=VersionedForm(),
        errors=errors or [],
        field_errors=field_errors or {},
        codes_left=second_factor.recovery_codes_left(current_user),
        required=second_factor.required_by_role(current_user),
    ), status


def _reauthenticated(form_id: str):
    """None when the password (and a code) given again are right; the page with the error otherwise."""
    try:
        users.confirm_identity(
            current_user,
            request.form.get("password", ""),
            request.form.get("code", ""),
            client_address=request.remote_addr or "unknown",
        )
    except users.AccountError as refused:
        field = f"{form_id}-{refused.field}"
        return _manage_page([{"text": str(refused), "href": f"#{field}"}], {field: str(refused)}, 400)
    return None


@bp.post("/second-factor/recovery-codes")
@login_required
def new_recovery_codes():
    """New recovery codes, after the password again (a borrowed unlocked screen is not enough)."""
    require_valid_form()
    if (refused := _reauthenticated("new-codes")) is not None:
        return refused
    codes = second_factor.new_recovery_codes(current_user)
    return render_template("account/recovery_codes.html", codes=codes, first_time=False)


@bp.post("/second-factor/turn-off")
@login_required
def turn_off_authenticator_app():
    require_valid_form()
    if (refused := _reauthenticated("turn-off")) is not None:
        return refused
    try:
        second_factor.turn_off(current_user)
    except second_factor.StillRequired:
        abort(403)  # the page offers no such button to them
    flash("Your authenticator app is turned off: you sign in with your password alone", "success")
    return redirect(url_for(".index"))


@bp.get("/sessions")
@login_required
def sessions_page():
    rows = sessions.live_sessions(current_user)
    return render_template(
        "account/sessions.html",
        rows=rows,
        form=VersionedForm(),
        is_current=lambda row: sessions.is_current(row, current_user),
    )


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions():
    require_valid_form()
    ended = accounts.end_other_sessions(current_user)
    flash(
        f"You have been signed out on {ended} other device{'s' if ended != 1 else ''}"
        if ended
        else "You were not signed in anywhere else",
        "success",
    )
    return redirect(url_for(".sessions_page"))


@bp.post("/sessions/<session_id>/end")
@login_required
def end_session(session_id: str):
    require_valid_form()
    if len(session_id) != 64 or not accounts.end_session(current_user, session_id):
        abort(404)
    flash("That device has been signed out", "success")
    return redirect(url_for(".sessions_page"))
