"""Error pages: every error is a clear page, never a stack trace."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, flash, g, make_response, redirect, render_template, request
from flask_login import current_user, login_url
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from eia.extensions import db, login_manager
from eia.services.database import Conflict

API_PREFIX = "/api/"

MESSAGES = {
    400: ("There is a problem with your request", "Go back and try again."),
    401: ("You have been signed out", "Sign in to continue."),
    403: ("You do not have permission to see this page", "Ask an administrator if you think you should."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("That action is not allowed here", "Use the buttons on the page."),
    409: ("Someone else changed this first", "Go back, refresh the page and try again."),
    413: ("What you sent is too large", "Shorten your answer and try again."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: ("Sorry, there is a problem with the service", "Try again later. Nothing you had saved has been lost."),
    503: ("Sorry, the service is unavailable", "Try again in a few minutes. Nothing you had saved has been lost."),
}


def _render(status: int, detail: str | None = None, **context):
    if request.path.startswith(API_PREFIX):  # the API answers in JSON, never an HTML page
        from eia.web.api import problem_response

        return problem_response(status, detail)
    title, advice = MESSAGES.get(status, MESSAGES[500])
    page = render_template("errors/error.html", title=title, advice=advice, detail=detail, status=status, **context)
    return page, status


def _typed_fields() -> list[tuple[str, str]]:
    """What the user sent, to send again: every field but the old CSRF token and any password."""
    if request.method != "POST":
        return []
    return [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name != "csrf_token" and "password" not in name.lower()
    ]


CSRF_FAILED = (
    "Your answers have not been saved yet because this page was open for a long time or you signed in again "
    "since. Check them below and save again."
)
SIGNED_OUT_DETAIL = (
    "Your session ended (after a while without activity, or because you signed out elsewhere), so what you "
    "just sent has not been saved. It is kept on this page: sign in again in a new tab, then come back here "
    "and select Try again."
)
UNAVAILABLE_DETAIL = (
    "What you just sent has not been saved. It is kept on this page: select Try again to send it again."
)


def redisplays_on_csrf_failure(view: Callable) -> Callable:
    """Mark a form view that, when its CSRF token is refused, can show the form again with what the user
    typed: it is called again with ``csrf_failed()`` true, and must then save nothing."""
    view.redisplays_on_csrf_failure = True
    return view


def csrf_failed() -> bool:
    return g.get("csrf_failed", False)


def init_app(app: Flask) -> None:
    @login_manager.unauthorized_handler
    def signed_out():
        typed = _typed_fields()
        if typed:  # a form sent after the session ended: keep it rather than redirect it away
            return _render(401, SIGNED_OUT_DETAIL, typed=typed, sign_in_first=True)
        flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(login_url(login_manager.login_view, next_url=request.url))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        app.logger.info("CSRF failure on %r: %s", request.path, error.description)  # %r: no log injection
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "redisplays_on_csrf_failure", False) and current_user.is_authenticated:
            # The view runs with all its access checks, shows the typed input and a fresh token, saves nothing.
            g.csrf_failed = True
            try:
                return view(**(request.view_args or {}))
            except HTTPException as refused:  # e.g. the wrong role: the same answer as without the token
                return _render(refused.code or 500)
        detail = (
            "Your session expired or the form was out of date, so nothing was saved. "
            "Use your browser's back button: your answers are still in the form. Then sign in again if asked, "
            "and save."
        )
        return _render(400, detail)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error: Exception):
        # The database is down, unreachable or locked: the transaction is rolled back (nothing half
        # saved, no audit event without its change) and the page is drawn without touching it.
        app.logger.warning("database unavailable on %r: %s", request.path, type(getattr(error, "orig", error)).__name__)
        try:
            db.session.rollback()
        except (OperationalError, InterfaceError):
            pass  # the connection is gone; the pool replaces it on the next request
        g._login_user = login_manager.anonymous_user()  # Flask-Login's cache: no user lookup while drawing
        typed = _typed_fields()
        response = make_response(_render(503, UNAVAILABLE_DETAIL if typed else None, typed=typed))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Conflict)
    def conflict(_error: Conflict):
        return _render(409)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return _render(error.code or 500, error.description if request.path.startswith(API_PREFIX) else None)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if app.testing:
            raise error  # a test must see the real failure, not a friendly page
        app.logger.exception("Unhandled error on %r", request.path)
        return _render(500)
