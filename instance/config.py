"""Configuration classes, one per environment, read from environment variables.

`app_config` maps the names that `APP_SETTINGS` takes (development, testing, staging, production)
to these classes. Values are properties so that they are read from the environment when the app is
created, not when this module is imported.
"""

import logging
import os
import secrets
from urllib.parse import urlsplit

from flask.helpers import get_debug_flag

MIN_PRODUCTION_SECRET_LENGTH = 32
# A secret drawn at random from a URL-safe alphabet has about 30 distinct characters in 32; one
# typed or patterned by hand ("aaaa…", spaces, a word repeated) has far fewer.
MIN_PRODUCTION_SECRET_DISTINCT_CHARACTERS = 16
# The placeholder .env.example shows: public, so never a secret.
EXAMPLE_SECRET = "change-me-to-a-long-random-string-of-at-least-32-characters"  # noqa: S105
HOW_TO_MAKE_ONE = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
TESTING_SECRET = "testing-secret-long-enough-for-every-hmac-algorithm-0123456789abcdef"  # noqa: S105


INSTANCE_FOLDER = os.path.dirname(os.path.abspath(__file__))
EMBEDDED_DATABASE = os.path.join(INSTANCE_FOLDER, "bucketlist.db")
log = logging.getLogger("app")
_announced = set()


def announce_once(message: str, *args) -> None:
    """Log a start-up notice once per process, however many apps the process creates."""
    if message not in _announced:
        _announced.add(message)
        log.warning(message, *args)


class ConfigError(RuntimeError):
    """The environment does not describe a configuration the app may start with."""


def normalize_database_url(url: str | None) -> str | None:
    """Point `postgres://` and `postgresql://` URLs at psycopg2, the driver this project installs.

    SQLAlchemy 2.1 maps a bare `postgresql://` URL to psycopg 3 and no longer knows `postgres://`
    (which Heroku-style hosts still hand out), so both are rewritten to `postgresql+psycopg2://`.
    """
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def _int_from_env(name: str, default: int, minimum: int) -> int:
    """Read a whole number from the environment, refusing anything that is not one."""
    raw = os.getenv(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool_from_env(name: str, default: bool) -> bool:
    """Read true/false (also 1/0, yes/no, on/off) from the environment."""
    raw = os.getenv(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def secret_weakness(secret: str | None) -> str | None:
    """Why a signing secret is too weak for production, or None if it is not."""
    if len(secret or "") < MIN_PRODUCTION_SECRET_LENGTH:
        return f"must be set, to at least {MIN_PRODUCTION_SECRET_LENGTH} characters"
    if secret.strip() == EXAMPLE_SECRET:
        return "is the example value printed in .env.example, which anyone can read"
    distinct = len(set(secret))
    if distinct < MIN_PRODUCTION_SECRET_DISTINCT_CHARACTERS:
        return (f"has too little entropy: {distinct} distinct characters, at least "
                f"{MIN_PRODUCTION_SECRET_DISTINCT_CHARACTERS} are needed")
    return None


def public_url_problem(url: str) -> str | None:
    """Why PUBLIC_URL cannot be the base of the links in mails, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host name"
    if parts.query or parts.fragment:
        return "must not have a query or a fragment"
    return None


def _list_from_env(name: str) -> list[str]:
    """A comma-separated list from the environment; empty when unset."""
    return [part.strip() for part in os.getenv(name, "").split(",") if part.strip()]


class Config:
    """Parent configuration class: settings every environment shares."""

    DEBUG = False
    TESTING = False
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    MAX_CONTENT_LENGTH = 1024 * 1024
    # The OpenAPI description (flask-smorest reads these keys).
    API_TITLE = "Bucketlist API"
    API_VERSION = "1.0.0"
    OPENAPI_VERSION = "3.0.3"
    API_SPEC_OPTIONS = {
        "info": {
            "description": "Register, log in for a bearer token, and keep your own bucketlists.",
            "license": {"name": "MIT"},
        },
    }
    # Without MAIL_SERVER, mails go to the log: whole only where this is on (development, tests),
    # elsewhere without their content, which may hold a secret such as a reset link.
    LOG_MAIL_CONTENT = False
    # No SECRET_KEY: the app keeps no cookie session (clients send their token), and without a key
    # Flask skips opening one on every request.

    @property
    def SECRET(self) -> str | None:
        """The key that signs access tokens (HS256)."""
        return os.getenv("SECRET")

    @property
    def SQLALCHEMY_DATABASE_URI(self) -> str | None:
        """The database, from DATABASE_URL."""
        return normalize_database_url(os.getenv("DATABASE_URL"))

    @property
    def DATABASE_POOL_PRE_PING(self) -> bool:
        """Test a pooled connection that sat idle before using it (default on), so a restarted
        database costs no failed request; off, a dead connection fails one request (503) and the
        pool is renewed."""
        return _bool_from_env("DATABASE_POOL_PRE_PING", True)

    @property
    def DATABASE_PING_AFTER_IDLE_MS(self) -> int:
        """How long a connection may sit unused and still skip the pre-ping (0: ping always)."""
        return _int_from_env("DATABASE_PING_AFTER_IDLE_MS", 500, minimum=0)

    @property
    def TOKEN_LIFETIME_SECONDS(self) -> int:
        """How long an access token is valid; the tutorial's 5 minutes by default."""
        return _int_from_env("TOKEN_LIFETIME_SECONDS", 300, minimum=1)

    @property
    def REFRESH_TOKEN_LIFETIME_SECONDS(self) -> int:
        """How long a login's session lasts at most, however often it is refreshed (30 days)."""
        return _int_from_env("REFRESH_TOKEN_LIFETIME_SECONDS", 30 * 24 * 3600, minimum=1)

    @property
    def REFRESH_TOKEN_IDLE_SECONDS(self) -> int:
        """How long a session lasts without a refresh (7 days)."""
        return _int_from_env("REFRESH_TOKEN_IDLE_SECONDS", 7 * 24 * 3600, minimum=1)

    @property
    def MAX_SESSIONS_PER_USER(self) -> int:
        """How many live sessions (logins) a user may have; a new login ends the least recently
        used one beyond this."""
        return _int_from_env("MAX_SESSIONS_PER_USER", 100, minimum=1)

    @property
    def PASSWORD_RESET_LIFETIME_SECONDS(self) -> int:
        """How long a password reset token works (30 minutes)."""
        return _int_from_env("PASSWORD_RESET_LIFETIME_SECONDS", 1800, minimum=1)

    @property
    def PUBLIC_URL(self) -> str | None:
        """The address users reach the service at (`https://api.example.org`), for the links in
        mails; production and staging need it to send mail, development falls back to the
        request's own host."""
        return os.getenv("PUBLIC_URL", "").rstrip("/") or None

    @property
    def MAIL_SERVER(self) -> str | None:
        """The SMTP server that sends mail; unset, mails are written to the log instead."""
        return os.getenv("MAIL_SERVER") or None

    @property
    def MAIL_PORT(self) -> int:
        return _int_from_env("MAIL_PORT", 25, minimum=1)

    @property
    def MAIL_USE_TLS(self) -> bool:
        """Whether to upgrade the SMTP connection with STARTTLS."""
        return _bool_from_env("MAIL_USE_TLS", False)

    @property
    def MAIL_USERNAME(self) -> str | None:
        return os.getenv("MAIL_USERNAME") or None

    @property
    def MAIL_PASSWORD(self) -> str | None:
        return os.getenv("MAIL_PASSWORD") or None

    @property
    def MAIL_DEFAULT_SENDER(self) -> str:
        return os.getenv("MAIL_DEFAULT_SENDER", "Bucketlist API <no-reply@localhost>")

    @property
    def MAIL_TIMEOUT_SECONDS(self) -> int:
        """How long one SMTP conversation may take before it is given up (and logged)."""
        return _int_from_env("MAIL_TIMEOUT_SECONDS", 10, minimum=1)

    @property
    def IDEMPOTENCY_KEY_LIFETIME_SECONDS(self) -> int:
        """How long the answer to a create sent with an Idempotency-Key is kept (24 h)."""
        return _int_from_env("IDEMPOTENCY_KEY_LIFETIME_SECONDS", 24 * 3600, minimum=1)

    @property
    def IDEMPOTENCY_KEYS_PER_USER(self) -> int:
        """How many Idempotency-Keys are kept per user; beyond, the oldest are forgotten."""
        return _int_from_env("IDEMPOTENCY_KEYS_PER_USER", 1000, minimum=1)

    @property
    def REQUIRE_IF_MATCH(self) -> bool:
        """Whether PUT, PATCH and DELETE must carry If-Match (428 without); off, they may."""
        return _bool_from_env("REQUIRE_IF_MATCH", False)

    @property
    def MAX_BUCKETLISTS_PER_USER(self) -> int:
        """How many bucketlists one user may have; creating one more is a 409."""
        return _int_from_env("MAX_BUCKETLISTS_PER_USER", 10_000, minimum=1)

    @property
    def MAX_ITEMS_PER_BUCKETLIST(self) -> int:
        """How many goals one bucketlist may hold (and its detail shows); one more is a 409."""
        return _int_from_env("MAX_ITEMS_PER_BUCKETLIST", 1_000, minimum=1)

    @property
    def BCRYPT_LOG_ROUNDS(self) -> int:
        """The bcrypt work factor (Flask-Bcrypt reads this key)."""
        return _int_from_env("BCRYPT_LOG_ROUNDS", 12, minimum=4)

    # Rate limits (Flask-Limiter reads the RATELIMIT_* keys). Limits are in its notation, several
    # separated by ";", e.g. "10 per minute;100 per hour".
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = "bucketlist"

    @property
    def RATELIMIT_ENABLED(self) -> bool:
        """RATELIMIT_ENABLED=false turns every limit off."""
        return _bool_from_env("RATELIMIT_ENABLED", True)

    @property
    def RATELIMIT_STORAGE_URI(self) -> str:
        """Where the counters live: memory:// (one process) or redis://... (shared by all)."""
        return os.getenv("RATELIMIT_STORAGE_URI", "memory://")

    # Redis may be lost: its counters are then kept per process, in memory, until it answers
    # again (Flask-Limiter checks it every 1 to 32 seconds), and the loss is logged.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

    @property
    def RATELIMIT_STORAGE_TIMEOUT_MS(self) -> int:
        """How long a request waits for Redis (to connect, then to answer) before it counts in
        memory instead (250 ms)."""
        return _int_from_env("RATELIMIT_STORAGE_TIMEOUT_MS", 250, minimum=1)

    @property
    def LOGIN_LIMIT_PER_CLIENT(self) -> str:
        return os.getenv("LOGIN_LIMIT_PER_CLIENT", "30 per minute;300 per hour")

    @property
    def LOGIN_LIMIT_PER_EMAIL(self) -> str:
        return os.getenv("LOGIN_LIMIT_PER_EMAIL", "10 per minute;50 per hour")

    @property
    def REGISTER_LIMIT_PER_CLIENT(self) -> str:
        return os.getenv("REGISTER_LIMIT_PER_CLIENT", "10 per minute;100 per hour")

    @property
    def REGISTER_LIMIT_PER_EMAIL(self) -> str:
        return os.getenv("REGISTER_LIMIT_PER_EMAIL", "5 per minute")

    @property
    def REFRESH_LIMIT_PER_CLIENT(self) -> str:
        return os.getenv("REFRESH_LIMIT_PER_CLIENT", "60 per minute;600 per hour")

    @property
    def PASSWORD_CHANGE_LIMIT_PER_CLIENT(self) -> str:
        return os.getenv("PASSWORD_CHANGE_LIMIT_PER_CLIENT", "10 per minute;100 per hour")

    @property
    def PASSWORD_CHANGE_LIMIT_PER_EMAIL(self) -> str:
        return os.getenv("PASSWORD_CHANGE_LIMIT_PER_EMAIL", "5 per minute;20 per hour")

    @property
    def ACCOUNT_DELETE_LIMIT_PER_CLIENT(self) -> str:
        return os.getenv("ACCOUNT_DELETE_LIMIT_PER_CLIENT", "10 per minute;100 per hour")

    @property
    def ACCOUNT_DELETE_LIMIT_PER_EMAIL(self) -> str:
        return os.getenv("ACCOUNT_DELETE_LIMIT_PER_EMAIL", "5 per minute;20 per hour")

    @property
    def PASSWORD_RESET_LIMIT_PER_CLIENT(self) -> str:
        return os.getenv("PASSWORD_RESET_LIMIT_PER_CLIENT", "10 per minute;50 per hour")

    @property
    def PASSWORD_RESET_LIMIT_PER_EMAIL(self) -> str:
        return os.getenv("PASSWORD_RESET_LIMIT_PER_EMAIL", "3 per minute;10 per hour")

    @property
    def PASSWORD_RESET_CONFIRM_LIMIT_PER_CLIENT(self) -> str:
        return os.getenv("PASSWORD_RESET_CONFIRM_LIMIT_PER_CLIENT", "10 per minute;100 per hour")

    @property
    def CORS_ORIGINS(self) -> list[str]:
        """Origins allowed to call the API from a browser (CORS); none unless listed."""
        return _list_from_env("CORS_ORIGINS")

    @property
    def LOG_FORMAT(self) -> str:
        """json (one object per line) or text."""
        return os.getenv("LOG_FORMAT", "text")

    @property
    def PROXY_COUNT(self) -> int:
        """How many reverse proxies set X-Forwarded-For in front of the app (0: none trusted)."""
        return _int_from_env("PROXY_COUNT", 0, minimum=0)

    @property
    def PROXY_TRUST_PROTO(self) -> bool:
        """Whether those proxies set X-Forwarded-Proto (replacing any a client sent)."""
        return _bool_from_env("PROXY_TRUST_PROTO", False)

    @property
    def PROXY_TRUST_HOST(self) -> bool:
        """Whether those proxies set X-Forwarded-Host (replacing any a client sent)."""
        return _bool_from_env("PROXY_TRUST_HOST", False)

    @property
    def TRUSTED_HOSTS(self) -> list[str] | None:
        """The host names this service answers to (Flask checks the Host header against them:
        any other is a 400); a leading dot allows subdomains. Unset: any Host is accepted."""
        return _list_from_env("TRUSTED_HOSTS") or None

    def validate(self) -> None:
        """Raise ConfigError when the configuration must not be used."""
        if (self.PROXY_TRUST_PROTO or self.PROXY_TRUST_HOST) and not self.PROXY_COUNT:
            raise ConfigError(
                "PROXY_TRUST_PROTO and PROXY_TRUST_HOST need a PROXY_COUNT of 1 or more."
            )
        if self.LOG_FORMAT not in ("json", "text"):
            raise ConfigError(f"LOG_FORMAT must be json or text, got {self.LOG_FORMAT!r}.")
        if self.PUBLIC_URL and (problem := public_url_problem(self.PUBLIC_URL)):
            raise ConfigError(f"PUBLIC_URL {problem}, got {self.PUBLIC_URL!r}.")


class DevelopmentConfig(Config):
    """Configurations for Development: runs with nothing set, on fallbacks it announces.

    Without DATABASE_URL, an embedded SQLite database in the instance folder; without SECRET, a
    random one per app (tokens end with the process). No other configuration falls back.
    """

    DEBUG = True
    LOG_MAIL_CONTENT = True

    def __init__(self) -> None:
        self._random_secret = secrets.token_urlsafe(48)

    @property
    def SECRET(self) -> str:
        """SECRET, or a random one."""
        secret = super().SECRET
        if secret:
            return secret
        announce_once("SECRET is not set: using a random one; tokens end when the process does.")
        return self._random_secret

    @property
    def SQLALCHEMY_DATABASE_URI(self) -> str:
        """DATABASE_URL, or the embedded SQLite database instance/bucketlist.db."""
        url = super().SQLALCHEMY_DATABASE_URI
        if url:
            return url
        os.makedirs(INSTANCE_FOLDER, exist_ok=True)
        announce_once("DATABASE_URL is not set: using the embedded SQLite database %s",
                       EMBEDDED_DATABASE)
        return "sqlite:///" + EMBEDDED_DATABASE


class TestingConfig(Config):
    """Configurations for Testing, with a separate test database and cheap password hashing."""

    TESTING = True
    DEBUG = True
    LOG_MAIL_CONTENT = True
    SECRET = TESTING_SECRET
    BCRYPT_LOG_ROUNDS = 4
    RATELIMIT_ENABLED = False  # a test that needs the limits turns them on
    RATELIMIT_STORAGE_URI = "memory://"

    @property
    def SQLALCHEMY_DATABASE_URI(self) -> str | None:
        """The test database, from TEST_DATABASE_URL (set by the test suite when not given)."""
        return normalize_database_url(os.getenv("TEST_DATABASE_URL"))

    def validate(self) -> None:
        """Refuse to test without a database of its own rather than touch another one."""
        super().validate()
        if not self.SQLALCHEMY_DATABASE_URI:
            raise ConfigError(
                "TEST_DATABASE_URL is not set. Run the tests with `python manage.py test`, "
                "which starts a throwaway PostgreSQL when it is not given."
            )


class ProductionConfig(Config):
    """Configurations for Production: refuses to start unsafe."""

    NAME = "production"
    DEBUG = False
    TESTING = False

    @property
    def LOG_FORMAT(self) -> str:
        """JSON lines unless told otherwise."""
        return os.getenv("LOG_FORMAT", "json")

    def validate(self) -> None:
        """Require a database, a strong secret, debugging off, and PUBLIC_URL for mailed links."""
        super().validate()
        if not self.SQLALCHEMY_DATABASE_URI:
            raise ConfigError(f"DATABASE_URL must be set for the {self.NAME!r} configuration.")
        if weakness := secret_weakness(self.SECRET):
            raise ConfigError(
                f"SECRET {weakness} for the {self.NAME!r} configuration; {HOW_TO_MAKE_ONE}"
            )
        if get_debug_flag():
            raise ConfigError(f"FLASK_DEBUG must not be on for the {self.NAME!r} configuration.")
        if self.MAIL_SERVER and not self.PUBLIC_URL:
            # The links in mails would otherwise name the host a request said it was for.
            raise ConfigError(
                f"PUBLIC_URL must be set when MAIL_SERVER is, for the {self.NAME!r} "
                "configuration: the address users reach the service at "
                "(e.g. https://api.example.org), which password reset links name."
            )
        if not self.MAIL_SERVER:
            announce_once("MAIL_SERVER is not set: password reset mails are not sent, only "
                          "logged (without their link).")


class StagingConfig(ProductionConfig):
    """Configurations for Staging: production's settings and refusals, under its own name."""

    NAME = "staging"


app_config = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "staging": StagingConfig,
    "production": ProductionConfig,
}
