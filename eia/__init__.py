"""Due Regard: the Equality Impact Assessment workflow engine."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Request, g
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy.engine import make_url
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter

from config import BASE_DIR, Config, config_from_environment
from eia.extensions import csrf, db, login_manager, migrate


class _FormParser(FormDataParser):
    """Form bytes that are not UTF-8 become U+FFFD, which validation then refuses by field name.
    werkzeug would otherwise empty the whole form (raw bytes: a misleading CSRF failure) or keep
    percent-encoded bytes as the literal text "%FF", which would be stored as if typed."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        body = stream.read().decode("utf-8", "replace")
        return stream, self.cls(parse_qsl(body, keep_blank_values=True, errors="replace")), self.cls()


class _Request(Request):
    form_data_parser_class = _FormParser


def create_app(config: type[Config] | None = None, **overrides: Any) -> Flask:
    config = config or config_from_environment()
    app = Flask(__name__, static_url_path="/assets", template_folder=str(BASE_DIR / "templates"))
    app.request_class = _Request
    app.config.from_object(config)
    app.config.update(overrides)
    config.init_app(app.config)

    _setup_templates(app)
    _setup_extensions(app)
    _load_definitions(app)
    _register_blueprints(app)

    from eia import cli, security
    from eia.web import errors

    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind a proxy every client would otherwise share its address (and sign-in throttle).
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app


def _setup_templates(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(BASE_DIR / "templates")),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    WTFormsHelpers(app)

    from eia.web import template_helpers

    template_helpers.init_app(app)

    @app.before_request
    def _csp_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)


def _setup_extensions(app: Flask) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
        connect_args = dict(options.get("connect_args", {}))
        # Set per connection at connect time (a SET inside a transaction would be rolled back with it),
        # added to any server options the URL or the engine options already give (e.g. search_path).
        given = [make_url(app.config["SQLALCHEMY_DATABASE_URI"]).query.get("options"), connect_args.get("options")]
        given = [part for value in given if value for part in ([value] if isinstance(value, str) else value)]
        connect_args["options"] = " ".join([*given, f"-c lock_timeout={int(app.config['DATABASE_LOCK_TIMEOUT_MS'])}"])
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from eia import models  # noqa: F401  (registers the models with the metadata)
    from eia.services import sessions

    login_manager.user_loader(sessions.load)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from eia.services.database import configure_sqlite

        with app.app_context():
            configure_sqlite(db.engine, busy_timeout_ms=int(app.config["DATABASE_LOCK_TIMEOUT_MS"]))


def _load_definitions(app: Flask) -> None:
    """Definitions are data: load and validate them once, at start-up; a bad file stops the app."""
    from eia.services.definitions import load_library

    app.extensions["eia.definitions"] = load_library(app.config["WORKFLOWS_DIR"])


class IdConverter(IntegerConverter):
    """A database id in a URL: 1 to 2**31 - 1, anything else is simply not found (never a 500)."""

    def __init__(self, url_map) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def _register_blueprints(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    from eia.web import (
        account,
        admin,
        api,
        archive,
        auth,
        compliance,
        decisions,
        lifecycle,
        main,
        policy_register,
        public,
        publishing,
        question_comments,
        questionnaire,
        queues,
        sso,
        tokens,
    )

    for blueprint in (
        auth.bp,
        main.bp,
        questionnaire.bp,
        decisions.bp,
        question_comments.bp,
        queues.bp,
        admin.bp,
        lifecycle.bp,
        compliance.bp,
        archive.bp,
        tokens.bp,
        account.bp,
        policy_register.bp,
        api.bp,
        publishing.bp,
        public.bp,
    ):
        app.register_blueprint(blueprint)
    sso.init_app(app)
    public.init_app(app)
