"""Configuration classes, one per environment, read from environment variables.

`app_config` maps the names that `APP_SETTINGS` takes (development, testing, staging, production)
to these classes. Each class reads the environment when it is made (when an app is created, not
when this module is imported), through environs: every variable is typed and checked as it is
read, and all that are wrong are reported together, by name, before the app starts. `validate()`
then checks what no single variable can tell (a production secret, PUBLIC_URL beside
MAIL_SERVER), in this one place.
"""

import logging
import os
import secrets
from urllib.parse import urlsplit

from environs import Env, EnvValidationError
from flask.helpers import get_debug_flag
from limits import parse_many
from marshmallow import ValidationError
from marshmallow.validate import OneOf, Range

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
DAY = 24 * 3600
# Rate limits in the notation of `limits`, several separated by ";" ("10 per minute;100 per hour").
RATE_LIMITS = {
    "LOGIN_LIMIT_PER_CLIENT": "30 per minute;300 per hour",
    "LOGIN_LIMIT_PER_EMAIL": "10 per minute;50 per hour",
    "REGISTER_LIMIT_PER_CLIENT": "10 per minute;100 per hour",
    "REGISTER_LIMIT_PER_EMAIL": "5 per minute",
    "REFRESH_LIMIT_PER_CLIENT": "60 per minute;600 per hour",
    "PASSWORD_CHANGE_LIMIT_PER_CLIENT": "10 per minute;100 per hour",
    "PASSWORD_CHANGE_LIMIT_PER_EMAIL": "5 per minute;20 per hour",
    "ACCOUNT_DELETE_LIMIT_PER_CLIENT": "10 per minute;100 per hour",
    "ACCOUNT_DELETE_LIMIT_PER_EMAIL": "5 per minute;20 per hour",
    "PASSWORD_RESET_LIMIT_PER_CLIENT": "10 per minute;50 per hour",
    "PASSWORD_RESET_LIMIT_PER_EMAIL": "3 per minute;10 per hour",
    "PASSWORD_RESET_CONFIRM_LIMIT_PER_CLIENT": "10 per minute;100 per hour",
    "INVITATION_LIMIT_PER_USER": "20 per hour",
}
log = logging.getLogger("app")
_announced = set()


def announce_once(message: str, *args) -> None:
    """Log a start-up notice once per process, however many apps the process creates."""
    if message not in _announced:
        _announced.add(message)
        log.warning(message, *args)


class ConfigError(RuntimeError):
    """The environment does not describe a configuration the app may start with."""


def _redis_url(value: str | None) -> None:
    if value and not value.startswith(("redis://", "rediss://")):
        raise ValidationError("must be a redis:// or rediss:// URL")


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


def _public_url(url: str) -> None:
    if problem := public_url_problem(url):
        raise ValidationError(f"PUBLIC_URL {problem}.")


def _rate_limits(value: str) -> None:
    try:
        parse_many(value)
    except ValueError:
        raise ValidationError('Not rate limits such as "10 per minute;100 per hour".') from None


def _names(values: list[str]) -> list[str]:
    """A comma-separated list without blanks."""
    return [value.strip() for value in values if value.strip()]


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
    DEFAULT_LOG_FORMAT = "text"

    def __init__(self) -> None:
        """Read every setting from the environment; ConfigError naming each one that is wrong."""
        env = Env(eager=False, expand_vars=False)
        at_least_1, at_least_0 = Range(min=1), Range(min=0)
        # The key that signs access tokens (HS256) and refresh tokens' HMAC.
        self.SECRET = env.str("SECRET", None) or None
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(env.str("DATABASE_URL", None))
        # Test a pooled connection that sat idle longer than the window before using it, so a
        # restarted database costs no failed request (0: test on every use).
        self.DATABASE_POOL_PRE_PING = env.bool("DATABASE_POOL_PRE_PING", True)
        self.DATABASE_PING_AFTER_IDLE_MS = env.int("DATABASE_PING_AFTER_IDLE_MS", 500,
                                                   validate=at_least_0)
        # PostgreSQL's max_parallel_workers_per_gather on the app's connections: 0, no parallel
        # plans (starting workers costs more than the API's short queries take).
        self.DATABASE_PARALLEL_WORKERS = env.int("DATABASE_PARALLEL_WORKERS", 0,
                                                 validate=at_least_0)
        # Access tokens (the tutorial's 5 minutes); sessions: at most, and without a refresh.
        self.TOKEN_LIFETIME_SECONDS = env.int("TOKEN_LIFETIME_SECONDS", 300, validate=at_least_1)
        self.REFRESH_TOKEN_LIFETIME_SECONDS = env.int("REFRESH_TOKEN_LIFETIME_SECONDS", 30 * DAY,
                                                      validate=at_least_1)
        self.REFRESH_TOKEN_IDLE_SECONDS = env.int("REFRESH_TOKEN_IDLE_SECONDS", 7 * DAY,
                                                  validate=at_least_1)
        self.MAX_SESSIONS_PER_USER = env.int("MAX_SESSIONS_PER_USER", 100, validate=at_least_1)
        self.PASSWORD_RESET_LIFETIME_SECONDS = env.int("PASSWORD_RESET_LIFETIME_SECONDS", 1800,
                                                       validate=at_least_1)
        # Where users reach the service (`https://api.example.org`), for the links in mails.
        # (With eager=False, a value that fails its check reads as None until seal() reports it.)
        public_url = env.str("PUBLIC_URL", "", validate=lambda url: not url or _public_url(url))
        self.PUBLIC_URL = (public_url or "").rstrip("/") or None
        # SMTP; without MAIL_SERVER mails are written to the log instead.
        self.MAIL_SERVER = env.str("MAIL_SERVER", None) or None
        self.MAIL_PORT = env.int("MAIL_PORT", 25, validate=at_least_1)
        self.MAIL_USE_TLS = env.bool("MAIL_USE_TLS", False)  # STARTTLS
        self.MAIL_USERNAME = env.str("MAIL_USERNAME", None) or None
        self.MAIL_PASSWORD = env.str("MAIL_PASSWORD", None) or None
        self.MAIL_DEFAULT_SENDER = env.str("MAIL_DEFAULT_SENDER",
                                           "Bucketlist API <no-reply@localhost>")
        self.MAIL_TIMEOUT_SECONDS = env.int("MAIL_TIMEOUT_SECONDS", 10, validate=at_least_1)
        # The job queue (app/jobs.py): a redis:// URL turns it on; without it, jobs run in the
        # process. How long a mail is tried again, how soon a job a killed worker held is handed
        # to another, how often the upkeep runs.
        self.JOB_QUEUE_URL = env.str("JOB_QUEUE_URL", None, validate=_redis_url) or None
        self.MAIL_RETRY_SECONDS = env.int("MAIL_RETRY_SECONDS", 3600, validate=at_least_1)
        self.JOB_VISIBILITY_TIMEOUT_SECONDS = env.int("JOB_VISIBILITY_TIMEOUT_SECONDS", 120,
                                                      validate=at_least_1)
        self.PURGE_INTERVAL_SECONDS = env.int("PURGE_INTERVAL_SECONDS", 3600,
                                              validate=at_least_1)
        # The first answer to a create sent with an Idempotency-Key: kept how long, how many.
        self.IDEMPOTENCY_KEY_LIFETIME_SECONDS = env.int("IDEMPOTENCY_KEY_LIFETIME_SECONDS", DAY,
                                                        validate=at_least_1)
        self.IDEMPOTENCY_KEYS_PER_USER = env.int("IDEMPOTENCY_KEYS_PER_USER", 1000,
                                                 validate=at_least_1)
        # PUT, PATCH and DELETE must carry If-Match (428 without).
        self.REQUIRE_IF_MATCH = env.bool("REQUIRE_IF_MATCH", False)
        # What one user may store; one more is a 409.
        self.MAX_BUCKETLISTS_PER_USER = env.int("MAX_BUCKETLISTS_PER_USER", 10_000,
                                                validate=at_least_1)
        self.MAX_ITEMS_PER_BUCKETLIST = env.int("MAX_ITEMS_PER_BUCKETLIST", 1_000,
                                                validate=at_least_1)
        # Sharing: members of one bucketlist (pending invitations count), and how long an
        # invitation works.
        self.MAX_MEMBERS_PER_BUCKETLIST = env.int("MAX_MEMBERS_PER_BUCKETLIST", 50,
                                                  validate=at_least_1)
        self.INVITATION_LIFETIME_SECONDS = env.int("INVITATION_LIFETIME_SECONDS", 7 * DAY,
                                                   validate=at_least_1)
        self.BCRYPT_LOG_ROUNDS = env.int("BCRYPT_LOG_ROUNDS", 12, validate=Range(min=4, max=31))
        # Rate limits (app/auth/throttling.py): off with false; counted in memory:// (per process)
        # or redis://… (shared), which a request waits for at most the timeout.
        self.RATELIMIT_ENABLED = env.bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = env.str("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_STORAGE_TIMEOUT_MS = env.int("RATELIMIT_STORAGE_TIMEOUT_MS", 250,
                                                    validate=at_least_1)
        for name, default in RATE_LIMITS.items():
            setattr(self, name, env.str(name, default, validate=_rate_limits))
        # Origins allowed to call the API from a browser; none unless listed.
        self.CORS_ORIGINS = _names(env.list("CORS_ORIGINS", []) or [])
        self.LOG_FORMAT = env.str("LOG_FORMAT", self.DEFAULT_LOG_FORMAT,
                                  validate=OneOf(["json", "text"]))
        # Prometheus metrics (app/metrics.py): off unless a port is given; served by gunicorn's
        # master on that port and address, never on the API's.
        self.METRICS_PORT = env.int("METRICS_PORT", None, validate=Range(min=1, max=65535))
        self.METRICS_BIND = env.str("METRICS_BIND", "127.0.0.1")
        # Reverse proxies in front that set X-Forwarded-For; whether they also set (replace)
        # X-Forwarded-Proto and -Host, so that those may be believed.
        self.PROXY_COUNT = env.int("PROXY_COUNT", 0, validate=at_least_0)
        self.PROXY_TRUST_PROTO = env.bool("PROXY_TRUST_PROTO", False)
        self.PROXY_TRUST_HOST = env.bool("PROXY_TRUST_HOST", False)
        # Host names the service answers to (any other Host is a 400); unset: any.
        self.TRUSTED_HOSTS = _names(env.list("TRUSTED_HOSTS", []) or []) or None
        try:
            env.seal()
        except EnvValidationError as error:
            problems = "; ".join(f"{name}: {' '.join(messages)}"
                                 for name, messages in error.error_messages.items())
            raise ConfigError(f"Invalid environment variables: {problems}") from None

    def validate(self) -> None:
        """Raise ConfigError when the configuration must not be used."""
        if (self.PROXY_TRUST_PROTO or self.PROXY_TRUST_HOST) and not self.PROXY_COUNT:
            raise ConfigError(
                "PROXY_TRUST_PROTO and PROXY_TRUST_HOST need a PROXY_COUNT of 1 or more."
            )


class DevelopmentConfig(Config):
    """Configurations for Development: runs with nothing set, on fallbacks it announces.

    Without DATABASE_URL, an embedded SQLite database in the instance folder; without SECRET, a
    random one per app (tokens end with the process). No other configuration falls back.
    """

    DEBUG = True
    LOG_MAIL_CONTENT = True

    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET:
            announce_once("SECRET is not set: using a random one; tokens end when the process "
                          "does.")
            self.SECRET = secrets.token_urlsafe(48)
        if not self.SQLALCHEMY_DATABASE_URI:
            os.makedirs(INSTANCE_FOLDER, exist_ok=True)
            announce_once("DATABASE_URL is not set: using the embedded SQLite database %s",
                          EMBEDDED_DATABASE)
            self.SQLALCHEMY_DATABASE_URI = "sqlite:///" + EMBEDDED_DATABASE


class TestingConfig(Config):
    """Configurations for Testing, with a separate test database and cheap password hashing."""

    TESTING = True
    DEBUG = True
    LOG_MAIL_CONTENT = True

    def __init__(self) -> None:
        super().__init__()
        self.SECRET = TESTING_SECRET
        self.BCRYPT_LOG_ROUNDS = 4
        self.RATELIMIT_ENABLED = False  # a test that needs the limits turns them on
        self.RATELIMIT_STORAGE_URI = "memory://"
        # The test database, from TEST_DATABASE_URL (set by the test suite when not given).
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(os.getenv("TEST_DATABASE_URL"))

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
    DEFAULT_LOG_FORMAT = "json"

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
        if not self.TRUSTED_HOSTS:
            announce_once("TRUSTED_HOSTS is not set: any Host header is accepted.")


class StagingConfig(ProductionConfig):
    """Configurations for Staging: production's settings and refusals, under its own name."""

    NAME = "staging"


app_config = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "staging": StagingConfig,
    "production": ProductionConfig,
}
