"""Throttling of the auth endpoints (Flask-Limiter): per client, per e-mail, shared via Redis."""

import os
import unittest
from unittest import mock

from app import create_app
from app.auth.throttling import THROTTLED_MESSAGE, limiter
from tests.base import BaseTestCase
from tests.database import release
from tests.live_server import REDIS, redis_server

LIMITS = {
    "RATELIMIT_ENABLED": True,
    "LOGIN_LIMIT_PER_CLIENT": "5 per minute",
    "LOGIN_LIMIT_PER_EMAIL": "3 per minute",
    "REGISTER_LIMIT_PER_CLIENT": "4 per minute",
    "REGISTER_LIMIT_PER_EMAIL": "2 per minute",
}


class RateLimitTestCase(BaseTestCase):
    """429 JSON with Retry-After once a client or an e-mail has had its share."""

    def setUp(self):
        super().setUp()
        self.use_app(**LIMITS)
        self.register_user("user@example.com", "right password")

    def login_from(self, address, email="user@example.com", password="wrong password"):  # noqa: S107
        return self.client().post("/auth/login", json={"email": email, "password": password},
                                  environ_base={"REMOTE_ADDR": address})

    def assert_throttled(self, response):
        body = self.assert_error(response, 429)
        self.assertEqual(body["message"], THROTTLED_MESSAGE)
        self.assertGreater(int(response.headers["Retry-After"]), 0)
        return body

    def test_one_email_is_throttled_whatever_the_client(self):
        for number in range(3):
            self.assertEqual(self.login_from(f"10.0.0.{number}").status_code, 401)
        self.assert_throttled(self.login_from("10.0.0.9"))
        # even the right password waits: that is what stops guessing
        self.assert_throttled(self.login_from("10.0.0.10", password="right password"))
        self.assertEqual(self.login_from("10.0.0.11", email="other@example.com").status_code, 401)

    def test_one_client_is_throttled_whatever_the_email(self):
        for number in range(5):
            self.assertEqual(self.login_from("10.1.1.1", f"u{number}@example.com").status_code, 401)
        self.assert_throttled(self.login_from("10.1.1.1", "fresh@example.com"))
        self.assertEqual(self.login_from("10.1.1.2", "fresh@example.com").status_code, 401)

    def test_email_case_does_not_escape_the_limit(self):
        for email in ["USER@example.com", "User@Example.com", "user@EXAMPLE.com"]:
            self.login_from("10.2.0.1", email)
        self.assert_throttled(self.login_from("10.2.0.2", "user@example.com"))

    def test_registration_is_throttled(self):
        for number in range(2):
            self.client().post("/auth/register", json={"email": "new@example.com",
                                                       "password": "long enough"},
                               environ_base={"REMOTE_ADDR": f"10.3.0.{number}"})
        res = self.client().post("/auth/register", json={"email": "new@example.com",
                                                         "password": "long enough"},
                                 environ_base={"REMOTE_ADDR": "10.3.0.9"})
        self.assert_throttled(res)

    def test_bad_bodies_still_get_their_400(self):
        res = self.client().post("/auth/login", data="{", content_type="application/json",
                                 environ_base={"REMOTE_ADDR": "10.4.0.1"})
        self.assert_error(res, 400, "Malformed JSON in the request body.")

    def stored_keys(self):
        """The keys the limiter's in-memory storage holds now."""
        return set(limiter.storage.storage)

    def test_an_over_long_email_is_a_400_before_the_limiter_stores_anything(self):
        limiter.storage.reset()
        huge = "u" * 1_000_000 + "@example.com"
        for path in ("/auth/login", "/auth/register"):
            with self.subTest(path=path):
                res = self.client().post(path, json={"email": huge, "password": "long enough"},
                                         environ_base={"REMOTE_ADDR": "10.5.0.1"})
                body = self.assert_error(res, 400)
                self.assertIn("email", body["errors"])
        self.assertEqual(self.stored_keys(), set())

    def test_every_key_is_short_whatever_the_email(self):
        limiter.storage.reset()
        long_local_part = "u" * 64 + "@" + "d" * 60 + ".example.com"
        for email in ("user@example.com", long_local_part, "not an e-mail at all " * 10):
            self.login_from("10.6.0.1", email)
        keys = self.stored_keys()
        self.assertEqual(len(keys), 4, keys)  # one client, three e-mails
        self.assertLessEqual(max(len(key) for key in keys), 160, keys)  # prefix, digest, scope
        self.assertFalse(any("user" in key or "example" in key for key in keys), keys)

    def test_refresh_is_throttled_per_client(self):
        self.use_app(**LIMITS, REFRESH_LIMIT_PER_CLIENT="2 per minute")
        for _ in range(2):
            res = self.client().post("/auth/refresh", json={"refresh_token": "x"},
                                     environ_base={"REMOTE_ADDR": "10.7.0.1"})
            self.assert_error(res, 401)
        self.assert_throttled(self.client().post("/auth/refresh", json={"refresh_token": "x"},
                                                 environ_base={"REMOTE_ADDR": "10.7.0.1"}))

    def test_password_change_and_delete_are_throttled_per_account(self):
        self.use_app(**LIMITS, PASSWORD_CHANGE_LIMIT_PER_EMAIL="2 per minute",
                     ACCOUNT_DELETE_LIMIT_PER_EMAIL="2 per minute")
        token = self.login_from("10.8.0.1", password="right password").get_json()["access_token"]
        for method, path, body in [
            ("put", "/auth/password", {"current_password": "wrong", "new_password": "long enough"}),
            ("delete", "/auth/me", {"password": "wrong"}),
        ]:
            with self.subTest(path=path):
                for number in range(2):
                    res = getattr(self.client(), method)(
                        path, json=body, headers=self.auth_header(token),
                        environ_base={"REMOTE_ADDR": f"10.8.1.{number}"})
                    self.assert_error(res, 400)
                # The account's limit holds from any other client address.
                self.assert_throttled(getattr(self.client(), method)(
                    path, json=body, headers=self.auth_header(token),
                    environ_base={"REMOTE_ADDR": "10.8.2.1"}))

    def test_password_reset_is_throttled_per_email_and_per_client(self):
        self.use_app(**LIMITS, PASSWORD_RESET_LIMIT_PER_EMAIL="2 per minute",
                     PASSWORD_RESET_LIMIT_PER_CLIENT="3 per minute",
                     PASSWORD_RESET_CONFIRM_LIMIT_PER_CLIENT="2 per minute")

        def ask(address, email="nobody@example.com"):
            return self.client().post("/auth/password-reset", json={"email": email},
                                      environ_base={"REMOTE_ADDR": address})

        for number in range(2):
            self.assertEqual(ask(f"10.9.0.{number}").status_code, 202)
        self.assert_throttled(ask("10.9.0.9", "NOBODY@example.com"))
        for number in range(3):
            self.assertEqual(ask("10.9.1.1", f"n{number}@example.com").status_code, 202)
        self.assert_throttled(ask("10.9.1.1", "fresh@example.com"))

        def confirm():
            return self.client().post("/auth/password-reset/confirm",
                                      json={"token": "guess", "password": "long enough"},
                                      environ_base={"REMOTE_ADDR": "10.9.2.1"})

        for _ in range(2):
            self.assert_error(confirm(), 400)
        self.assert_throttled(confirm())

    def test_other_routes_are_not_throttled(self):
        for _ in range(20):
            self.assertEqual(self.client().get("/health").status_code, 200)

    def test_limits_can_be_turned_off(self):
        app = create_app("testing", overrides={**LIMITS, "RATELIMIT_ENABLED": False})
        self.addCleanup(release, app)
        statuses = {app.test_client().post("/auth/login", json={
            "email": "user@example.com", "password": "nope"}).status_code for _ in range(10)}
        self.assertEqual(statuses, {401})

    def test_the_environment_sets_them(self):
        values = {"RATELIMIT_ENABLED": "false", "LOGIN_LIMIT_PER_EMAIL": "7 per hour"}
        with mock.patch.dict(os.environ, values):
            config = create_app("development").config
        self.assertEqual((config["RATELIMIT_ENABLED"], config["LOGIN_LIMIT_PER_EMAIL"]),
                         (False, "7 per hour"))
        with mock.patch.dict(os.environ, {"RATELIMIT_ENABLED": "true"}):
            self.assertTrue(create_app("development").config["RATELIMIT_ENABLED"])


@unittest.skipUnless(REDIS, "redis-server not installed (apt-get install redis-server; .ci/run "
                            "does): the shared-counter test is skipped")
class SharedCountersTestCase(BaseTestCase):
    """With a Redis storage URI, every process counts against the same limits."""

    def setUp(self):
        super().setUp()
        redis = redis_server()
        self.redis_url = redis.__enter__()
        self.addCleanup(redis.__exit__, None, None, None)

    def test_two_processes_share_the_counters(self):
        shared = {**LIMITS, "RATELIMIT_STORAGE_URI": self.redis_url}
        first, second = create_app("testing", shared), create_app("testing", shared)
        self.addCleanup(release, first)
        self.addCleanup(release, second)
        for app in (first, second, first):
            res = app.test_client().post("/auth/login", json={
                "email": "shared@example.com", "password": "x"})
            self.assertEqual(res.status_code, 401)
        res = second.test_client().post("/auth/login", json={
            "email": "shared@example.com", "password": "x"})
        self.assertEqual(res.status_code, 429)

    def test_an_email_with_a_lone_surrogate_is_a_400_not_a_500(self):
        app = self.use_app(**LIMITS, RATELIMIT_STORAGE_URI=self.redis_url)
        for path in ("/auth/login", "/auth/register"):
            with self.subTest(path=path):
                res = app.test_client().post(
                    path, data='{"email": "\\ud800@x.io", "password": "long enough"}',
                    content_type="application/json")
                body = self.assert_error(res, 400)
                self.assertIn("email", body["errors"])


if __name__ == "__main__":
    unittest.main()
