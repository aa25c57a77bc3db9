"""Due Regard: the Equality Impact Assessment workflow engine."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, g
from govuk_frontend_wtf.main import WTFormsHelpers
from werkzeug.routing import IntegerConverter
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from config import BASE_DIR, Config, config_from_environment
from eia.extensions import csrf, db, login_manager, migrate


def create_app(config: type[Config] | None = None, **overrides: Any) -> Flask:
    config = config or config_from_environment()
    app = Flask(__name__, static_url_path="/assets", template_folder=str(BASE_DIR / "templates"))
    app.config.from_object(config)
    app.config.update(overrides)
    config.init_app(app.config)

    _setup_templates(app)
    _setup_extensions(app)
    _load_definitions(app)
    _register_blueprints(app)

    from eia import cli, security
    from eia.web import errors

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
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from eia import models  # noqa: F401  (registers the models with the metadata)
    from eia.services import users

    login_manager.user_loader(users.load_session_user)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from eia.services.database import configure_sqlite

        with app.app_context():
            configure_sqlite(db.engine)


def _load_definitions(app: Flask) -> None:
    """Definitions are data: load and validate them once, at start-up; a bad file stops the app."""
    from eia.services.definitions import load_definitions

    app.extensions["eia.definitions"] = load_definitions(app.config["WORKFLOWS_DIR"])


class IdConverter(IntegerConverter):
    """A database id in a URL: 1 to 2**31 - 1, anything else is simply not found (never a 500)."""

    def __init__(self, url_map) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def _register_blueprints(app: Flask) -> None:
    app.url_map.converters["id"] = IdConverter
    from eia.web import admin, api, auth, decisions, main, queues, questionnaire, tokens

    for blueprint in (auth.bp, main.bp, questionnaire.bp, decisions.bp, queues.bp, admin.bp, tokens.bp, api.bp):
        app.register_blueprint(blueprint)
