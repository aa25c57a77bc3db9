"""Configuration: production refuses to start unsafely."""

from __future__ import annotations

import pytest

from config import DevelopmentConfig, ProductionConfig, _database_url


def test_production_refuses_to_start_without_secret_key_and_database(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError) as refused:
        ProductionConfig.init_app({"SECRET_KEY": None})
    assert "SECRET_KEY must be set" in str(refused.value) and "DATABASE_URL must be set" in str(refused.value)


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/eia")
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        ProductionConfig.init_app({"SECRET_KEY": "short"})
    ProductionConfig.init_app({"SECRET_KEY": "x" * 32})  # and accepts a proper one


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    first, second = {"INSTANCE_DIR": tmp_path}, {"INSTANCE_DIR": tmp_path}
    DevelopmentConfig.init_app(first)
    DevelopmentConfig.init_app(second)
    assert len(first["SECRET_KEY"]) == 64 and first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("given, expected", [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_database_urls_get_the_psycopg_driver(given, expected):
    assert _database_url(given) == expected
