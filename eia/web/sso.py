"""Single sign-on over OpenID Connect (Authlib): present only when EIA_OIDC_ISSUER is configured.

Every call to the provider (discovery, token, keys, userinfo) waits at most OIDC_TIMEOUT_SECONDS; a
provider that is down, slow or answers nonsense gives the person a clear page (503), never a 500, and
the reason goes to the audit log. A callback that cannot be trusted (forged or replayed state, another
issuer, a token that fails a check) is a 400. Someone the provider identified but who may not sign in
is told why, in words that say what to do.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, flash, redirect, request, session, url_for
from joserfc.errors import JoseError
from requests import ConnectionError as ProviderUnreachable
from requests import HTTPError, RequestException, Timeout

from eia.services import users
from eia.web.auth import SSO_ID_TOKEN, safe_next, sign_in_as, sign_in_page
from eia.web.forms import SignInForm

bp = Blueprint("sso", __name__, url_prefix="/sign-in/sso")

NEXT = "sso_next"
MAX_KEPT_ID_TOKEN = 2000  # characters
# /sign-in/sso?again=mfa: after a refusal for no second factor, make the provider ask again (OIDC Core 3.1.2.1).
AGAIN_WITH_MFA = "mfa"

NOT_COMPLETED = (
    "{provider} did not sign you in, or the sign-in could not be checked. Start again: select Sign in with {provider}"
)
UNAVAILABLE = "{provider} is not responding. Try again in a few minutes"
REFUSALS = {
    users.NO_MULTI_FACTOR: "{provider} did not confirm a second factor: sign in again with multi-factor authentication",
    users.NO_EMAIL: "{provider} did not tell {service} your email address: ask your administrator to check "
    "the single sign-on set-up",
    users.UNKNOWN_EMAIL: "No {service} account uses the email address {email}: ask your administrator",
    users.EMAIL_NOT_VERIFIED: "{provider} has not confirmed that {email} is your email address: ask your "
    "administrator to confirm it, then sign in again",
    users.LINKED_TO_ANOTHER_IDENTITY: "The {service} account for {email} is linked to a different sign-in at "
    "{provider}: sign in with that one, or ask your administrator to unlink it",
    users.ACCOUNT_DISABLED: "Your {service} account has been deactivated: ask your administrator if you still need it",
}


def init_app(app: Flask) -> None:
    if not app.config.get("OIDC_ISSUER"):
        return
    oauth = OAuth(app)
    oauth.register(
        "oidc",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=app.config["OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration",
        # PKCE on top of the client secret; Authlib adds and checks state and nonce itself. Every request
        # Authlib makes to the provider gets the timeout (requests has none by default).
        client_kwargs={
            "scope": app.config["OIDC_SCOPES"],
            "code_challenge_method": "S256",
            "default_timeout": app.config["OIDC_TIMEOUT_SECONDS"],
        },
    )
    app.extensions["eia.oidc"] = oauth.oidc
    app.register_blueprint(bp)


class CallbackRefused(Exception):
    """The provider's answer fails a check of ours (Authlib's own failures are OAuthError and JoseError)."""


def _client():
    return current_app.extensions["eia.oidc"]


def _words(template: str, email: str | None = None) -> str:
    text = template.format(
        provider=current_app.config["OIDC_PROVIDER_NAME"], service=current_app.config["SERVICE_NAME"], email=email or ""
    )
    return text[:1].upper() + text[1:]  # the default provider name, "your organisation account", may start it


def _failure_reason(failure: RequestException, call: str) -> str:
    if isinstance(failure, Timeout):
        return f"identity provider did not answer in time ({call})"
    if isinstance(failure, ProviderUnreachable):
        return f"identity provider could not be reached ({call})"
    if isinstance(failure, HTTPError) and failure.response is not None:
        return f"identity provider answered with an error, HTTP {failure.response.status_code} ({call})"
    return f"identity provider's answer could not be read ({call})"


def _refuse(reason: str, message: str, status: int, *, audited: bool = False, again_with_mfa: bool = False):
    """The sign-in page with ``message``; ``reason`` goes to the audit log (unless already there) and the log."""
    current_app.logger.warning("single sign-on failed: %s", reason)
    if not audited:
        users.record_single_sign_on_failure(reason, client_address=request.remote_addr or "unknown")
    page = sign_in_page(
        SignInForm(),
        [{"text": message, "href": "#sso"}],
        sso_again_with_mfa=again_with_mfa,
        next_page=session.get(NEXT),
    )
    return page, status


@bp.get("")
def start():
    params = {}
    if request.args.get("again") == AGAIN_WITH_MFA:
        # The provider must ask the person again, not return the sign-in it remembers.
        params.update(prompt="login", max_age=0)
    if current_app.config["OIDC_MFA_ACR_VALUES"]:
        params["acr_values"] = " ".join(current_app.config["OIDC_MFA_ACR_VALUES"])
    try:
        # Built from the configured address, not the Host header: it must match what the provider has registered.
        response = _client().authorize_redirect(
            current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(".callback"), **params
        )
    except RequestException as failure:  # the discovery document could not be had
        return _refuse(_failure_reason(failure, "discovery"), _words(UNAVAILABLE), 503)
    except RuntimeError:  # Authlib: the discovery document lacks the authorization endpoint
        return _refuse("identity provider's discovery document is incomplete", _words(UNAVAILABLE), 503)
    session[NEXT] = safe_next(request.args.get("next"))
    return response


def _userinfo(client, token: dict, subject: str) -> dict:
    """The userinfo endpoint's claims (OIDC Core 5.3), which must be about the ID token's subject (5.3.2)."""
    if not client.load_server_metadata().get("userinfo_endpoint"):
        return {}
    claims = dict(client.userinfo(token=token))
    if claims.get("sub") != subject:
        raise CallbackRefused("userinfo is about another subject")
    return claims


@bp.get("/callback")
def callback():
    """The provider sends the browser back here. Authlib checks state (bound to this browser's session),
    PKCE, the ID token's signature against the provider's keys, expiry and nonce; we add the issuer (of the
    response, RFC 9207, and of the token) and the audience, and read userinfo for claims the token lacks."""
    client = _client()
    call = "discovery"
    try:
        metadata = client.load_server_metadata()
        issuer = metadata["issuer"]
        returned_issuer = request.args.get("iss")
        # RFC 9207: a response naming another issuer is a mix-up attack; a provider that promises the
        # parameter must send it. Checked before the code goes anywhere.
        if returned_issuer != issuer and (
            returned_issuer or metadata.get("authorization_response_iss_parameter_supported")
        ):
            return _refuse("callback from another issuer", _words(NOT_COMPLETED), 400)
        if request.args.get("error"):
            return _refuse(
                f"identity provider returned an error: {request.args['error'][:100]}", _words(NOT_COMPLETED), 400
            )
        call = "token"
        token = client.authorize_access_token(
            claims_options={
                "iss": {"essential": True, "value": issuer},
                # Authlib 1.9 checks the audience only when told to (it would accept another client's token
                # naming us in azp): OIDC Core 3.1.3.7 says aud MUST contain our client id.
                "aud": {"essential": True, "value": client.client_id},
                "sub": {"essential": True},
            }
        )
        claims = dict(token.get("userinfo") or {})
        if not claims.get("sub"):
            raise CallbackRefused("no ID token")
        if "email" not in claims or "email_verified" not in claims:
            # OIDC Core 5.4: with the code flow a conformant provider gives the email scope's claims at
            # userinfo, not in the ID token.
            call = "userinfo"
            claims = {**_userinfo(client, token, claims["sub"]), **claims}
    except RequestException as failure:
        return _refuse(_failure_reason(failure, call), _words(UNAVAILABLE), 503)
    except (CallbackRefused, OAuthError, JoseError, ValueError, KeyError, RuntimeError) as refused:
        return _refuse(f"callback refused: {str(refused)[:200]}", _words(NOT_COMPLETED), 400)
    amr, acr = claims.get("amr"), claims.get("acr")
    amr = amr if isinstance(amr, list) else []  # a list of methods (RFC 8176); a string is no proof of anything
    try:
        user = users.sign_in_with_identity(
            issuer=claims["iss"],
            subject=claims["sub"],
            email=claims.get("email"),
            # True or False as the provider said; None if it did not say (see OIDC_TRUSTED_EMAIL_DOMAINS)
            email_verified=claims["email_verified"] is True if "email_verified" in claims else None,
            multi_factor="mfa" in amr or (acr is not None and acr in current_app.config["OIDC_MFA_ACR_VALUES"]),
            client_address=request.remote_addr or "unknown",
            user_agent=request.user_agent.string,
        )
    except users.IdentityRefused as refused:  # audited by the service
        return _refuse(
            refused.reason,
            _words(REFUSALS[refused.reason], refused.email),
            400,
            audited=True,
            again_with_mfa=refused.reason == users.NO_MULTI_FACTOR,
        )
    next_page = session.get(NEXT)
    sign_in_as(user)
    # For the provider's sign-out (Okta requires it). The session lives in a cookie: an ID token swollen by
    # group claims is left out, and the provider's sign-out is then asked with our client id alone.
    if len(token.get("id_token") or "") <= MAX_KEPT_ID_TOKEN:
        session[SSO_ID_TOKEN] = token["id_token"]
    else:
        session[SSO_ID_TOKEN] = ""
    return redirect(next_page or url_for("main.dashboard"))


def end_provider_session(id_token: str):
    """After Due Regard's own sign-out: end the session at the provider too (OpenID Connect RP-Initiated
    Logout), which then sends the browser back to the sign-in page. Providers without it: the sign-in page."""
    sign_in_page_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("auth.sign_in")
    try:
        end_session = _client().load_server_metadata().get("end_session_endpoint")
    except RequestException as failure:
        current_app.logger.warning("provider sign-out skipped: %s", _failure_reason(failure, "discovery"))
        end_session = None
    if end_session and urlsplit(end_session)[:2] != urlsplit(current_app.config["OIDC_ISSUER"])[:2]:
        # The Content-Security-Policy lets the sign-out form lead to the issuer's origin only (eia.security).
        current_app.logger.warning("provider sign-out skipped: its end_session_endpoint is on another origin")
        end_session = None
    if not end_session:
        flash(_words("You are still signed in to {provider}: close the browser to end that too"), "warning")
        return redirect(url_for("auth.sign_in"))
    query = urlencode(
        {
            **({"id_token_hint": id_token} if id_token else {}),
            "post_logout_redirect_uri": sign_in_page_url,
            "client_id": _client().client_id,
        }
    )
    return redirect(f"{end_session}{'&' if '?' in end_session else '?'}{query}")
