"""Single sign-on over OpenID Connect (Authlib): present only when EIA_OIDC_ISSUER is configured."""

from __future__ import annotations

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, redirect, request, url_for
from joserfc.errors import JoseError
from requests import RequestException

from eia.services import users
from eia.web.auth import sign_in_as, sign_in_page
from eia.web.forms import SignInForm

bp = Blueprint("sso", __name__, url_prefix="/sign-in/sso")

SSO_FAILED = "Single sign-on did not sign you in. Try again, or ask an administrator to check your account"


def init_app(app: Flask) -> None:
    if not app.config.get("OIDC_ISSUER"):
        return
    oauth = OAuth(app)
    oauth.register(
        "oidc",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=app.config["OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration",
        # PKCE on top of the client secret; Authlib adds and checks state and nonce itself.
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )
    app.extensions["eia.oidc"] = oauth.oidc
    app.register_blueprint(bp)


def _client():
    return current_app.extensions["eia.oidc"]


@bp.get("")
def start():
    # Built from the configured address, not the Host header: it must match what the provider has registered.
    return _client().authorize_redirect(current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(".callback"))


@bp.get("/callback")
def callback():
    """The provider sends the browser back here. Authlib checks state (bound to this browser's session),
    PKCE, the ID token's signature against the provider's keys, expiry and nonce; we add issuer and audience."""
    client = _client()
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
            email_verified=claims.get("email_verified") is True, multi_factor="mfa" in (claims.get("amr") or []),
            client_address=request.remote_addr or "unknown", user_agent=request.user_agent.string)
    if user is None:
        return sign_in_page(SignInForm(), [{"text": SSO_FAILED, "href": "#sso"}]), 400
    sign_in_as(user)
    return redirect(url_for("main.dashboard"))
