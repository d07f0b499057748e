"""POST /auth/logout: the token is refused from then on, by every server process."""

import threading
import unittest
from datetime import datetime, timedelta, timezone

from app import create_app, db
from app.auth.commands import purge_expired_revocations
from app.models import RevokedToken
from tests.base import BaseTestCase
from tests.database import release
from tests.test_tokens import make_token, valid_claims

REVOKED = "Token revoked. Please login again."


class LogoutTestCase(BaseTestCase):
    """Logging out revokes exactly the token it was sent with."""

    def setUp(self):
        super().setUp()
        self.token = self.get_token()

    def logout(self, token):
        return self.client().post("/auth/logout", headers=self.auth_header(token))

    def list_with(self, token, client=None):
        return (client or self.client()).get("/bucketlists/", headers=self.auth_header(token))

    def test_logout_answers_the_message(self):
        res = self.logout(self.token)
        self.assertEqual((res.status_code, res.get_json()),
                         (200, {"message": "You logged out successfully."}))

    def test_logged_out_token_is_refused_everywhere(self):
        self.logout(self.token)
        for res in [self.list_with(self.token),
                    self.client().post("/bucketlists/", headers=self.auth_header(self.token),
                                       json={"name": "x"}),
                    self.client().get("/bucketlists/1", headers=self.auth_header(self.token))]:
            self.assert_error(res, 401, REVOKED)

    def test_revocation_is_shared_by_other_processes(self):
        self.logout(self.token)
        other_process = create_app("testing")
        self.addCleanup(release, other_process)
        self.assert_error(self.list_with(self.token, other_process.test_client()), 401, REVOKED)

    def test_logging_out_twice_is_401(self):
        self.assertEqual(self.logout(self.token).status_code, 200)
        self.assert_error(self.logout(self.token), 401, REVOKED)
        self.assertEqual(self.count(RevokedToken), 1)

    def test_racing_logouts_of_one_token_revoke_it_once(self):
        statuses = []
        barrier = threading.Barrier(4)

        def logout():
            barrier.wait()
            statuses.append(self.app.test_client().post(
                "/auth/logout", headers=self.auth_header(self.token)).status_code)

        threads = [threading.Thread(target=logout) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(sorted(statuses), [200, 401, 401, 401])

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
        expired = make_token(valid_claims(iat=past, exp=past + timedelta(minutes=5)))
        self.assert_error(self.logout(expired), 401,
                          "Expired token. Please login to get a new token")
        self.assertEqual(self.count(RevokedToken), 0)

    def test_logout_without_a_token_is_401(self):
        self.assert_error(self.client().post("/auth/logout"), 401)
        self.assert_error(self.logout("not-a-token"), 401)
        self.assertEqual(self.count(RevokedToken), 0)

    def test_revocation_is_kept_until_the_token_expires(self):
        self.logout(self.token)
        with self.app.app_context():
            entry = db.session.scalar(db.select(RevokedToken))
            remaining = entry.expires_at - datetime.now(timezone.utc)
            self.assertTrue(timedelta(minutes=4) < remaining <= timedelta(minutes=5))

    def test_purge_drops_only_expired_revocations(self):
        now = datetime.now(timezone.utc)
        with self.app.app_context():
            db.session.add_all([
                RevokedToken(jti="old", expires_at=now - timedelta(seconds=1)),
                RevokedToken(jti="older", expires_at=now - timedelta(days=3)),
                RevokedToken(jti="live", expires_at=now + timedelta(minutes=1)),
            ])
            db.session.commit()
            self.assertEqual(purge_expired_revocations(), 2)
            self.assertEqual(db.session.scalars(db.select(RevokedToken.jti)).all(), ["live"])

    def test_purge_tokens_command(self):
        with self.app.app_context():
            db.session.add(RevokedToken(jti="old", expires_at=datetime(2000, 1, 1,
                                                                      tzinfo=timezone.utc)))
            db.session.commit()
        result = self.app.test_cli_runner().invoke(args=["purge-tokens"])
        self.assertEqual(result.exit_code, 0, result.output)
        self.assertIn("Purged 1 expired revoked token(s).", result.output)
        self.assertEqual(self.count(RevokedToken), 0)


if __name__ == "__main__":
    unittest.main()
