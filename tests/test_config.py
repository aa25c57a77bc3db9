"""Configuration: production refuses to start unsafely."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigurationError, DevelopmentConfig, ProductionConfig, TestConfig, _database_url


def test_production_refuses_to_start_without_secret_key_and_database(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError) as refused:
        ProductionConfig.init_app({"SECRET_KEY": None})
    assert "SECRET_KEY must be set" in str(refused.value) and "DATABASE_URL must be set" in str(refused.value)


POSTGRES = "postgresql+psycopg://db/eia"


def test_production_refuses_a_short_secret_key():
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        ProductionConfig.init_app({"SECRET_KEY": "short", "SQLALCHEMY_DATABASE_URI": POSTGRES})
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        ProductionConfig.init_app({"SECRET_KEY": " " * 40, "SQLALCHEMY_DATABASE_URI": POSTGRES})
    ProductionConfig.init_app({"SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": POSTGRES})  # and accepts a proper one


@pytest.mark.parametrize("database", [None, "", "  ", "sqlite:///instance/eia.db", "sqlite://"])
def test_production_refuses_no_database_or_sqlite(database):
    with pytest.raises(ConfigurationError) as refused:
        ProductionConfig.init_app({"SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": database})
    assert str(refused.value) == (
        "Refusing to start in production: DATABASE_URL must be set to a PostgreSQL URL "
        "(e.g. postgresql://user@host/eia), not SQLite, which is for development only"
    )


def test_the_production_app_does_not_start_on_sqlite(tmp_path):
    from eia import create_app

    with pytest.raises(ConfigurationError, match="not SQLite"):
        create_app(ProductionConfig, SECRET_KEY="x" * 64, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'eia.db'}")


ROOT = Path(__file__).resolve().parents[1]
EIA = Path(sys.executable).parent / "eia"


def _production_environment(**values) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "EIA_CONFIG")}
    return {**env, "EIA_CONFIG": "production", **values}


def test_eia_commands_say_why_production_refuses_to_start(tmp_path):
    result = subprocess.run(
        [str(EIA), "db", "upgrade"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env=_production_environment(SECRET_KEY="x" * 64),
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: Refusing to start in production: DATABASE_URL must be set")
    assert "Traceback" not in result.stderr


def _deploy_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Deploying on PostgreSQL") :]
    block = section[section.index("```sh") + len("```sh") : section.index("```", section.index("```sh") + 5)]
    return [line for line in block.strip().splitlines() if line]


def test_the_deploy_instructions_install_editable_from_a_checkout():
    commands = _deploy_commands()
    assert any(".venv/bin/pip install -e ." in c for c in commands)
    assert not any(c.rstrip().endswith("pip install .") for c in commands)


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_the_documented_deploy_commands_run(migrated_database):
    """The README's commands after the install, on the test PostgreSQL database (already migrated, so
    the upgrade is a no-op), with gunicorn asked to load the app and check its configuration, not serve."""
    commands = _deploy_commands()
    after_install = commands[[i for i, c in enumerate(commands) if "pip install" in c][0] + 1 :]
    script = "\n".join(
        line.replace(
            "DATABASE_URL=postgresql://eia@db.internal/eia", f"DATABASE_URL={os.environ['TEST_DATABASE_URL']}"
        ).replace("--bind 0.0.0.0:8000", "--check-config")
        for line in after_install
    )
    result = subprocess.run(
        ["bash", "-ec", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "EIA_CONFIG")},
    )
    assert result.returncode == 0, result.stderr


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    first, second = {"INSTANCE_DIR": tmp_path}, {"INSTANCE_DIR": tmp_path}
    DevelopmentConfig.init_app(first)
    DevelopmentConfig.init_app(second)
    assert len(first["SECRET_KEY"]) == 64 and first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "given, expected",
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_get_the_psycopg_driver(given, expected):
    assert _database_url(given) == expected


def test_seed_demo_refuses_a_short_demo_password_clearly(app, monkeypatch):
    from sqlalchemy import func, select

    from eia.extensions import db
    from eia.models import Organisation, User

    monkeypatch.setenv("EIA_DEMO_PASSWORD", "short")
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: EIA_DEMO_PASSWORD cannot be used: Password must be 12 characters or more. Nothing was created."
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), "no traceback"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0


@pytest.mark.postgres_only
def test_postgresql_keeps_the_urls_server_options_and_adds_the_lock_timeout(tmp_path):
    """A DATABASE_URL may carry server options (e.g. a schema's search_path): the lock timeout is added, not swapped in."""
    from sqlalchemy import text

    from eia import create_app
    from eia.extensions import db
    from tests.conftest import POSTGRES_URL

    url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1) + "?options=-csearch_path%3Dpg_catalog"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_DIR=tmp_path, DATABASE_LOCK_TIMEOUT_MS=1234)
    with app.app_context():
        assert db.session.execute(text("SHOW search_path")).scalar() == "pg_catalog"
        assert db.session.execute(text("SHOW lock_timeout")).scalar() == "1234ms"
        db.session.remove()
        db.engine.dispose()
