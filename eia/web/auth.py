"""Sign in with a password, sign out and change password (single sign-on: eia.web.sso)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from eia.services import second_factor, users
from eia.web.forms import ChangePasswordForm, SecondFactorForm, SignInForm

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = "Enter a correct email address and password"
TOO_MANY_ATTEMPTS = "There have been too many attempts to sign in. Wait {wait} and try again"
TEMPORARY_PASSWORD_EXPIRED = "Your temporary password has expired: ask an administrator for a new one"
# A browser that has signed in to an account carries this signed cookie (the account's email) from then
# on, even after signing out: the account's failure count does not hold it back (eia.services.users).
KNOWN_DEVICE_COOKIE = "known_device"
# The ID token of a single sign-on, kept in the session for the provider's sign-out (its id_token_hint).
SSO_ID_TOKEN = "sso_id_token"
PASSWORD_CLOSED = (
    "Sign in with {provider}: only emergency (break-glass) accounts named by your administrator "
    "can sign in with a password"
)


# A password accepted, the code not yet given: who, since when and where they were going. Kept in the
# signed session cookie for a few minutes only; the code's failures are counted in the database.
PENDING_SIGN_IN = "pending_sign_in"
PENDING_SIGN_IN_SECONDS = 300
WRONG_CODE = second_factor.WRONG_CODE
CODE_STEP_EXPIRED = "Your sign-in took too long: enter your email address and password again"


def _wait_words(wait) -> str:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    if seconds < 90:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minutes"


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def _cookie_name() -> str:
    # Under HTTPS the __Host- prefix binds it to this host, as the session cookie is.
    return ("__Host-" if current_app.config.get("SESSION_COOKIE_SECURE") else "") + KNOWN_DEVICE_COOKIE


def is_known_device(email: str) -> bool:
    value = request.cookies.get(_cookie_name())
    if not value or not email:
        return False
    try:
        known = _device_signer().loads(value, max_age=current_app.config["KNOWN_DEVICE_DAYS"] * 86400)
    except BadSignature:
        return False
    return known == users.normalise_email(email)


def remember_device(response, email: str):
    response.set_cookie(
        _cookie_name(),
        _device_signer().dumps(users.normalise_email(email)),
        max_age=current_app.config["KNOWN_DEVICE_DAYS"] * 86400,
        path="/",
        httponly=True,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        samesite="Lax",
    )
    return response


def safe_next(target: str | None) -> str | None:
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
    if request.method == "GET":
        return sign_in_page(form)
    message, status = SIGN_IN_FAILED, 400
    if form.validate_on_submit():
        try:
            user = users.authenticate(
                form.email.data or "",
                form.password.data or "",
                client_address=request.remote_addr or "unknown",
                user_agent=request.user_agent.string,
                known_device=is_known_device(form.email.data or ""),
            )
        except users.TooManyAttempts as throttled:
            message, status = TOO_MANY_ATTEMPTS.format(wait=_wait_words(throttled.wait)), 429
        except users.PasswordSignInClosed:
            message = PASSWORD_CLOSED.format(provider=current_app.config["OIDC_PROVIDER_NAME"])
        except users.TemporaryPasswordExpired:
            message = TEMPORARY_PASSWORD_EXPIRED
        except users.SecondFactorNeeded as needed:
            session.clear()
            session[PENDING_SIGN_IN] = {
                "user_id": needed.user.id,
                "since": int(time.time()),
                "next": safe_next(request.args.get("next")),
                "known_device": is_known_device(needed.user.email),
            }
            return redirect(url_for("auth.sign_in_code"))
        else:
            if user is not None:
                sign_in_as(user)
                return remember_device(
                    redirect(safe_next(request.args.get("next")) or url_for("main.dashboard")), user.email
                )
    # One generic message: it must not reveal whether the account exists.
    form.email.errors = [message]
    return sign_in_page(form, [{"text": message, "href": "#email"}]), status


def _pending_sign_in() -> dict | None:
    pending = session.get(PENDING_SIGN_IN)
    if not isinstance(pending, dict) or time.time() - pending.get("since", 0) > PENDING_SIGN_IN_SECONDS:
        return None
    return pending


@bp.route("/sign-in/code", methods=["GET", "POST"])
def sign_in_code():
    """The second step of a password sign-in: the code from the authenticator app, or a recovery code."""
    pending = _pending_sign_in()
    if pending is None:  # never started, or too long ago: the password first
        session.pop(PENDING_SIGN_IN, None)
        return render_template("auth/sign_in_code_expired.html", message=CODE_STEP_EXPIRED)
    form = SecondFactorForm()
    if request.method == "GET":
        return render_template("auth/sign_in_code.html", form=form, errors=[])
    message, status = WRONG_CODE, 400
    if form.validate_on_submit():
        try:
            user = users.complete_sign_in(
                pending["user_id"],
                form.code.data or "",
                client_address=request.remote_addr or "unknown",
                user_agent=request.user_agent.string,
                known_device=pending.get("known_device", False),
            )
        except users.TooManyAttempts as throttled:
            message, status = TOO_MANY_ATTEMPTS.format(wait=_wait_words(throttled.wait)), 429
        else:
            if user is not None:
                sign_in_as(user)
                return remember_device(redirect(pending.get("next") or url_for("main.dashboard")), user.email)
    form.code.errors = [message]
    return render_template("auth/sign_in_code.html", form=form, errors=[{"text": message, "href": "#code"}]), status


def sign_in_page(form, errors=(), *, sso_again_with_mfa=False, next_page=None):
    """The sign-in page; shown by single sign-on too, at its own address, when it refuses someone."""
    sso_name = current_app.config["OIDC_PROVIDER_NAME"] if "sso" in current_app.blueprints else None
    # The page the person was going to goes through single sign-on and the password form alike.
    next_args = {"next": next_page} if (next_page := next_page or safe_next(request.args.get("next"))) else {}
    sso_args = {**next_args, **({"again": "mfa"} if sso_again_with_mfa else {})}
    return render_template(
        "auth/sign_in.html",
        form=form,
        errors=list(errors),
        sso_name=sso_name,
        sso_args=sso_args,
        sso_again_with_mfa=sso_again_with_mfa,
        form_action=None if request.endpoint == "auth.sign_in" else url_for("auth.sign_in", **next_args),
    )


def sign_in_as(user):
    session.clear()  # a fresh cookie and a fresh server-side session at sign-in: no fixation
    login_user(user)


@bp.post("/sign-out")
@login_required
def sign_out():
    id_token = session.get(SSO_ID_TOKEN)  # None: not signed in through the provider; "" signed in, token too big
    users.sign_out(current_user)
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    if id_token is not None and "sso" in current_app.blueprints:
        from eia.web.sso import end_provider_session  # sso builds on this module

        return end_provider_session(id_token)
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            ended = users.change_password(current_user, form.current_password.data or "", form.new_password.data or "")
        except users.AccountError as refused:
            form[refused.field].errors = [str(refused)]
        else:
            flash(
                "Your password has been changed" + (" and you have been signed out everywhere else" if ended else ""),
                "success",
            )
            return redirect(url_for("main.dashboard"))
    errors = [{"text": message, "href": f"#{field.id}"} for field in form if field.errors for message in field.errors]
    page = render_template(
        "auth/change_password.html",
        form=form,
        errors=errors,
        min_length=users.MIN_PASSWORD_LENGTH,
        temporary=current_user.password_temporary_until is not None,
    )
    return page, 400 if errors else 200
