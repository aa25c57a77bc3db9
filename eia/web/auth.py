"""Sign in, sign out and change password."""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.integrations.base_client import OAuthError
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from joserfc.errors import JoseError
from requests import RequestException

from eia.services import users
from eia.web.forms import ChangePasswordForm, SignInForm

bp = Blueprint("auth", __name__)

SIGN_IN_FAILED = "Enter a correct email address and password"
TOO_MANY_ATTEMPTS = "There have been too many attempts to sign in. Wait 15 minutes and try again"
SSO_FAILED = "Single sign-on did not sign you in. Try again, or ask an administrator to check your account"


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
    if request.method == "GET":
        return _sign_in_page(form)
    message, status = SIGN_IN_FAILED, 400
    if form.validate_on_submit():
        try:
            user = users.authenticate(form.email.data or "", form.password.data or "",
                                      client_address=request.remote_addr or "unknown",
                                      user_agent=request.user_agent.string)
        except users.TooManyAttempts:
            message, status = TOO_MANY_ATTEMPTS, 429
        else:
            if user is not None:
                _sign_in_as(user)
                return redirect(_safe_next(request.args.get("next")) or url_for("main.dashboard"))
    # One generic message: it must not reveal whether the account exists.
    form.email.errors = [message]
    return _sign_in_page(form, [{"text": message, "href": "#email"}]), status


def _sign_in_page(form, errors=()):
    return render_template("auth/sign_in.html", form=form, errors=list(errors),
                           sso_name=current_app.config["OIDC_PROVIDER_NAME"] if _sso_client() else None)


def _sso_client():
    return current_app.extensions.get("eia.oidc")


def _sign_in_as(user):
    session.clear()  # a fresh cookie and a fresh server-side session at sign-in: no fixation
    login_user(user)


@bp.get("/sign-in/sso")
def sso_start():
    client = _sso_client() or abort(404)
    # Built from the configured address, not the Host header: it must match what the provider has registered.
    return client.authorize_redirect(current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(".sso_callback"))


@bp.get("/sign-in/sso/callback")
def sso_callback():
    """The provider sends the browser back here. Authlib checks state (bound to this browser's session),
    PKCE, the ID token's signature against the provider's keys, expiry and nonce; we add issuer and audience."""
    client = _sso_client() or abort(404)
    claims = None
    try:
        issuer = client.load_server_metadata()["issuer"]
        claims = client.authorize_access_token(claims_options={
            "iss": {"essential": True, "value": issuer},
            # Authlib 1.9 checks the audience only when told to (it would accept another client's token
            # naming us in azp): OIDC Core 3.1.3.7 says aud MUST contain our client id.
            "aud": {"essential": True, "value": client.client_id},
            "sub": {"essential": True},
        }).get("userinfo")
    except (OAuthError, JoseError, RequestException, ValueError) as refused:
        current_app.logger.warning("single sign-on refused: %s %s", type(refused).__name__, refused)
    user = None
    if claims and claims.get("iss") and claims.get("sub"):
        user = users.sign_in_with_identity(
            issuer=claims["iss"], subject=claims["sub"], email=claims.get("email"),
            email_verified=claims.get("email_verified") is True,
            client_address=request.remote_addr or "unknown", user_agent=request.user_agent.string)
    if user is None:
        return _sign_in_page(SignInForm(), [{"text": SSO_FAILED, "href": "#sso"}]), 400
    _sign_in_as(user)
    return redirect(url_for("main.dashboard"))


@bp.post("/sign-out")
@login_required
def sign_out():
    users.sign_out(current_user)
    logout_user()
    session.clear()
    flash("You have signed out", "success")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            ended = users.change_password(current_user, form.current_password.data or "", form.new_password.data or "")
        except users.AccountError as refused:
            wrong_field = form.current_password if str(refused) == users.WRONG_CURRENT_PASSWORD else form.new_password
            wrong_field.errors = [str(refused)]
        else:
            flash("Your password has been changed" + (" and you have been signed out everywhere else" if ended else ""),
                  "success")
            return redirect(url_for("main.dashboard"))
    errors = [{"text": message, "href": f"#{field.id}"} for field in form if field.errors for message in field.errors]
    page = render_template("auth/change_password.html", form=form, errors=errors, min_length=users.MIN_PASSWORD_LENGTH)
    return page, 400 if errors else 200
