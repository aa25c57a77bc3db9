"""Sign in and sign out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from eia.services import users
from eia.web.forms import SignInForm

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = "Enter a correct email address and password"


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = SignInForm()
    errors = []
    status = 200
    if form.validate_on_submit():
        user = users.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            session.clear()  # a fresh session at sign-in: no fixation
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.dashboard"))
        # One generic message: it must not reveal whether the account exists.
        form.email.errors = [SIGN_IN_FAILED]
        errors = [{"text": SIGN_IN_FAILED, "href": "#email"}]
        status = 400
    elif request.method == "POST":
        status = 400
        errors = [{"text": SIGN_IN_FAILED, "href": "#email"}]
        form.email.errors = [SIGN_IN_FAILED]
    return render_template("auth/sign_in.html", form=form, errors=errors), status


@bp.post("/sign-out")
@login_required
def sign_out():
    users.record_sign_out(current_user)
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    return redirect(url_for("auth.sign_in"))
