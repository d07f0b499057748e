"""The caller's account: GET /auth/me, PUT /auth/password, DELETE /auth/me."""

import unittest

from app import db
from app.auth.models import LoginSession
from app.models import Bucketlist, Item, User
from tests.base import DEFAULT_EMAIL, DEFAULT_PASSWORD, BaseTestCase, race

REVOKED = "Token revoked. Please login again."
INVALID = "Invalid token. Please register or login"
NEW_PASSWORD = "a new password"


class AccountTestCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.register_user()
        self.tokens = self.login_user().get_json()
        self.token = self.tokens["access_token"]
        self.headers = self.auth_header(self.token)

    def change_password(self, body, headers=None, as_form=False):
        kwargs = {"data": body} if as_form else {"json": body}
        return self.client().put("/auth/password", headers=headers or self.headers, **kwargs)

    def delete_account(self, body, headers=None, as_form=False):
        kwargs = {"data": body} if as_form else {"json": body}
        return self.client().delete("/auth/me", headers=headers or self.headers, **kwargs)

    def password_hash(self) -> str:
        with self.app.app_context():
            return db.session.scalar(db.select(User.password_hash))


class MeTestCase(AccountTestCase):
    def test_me_says_who_is_logged_in(self):
        self.create_bucketlist(self.tokens["access_token"])
        res = self.api.get("/auth/me")
        self.assertEqual(res.status_code, 200)
        body = res.get_json()
        self.assertEqual(set(body), {"id", "email", "date_created", "bucketlists_count"})
        self.assertEqual((body["id"], body["email"], body["bucketlists_count"]),
                         (1, DEFAULT_EMAIL, 1))
        self.assertTrue(body["date_created"].endswith("+00:00"))
        self.assertEqual(res.headers["Cache-Control"], "no-store")

    def test_me_reads_the_caller_once(self):
        with self.statements() as sent:
            self.assertEqual(self.api.get("/auth/me").status_code, 200)
        self.assertEqual(len([s for s in sent if "FROM users" in s]), 1, sent)

    def test_me_without_or_with_a_bad_token_is_401(self):
        self.assert_error(self.client().get("/auth/me"), 401)
        self.assert_error(self.client_for("x").get("/auth/me"), 401)


class ChangePasswordTestCase(AccountTestCase):
    def test_change_answers_fresh_tokens_and_the_new_password_logs_in(self):
        res = self.change_password({"current_password": DEFAULT_PASSWORD,
                                    "new_password": NEW_PASSWORD})
        self.assertEqual(res.status_code, 200, res.data)
        body = res.get_json()
        self.assertEqual(set(body), {"message", "access_token", "refresh_token", "token_type",
                                     "expires_in"})
        me = self.client_for(body["access_token"]).get("/auth/me")
        self.assertEqual(me.status_code, 200)
        self.assertEqual(self.client().post("/auth/refresh", json={
            "refresh_token": body["refresh_token"]}).status_code, 200)
        self.assertEqual(self.login_user(password=NEW_PASSWORD).status_code, 200)
        self.assertEqual(self.login_user(password=DEFAULT_PASSWORD).status_code, 401)

    def test_every_earlier_session_and_token_is_refused_after_a_change(self):
        other = self.login_user().get_json()
        self.change_password({"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
                             as_form=True)
        for access_token in (self.tokens["access_token"], other["access_token"]):
            res = self.client_for(access_token).get("/bucketlists/")
            self.assert_error(res, 401, REVOKED)
        for refresh_token in (self.tokens["refresh_token"], other["refresh_token"]):
            res = self.client().post("/auth/refresh", json={"refresh_token": refresh_token})
            self.assert_error(res, 401, "Session ended. Please login again.")

    def test_a_wrong_current_password_is_a_400_naming_it_and_changes_nothing(self):
        before = self.password_hash()
        res = self.change_password({"current_password": "wrong password",
                                    "new_password": NEW_PASSWORD})
        body = self.assert_error(res, 400)
        self.assertEqual(body["errors"], {"current_password": ["Wrong password."]})
        self.assertEqual(self.password_hash(), before)
        self.assertEqual(self.api.get("/auth/me").status_code, 200)

    def test_the_new_password_follows_the_registration_rules(self):
        before = self.password_hash()
        for new_password in ["short", "", "\u00e9" * 37, "x" * 73, 12345678, None,
                             "nul\x00password"]:
            with self.subTest(new_password=str(new_password)[:20]):
                res = self.change_password({"current_password": DEFAULT_PASSWORD,
                                            "new_password": new_password})
                self.assertIn("new_password", self.assert_error(res, 400)["errors"])
        self.assertEqual(self.password_hash(), before)

    def test_missing_fields_and_bad_bodies_are_400(self):
        for body in [{}, {"current_password": DEFAULT_PASSWORD},
                     {"new_password": NEW_PASSWORD}, {"current_password": 1,
                                                      "new_password": NEW_PASSWORD}]:
            with self.subTest(body=body):
                self.assert_error(self.change_password(body), 400)
        res = self.api.put("/auth/password", data="{", content_type="application/json")
        self.assert_error(res, 400)

    def test_change_without_a_token_is_401(self):
        res = self.client().put("/auth/password", json={"current_password": DEFAULT_PASSWORD,
                                                         "new_password": NEW_PASSWORD})
        self.assert_error(res, 401)
        self.assertEqual(self.login_user().status_code, 200)


class DeleteAccountTestCase(AccountTestCase):
    def test_delete_takes_the_user_bucketlists_goals_and_sessions(self):
        token = self.tokens["access_token"]
        bucketlist = self.create_bucketlist(token)
        self.api.post(f"/bucketlists/{bucketlist['id']}/items/", json={"name": "Learn to dive"})
        res = self.delete_account({"password": DEFAULT_PASSWORD})
        self.assertEqual((res.status_code, res.get_json()),
                         (200, {"message": "Your account and everything in it were deleted."}))
        for model in (User, Bucketlist, Item, LoginSession):
            self.assertEqual(self.count(model), 0, model)

    def test_a_deleted_accounts_tokens_are_refused_and_the_email_registers_again(self):
        self.delete_account({"password": DEFAULT_PASSWORD}, as_form=True)
        self.assert_error(self.api.get("/auth/me"), 401, INVALID)
        res = self.client().post("/auth/refresh",
                                 json={"refresh_token": self.tokens["refresh_token"]})
        self.assert_error(res, 401)
        self.assertEqual(self.register_user().status_code, 201)
        self.assertEqual(self.login_user().status_code, 200)

    def test_a_wrong_password_is_a_400_and_deletes_nothing(self):
        self.create_bucketlist(self.tokens["access_token"])
        res = self.delete_account({"password": "wrong password"})
        self.assertEqual(self.assert_error(res, 400)["errors"], {"password": ["Wrong password."]})
        self.assertEqual((self.count(User), self.count(Bucketlist)), (1, 1))

    def test_missing_or_bad_passwords_are_400(self):
        for body in [{}, {"password": 12}, {"password": None}, {"password": "x" * 100}]:
            with self.subTest(body=body):
                self.assert_error(self.delete_account(body), 400)
        self.assertEqual(self.count(User), 1)

    def test_another_users_token_deletes_only_that_user(self):
        other = self.get_token(email="other@example.com", password="other password")
        self.create_bucketlist(self.tokens["access_token"])
        res = self.delete_account({"password": DEFAULT_PASSWORD}, headers=self.auth_header(other))
        self.assert_error(res, 400)
        res = self.delete_account({"password": DEFAULT_PASSWORD})
        self.assertEqual(res.status_code, 200)
        with self.app.app_context():
            self.assertEqual(db.session.scalars(db.select(User.email)).all(),
                             ["other@example.com"])

    def test_racing_deletes_delete_once(self):
        statuses = sorted(res.status_code for res in race(
            lambda: self.delete_account({"password": DEFAULT_PASSWORD}),
            lambda: self.delete_account({"password": DEFAULT_PASSWORD})))
        self.assertEqual(statuses, [200, 401])


if __name__ == "__main__":
    unittest.main()
