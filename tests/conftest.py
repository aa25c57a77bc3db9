"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set), app and client factories, and the page checker."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text


def _database_of_this_worker() -> None:
    """Under pytest-xdist each worker gets a PostgreSQL database of its own (``test_gw0``, ...), made
    here before config.py reads TEST_DATABASE_URL; on SQLite every test has its own file already."""
    url, worker = os.environ.get("TEST_DATABASE_URL"), os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return
    server, name = url.rsplit("/", 1)
    worker_name = f"{name}_{worker}"
    engine = create_engine(
        f"{server}/{name}".replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": worker_name}):
            connection.execute(text(f'CREATE DATABASE "{worker_name}"'))
    engine.dispose()
    os.environ["TEST_DATABASE_URL"] = f"{server}/{worker_name}"


_database_of_this_worker()

from config import TestConfig  # noqa: E402  (reads TEST_DATABASE_URL, set per worker above)
from tests.timestamping import timestamp_authority, tsa  # noqa: E402, F401  (fixtures: a local RFC 3161 responder)

FAST_PASSWORD_HASHING = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
PASSWORD = "correct horse battery staple"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_report_header(config):
    return (
        f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite (set TEST_DATABASE_URL for PostgreSQL)'}"
    )


def _make_app(database_uri: str, instance_dir: Path, **overrides):
    from eia import create_app

    settings = {
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "INSTANCE_DIR": instance_dir,
        "ARCHIVE_DIR": instance_dir / "archive",
        "PASSWORD_HASH_PARAMS": FAST_PASSWORD_HASHING,
    }
    return create_app(TestConfig, **{**settings, **overrides})


def _migrate(app) -> None:
    from flask_migrate import upgrade

    from eia.extensions import db

    with app.app_context():
        upgrade()
        db.engine.dispose()  # closing the last connection checkpoints SQLite's WAL into the file


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> str:
    """A database at the newest migration: built once per run, copied or cleaned per test."""
    instance = tmp_path_factory.mktemp("template-instance")
    if POSTGRES_URL:
        _reset_postgres(POSTGRES_URL)
        _migrate(_make_app(TestConfig.SQLALCHEMY_DATABASE_URI, instance))
        return TestConfig.SQLALCHEMY_DATABASE_URI
    template = instance / "template.db"
    _migrate(_make_app(f"sqlite:///{template}", instance))
    return str(template)


def _truncate_all(app) -> None:
    from eia.extensions import db

    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        # As the owner: the audit log and the archive refuse TRUNCATE from anyone else (eia.services.append_only).
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.engine.dispose()


@pytest.fixture
def make_app(migrated_database, tmp_path):
    """Build an app on this test's database; extra config as keyword arguments."""
    apps = []

    def factory(**overrides):
        if POSTGRES_URL:
            uri = migrated_database
        else:
            database = tmp_path / "eia.db"
            if not database.exists():
                shutil.copyfile(migrated_database, database)
            uri = f"sqlite:///{database}"
        app = _make_app(uri, tmp_path, **overrides)
        apps.append(app)
        return app

    yield factory
    if POSTGRES_URL and apps:
        _truncate_all(apps[0])
    for app in apps:
        with app.app_context():
            from eia.extensions import db

            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture(scope="session")
def seeded_database(migrated_database, tmp_path_factory) -> str | None:
    """On SQLite, the migrated database with the demo seeded, built once per run and copied for each test
    that asks for the demo: seeding hashes a password for every demo user. None on PostgreSQL."""
    if POSTGRES_URL:
        return None
    from eia.extensions import db
    from eia.services.demo import seed

    instance = tmp_path_factory.mktemp("seeded-instance")
    seeded = instance / "seeded.db"
    shutil.copyfile(migrated_database, seeded)
    app = _make_app(f"sqlite:///{seeded}", instance)
    with app.app_context():
        seed(PASSWORD)
        db.engine.dispose()
    return str(seeded)


@pytest.fixture
def demo(app, seeded_database, tmp_path):
    """The demo organisations and users (see eia.services.demo)."""
    from eia.extensions import db
    from eia.services.demo import seed

    database = tmp_path / "eia.db"
    if seeded_database and app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{database}":
        with app.app_context():
            db.engine.dispose()  # no connection may hold the file while it is replaced
        shutil.copyfile(seeded_database, database)
        return app
    with app.app_context():
        seed(PASSWORD)
    return app


def signed_in(app, email: str):
    """A page client for ``app``, signed in as ``email`` with the test password."""
    from tests.pages import PageClient

    client = PageClient(app.test_client())
    client.sign_in(email, PASSWORD)
    return client


@pytest.fixture
def client_for(demo):
    """A signed-in test client for a demo user: ``client_for("author@example.org")``."""
    return lambda email: signed_in(demo, email)


@pytest.fixture
def anonymous(demo):
    from tests.pages import PageClient

    return PageClient(demo.test_client())


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free local port; yields (port, list of received email.message.Message)."""
    import email
    import socket

    from aiosmtpd.controller import Controller

    received: list = []

    class Collect:
        async def handle_DATA(self, server, session, envelope):
            received.append(email.message_from_bytes(envelope.content))
            return "250 Message accepted for delivery"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests skip on SQLite; browser tests run last: Playwright's sync API keeps an event
    loop running in the main thread from the first browser test to the end of the session, and signing
    (pyHanko) calls asyncio.run."""
    if not POSTGRES_URL:
        skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL")
        for item in items:
            if "postgres_only" in item.keywords:
                item.add_marker(skip)
    items.sort(key=lambda item: "browser" in item.path.parts)
