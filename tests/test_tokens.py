"""Access tokens and the guard in front of every bucketlist route."""

import base64
import json
import time
import unittest
import uuid
from datetime import datetime, timedelta, timezone

import jwt

from app import db
from app.auth.models import LoginSession
from app.models import User
from instance.config import TESTING_SECRET
from tests.base import BaseTestCase

# The tutorial's message, and where a client with a refresh token gets a new one.
EXPIRED = ("Expired token. Please login to get a new token, or send your refresh token to "
           "POST /auth/refresh for one.")
INVALID = "Invalid token. Please register or login"
REVOKED = "Token revoked. Please login again."
PROTECTED = [("get", "/bucketlists/"), ("post", "/bucketlists/"), ("get", "/bucketlists/1"),
             ("put", "/bucketlists/1"), ("delete", "/bucketlists/1")]


def make_token(claims: dict, secret: str = TESTING_SECRET, algorithm: str = "HS256") -> str:
    """A token with exactly these claims."""
    return jwt.encode(claims, secret, algorithm=algorithm)


def session_of(token: str) -> str:
    """The handle of the login session an access token names (its `sid`)."""
    return jwt.decode(token, TESTING_SECRET, algorithms=["HS256"])["sid"]


def valid_claims(session: str, **changes) -> dict:
    """Claims that would be accepted for user 1 in the login session of this handle, with changes
    (None removes a claim)."""
    now = datetime.now(timezone.utc)
    claims = {"sub": "1", "sid": session, "iat": now, "exp": now + timedelta(minutes=5),
              "jti": uuid.uuid4().hex}
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}


class TokenTestCase(BaseTestCase):
    """What the login hands out, and which tokens the guard lets through."""

    def setUp(self):
        super().setUp()
        self.token = self.get_token()
        self.session = session_of(self.token)
        self.bucketlist = self.create_bucketlist(self.token, "Guarded")

    def call_all(self, headers):
        """Every protected route with these headers; their responses."""
        return [
            getattr(self.client(), method)(path, headers=headers, json={"name": "changed"})
            for method, path in PROTECTED
        ]

    def assert_refused(self, headers, message=None, owner_remains=True):
        for response in self.call_all(headers):
            self.assert_error(response, 401, message)
            self.assertTrue(response.headers["WWW-Authenticate"].startswith("Bearer"))
        if not owner_remains:
            return
        res = self.api.get("/bucketlists/1")
        self.assertEqual(res.get_json()["name"], "Guarded")

    def test_every_login_gets_a_new_token_id(self):
        first, second = (jwt.decode(self.login_user().get_json()["access_token"], TESTING_SECRET,
                                    algorithms=["HS256"])["jti"] for _ in range(2))
        self.assertNotEqual(first, second)

    def test_login_token_is_hs256_with_string_sub_iat_and_exp(self):
        header = jwt.get_unverified_header(self.token)
        claims = jwt.decode(self.token, TESTING_SECRET, algorithms=["HS256"])
        self.assertEqual(header["alg"], "HS256")
        self.assertEqual(claims["sub"], "1")
        self.assertEqual(claims["exp"] - claims["iat"], 300)

    def test_token_lifetime_is_configurable(self):
        self.app.config["TOKEN_LIFETIME_SECONDS"] = 60
        token = self.login_user().get_json()["access_token"]
        claims = jwt.decode(token, TESTING_SECRET, algorithms=["HS256"])
        self.assertEqual(claims["exp"] - claims["iat"], 60)

    def test_scheme_is_case_insensitive(self):
        for scheme in ["Bearer", "bearer", "BEARER"]:
            with self.subTest(scheme=scheme):
                res = self.client().get(
                    "/bucketlists/", headers={"Authorization": f"{scheme} {self.token}"}
                )
                self.assertEqual(res.status_code, 200)

    def test_missing_header_is_401_not_500(self):
        body = self.call_all({})[0].get_json()
        self.assertIn("Authorization", body["message"])
        self.assert_refused({})

    def test_malformed_headers_are_401(self):
        for value in ["", "Bearer", "Bearer ", self.token, f"Token {self.token}",
                      "Basic " + base64.b64encode(b"test@example.com:test1234").decode(),
                      f"Bearer {self.token} extra", "Bearer not.a.jwt", "Bearer ....",
                      "Bearer " + "a" * 5000]:
            with self.subTest(value=value[:40]):
                self.assert_refused({"Authorization": value})

    def test_bad_signature_is_401(self):
        forged = make_token(valid_claims(self.session), secret=TESTING_SECRET[::-1])
        self.assert_refused(self.auth_header(forged), INVALID)

    def test_tampered_payload_is_401(self):
        header, _, signature = self.token.split(".")
        claims = valid_claims(self.session, sub="2", iat=1, exp=2**40)
        payload = base64.urlsafe_b64encode(json.dumps(claims,
                                                      default=str).encode()).rstrip(b"=")
        self.assert_refused(self.auth_header(f"{header}.{payload.decode()}.{signature}"), INVALID)

    def test_alg_none_is_401(self):
        unsigned = jwt.encode(valid_claims(self.session), key=None, algorithm="none")
        self.assert_refused(self.auth_header(unsigned), INVALID)

    def test_other_algorithms_with_the_right_secret_are_401(self):
        for algorithm in ["HS384", "HS512"]:
            with self.subTest(algorithm=algorithm):
                token = make_token(valid_claims(self.session), algorithm=algorithm)
                self.assert_refused(self.auth_header(token), INVALID)

    def test_missing_claims_are_401(self):
        for claim in ["sub", "sid", "iat", "exp"]:
            with self.subTest(claim=claim):
                token = make_token(valid_claims(self.session, **{claim: None}))
                self.assert_refused(self.auth_header(token), INVALID)

    def test_bad_subjects_are_401(self):
        for subject in [1, "", "abc", "-1", "0", "1.0", " 1", "\u0661", str(2**31), str(10**40)]:
            with self.subTest(subject=subject):
                token = make_token(valid_claims(self.session, sub=subject))
                self.assert_refused(self.auth_header(token), INVALID)

    def test_bad_session_handles_are_401(self):
        for session in [1, "", "abc", "1", " " + self.session[1:], self.session + "x",
                        self.session[:-1] + "\u0661", self.session[:-1] + ".", "9" * 5000]:
            with self.subTest(session=str(session)[:30]):
                token = make_token(valid_claims(self.session, sid=session))
                self.assert_refused(self.auth_header(token), INVALID)

    def test_a_token_naming_another_users_session_is_401(self):
        self.register_user(email="other@example.com")
        other = session_of(self.login_user(email="other@example.com").get_json()["access_token"])
        token = make_token(valid_claims(other))
        self.assert_refused(self.auth_header(token), REVOKED)

    def test_a_token_naming_no_session_is_401(self):
        unknown = "A" * len(self.session)
        self.assert_refused(self.auth_header(make_token(valid_claims(unknown))), REVOKED)

    def test_sessions_are_named_by_random_handles_not_sequential_ids(self):
        handles = {session_of(self.login_user().get_json()["access_token"]) for _ in range(5)}
        handles.add(self.session)
        self.assertEqual(len(handles), 6)
        for handle in handles:
            self.assertRegex(handle, r"^[A-Za-z0-9_-]{24}$")
            self.assertFalse(handle.isdigit())
        with self.app.app_context():
            ids = db.session.scalars(db.select(LoginSession.id)).all()
        self.assertTrue(all(str(session_id) not in handles for session_id in ids))

    def test_expired_token_is_401_with_the_tutorial_message(self):
        past = datetime.now(timezone.utc) - timedelta(minutes=10)
        token = make_token(valid_claims(self.session, iat=past, exp=past + timedelta(minutes=5)))
        self.assert_refused(self.auth_header(token), EXPIRED)

    def test_a_token_that_worked_is_refused_once_it_expires(self):
        issued = datetime.now(timezone.utc)
        token = make_token(valid_claims(self.session, iat=issued,
                                        exp=issued + timedelta(seconds=2)))
        headers = self.auth_header(token)
        self.assertEqual(self.client().get("/bucketlists/", headers=headers).status_code, 200)
        expires = jwt.decode(token, TESTING_SECRET, algorithms=["HS256"])["exp"]
        time.sleep(max(0.0, expires - time.time()) + 0.05)
        self.assert_refused(headers, EXPIRED)

    def test_a_token_that_worked_is_refused_by_an_app_with_another_secret(self):
        headers = self.auth_header(self.token)
        self.assertEqual(self.client().get("/bucketlists/", headers=headers).status_code, 200)
        self.app.config["SECRET"] = "y" * 64
        self.assert_refused(headers, INVALID, owner_remains=False)

    def test_token_of_a_deleted_user_is_401(self):
        with self.app.app_context():
            db.session.execute(db.delete(User))
            db.session.commit()
        self.assert_refused(self.auth_header(self.token), INVALID, owner_remains=False)

    def test_token_of_an_unknown_user_is_401(self):
        token = make_token(valid_claims(self.session, sub="42"))
        self.assert_refused(self.auth_header(token), INVALID)

    def test_token_signed_with_another_apps_secret_is_401(self):
        token = make_token(valid_claims(self.session), secret="x" * 64)
        self.assert_refused(self.auth_header(token), INVALID)

    def test_challenge_says_whether_the_token_was_missing_or_invalid(self):
        missing = self.client().get("/bucketlists/")
        self.assertEqual(missing.headers["WWW-Authenticate"], "Bearer")
        invalid = self.client_for("x.y.z").get("/bucketlists/")
        self.assertEqual(invalid.headers["WWW-Authenticate"], 'Bearer error="invalid_token"')

    def test_401_carries_no_token_data(self):
        res = self.client().get("/bucketlists/")
        self.assertEqual(set(res.get_json()), {"message"})


if __name__ == "__main__":
    unittest.main()
