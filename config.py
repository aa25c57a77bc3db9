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
    SQLALCHEMY_DATABASE_URI = _database_url(os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'eia.db'}"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # How long a request waits for a lock held by someone else before it gives up with a
    # "service unavailable" page (which keeps what the user typed) instead of hanging.
    DATABASE_LOCK_TIMEOUT_MS = _env_int("EIA_DATABASE_LOCK_TIMEOUT_MS", 5000)

    # Sessions (server-side rows, see eia.services.sessions): signed out after this long without a
    # request, and after this long whatever happens (NIST 800-63B AAL2: 30 minutes idle, 12 hours).
    SESSION_IDLE_TIMEOUT = timedelta(minutes=_env_int("EIA_SESSION_IDLE_MINUTES", 30))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=_env_int("EIA_SESSION_ABSOLUTE_HOURS", 12))
    PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_TIMEOUT
    # Forms: the CSRF token lives exactly as long as a session can (Flask-WTF's default hour would
    # fail a long questionnaire page); the session row ends it sooner. A rejected token re-renders
    # the page with what the user typed (eia.web.errors).
    WTF_CSRF_TIME_LIMIT = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())

    # Sign-in throttling, counted in the database so it holds across workers and instances. Past the
    # free failures (per account, per client address) each attempt waits after the last failure: the
    # first delay, doubling with every further failure, up to the longest. A browser that has signed in
    # to the account before (its signed "known device" cookie) is not held up by the account's count,
    # so a stranger's guesses cannot keep the owner out.
    SIGN_IN_WINDOW = timedelta(minutes=_env_int("EIA_SIGN_IN_WINDOW_MINUTES", 15))
    SIGN_IN_MAX_FAILURES_PER_ACCOUNT = _env_int("EIA_SIGN_IN_MAX_FAILURES_PER_ACCOUNT", 10)
    SIGN_IN_MAX_FAILURES_PER_ADDRESS = _env_int("EIA_SIGN_IN_MAX_FAILURES_PER_ADDRESS", 50)
    SIGN_IN_FIRST_DELAY = timedelta(seconds=_env_int("EIA_SIGN_IN_FIRST_DELAY_SECONDS", 30))
    SIGN_IN_LONGEST_DELAY = timedelta(seconds=_env_int("EIA_SIGN_IN_LONGEST_DELAY_SECONDS", 900))
    KNOWN_DEVICE_DAYS = _env_int("EIA_KNOWN_DEVICE_DAYS", 180)
    # A longer list of passwords to refuse (one per line); the shipped short list otherwise.
    PASSWORD_DENY_LIST = os.environ.get("EIA_PASSWORD_DENY_LIST")
    # A second factor (an authenticator app, eia.services.second_factor) at password sign-in: required of
    # every role that carries the "sign in with a second factor" capability, or of everyone when
    # EIA_SECOND_FACTOR_FOR_EVERYONE=1. Anyone may turn it on for themselves. Single sign-on relies on the
    # provider's own multi-factor check instead (OIDC_REQUIRE_MFA).
    SECOND_FACTOR_REQUIRED = os.environ.get("EIA_SECOND_FACTOR_REQUIRED", "1") == "1"
    SECOND_FACTOR_FOR_EVERYONE = os.environ.get("EIA_SECOND_FACTOR_FOR_EVERYONE", "0") == "1"
    # A password an administrator sets works for this many days, and only to choose a new one.
    TEMPORARY_PASSWORD_DAYS = _env_int("EIA_TEMPORARY_PASSWORD_DAYS", 7)
    # Single sign-on sessions have no password to ask for again: something sensitive (a new API token)
    # needs a sign-in this recent instead.
    REAUTHENTICATION_WINDOW = timedelta(minutes=_env_int("EIA_REAUTHENTICATION_MINUTES", 10))
    # The longest an API token may last (days): the choices offered stop here.
    API_TOKEN_MAX_DAYS = _env_int("EIA_API_TOKEN_MAX_DAYS", 365)
    # Single sign-on over OpenID Connect (optional): the identity provider's issuer URL (its discovery
    # document is read from <issuer>/.well-known/openid-configuration) and this app's client.
    # Register <PUBLIC_BASE_URL>/sign-in/sso/callback as the redirect URI.
    OIDC_ISSUER = os.environ.get("EIA_OIDC_ISSUER")
    OIDC_CLIENT_ID = os.environ.get("EIA_OIDC_CLIENT_ID")
    OIDC_CLIENT_SECRET = os.environ.get("EIA_OIDC_CLIENT_SECRET")
    OIDC_PROVIDER_NAME = os.environ.get("EIA_OIDC_PROVIDER_NAME", "your organisation account")
    # What to ask for; ADFS, for one, puts the email in the ID token only with its "allatclaims" scope.
    OIDC_SCOPES = os.environ.get("EIA_OIDC_SCOPES", "openid email profile")
    # ASVS 6.3.3: refuse ID tokens whose "amr" does not show multi-factor authentication ("mfa",
    # as Microsoft Entra ID and RFC 8176 write it). Turn off only if the provider enforces MFA itself.
    OIDC_REQUIRE_MFA = os.environ.get("EIA_OIDC_REQUIRE_MFA", "1") == "1"
    # Providers that show MFA in "acr" rather than "amr" (Keycloak's levels, Okta's policies): these values
    # (space-separated) are asked for in every sign-in (acr_values) and an ID token with one of them counts as MFA.
    OIDC_MFA_ACR_VALUES = os.environ.get("EIA_OIDC_MFA_ACR_VALUES", "").split()
    # Providers that never send "email_verified" (Entra ID, by default): emails in these domains (comma-separated),
    # which the organisation's own directory controls, count as verified when the provider does not say.
    # An explicit "email_verified": false is refused whatever the domain.
    OIDC_TRUSTED_EMAIL_DOMAINS = frozenset(
        domain.strip().lower()
        for domain in os.environ.get("EIA_OIDC_TRUSTED_EMAIL_DOMAINS", "").split(",")
        if domain.strip()
    )
    # Seconds to wait for the provider (connect, and each read) on every call: discovery, token, userinfo, keys.
    OIDC_TIMEOUT_SECONDS = float(os.environ.get("EIA_OIDC_TIMEOUT_SECONDS", "5"))
    # With single sign-on on, only these accounts (emails, comma-separated) may sign in with a password:
    # the break-glass accounts for when the provider is down. Everyone else signs in through the provider.
    BREAK_GLASS_ACCOUNTS = frozenset(
        email.strip().lower() for email in os.environ.get("EIA_BREAK_GLASS_ACCOUNTS", "").split(",") if email.strip()
    )
    # Reverse proxies in front of the app: their X-Forwarded-For/-Proto are trusted (ProxyFix).
    PROXY_HOPS = _env_int("EIA_PROXY_HOPS", 0)
    MAX_CONTENT_LENGTH = _env_int("EIA_MAX_CONTENT_LENGTH", 2 * 1024 * 1024)
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True

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
    # Signed audit checkpoints are written here (at each sign-off and by `eia audit checkpoint`) and every
    # verification reads the newest: mount somewhere the database's administrators cannot write.
    AUDIT_CHECKPOINT_DIR = (
        Path(os.environ["EIA_AUDIT_CHECKPOINT_DIR"]) if os.environ.get("EIA_AUDIT_CHECKPOINT_DIR") else None
    )
    SIGNING_PKCS12 = os.environ.get("EIA_SIGNING_PKCS12")
    SIGNING_PKCS12_PASSPHRASE = os.environ.get("EIA_SIGNING_PKCS12_PASSPHRASE")
    # A PKCS#11 token holding each organisation's seal key and certificate (labelled EIA_SIGNING_PKCS11_KEY,
    # where "{organisation}" stands for the slug): the key never leaves the token. See docs/seals.md.
    SIGNING_PKCS11_MODULE = os.environ.get("EIA_SIGNING_PKCS11_MODULE")
    SIGNING_PKCS11_TOKEN = os.environ.get("EIA_SIGNING_PKCS11_TOKEN")
    SIGNING_PKCS11_PIN = os.environ.get("EIA_SIGNING_PKCS11_PIN")
    SIGNING_PKCS11_KEY = os.environ.get("EIA_SIGNING_PKCS11_KEY", "{organisation}")
    # CA certificates (PEM files, separated by ":") every seal must then chain to, besides being the organisation's.
    SIGNING_TRUST_ROOTS = [path for path in os.environ.get("EIA_SIGNING_TRUST_ROOTS", "").split(os.pathsep) if path]
    TIMESTAMP_URL = os.environ.get("EIA_TIMESTAMP_URL")
    # The timestamp authorities' root certificates (PEM paths): their timestamps are then checked as trusted.
    TIMESTAMP_TRUST_ROOTS = [path for path in os.environ.get("EIA_TIMESTAMP_TRUST_ROOTS", "").split(os.pathsep) if path]
    # `eia archive renew`: a record is timestamped again when its newest timestamp is older than this,
    # or a certificate it relies on expires within EIA_RENEW_EXPIRING_DAYS.
    RENEW_OLDER_THAN_DAYS = int(os.environ.get("EIA_RENEW_OLDER_THAN_DAYS", str(365 * 2)))
    RENEW_EXPIRING_DAYS = int(os.environ.get("EIA_RENEW_EXPIRING_DAYS", "180"))
    # Archive search ranks by relevance up to this many matches; beyond it, newest first (ranking scores every match).
    ARCHIVE_RANK_LIMIT = _env_int("EIA_ARCHIVE_RANK_LIMIT", 2000)

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
    # Most tests sign in with a password alone; the second factor's own tests turn this on.
    SECOND_FACTOR_REQUIRED = False


class ConfigurationError(RuntimeError):
    """The configuration is unsafe for the chosen EIA_CONFIG; the message says what to set."""


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    # __Host-: the browser accepts the cookie only over HTTPS, for this host, for every path.
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_SECURE = True
    # The demo password is printed in the README: no account may have it here.
    REFUSE_DEMO_PASSWORD = True

    @classmethod
    def init_app(cls, config: dict) -> None:
        problems = []
        if len((config.get("SECRET_KEY") or "").strip()) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        # The URL the app would really use: unset gives the SQLite default, so that is refused too.
        database = str(config.get("SQLALCHEMY_DATABASE_URI") or "").strip()
        if not database or database.startswith("sqlite"):
            problems.append(
                "DATABASE_URL must be set to a PostgreSQL URL (e.g. postgresql://user@host/eia), "
                "not SQLite, which is for development only"
            )
        if config.get("OIDC_ISSUER") and not (config.get("OIDC_CLIENT_ID") and config.get("OIDC_CLIENT_SECRET")):
            problems.append("EIA_OIDC_CLIENT_ID and EIA_OIDC_CLIENT_SECRET must be set with EIA_OIDC_ISSUER")
        if (config.get("OIDC_ISSUER") or "").startswith("http://"):
            problems.append("EIA_OIDC_ISSUER must be an https:// address")
        if problems:
            raise ConfigurationError("Refusing to start in production: " + "; ".join(problems))


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
        raise ConfigurationError(f"EIA_CONFIG={name!r} is not one of {', '.join(CONFIGS)}") from None
