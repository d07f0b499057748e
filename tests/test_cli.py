"""The command line: manage.py's db and test commands, flask db, and serving with gunicorn."""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from sqlalchemy import create_engine, inspect, text

from app.database import MIGRATION_LOCK
from tests.database import ensure_test_database, scratch_database
from tests.live_server import ROOT, SECRET, live_api, run, serving


def request(url, body=None, token=None, method=None):
    """(status, JSON body) of an HTTP request to a live server."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class ManageDbTestCase(unittest.TestCase):
    """`python manage.py db ...` and `flask db ...` apply the migrations."""

    def tables(self, url):
        engine = create_engine(url)
        try:
            return set(inspect(engine).get_table_names())
        finally:
            engine.dispose()

    def test_manage_db_upgrade_check_and_downgrade(self):
        with scratch_database() as url:
            env = {"APP_SETTINGS": "development", "DATABASE_URL": url, "SECRET": SECRET}
            upgrade = run(sys.executable, "-W", "default", "manage.py", "db", "upgrade", **env)
            self.assertEqual(upgrade.returncode, 0, upgrade.stderr)
            self.assertNotIn("Warning", upgrade.stderr)  # e.g. a deprecated get_engine
            self.assertEqual(self.tables(url), {"alembic_version", "users", "bucketlists",
                                                "items", "login_sessions",
                                                "password_reset_tokens", "idempotency_keys",
                                                "memberships", "invitations", "public_links"})

            check = run(sys.executable, "manage.py", "db", "check", **env)
            self.assertEqual(check.returncode, 0, check.stderr)
            self.assertIn("No new upgrade operations detected", check.stdout + check.stderr)

            downgrade = run(sys.executable, "manage.py", "db", "downgrade", "base", **env)
            self.assertEqual(downgrade.returncode, 0, downgrade.stderr)
            self.assertEqual(self.tables(url), {"alembic_version"})

    def test_flask_db_upgrade_works_too(self):
        with scratch_database() as url:
            flask = os.path.join(os.path.dirname(sys.executable), "flask")
            env = {"APP_SETTINGS": "development", "DATABASE_URL": url, "SECRET": SECRET}
            upgrade = run(flask, "db", "upgrade", **env)
            self.assertEqual(upgrade.returncode, 0, upgrade.stderr)
            self.assertIn("users", self.tables(url))

    def test_help_lists_the_tutorial_commands(self):
        result = run(sys.executable, "manage.py", "--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        for command in ("db", "test", "run", "purge-tokens"):
            self.assertRegex(result.stdout, rf"\n\s+{command}\s")


class MigrateTogetherTestCase(unittest.TestCase):
    """Instances that start together (the image's MIGRATE=1) migrate one database exactly once."""

    def test_three_upgrades_at_once_wait_for_the_lock_and_migrate_once(self):
        with scratch_database() as url:
            env = {**os.environ, "APP_SETTINGS": "production", "DATABASE_URL": url,
                   "SECRET": SECRET}
            engine = create_engine(url)
            self.addCleanup(engine.dispose)
            with engine.connect() as holder:
                holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
                upgrades = [subprocess.Popen(
                    [sys.executable, "manage.py", "db", "upgrade"], cwd=ROOT, env=env,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
                # All three wait for the lock this test holds; none has migrated.
                deadline = time.monotonic() + 60
                while waiting_for_advisory_locks(holder) < 3:
                    self.assertLess(time.monotonic(), deadline, "the upgrades took no lock")
                    self.assertTrue(all(upgrade.poll() is None for upgrade in upgrades))
                    time.sleep(0.1)
                holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
                holder.commit()
            results = [(upgrade.wait(120), upgrade.stderr.read()) for upgrade in upgrades]
            for returncode, stderr in results:
                self.assertEqual(returncode, 0, stderr)
            # Exactly one of them ran the migrations; the others found the database at head.
            ran = [stderr for _, stderr in results if "Running upgrade  ->" in stderr]
            self.assertEqual(len(ran), 1, [stderr[-300:] for _, stderr in results])


def waiting_for_advisory_locks(connection) -> int:
    """How many sessions wait for an advisory lock now."""
    query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    count = connection.execute(text(query)).scalar_one()
    connection.commit()
    return count


class ManageTestCommandTestCase(unittest.TestCase):
    """`python manage.py test` reports what CI reads and fails loudly."""

    def test_failures_exit_non_zero_with_the_summary_line(self):
        result = run(sys.executable, "manage.py", "test", "tests.fixtures.failing",
                     TEST_DATABASE_URL=ensure_test_database())
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout.strip().splitlines()[-1], "1 passed, 2 failed, 1 skipped")
        self.assertIn("test_fails", result.stderr)

    def test_running_no_test_is_a_failure(self):
        result = run(sys.executable, "manage.py", "test", "tests.fixtures",
                     TEST_DATABASE_URL=ensure_test_database())
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout.strip().splitlines()[-1], "0 passed, 0 failed, 0 skipped")


class ServeTestCase(unittest.TestCase):
    """The service answers over real HTTP: production under gunicorn, development on SQLite."""

    def exercise(self, base):
        """Register, log in, create, list, rename, delete: the whole contract once."""
        user = {"email": "live@example.com", "password": "live password"}
        self.assertEqual(request(base + "/auth/register", user)[0], 201)
        status, body = request(base + "/auth/login", user)
        self.assertEqual(status, 200)
        token = body["access_token"]
        self.assertEqual(request(base + "/bucketlists/")[0], 401)
        status, created = request(base + "/bucketlists/", {"name": "Live"}, token)
        self.assertEqual(status, 201)
        path = f"{base}/bucketlists/{created['id']}"
        self.assertEqual(request(base + "/bucketlists/", token=token)[1][0]["name"], "Live")
        self.assertEqual(request(path, {"name": "Renamed"}, token, "PUT")[1]["name"], "Renamed")
        self.assertEqual(request(path, token=token, method="DELETE")[0], 200)
        self.assertEqual(request(path, token=token)[0], 404)
        # The session and the account: refresh, who am I, change the password, delete it all.
        status, renewed = request(base + "/auth/refresh", {"refresh_token": body["refresh_token"]})
        self.assertEqual(status, 200)
        token = renewed["access_token"]
        self.assertEqual(request(base + "/auth/me", token=token)[1]["email"], user["email"])
        change = {"current_password": user["password"], "new_password": "new live password"}
        status, changed = request(base + "/auth/password", change, token, "PUT")
        self.assertEqual(status, 200)
        self.assertEqual(request(base + "/auth/me", token=token)[0], 401)
        status, _ = request(base + "/auth/me", {"password": "new live password"},
                            changed["access_token"], "DELETE")
        self.assertEqual(status, 200)
        self.assertEqual(request(base + "/auth/login", user)[0], 401)

    def test_gunicorn_serves_production(self):
        with live_api() as base:
            self.exercise(base)

    def test_gunicorn_writes_a_json_access_log_with_the_request_id(self):
        with tempfile.TemporaryFile("w+") as log:
            with live_api(stdout=log) as base:
                req = urllib.request.Request(base + "/health?probe=1",
                                             headers={"X-Request-ID": "trace-42"})
                with urllib.request.urlopen(req, timeout=10) as response:
                    self.assertEqual(response.headers["X-Request-ID"], "trace-42")
            log.seek(0)
            entries = [json.loads(line) for line in log if line.startswith("{")]
        (entry,) = [e for e in entries if e["request_id"] == "trace-42"]
        self.assertEqual((entry["method"], entry["path"], entry["query"], entry["status"]),
                         ("GET", "/health", "probe=1", 200))
        self.assertIsInstance(entry["duration_ms"], float)

    def test_manage_run_serves_development_on_sqlite(self):
        with tempfile.TemporaryDirectory() as directory:
            url = "sqlite:///" + os.path.join(directory, "dev.db")
            env = {"APP_SETTINGS": "development", "DATABASE_URL": url, "SECRET": SECRET,
                   "BCRYPT_LOG_ROUNDS": "4"}
            self.assertEqual(run(sys.executable, "manage.py", "db", "upgrade", **env).returncode, 0)
            with serving([sys.executable, "manage.py", "run", "--port", "{port}"], env) as base:
                self.exercise(base)


if __name__ == "__main__":
    unittest.main()
