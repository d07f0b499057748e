"""Configuration: database URLs, the development default, a production that refuses to be unsafe."""

import multiprocessing
import os
import runpy
import unittest
from unittest import mock

from sqlalchemy import make_url

from app import create_app, db
from instance.config import ConfigError, normalize_database_url
from tests.database import release, scratch_database

STRONG_SECRET = "q7Vd-2xLk9RfT0wZbN4mHs_8pYcJ3gEa"
CONFIG_VARIABLES = ["DATABASE_URL", "SECRET", "FLASK_DEBUG", "TOKEN_LIFETIME_SECONDS",
                    "BCRYPT_LOG_ROUNDS", "MAIL_SERVER", "PUBLIC_URL", "MAIL_USE_TLS",
                    "LOG_FORMAT", "LOGIN_LIMIT_PER_CLIENT", "TRUSTED_HOSTS"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def environment(**values):
    """Patch os.environ: the config variables unset, then these values set."""
    patched = {key: value for key, value in os.environ.items() if key not in CONFIG_VARIABLES}
    patched.update(values)
    return mock.patch.dict(os.environ, patched, clear=True)


class DatabaseUrlTestCase(unittest.TestCase):
    """postgres:// and postgresql:// both reach psycopg2."""

    def test_postgres_and_postgresql_schemes_use_psycopg2(self):
        for url in ["postgres://u:p@db:5432/flask_api", "postgresql://u:p@db:5432/flask_api"]:
            with self.subTest(url=url):
                self.assertEqual(
                    normalize_database_url(url), "postgresql+psycopg2://u:p@db:5432/flask_api"
                )

    def test_explicit_drivers_and_other_databases_are_kept(self):
        for url in ["postgresql+psycopg2://localhost/x", "sqlite:////tmp/x.db"]:
            with self.subTest(url=url):
                self.assertEqual(normalize_database_url(url), url)

    def test_empty_is_none(self):
        self.assertIsNone(normalize_database_url(""))
        self.assertIsNone(normalize_database_url(None))

    def test_a_postgres_url_really_serves_requests(self):
        with scratch_database() as url:
            heroku_style = "postgres://" + url.split("://", 1)[1]
            with environment(DATABASE_URL=heroku_style, SECRET=STRONG_SECRET,
                             BCRYPT_LOG_ROUNDS="4"):
                app = create_app("production")
            self.assertEqual(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).drivername,
                             "postgresql+psycopg2")
            with app.app_context():
                db.create_all()
            response = app.test_client().post(
                "/auth/register", json={"email": "pg@example.com", "password": "long enough"}
            )
            self.assertEqual(response.status_code, 201)
            release(app)


class ConfigSelectionTestCase(unittest.TestCase):
    """APP_SETTINGS names and the development defaults."""

    def test_unknown_name_is_refused(self):
        with self.assertRaisesRegex(ConfigError, "development, testing, staging, production"):
            create_app("prod")

    def test_development_defaults_to_embedded_sqlite_in_instance(self):
        with environment():
            app = create_app("development")
        self.assertEqual(
            app.config["SQLALCHEMY_DATABASE_URI"],
            "sqlite:///" + os.path.join(app.instance_path, "bucketlist.db"),
        )
        self.assertTrue(app.instance_path.endswith(os.path.join(os.sep, "instance")))

    def test_development_without_secret_gets_a_random_one(self):
        with environment():
            first, second = create_app("development"), create_app("development")
        self.assertGreaterEqual(len(first.config["SECRET"]), 32)
        self.assertNotEqual(first.config["SECRET"], second.config["SECRET"])

    def test_development_uses_database_url_when_given(self):
        with environment(DATABASE_URL="postgresql://localhost/flask_api"):
            app = create_app("development")
        self.assertEqual(
            app.config["SQLALCHEMY_DATABASE_URI"], "postgresql+psycopg2://localhost/flask_api"
        )

    def test_staging_needs_database_url(self):
        with environment(SECRET=STRONG_SECRET), self.assertRaisesRegex(ConfigError, "DATABASE_URL"):
            create_app("staging")

    def test_staging_needs_a_secret(self):
        with (
            environment(DATABASE_URL="postgresql://localhost/x"),
            self.assertRaisesRegex(ConfigError, "SECRET must be set.*'staging'"),
        ):
            create_app("staging")

    def test_staging_refuses_what_production_refuses(self):
        for values, message in [
            ({"DATABASE_URL": "postgresql://localhost/x", "SECRET": "s" * 31}, "SECRET"),
            ({"DATABASE_URL": "postgresql://localhost/x", "SECRET": STRONG_SECRET,
              "FLASK_DEBUG": "1"}, "FLASK_DEBUG"),
        ]:
            with (
                self.subTest(message=message),
                environment(**values),
                self.assertRaisesRegex(ConfigError, f"{message}.*'staging'"),
            ):
                create_app("staging")

    def test_staging_runs_without_debug_and_logs_json(self):
        with environment(DATABASE_URL="postgresql://localhost/x", SECRET=STRONG_SECRET):
            app = create_app("staging")
        self.assertFalse(app.debug)
        self.assertEqual(app.config["LOG_FORMAT"], "json")

    def test_token_lifetime_and_rounds_come_from_the_environment(self):
        with environment(TOKEN_LIFETIME_SECONDS="60", BCRYPT_LOG_ROUNDS="5"):
            app = create_app("development")
        self.assertEqual((app.config["TOKEN_LIFETIME_SECONDS"], app.config["BCRYPT_LOG_ROUNDS"]),
                         (60, 5))

    def test_token_lifetime_defaults_to_five_minutes(self):
        with environment():
            self.assertEqual(create_app("development").config["TOKEN_LIFETIME_SECONDS"], 300)

    def test_bad_numbers_are_refused(self):
        for name, value in [("TOKEN_LIFETIME_SECONDS", "five"), ("TOKEN_LIFETIME_SECONDS", "0"),
                            ("BCRYPT_LOG_ROUNDS", "3")]:
            with (
                self.subTest(name=name, value=value),
                environment(**{name: value}),
                self.assertRaisesRegex(ConfigError, name),
            ):
                create_app("development")

    def test_every_bad_variable_is_named_at_once(self):
        with (
            environment(TOKEN_LIFETIME_SECONDS="five", MAIL_USE_TLS="maybe", LOG_FORMAT="xml",
                        LOGIN_LIMIT_PER_CLIENT="lots", TRUSTED_HOSTS="api.example"),
            self.assertRaises(ConfigError) as raised,
        ):
            create_app("development")
        message = str(raised.exception)
        for name in ("TOKEN_LIFETIME_SECONDS", "MAIL_USE_TLS", "LOG_FORMAT",
                     "LOGIN_LIMIT_PER_CLIENT"):
            self.assertIn(name, message)
        self.assertNotIn("TRUSTED_HOSTS", message)

    def test_env_example_lists_every_variable_the_config_reads(self):
        import re

        from instance.config import RATE_LIMITS

        with open(os.path.join(ROOT, "instance", "config.py")) as source:
            read = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', source.read())) | set(RATE_LIMITS)
        with open(os.path.join(ROOT, ".env.example")) as example:
            listed = set(re.findall(r"^#?\s*([A-Z][A-Z_]+)=", example.read(), re.MULTILINE))
        self.assertGreater(len(read), 40)
        self.assertEqual(read - listed, set())

    def test_testing_uses_cheap_hashing_and_its_own_database(self):
        app = create_app("testing")
        self.assertEqual(app.config["BCRYPT_LOG_ROUNDS"], 4)
        self.assertTrue(app.config["TESTING"])
        self.assertEqual(
            app.config["SQLALCHEMY_DATABASE_URI"],
            normalize_database_url(os.environ["TEST_DATABASE_URL"]),
        )


class ProductionConfigTestCase(unittest.TestCase):
    """Production starts only with a database, a strong secret and debugging off."""

    def test_refuses_without_database_url(self):
        with environment(SECRET=STRONG_SECRET), self.assertRaisesRegex(ConfigError, "DATABASE_URL"):
            create_app("production")

    def test_refuses_without_secret_or_with_a_short_one(self):
        for secret in [None, "", "s" * 31]:
            values = {"DATABASE_URL": "postgresql://localhost/x"}
            if secret is not None:
                values["SECRET"] = secret
            with (
                self.subTest(secret=secret),
                environment(**values),
                self.assertRaisesRegex(ConfigError, "SECRET"),
            ):
                create_app("production")

    def test_refuses_the_example_secret_and_low_entropy_ones(self):
        with open(os.path.join(ROOT, ".env.example")) as example:
            [example_secret] = [line.split("=", 1)[1].strip() for line in example
                                if line.startswith("SECRET=")]
        for secret, reason in [(example_secret, ".env.example"), ("a" * 40, "entropy"),
                               (" " * 40, "entropy"), ("ab" * 32, "entropy"),
                               ("0123456789abcd" * 3, "entropy")]:
            with (
                self.subTest(secret=secret),
                environment(DATABASE_URL="postgresql://localhost/x", SECRET=secret),
                self.assertRaisesRegex(ConfigError, f"SECRET .*{reason}.*secrets.token_urlsafe"),
            ):
                create_app("production")

    def test_a_generated_secret_is_accepted(self):
        import secrets

        for _ in range(20):
            secret = secrets.token_urlsafe(48)
            with environment(DATABASE_URL="postgresql://localhost/x", SECRET=secret):
                self.assertEqual(create_app("production").config["SECRET"], secret)

    def test_mail_needs_public_url(self):
        for name in ("production", "staging"):
            with (
                self.subTest(name=name),
                environment(DATABASE_URL="postgresql://localhost/x", SECRET=STRONG_SECRET,
                            MAIL_SERVER="smtp.example.org"),
                self.assertRaisesRegex(ConfigError, f"PUBLIC_URL must be set .*'{name}'"),
            ):
                create_app(name)
        with environment(DATABASE_URL="postgresql://localhost/x", SECRET=STRONG_SECRET,
                         MAIL_SERVER="smtp.example.org", PUBLIC_URL="https://api.example.org/"):
            self.assertEqual(create_app("production").config["PUBLIC_URL"],
                             "https://api.example.org")

    def test_a_public_url_that_is_not_one_is_refused(self):
        for url in ["api.example.org", "ftp://api.example.org", "https://", "https://x/?a=1"]:
            with (
                self.subTest(url=url),
                environment(PUBLIC_URL=url),
                self.assertRaisesRegex(ConfigError, "PUBLIC_URL must"),
            ):
                create_app("development")

    def test_refuses_flask_debug(self):
        with environment(DATABASE_URL="postgresql://localhost/x", SECRET=STRONG_SECRET,
                         FLASK_DEBUG="1"), self.assertRaisesRegex(ConfigError, "FLASK_DEBUG"):
            create_app("production")

    def test_starts_when_safe_with_debug_off(self):
        with environment(DATABASE_URL="postgresql://localhost/x", SECRET=STRONG_SECRET):
            app = create_app("production")
        self.assertFalse(app.debug)
        self.assertFalse(app.testing)
        self.assertEqual(app.config["SECRET"], STRONG_SECRET)


class GunicornConfigTestCase(unittest.TestCase):
    """gunicorn.conf.py: sync workers, two per core, unless the environment says otherwise."""

    PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "gunicorn.conf.py")

    def settings(self, **values):
        unset = {key: value for key, value in os.environ.items()
                 if not key.startswith("GUNICORN_") and key not in ("WEB_CONCURRENCY", "PORT")}
        with mock.patch.dict(os.environ, {**unset, **values}, clear=True):
            return runpy.run_path(self.PATH)

    def test_defaults(self):
        settings = self.settings()
        self.assertEqual(settings["worker_class"].__name__, "JsonErrorsSyncWorker")
        self.assertEqual(settings["workers"], 2 * multiprocessing.cpu_count())
        self.assertEqual(settings["threads"], 1)
        self.assertEqual(settings["bind"], "127.0.0.1:8000")

    def test_the_environment_chooses(self):
        settings = self.settings(GUNICORN_WORKER_CLASS="gthread", GUNICORN_THREADS="4",
                                 GUNICORN_WORKERS="3", GUNICORN_BIND="0.0.0.0:9000")
        self.assertEqual((settings["worker_class"].__name__, settings["threads"],
                          settings["workers"], settings["bind"]),
                         ("JsonErrorsThreadWorker", 4, 3, "0.0.0.0:9000"))


if __name__ == "__main__":
    unittest.main()
