"""Error pages: every error is a clear page, never a stack trace."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from eia.services.database import Conflict

API_PREFIX = "/api/"

MESSAGES = {
    400: ("There is a problem with your request", "Go back and try again."),
    403: ("You do not have permission to see this page", "Ask an administrator if you think you should."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("That action is not allowed here", "Use the buttons on the page."),
    409: ("Someone else changed this first", "Go back, refresh the page and try again."),
    413: ("What you sent is too large", "Shorten your answer and try again."),
    429: ("Too many attempts", "Wait a few minutes and try again."),
    500: ("Sorry, there is a problem with the service", "Try again later. Nothing you had saved has been lost."),
    503: ("Sorry, the service is unavailable", "Try again in a few minutes. Nothing you had saved has been lost."),
}


def _render(status: int, detail: str | None = None):
    if request.path.startswith(API_PREFIX):  # the API answers in JSON, never an HTML page
        from eia.web.api import problem_response

        return problem_response(status, detail)
    title, advice = MESSAGES.get(status, MESSAGES[500])
    return render_template("errors/error.html", title=title, advice=advice, detail=detail, status=status), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        # The form's answers are not lost: the browser still has them; say how to recover.
        detail = (
            "Your session expired or the form was out of date, so nothing was saved. "
            "Use your browser's back button: your answers are still in the form. Then sign in again if asked, "
            "and save."
        )
        app.logger.info("CSRF failure on %s: %s", request.path, error.description)
        return _render(400, detail)

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
        app.logger.exception("Unhandled error on %s", request.path)
        return _render(500)
