"""POST /auth/logout: the session's tokens are refused from then on, by every server process."""

import unittest
from datetime import datetime, timedelta, timezone

from app import create_app, db
from app.auth.models import LoginSession, PasswordResetToken
from app.auth.password_reset import purge_expired_reset_tokens
from app.auth.sessions import purge_dead_sessions
from app.auth.tokens import EXPIRED_MESSAGE
from tests.base import BaseTestCase, race
from tests.database import release
from tests.test_tokens import make_token, session_of, valid_claims

REVOKED = "Token revoked. Please login again."


def ended_sessions() -> int:
    return db.session.scalar(db.select(db.func.count()).where(LoginSession.ended_at.is_not(None)))


class LogoutTestCase(BaseTestCase):
    """Logging out ends exactly the session of the token it was sent with."""

    def setUp(self):
        super().setUp()
        self.register_user()
        self.tokens = self.login_user().get_json()
        self.token = self.tokens["access_token"]

    def ended(self) -> int:
        with self.app.app_context():
            return ended_sessions()

    def logout(self, token):
        return self.client_for(token).post("/auth/logout")

    def list_with(self, token, client=None):
        return (client or self.client()).get("/bucketlists/", headers=self.auth_header(token))

    def test_logout_answers_the_message(self):
        res = self.logout(self.token)
        self.assertEqual((res.status_code, res.get_json()),
                         (200, {"message": "You logged out successfully."}))

    def test_logged_out_token_is_refused_everywhere(self):
        self.logout(self.token)
        for res in [self.list_with(self.token),
                    self.api.post("/bucketlists/", json={"name": "x"}),
                    self.api.get("/bucketlists/1")]:
            self.assert_error(res, 401, REVOKED)

    def test_revocation_is_shared_by_other_processes(self):
        self.logout(self.token)
        other_process = create_app("testing")
        self.addCleanup(release, other_process)
        self.assert_error(self.list_with(self.token, other_process.test_client()), 401, REVOKED)

    def test_logging_out_twice_is_401(self):
        self.assertEqual(self.logout(self.token).status_code, 200)
        self.assert_error(self.logout(self.token), 401, REVOKED)
        self.assertEqual(self.ended(), 1)

    def test_racing_logouts_of_one_token_revoke_it_once(self):
        headers = self.auth_header(self.token)
        responses = race(*[lambda: self.app.test_client().post("/auth/logout", headers=headers)
                           for _ in range(4)])
        self.assertEqual(sorted(r.status_code for r in responses), [200, 401, 401, 401])
        self.assertEqual(self.ended(), 1)

    def test_logout_ends_the_refresh_token_too(self):
        self.logout(self.token)
        res = self.client().post("/auth/refresh",
                                 json={"refresh_token": self.tokens["refresh_token"]})
        self.assert_error(res, 401, "Session ended. Please login again.")

    def test_other_tokens_of_the_same_user_keep_working(self):
        second = self.login_user().get_json()["access_token"]
        self.logout(self.token)
        self.assertEqual(self.list_with(second).status_code, 200)

    def test_logging_in_again_gives_a_working_token(self):
        self.logout(self.token)
        fresh = self.login_user().get_json()["access_token"]
        self.assertEqual(self.list_with(fresh).status_code, 200)

    def test_logout_with_an_expired_token_is_401(self):
        past = datetime.now(timezone.utc) - timedelta(minutes=10)
        expired = make_token(valid_claims(session_of(self.token), iat=past,
                                          exp=past + timedelta(minutes=5)))
        self.assert_error(self.logout(expired), 401, EXPIRED_MESSAGE)
        self.assertEqual(self.ended(), 0)

    def test_logout_without_a_token_is_401(self):
        self.assert_error(self.client().post("/auth/logout"), 401)
        self.assert_error(self.logout("not-a-token"), 401)
        self.assertEqual(self.ended(), 0)

    def add_session(self, **times):
        now = datetime.now(timezone.utc)
        fields = {"created_at": now, "refreshed_at": now, "expires_at": now + timedelta(days=1),
                  "ended_at": None, **times}
        db.session.add(LoginSession(user_id=1, generation=0, refresh_token_hash="x", **fields))

    def test_purge_drops_only_sessions_that_cannot_be_used(self):
        now = datetime.now(timezone.utc)
        with self.app.app_context():
            self.add_session(ended_at=now)
            self.add_session(expires_at=now - timedelta(seconds=1))
            self.add_session(refreshed_at=now - timedelta(days=8))
            self.add_session(refreshed_at=now - timedelta(days=6))
            db.session.commit()
            self.assertEqual(purge_dead_sessions(), 3)
            db.session.commit()
            self.assertEqual(db.session.scalar(db.select(db.func.count(LoginSession.id))), 2)
        self.assertEqual(self.list_with(self.token).status_code, 200)

    def test_a_purged_sessions_token_is_refused(self):
        self.logout(self.token)
        with self.app.app_context():
            self.assertEqual(purge_dead_sessions(), 1)
            db.session.commit()
        self.assert_error(self.list_with(self.token), 401, REVOKED)

    def test_purge_drops_only_expired_reset_tokens(self):
        now = datetime.now(timezone.utc)
        with self.app.app_context():
            db.session.add(PasswordResetToken(token_hash="a" * 64, user_id=1, created_at=now,
                                              expires_at=now - timedelta(seconds=1)))
            db.session.commit()
            self.assertEqual(purge_expired_reset_tokens(), 1)
            db.session.commit()
            db.session.add(PasswordResetToken(token_hash="b" * 64, user_id=1, created_at=now,
                                              expires_at=now + timedelta(minutes=1)))
            db.session.commit()
            self.assertEqual(purge_expired_reset_tokens(), 0)
            db.session.commit()

    def test_purge_tokens_command(self):
        self.logout(self.token)
        result = self.app.test_cli_runner().invoke(args=["purge-tokens"])
        self.assertEqual(result.exit_code, 0, result.output)
        self.assertIn("Purged 1 ended or expired session(s), 0 expired password reset "
                      "token(s), 0 expired idempotency key(s) and 0 expired invitation(s).",
                      result.output)
        with self.app.app_context():
            self.assertEqual(db.session.scalar(db.select(db.func.count(LoginSession.id))), 0)


if __name__ == "__main__":
    unittest.main()
