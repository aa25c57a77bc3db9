"""The "API tokens" page: each user creates and revokes their own personal access tokens."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from eia.services import api_tokens, sessions, users
from eia.services.database import NotAllowed
from eia.web.forms import VersionedForm, require_valid_form

bp = Blueprint("tokens", __name__, url_prefix="/account/api-tokens")


def _render(*, errors=None, typed=None, created=None, status=200):
    single_sign_on = current_user.session_authenticated_by == sessions.BY_SINGLE_SIGN_ON
    return render_template(
        "account/api_tokens.html",
        tokens=api_tokens.tokens_for(current_user),
        is_live=api_tokens.is_live,
        scopes=api_tokens.SCOPES,
        lifetimes=api_tokens.lifetimes_days(),
        asks_for_code=current_user.has_second_factor and not single_sign_on,
        single_sign_on=single_sign_on,
        reauthentication_minutes=int(current_app.config["REAUTHENTICATION_WINDOW"].total_seconds() // 60),
        form=VersionedForm(),
        errors=errors or [],
        field_errors={e["field"]: e["text"] for e in errors or []},
        typed=typed or {},
        created=created,
    ), status


def _multidict(form, *, drop: tuple[str, ...]):
    """What was typed, to show again, without the secrets."""
    kept = form.copy()
    for key in drop:
        kept.pop(key, None)
    return kept


@bp.get("/")
@login_required
def index():
    return _render()


@bp.post("/")
@login_required
def create():
    require_valid_form()
    lifetime = request.form.get("lifetime", "")
    try:
        # A token acts as its owner for months: the password again (and a code) before one is minted.
        users.confirm_identity(
            current_user,
            request.form.get("password", ""),
            request.form.get("code", ""),
            client_address=request.remote_addr or "unknown",
        )
    except users.AccountError as refused:
        error = {"text": str(refused), "href": f"#{refused.field}", "field": refused.field}
        return _render(errors=[error], typed=_multidict(request.form, drop=("password", "code")), status=400)
    try:
        token, secret = api_tokens.create_token(
            current_user,
            request.form.get("name", ""),
            request.form.getlist("scopes"),
            int(lifetime) if lifetime.isdigit() else None,
        )
    except api_tokens.TokenRefused as refused:
        anchor = {"scopes": "scopes", "lifetime": "lifetime"}.get(refused.field, "name")
        error = {"text": str(refused), "href": f"#{anchor}", "field": refused.field}
        return _render(errors=[error], typed=_multidict(request.form, drop=("password", "code")), status=400)
    # Shown in this response only: it is never stored or shown again.
    return _render(created={"token": token, "secret": secret})


@bp.post("/<id:token_id>/revoke")
@login_required
def revoke(token_id: int):
    require_valid_form()
    try:
        token = api_tokens.revoke_token(current_user, token_id)
    except NotAllowed:
        abort(404)
    flash(f"Token “{token.name}” revoked: it no longer works", "success")
    return redirect(url_for(".index"))
