"""Registration and login: the tutorial's tests first, then every bad input."""

import json
import unittest
from unittest import mock

import bcrypt as bcrypt_lib
from sqlalchemy.exc import IntegrityError

from app import db
from app.models import User
from tests.base import BaseTestCase, race


class AuthTestCase(BaseTestCase):
    """Test case for the authentication blueprint."""

    def setUp(self):
        """Set up test variables."""
        super().setUp()
        self.user_data = {"email": "test@example.com", "password": "test_password"}

    def test_registration(self):
        """Test user registration works correcty."""
        res = self.client().post("/auth/register", data=self.user_data)
        result = json.loads(res.data.decode())
        self.assertEqual(result["message"], "You registered successfully.")
        self.assertEqual(res.status_code, 201)

    def test_already_registered_user(self):
        """Test that a user cannot be registered twice."""
        res = self.client().post("/auth/register", data=self.user_data)
        self.assertEqual(res.status_code, 201)
        second_res = self.client().post("/auth/register", data=self.user_data)
        self.assertEqual(second_res.status_code, 202)
        result = json.loads(second_res.data.decode())
        self.assertEqual(result["message"], "User already exists. Please login.")

    def test_user_login(self):
        """Test registered user can login."""
        res = self.client().post("/auth/register", data=self.user_data)
        self.assertEqual(res.status_code, 201)
        login_res = self.client().post("/auth/login", data=self.user_data)
        result = json.loads(login_res.data.decode())
        self.assertEqual(result["message"], "You logged in successfully.")
        self.assertEqual(login_res.status_code, 200)
        self.assertTrue(result["access_token"])

    def test_non_registered_user_login(self):
        """Test non registered users cannot login."""
        not_a_user = {"email": "not_a_user@example.com", "password": "nope"}
        res = self.client().post("/auth/login", data=not_a_user)
        result = json.loads(res.data.decode())
        self.assertEqual(res.status_code, 401)
        self.assertEqual(result["message"], "Invalid email or password, Please try again")


class RegistrationTestCase(BaseTestCase):
    """POST /auth/register beyond the tutorial: JSON bodies, case, races and bad input."""

    def register_json(self, body):
        return self.client().post("/auth/register", json=body)

    def assert_rejected(self, response, field=None):
        """A 400 that names the field, and no user stored."""
        body = self.assert_error(response, 400)
        if field:
            self.assertIn(field, body["errors"])
        self.assertEqual(self.count(User), 0)

    def test_registration_accepts_json(self):
        res = self.register_json({"email": "json@example.com", "password": "long enough"})
        self.assertEqual(res.status_code, 201)
        self.assertEqual(res.get_json(), {"message": "You registered successfully."})

    def test_password_is_stored_hashed(self):
        self.register_user("hash@example.com", "plain-password")
        with self.app.app_context():
            user = db.session.scalar(db.select(User))
            self.assertNotIn("plain-password", user.password_hash)
            self.assertTrue(user.password_hash.startswith("$2b$"))

    def test_email_is_stored_lower_case(self):
        self.register_json({"email": "Mixed.Case@Example.COM", "password": "long enough"})
        with self.app.app_context():
            self.assertEqual(db.session.scalar(db.select(User.email)), "mixed.case@example.com")

    def test_email_with_surrounding_space_is_rejected(self):
        self.assert_rejected(self.register_user(" a@example.com ", "long enough"), "email")

    def test_database_refuses_an_email_that_is_not_lower_case(self):
        with self.app.app_context(), self.assertRaises(IntegrityError):
            db.session.execute(
                db.insert(User).values(email="Upper@example.com", password_hash="x")
            )

    def test_same_email_in_other_case_is_already_registered(self):
        self.assertEqual(self.register_user("case@example.com").status_code, 201)
        res = self.register_user("CASE@Example.com")
        self.assertEqual(res.status_code, 202)
        self.assertEqual(res.get_json()["message"], "User already exists. Please login.")
        self.assertEqual(self.count(User), 1)

    def test_racing_registrations_create_one_user(self):
        body = {"email": "race@example.com", "password": "long enough"}
        responses = race(*[lambda: self.app.test_client().post("/auth/register", json=body)
                           for _ in range(6)])
        self.assertEqual(sorted(r.status_code for r in responses), [201, 202, 202, 202, 202, 202])
        self.assertEqual(self.count(User), 1)

    def test_missing_body_is_rejected(self):
        self.assert_rejected(self.client().post("/auth/register"), "email")

    def test_empty_json_object_is_rejected(self):
        body = self.assert_error(self.register_json({}), 400)
        self.assertEqual(set(body["errors"]), {"email", "password"})

    def test_missing_email_is_rejected(self):
        self.assert_rejected(self.register_json({"password": "long enough"}), "email")

    def test_missing_password_is_rejected(self):
        self.assert_rejected(self.register_json({"email": "a@example.com"}), "password")

    def test_empty_email_is_rejected(self):
        self.assert_rejected(self.register_user("", "long enough"), "email")

    def test_invalid_email_is_rejected(self):
        for email in ["not-an-email", "a@b", "@example.com", "a b@example.com"]:
            with self.subTest(email=email):
                self.assert_rejected(self.register_user(email, "long enough"), "email")

    def test_oversized_email_is_rejected(self):
        email = "a" * 250 + "@example.com"
        self.assert_rejected(self.register_user(email, "long enough"), "email")

    def test_short_password_is_rejected(self):
        body = self.assert_error(self.register_user("a@example.com", "seven77"), 400)
        self.assertIn("at least 8 characters", body["message"])
        self.assertEqual(self.count(User), 0)

    def test_password_of_eight_characters_is_accepted(self):
        self.assertEqual(self.register_user("a@example.com", "eight888").status_code, 201)

    def test_password_over_72_bytes_is_rejected(self):
        # 25 euro signs: 25 characters but 75 bytes in UTF-8.
        body = self.assert_error(self.register_user("a@example.com", "€" * 25), 400)
        self.assertIn("72 bytes", body["message"])
        self.assertEqual(self.count(User), 0)

    def test_password_of_exactly_72_bytes_is_accepted_and_logs_in(self):
        password = "€" * 24  # 72 bytes
        self.assertEqual(self.register_user("a@example.com", password).status_code, 201)
        self.assertEqual(self.login_user("a@example.com", password).status_code, 200)

    def test_wrong_types_are_rejected(self):
        for body in [
            {"email": 123, "password": "long enough"},
            {"email": "a@example.com", "password": 12345678},
            {"email": ["a@example.com"], "password": "long enough"},
            {"email": None, "password": "long enough"},
            {"email": "a@example.com", "password": {"p": "long enough"}},
            {"email": True, "password": "long enough"},
        ]:
            with self.subTest(body=body):
                self.assert_rejected(self.register_json(body))

    def test_nul_characters_are_rejected(self):
        self.assert_rejected(self.register_user("a\x00b@example.com", "long enough"), "email")
        self.assert_rejected(self.register_user("a@example.com", "long\x00enough"), "password")

    def test_lone_surrogates_are_rejected(self):
        res = self.client().post(
            "/auth/register",
            data='{"email": "a@example.com", "password": "long enough \\ud800"}',
            content_type="application/json",
        )
        self.assert_rejected(res, "password")

    def test_body_that_is_not_an_object_is_rejected(self):
        for body in [[], ["a@example.com"], "a@example.com", 1, None]:
            with self.subTest(body=body):
                res = self.client().post(
                    "/auth/register", data=json.dumps(body), content_type="application/json"
                )
                self.assert_rejected(res)

    def test_malformed_json_is_rejected(self):
        res = self.client().post(
            "/auth/register", data='{"email": "a@example.com",', content_type="application/json"
        )
        self.assert_error(res, 400, "Malformed JSON in the request body.")
        self.assertEqual(self.count(User), 0)

    def test_unknown_fields_are_ignored(self):
        res = self.register_json({"email": "a@example.com", "password": "long enough", "id": 9})
        self.assertEqual(res.status_code, 201)
        with self.app.app_context():
            self.assertEqual(db.session.scalar(db.select(User.id)), 1)

    def test_get_is_not_allowed(self):
        res = self.client().get("/auth/register")
        self.assert_error(res, 405)
        self.assertIn("POST", res.headers["Allow"])


def fullwidth(text: str) -> str:
    """The text in fullwidth forms (a becomes U+FF41), which NFKC turns back into ASCII."""
    return "".join(chr(ord(char) + 0xFEE0) if char.isalnum() else char for char in text)


class LookAlikeEmailTestCase(BaseTestCase):
    """One address, one account: e-mails are compared in their canonical form (NFKC, IDNA)."""

    def setUp(self):
        super().setUp()
        self.assertEqual(self.register_user("alice@example.com", "right password").status_code,
                         201)

    def emails(self):
        with self.app.app_context():
            return db.session.scalars(db.select(User.email).order_by(User.id)).all()

    def test_spellings_of_the_same_address_are_already_registered(self):
        for email in [fullwidth("alice") + "@example.com", "ALICE@EXAMPLE.COM",
                      "alice@" + fullwidth("example") + ".com"]:
            with self.subTest(email=email):
                res = self.register_user(email, "other password")
                self.assertEqual(res.status_code, 202, res.data)
                self.assertEqual(res.get_json()["message"], "User already exists. Please login.")
        self.assertEqual(self.emails(), ["alice@example.com"])

    def test_unicode_and_punycode_domains_are_one_account(self):
        self.assertEqual(self.register_user("bob@bücher.example", "right password").status_code,
                         201)
        res = self.register_user("bob@xn--bcher-kva.example", "other password")
        self.assertEqual(res.status_code, 202, res.data)
        self.assertEqual(self.emails(), ["alice@example.com", "bob@bücher.example"])
        self.assertEqual(self.login_user("BOB@XN--BCHER-KVA.EXAMPLE", "right password")
                         .status_code, 200)

    def test_invisible_control_and_quoted_spellings_are_refused(self):
        for email in ["alice@example.com\u200b", "al\u200bice@example.com",
                      "\u2060alice@example.com", "ali\x01ce@example.com", '"alice"@example.com']:
            with self.subTest(email=email):
                body = self.assert_error(self.register_user(email, "other password"), 400)
                self.assertIn("email", body["errors"])
        self.assertEqual(self.emails(), ["alice@example.com"])

    def test_login_with_another_spelling_finds_the_same_account(self):
        res = self.login_user(fullwidth("alice") + "@example.com", "right password")
        self.assertEqual(res.status_code, 200)


class LoginTestCase(BaseTestCase):
    """POST /auth/login: right and wrong credentials, and bad input."""

    def setUp(self):
        super().setUp()
        self.register_user("user@example.com", "right password")

    def login_json(self, body):
        return self.client().post("/auth/login", json=body)

    def assert_invalid_credentials(self, response):
        self.assert_error(response, 401, "Invalid email or password, Please try again")
        self.assertNotIn("access_token", response.get_json())

    def test_login_accepts_json(self):
        res = self.login_json({"email": "user@example.com", "password": "right password"})
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res.get_json()["message"], "You logged in successfully.")

    def test_login_ignores_email_case(self):
        res = self.login_json({"email": "USER@Example.com", "password": "right password"})
        self.assertEqual(res.status_code, 200)

    def test_wrong_password_is_refused(self):
        self.assert_invalid_credentials(self.login_user("user@example.com", "wrong password"))

    def test_password_in_other_case_is_refused(self):
        self.assert_invalid_credentials(self.login_user("user@example.com", "RIGHT PASSWORD"))

    def test_short_and_empty_passwords_get_401_not_400(self):
        for password in ["nope", "x", ""]:
            with self.subTest(password=password):
                self.assert_invalid_credentials(self.login_user("user@example.com", password))

    def test_password_over_72_bytes_is_refused(self):
        long_password = "right password" + "x" * 100
        self.assert_invalid_credentials(self.login_user("user@example.com", long_password))

    def test_password_sharing_the_first_72_bytes_is_refused(self):
        password = "p" * 72
        self.register_user("long@example.com", password)
        self.assert_invalid_credentials(self.login_user("long@example.com", password + "extra"))

    def test_unknown_email_costs_one_bcrypt_hash_like_a_known_one(self):
        # Flask-Bcrypt checks by hashing the candidate; the dummy-hash check makes an unknown
        # e-mail cost the same bcrypt work as a wrong password, so timing tells nothing.
        self.login_user("warm-up@example.com", "whatever1")  # the dummy hash is made once
        with mock.patch("bcrypt.hashpw", wraps=bcrypt_lib.hashpw) as hashpw:
            self.assert_invalid_credentials(self.login_user("nobody@example.com", "whatever1"))
            unknown_calls = hashpw.call_count
            self.assert_invalid_credentials(self.login_user("user@example.com", "wrong password"))
            known_calls = hashpw.call_count - unknown_calls
            self.assert_invalid_credentials(self.login_user("user@example.com", "x" * 100))
            too_long_calls = hashpw.call_count - unknown_calls - known_calls
        self.assertEqual((unknown_calls, known_calls, too_long_calls), (1, 1, 1))

    def test_missing_fields_are_rejected(self):
        for body in [{}, {"email": "user@example.com"}, {"password": "right password"}]:
            with self.subTest(body=body):
                self.assert_error(self.login_json(body), 400)

    def test_missing_body_is_rejected(self):
        self.assert_error(self.client().post("/auth/login"), 400)

    def test_wrong_types_are_rejected(self):
        for body in [
            {"email": 1, "password": "right password"},
            {"email": "user@example.com", "password": None},
            {"email": "user@example.com", "password": ["right password"]},
        ]:
            with self.subTest(body=body):
                self.assert_error(self.login_json(body), 400)

    def test_oversized_email_is_rejected(self):
        self.assert_error(self.login_user("u" * 10_000 + "@example.com", "right password"), 400)

    def test_nul_in_email_is_rejected_not_a_crash(self):
        self.assert_error(self.login_user("user\x00@example.com", "right password"), 400)

    def test_malformed_json_is_rejected(self):
        res = self.client().post("/auth/login", data="{", content_type="application/json")
        self.assert_error(res, 400, "Malformed JSON in the request body.")


if __name__ == "__main__":
    unittest.main()
