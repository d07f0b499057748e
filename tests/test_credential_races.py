"""Requests that race a password change, a password reset or the account's deletion.

Each test makes the race happen every time rather than by chance: a connection of the test's own
holds the user's row locked (as the change, reset or deletion does while it runs), the racing
requests are started in threads, and the lock is released only once PostgreSQL shows them waiting.
"""

import threading
import time
import unittest

from sqlalchemy import text

from app import db
from app.auth.models import PasswordResetToken, token_digest
from app.timestamps import utcnow
from tests.base import DEFAULT_EMAIL, DEFAULT_PASSWORD, BaseTestCase

NEW_PASSWORD = "a brand new password"
WAITING = text("SELECT count(*) FROM pg_stat_activity "
               "WHERE datname = current_database() AND wait_event_type = 'Lock'")


class Background(threading.Thread):
    """A request run in a thread; `result` is its response."""

    def __init__(self, request):
        super().__init__(daemon=True)
        self.request, self.result = request, None
        self.start()

    def run(self):
        self.result = self.request()

    def response(self):
        self.join(timeout=30)
        return self.result


class RaceTestCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.register_user()
        self.tokens = self.login_user().get_json()
        self.token = self.tokens["access_token"]
        self.headers = self.auth_header(self.token)
        with self.app.app_context():
            self.holder = db.engine.connect()
            # Statistics are read once per transaction: the watcher reads each in its own.
            self.watcher = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.addCleanup(self.holder.close)
        self.addCleanup(self.watcher.close)

    def hold_user_row(self, statement="SELECT id FROM users WHERE id = 1 FOR UPDATE"):
        """Lock user 1's row from the test's own connection (or delete it, uncommitted)."""
        self.holder.execute(text(statement))

    def wait_for_waiters(self, count):
        """Wait until `count` other sessions wait on a lock (the racing requests)."""
        deadline = time.monotonic() + 30
        while self.watcher.execute(WAITING).scalar() < count:
            self.assertLess(time.monotonic(), deadline, f"{count} requests never waited")
            time.sleep(0.01)

    def release(self):
        self.holder.commit()

    def assert_session_dead(self, tokens):
        """Neither token of this login works any more."""
        res = self.client_for(tokens["access_token"]).get("/auth/me")
        self.assert_error(res, 401)
        res = self.client().post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        self.assert_error(res, 401)

    def login_with_the_old_password_outlives_nothing(self, change):
        """Start `change` (which waits for the user's row), then a login with the old password
        (which reads the old hash, then waits too); release; no session of the login may live."""
        self.hold_user_row()
        changing = Background(change)
        self.wait_for_waiters(1)
        login = Background(lambda: self.client().post(
            "/auth/login", json={"email": DEFAULT_EMAIL, "password": DEFAULT_PASSWORD}))
        self.wait_for_waiters(2)
        self.release()
        self.assertEqual(changing.response().status_code, 200, changing.response().data)
        logged_in = login.response()
        self.assertIn(logged_in.status_code, (200, 401), logged_in.data)
        if logged_in.status_code == 200:
            self.assert_session_dead(logged_in.get_json())
        self.assertEqual(self.login_user(password=DEFAULT_PASSWORD).status_code, 401)
        self.assertEqual(self.login_user(password=NEW_PASSWORD).status_code, 200)

    def test_a_login_racing_a_password_change_keeps_no_session(self):
        self.login_with_the_old_password_outlives_nothing(lambda: self.api.put(
            "/auth/password",
            json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD}))

    def test_a_login_racing_a_password_reset_keeps_no_session(self):
        token, now = "a-reset-token-the-test-made", utcnow()
        with self.app.app_context():
            db.session.add(PasswordResetToken(token_hash=token_digest(token), user_id=1,
                                              created_at=now, expires_at=now.replace(year=3000)))
            db.session.commit()
        self.login_with_the_old_password_outlives_nothing(lambda: self.client().post(
            "/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}))

    def test_a_create_racing_the_accounts_deletion_is_401(self):
        self.hold_user_row("DELETE FROM users WHERE id = 1")
        create = Background(lambda: self.api.post("/bucketlists/", json={"name": "Too late"}))
        self.wait_for_waiters(1)
        self.release()
        self.assert_error(create.response(), 401)

    def test_a_login_racing_the_accounts_deletion_is_401(self):
        self.hold_user_row("DELETE FROM users WHERE id = 1")
        login = Background(lambda: self.client().post(
            "/auth/login", json={"email": DEFAULT_EMAIL, "password": DEFAULT_PASSWORD}))
        self.wait_for_waiters(1)
        self.release()
        self.assert_error(login.response(), 401)


if __name__ == "__main__":
    unittest.main()
