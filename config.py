"""Configuration classes, chosen by EIA_CONFIG (development, test, production).

Every value can be set from the environment; the embedded default (SQLite + local archive under
instance/) needs none.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("EIA_INSTANCE_DIR", BASE_DIR / "instance"))


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _persistent_secret_key(instance_dir: Path) -> str:
    """The development secret key: generated on first run and kept, so sessions survive restarts.

    Several server processes may start at once: the key is written to a temporary file and linked
    into place atomically, so every process reads the same complete key.
    """
    path = instance_dir / "secret_key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        temporary = instance_dir / f".secret_key.{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race: use its key
        finally:
            temporary.unlink()
    return path.read_text().strip()


def _database_url(url: str) -> str:
    # Heroku-style URLs say postgres://; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    INSTANCE_DIR = INSTANCE_DIR
    WORKFLOWS_DIR = Path(os.environ.get("EIA_WORKFLOWS_DIR", BASE_DIR / "workflows"))
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'eia.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Forms: a long questionnaire must not fail on an expired token, so the CSRF token lives as
    # long as the session; an expired session re-renders the page with the answers kept.
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = _env_int("EIA_MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

    # Email (real SMTP; tests start a local server)
    SMTP_HOST = os.environ.get("SMTP_HOST", "127.0.0.1")
    SMTP_PORT = _env_int("SMTP_PORT", 1025)
    # Seconds to wait for the mail server (connect and each command): a slow server never holds a worker long.
    SMTP_TIMEOUT = _env_int("SMTP_TIMEOUT", 5)
    MAIL_FROM = os.environ.get("MAIL_FROM", "due-regard@localhost")
    # Links in emails use this address, never the Host header of whichever request caused them.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    MAIL_ENABLED = os.environ.get("MAIL_ENABLED", "0") == "1"

    # Archive and signing
    ARCHIVE_BACKEND = os.environ.get("EIA_ARCHIVE_BACKEND", "database")  # or "filesystem"
    ARCHIVE_DIR = Path(os.environ.get("EIA_ARCHIVE_DIR", INSTANCE_DIR / "archive"))
    SIGNING_PKCS12 = os.environ.get("EIA_SIGNING_PKCS12")
    SIGNING_PKCS12_PASSPHRASE = os.environ.get("EIA_SIGNING_PKCS12_PASSPHRASE")
    # CA certificates (PEM files, separated by ":") a signature may chain to, besides the organisation's own.
    SIGNING_TRUST_ROOTS = [path for path in os.environ.get("EIA_SIGNING_TRUST_ROOTS", "").split(os.pathsep) if path]
    TIMESTAMP_URL = os.environ.get("EIA_TIMESTAMP_URL")

    SERVICE_NAME = "Due Regard"
    DEMO_PASSWORD_DEFAULT = "due-regard-demo"

    @classmethod
    def init_app(cls, config: dict) -> None:
        """Completes and checks ``config`` (the app's) when the app starts with this class."""


class DevelopmentConfig(Config):
    @classmethod
    def init_app(cls, config: dict) -> None:
        if not config.get("SECRET_KEY"):
            config["SECRET_KEY"] = _persistent_secret_key(Path(config["INSTANCE_DIR"]))


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    MAIL_ENABLED = True


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True

    @classmethod
    def init_app(cls, config: dict) -> None:
        problems = []
        if not config.get("SECRET_KEY") or len(config["SECRET_KEY"]) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if "DATABASE_URL" not in os.environ:
            problems.append("DATABASE_URL must be set (e.g. postgresql://user@host/eia)")
        if problems:
            raise RuntimeError("Refusing to start in production: " + "; ".join(problems))


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> type[Config]:
    name = os.environ.get("EIA_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"EIA_CONFIG={name!r} is not one of {', '.join(CONFIGS)}") from None
