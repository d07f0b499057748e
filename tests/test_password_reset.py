"""Password reset by e-mail, over a real SMTP server: POST /auth/password-reset and
POST /auth/password-reset/confirm."""

import unittest
from datetime import datetime, timedelta, timezone

from app import db
from app.auth.models import PasswordResetToken
from app.mail import outbox
from app.models import User
from tests.base import DEFAULT_EMAIL, DEFAULT_PASSWORD, BaseTestCase, free_port, race
from tests.mail import SMTPServer, delivered, reset_token

REQUESTED = {"message": "If that e-mail is registered, a link to reset its password is on its way."}
INVALID_RESET = "Invalid, used or expired reset token. Please ask for a new one."
NEW_PASSWORD = "my new password"


class PasswordResetTestCase(BaseTestCase):
    @classmethod
    def setUpClass(cls):
        cls.smtp = SMTPServer()
        cls.smtp.start()

    @classmethod
    def tearDownClass(cls):
        cls.smtp.stop()

    def setUp(self):
        super().setUp()
        self.use_app(**self.smtp.config)
        self.smtp.inbox.clear()
        self.register_user()
        self.tokens = self.login_user().get_json()

    def ask(self, email=DEFAULT_EMAIL, as_form=False):
        body = {"email": email}
        if as_form:
            return self.client().post("/auth/password-reset", data=body)
        return self.client().post("/auth/password-reset", json=body)

    def confirm(self, token, password=NEW_PASSWORD):
        return self.client().post("/auth/password-reset/confirm",
                                  json={"token": token, "password": password})

    def mailed_token(self) -> str:
        self.assertEqual(self.ask().status_code, 202)
        messages = delivered(self.smtp.inbox)
        return reset_token(messages[-1])

    def test_the_mail_arrives_and_its_token_resets_the_password(self):
        res = self.ask(as_form=True)
        self.assertEqual((res.status_code, res.get_json()), (202, REQUESTED))
        [message] = delivered(self.smtp.inbox)
        self.assertEqual(message["To"], DEFAULT_EMAIL)
        self.assertEqual(message["Subject"], "Reset your Bucketlist API password")
        token = reset_token(message)
        # The token is in the link's fragment, which a browser never sends to a server.
        self.assertIn(f"http://localhost/auth/password-reset/confirm#token={token}",
                      message.get_content())
        res = self.confirm(token)
        self.assertEqual(res.status_code, 200, res.data)
        self.assertEqual(self.login_user(password=NEW_PASSWORD).status_code, 200)
        self.assertEqual(self.login_user(password=DEFAULT_PASSWORD).status_code, 401)

    def test_a_reset_ends_every_session(self):
        self.confirm(self.mailed_token())
        res = self.client_for(self.tokens["access_token"]).get("/auth/me")
        self.assert_error(res, 401, "Token revoked. Please login again.")
        res = self.client().post("/auth/refresh",
                                 json={"refresh_token": self.tokens["refresh_token"]})
        self.assert_error(res, 401, "Session ended. Please login again.")

    def test_an_unregistered_email_gets_the_same_answer_and_no_mail(self):
        res = self.ask("nobody@example.com")
        self.assertEqual((res.status_code, res.get_json()), (202, REQUESTED))
        self.assertEqual(delivered(self.smtp.inbox, timeout=0.3), [])
        self.assertEqual(self.count(PasswordResetToken), 0)

    def test_the_token_is_stored_only_as_a_hash(self):
        token = self.mailed_token()
        with self.app.app_context():
            stored = db.session.scalar(db.select(PasswordResetToken))
        self.assertNotEqual(stored.token_hash, token)
        self.assertEqual(len(stored.token_hash), 64)

    def test_a_token_works_once(self):
        token = self.mailed_token()
        self.assertEqual(self.confirm(token).status_code, 200)
        res = self.confirm(token, password="yet another password")
        self.assertEqual(self.assert_error(res, 400)["errors"], {"token": [INVALID_RESET]})
        self.assertEqual(self.login_user(password=NEW_PASSWORD).status_code, 200)

    def test_racing_confirms_with_one_token_have_one_winner(self):
        token = self.mailed_token()
        statuses = sorted(res.status_code for res in race(
            lambda: self.confirm(token, "first new password"),
            lambda: self.confirm(token, "second new password")))
        self.assertEqual(statuses, [200, 400])

    def test_an_expired_token_is_400_and_changes_nothing(self):
        token = self.mailed_token()
        with self.app.app_context():
            db.session.execute(db.update(PasswordResetToken).values(
                expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
            db.session.commit()
        self.assert_error(self.confirm(token), 400, f"Invalid input. token: {INVALID_RESET}")
        self.assertEqual(self.login_user().status_code, 200)

    def test_the_lifetime_comes_from_the_config(self):
        self.use_app(PASSWORD_RESET_LIFETIME_SECONDS=600, **self.smtp.config)
        self.mailed_token()
        with self.app.app_context():
            stored = db.session.scalar(db.select(PasswordResetToken))
        remaining = stored.expires_at - datetime.now(timezone.utc)
        self.assertTrue(timedelta(minutes=9) < remaining <= timedelta(minutes=10))
        self.assertIn("within 10 minutes", self.smtp.inbox.messages[-1].get_content())

    def test_asking_again_replaces_the_earlier_token(self):
        first = self.mailed_token()
        self.smtp.inbox.clear()
        second = self.mailed_token()
        self.assert_error(self.confirm(first), 400)
        self.assertEqual(self.confirm(second).status_code, 200)
        self.assertEqual(self.count(PasswordResetToken), 0)

    def test_unknown_garbage_and_oversized_tokens_are_400(self):
        for token in ["unknown", "x" * 256, self.tokens["access_token"][:256]]:
            with self.subTest(token=token[:20]):
                self.assert_error(self.confirm(token), 400)
        for token in ["", "x" * 257, 12, None]:
            with self.subTest(token=str(token)[:20]):
                self.assertIn("token", self.assert_error(self.confirm(token), 400)["errors"])
        self.assertEqual(self.login_user().status_code, 200)

    def test_the_new_password_follows_the_registration_rules(self):
        token = self.mailed_token()
        for password in ["short", "x" * 73, "\u00e9" * 37, None, 12345678]:
            with self.subTest(password=str(password)[:20]):
                res = self.confirm(token, password)
                self.assertIn("password", self.assert_error(res, 400)["errors"])
        self.assertEqual(self.confirm(token).status_code, 200)  # still unspent

    def test_bad_request_bodies_are_400(self):
        for body in [{}, {"email": ""}, {"email": "not an e-mail"}, {"email": 12},
                     {"email": "x" * 300 + "@example.com"}]:
            with self.subTest(body=str(body)[:40]):
                res = self.client().post("/auth/password-reset", json=body)
                self.assertIn("email", self.assert_error(res, 400)["errors"])
        res = self.client().post("/auth/password-reset", data="{",
                                 content_type="application/json")
        self.assert_error(res, 400)
        self.assertEqual(delivered(self.smtp.inbox, timeout=0.2), [])

    def test_any_spelling_of_the_email_reaches_its_user(self):
        self.assertEqual(self.ask("TEST@Example.COM").status_code, 202)
        self.assertEqual(len(delivered(self.smtp.inbox)), 1)

    def test_links_name_public_url_when_set_whatever_the_host_header_says(self):
        self.use_app(PUBLIC_URL="https://api.example.org", **self.smtp.config)
        res = self.client().post("/auth/password-reset", json={"email": DEFAULT_EMAIL},
                                 headers={"Host": "attacker.example"})
        self.assertEqual(res.status_code, 202)
        [message] = delivered(self.smtp.inbox)
        self.assertIn("https://api.example.org/auth/password-reset/confirm#token=",
                      message.get_content())
        self.assertNotIn("attacker", message.get_content())

    def test_a_mail_server_that_is_down_still_gets_a_202_and_a_log_line(self):
        self.use_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
        with self.assertLogs(self.app.logger, "ERROR") as logs:
            res = self.ask()
            outbox.join()
        self.assertEqual((res.status_code, res.get_json()), (202, REQUESTED))
        self.assertIn("A mail job failed: mail_reset_token", logs.output[0])
        self.assertIn("ConnectionRefusedError", "\n".join(logs.output))

    def test_a_deleted_users_token_is_400(self):
        token = self.mailed_token()
        with self.app.app_context():
            db.session.execute(db.delete(User))
            db.session.commit()
        self.assert_error(self.confirm(token), 400)


class WithoutMailServerTestCase(BaseTestCase):
    def test_development_and_testing_log_the_whole_mail_and_production_does_not(self):
        from instance.config import app_config

        self.assertEqual([app_config[name]().LOG_MAIL_CONTENT for name in
                          ("development", "testing", "staging", "production")],
                         [True, True, False, False])

    def test_without_mail_server_the_message_is_logged_in_development_and_tests(self):
        self.register_user()
        with self.assertLogs("app.mail", "WARNING") as logs:
            self.client().post("/auth/password-reset", json={"email": DEFAULT_EMAIL})
            outbox.join()
        self.assertIn("MAIL_SERVER is not set", logs.output[0])
        self.assertRegex(logs.output[0], r"token=[A-Za-z0-9_-]{43}")

    def test_elsewhere_the_log_keeps_the_link_out(self):
        self.use_app(LOG_MAIL_CONTENT=False)
        self.register_user()
        with self.assertLogs("app.mail", "WARNING") as logs:
            self.client().post("/auth/password-reset", json={"email": DEFAULT_EMAIL})
            outbox.join()
        self.assertNotIn("token=", "\n".join(logs.output))


if __name__ == "__main__":
    unittest.main()
