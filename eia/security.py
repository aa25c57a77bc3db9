"""Security headers on every response, errors and downloads included."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, g, request


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def init_app(app: Flask) -> None:
    # Signing out after single sign-on is a form whose answer redirects to the provider's sign-out page
    # (RP-initiated logout), and form-action governs that redirect too: the provider's origin is allowed.
    form_action = " ".join(["'self'", *([_origin(app.config["OIDC_ISSUER"])] if app.config.get("OIDC_ISSUER") else [])])

    @app.after_request
    def _headers(response: Response) -> Response:
        nonce = g.get("csp_nonce", "")
        # No inline script except the template's one js-enabled line, which carries the nonce.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            f"object-src 'none'; base-uri 'none'; form-action {form_action}; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if not request.path.startswith(app.static_url_path or "/assets") and not g.get("public_cacheable"):
            # Pages show personal and OFFICIAL data: never cache them anywhere (the public register's
            # pages, the same for everyone, say what may be cached: eia.web.public).
            response.headers["Cache-Control"] = "no-store"
        return response
