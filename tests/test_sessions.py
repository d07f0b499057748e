"""Sessions that last: POST /auth/login's refresh token, POST /auth/refresh with rotation and reuse
detection (RFC 9700 section 4.14.2)."""

import time
import unittest
from datetime import datetime, timedelta, timezone

import jwt

from app import db
from app.auth.guard import REFRESH_AS_BEARER_MESSAGE
from app.auth.models import LoginSession
from app.timestamps import as_utc
from instance.config import TESTING_SECRET
from tests.base import BaseTestCase, race

INVALID_REFRESH = "Invalid refresh token. Please login."
ENDED = "Session ended. Please login again."
REUSED = ("Refresh token already used: the session has ended in case it was stolen. "
          "Please login again.")
REVOKED = "Token revoked. Please login again."


class SessionTestCase(BaseTestCase):
    """Login starts a session; refresh renews it once per refresh token."""

    def setUp(self):
        super().setUp()
        self.register_user()
        self.tokens = self.login_user().get_json()

    def refresh(self, refresh_token, as_form=False):
        body = {"refresh_token": refresh_token}
        if as_form:
            return self.client().post("/auth/refresh", data=body)
        return self.client().post("/auth/refresh", json=body)

    def works(self, access_token) -> bool:
        res = self.client_for(access_token).get("/bucketlists/")
        return res.status_code == 200

    def session(self, session_id=1) -> LoginSession:
        with self.app.app_context():
            return db.session.get(LoginSession, session_id)

    def test_login_answers_both_tokens_their_type_and_lifetime(self):
        self.assertEqual(set(self.tokens), {"message", "access_token", "refresh_token",
                                            "token_type", "expires_in"})
        self.assertEqual(self.tokens["message"], "You logged in successfully.")
        self.assertEqual((self.tokens["token_type"], self.tokens["expires_in"]), ("Bearer", 300))
        claims = jwt.decode(self.tokens["access_token"], TESTING_SECRET, algorithms=["HS256"])
        self.assertEqual(claims["sub"], "1")
        self.assertEqual(claims["sid"], self.session().handle)

    def test_refresh_answers_new_tokens_and_both_work(self):
        res = self.refresh(self.tokens["refresh_token"])
        self.assertEqual(res.status_code, 200, res.data)
        body = res.get_json()
        self.assertEqual(set(body), set(self.tokens))
        self.assertNotEqual(body["refresh_token"], self.tokens["refresh_token"])
        self.assertNotEqual(body["access_token"], self.tokens["access_token"])
        self.assertTrue(self.works(body["access_token"]))
        self.assertEqual(self.refresh(body["refresh_token"]).status_code, 200)

    def test_refresh_takes_form_data(self):
        self.assertEqual(self.refresh(self.tokens["refresh_token"], as_form=True).status_code, 200)

    def test_only_a_hash_of_the_refresh_token_is_stored(self):
        session = self.session()
        self.assertNotIn(self.tokens["refresh_token"], repr(vars(session)))
        self.assertEqual(len(session.refresh_token_hash), 64)

    def test_a_spent_refresh_token_ends_the_whole_session(self):
        renewed = self.refresh(self.tokens["refresh_token"]).get_json()
        self.assert_error(self.refresh(self.tokens["refresh_token"]), 401, REUSED)
        # Everything descended from that login is refused: the thief's and the owner's.
        self.assert_error(self.refresh(renewed["refresh_token"]), 401, ENDED)
        for access_token in (self.tokens["access_token"], renewed["access_token"]):
            self.assertFalse(self.works(access_token))
        self.assertIsNotNone(self.session().ended_at)

    def test_reuse_ends_only_that_session(self):
        other = self.login_user().get_json()
        self.refresh(self.tokens["refresh_token"])
        self.refresh(self.tokens["refresh_token"])
        self.assertTrue(self.works(other["access_token"]))
        self.assertEqual(self.refresh(other["refresh_token"]).status_code, 200)

    def test_two_refreshes_racing_with_one_token_have_one_winner(self):
        first, second = race(lambda: self.refresh(self.tokens["refresh_token"]),
                             lambda: self.refresh(self.tokens["refresh_token"]))
        self.assertEqual(sorted([first.status_code, second.status_code]), [200, 401])
        loser = first if first.status_code == 401 else second
        self.assertEqual(loser.get_json()["message"], REUSED)
        # The second presentation was a reuse: the session ended, the winner's tokens with it.
        self.assertIsNotNone(self.session().ended_at)
        self.assertEqual(self.session().generation, 1)

    def test_garbage_refresh_tokens_are_401(self):
        token = self.tokens["refresh_token"]
        body, _, tag = token.rpartition(".")
        sid, generation, nonce = body.split(".")
        for garbage in ["x", "....", "a.b.c.d", token + "x", token[:-1], f"{body}.{tag[::-1]}",
                        f"{sid[:-1]}{'y' if sid.endswith('x') else 'x'}.{generation}.{nonce}.{tag}",
                        f"{sid}.{generation}.{nonce}x.{tag}",
                        f"{sid}.9999999999.{nonce}.{tag}", f"1.0.{nonce}.{tag}",
                        "\u0661.0.x.y", self.tokens["access_token"]]:
            with self.subTest(garbage=garbage[:40]):
                self.assert_error(self.refresh(garbage), 401, INVALID_REFRESH)
        self.assertIsNone(self.session().ended_at)
        self.assertEqual(self.refresh(token).status_code, 200)

    def test_a_forged_old_generation_does_not_end_the_session(self):
        # Without the secret, nobody can make a token that looks spent and so end a session.
        sid, _, nonce, tag = self.tokens["refresh_token"].split(".")
        self.refresh(self.tokens["refresh_token"])
        self.assert_error(self.refresh(f"{sid}.0.{nonce}x.{tag}"), 401, INVALID_REFRESH)
        self.assertIsNone(self.session().ended_at)

    def test_a_refresh_token_from_another_secret_is_401(self):
        self.app.config["SECRET"] = "y" * 64
        self.assert_error(self.refresh(self.tokens["refresh_token"]), 401, INVALID_REFRESH)

    def test_an_access_token_is_not_a_refresh_token_nor_the_reverse(self):
        self.assert_error(self.refresh(self.tokens["access_token"]), 401, INVALID_REFRESH)
        res = self.client_for(self.tokens["refresh_token"]).get("/bucketlists/")
        self.assert_error(res, 401, REFRESH_AS_BEARER_MESSAGE)

    def test_missing_empty_oversized_and_wrong_type_bodies_are_400(self):
        for body in [{}, {"refresh_token": ""}, {"refresh_token": "x" * 257},
                     {"refresh_token": 12}, {"refresh_token": None}, {"refresh_token": ["x"]}]:
            with self.subTest(body=str(body)[:40]):
                res = self.client().post("/auth/refresh", json=body)
                self.assert_error(res, 400)
                self.assertIn("refresh_token", res.get_json()["errors"])
        malformed = self.client().post("/auth/refresh", data="{",
                                       content_type="application/json")
        self.assert_error(malformed, 400)
        self.assertEqual(self.session().generation, 0)

    def test_an_expired_session_is_refused_and_ended(self):
        with self.app.app_context():
            session = db.session.get(LoginSession, 1)
            session.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
            db.session.commit()
        self.assert_error(self.refresh(self.tokens["refresh_token"]), 401, ENDED)
        self.assertIsNotNone(self.session().ended_at)

    def test_an_idle_session_is_refused(self):
        with self.app.app_context():
            session = db.session.get(LoginSession, 1)
            session.refreshed_at = datetime.now(timezone.utc) - timedelta(days=7, seconds=1)
            db.session.commit()
        self.assert_error(self.refresh(self.tokens["refresh_token"]), 401, ENDED)

    def test_lifetimes_come_from_the_config(self):
        self.use_app(REFRESH_TOKEN_LIFETIME_SECONDS=1, TOKEN_LIFETIME_SECONDS=7)
        tokens = self.login_user().get_json()
        self.assertEqual(tokens["expires_in"], 7)
        time.sleep(1.1)
        self.assert_error(self.refresh(tokens["refresh_token"]), 401, ENDED)

    def test_refreshing_keeps_the_session_alive_past_idle(self):
        # Each time, the session has sat idle for all but a minute of REFRESH_TOKEN_IDLE_SECONDS
        # (set in the database, not waited for): each refresh works and starts the idle time
        # again, so the session outlives three idle periods.
        idle = timedelta(seconds=self.app.config["REFRESH_TOKEN_IDLE_SECONDS"])
        tokens = self.tokens
        for _ in range(3):
            almost_idle = datetime.now(timezone.utc) - idle + timedelta(minutes=1)
            with self.app.app_context():
                db.session.execute(db.update(LoginSession).values(refreshed_at=almost_idle))
                db.session.commit()
            res = self.refresh(tokens["refresh_token"])
            self.assertEqual(res.status_code, 200, res.data)
            tokens = res.get_json()
            self.assertGreater(as_utc(self.session().refreshed_at), almost_idle)

    def test_a_deleted_users_refresh_token_is_401(self):
        with self.app.app_context():
            db.session.execute(db.text("DELETE FROM users"))
            db.session.commit()
        self.assert_error(self.refresh(self.tokens["refresh_token"]), 401, ENDED)

    def test_logins_beyond_the_cap_end_the_least_recently_used_sessions(self):
        self.use_app(MAX_SESSIONS_PER_USER=3)
        logins = [self.login_user().get_json() for _ in range(3)]
        # The fourth session ended the first (setUp's); the three newest live.
        self.assert_error(self.refresh(self.tokens["refresh_token"]), 401, ENDED)
        for tokens in logins:
            self.assertEqual(self.refresh(tokens["refresh_token"]).status_code, 200)
        with self.app.app_context():
            live = db.session.scalar(db.select(db.func.count()).where(
                LoginSession.ended_at.is_(None)))
        self.assertEqual(live, 3)


if __name__ == "__main__":
    unittest.main()
