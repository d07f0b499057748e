"""Idempotency-Key on POST /bucketlists/ and POST /bucketlists/<id>/items/: a retry gets the first
answer and creates nothing."""

import unittest
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from app import db
from app.idempotency import purge_expired_idempotency_keys
from app.models import Bucketlist, IdempotencyKey, Item
from tests.base import BaseTestCase, race

KEY = "create-1b2c3d"


class IdempotencyTestCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        self.token = self.get_token()

    def create(self, name="Borabora", key=KEY, token=None, as_form=False, path="/bucketlists/"):
        headers = self.auth_header(token or self.token)
        if key is not None:
            headers["Idempotency-Key"] = key
        body = {"name": name}
        if as_form:
            return self.client().post(path, headers=headers, data=body)
        return self.client().post(path, headers=headers, json=body)

    def test_a_retry_gets_the_first_answer_and_creates_nothing(self):
        first = self.create()
        self.assertEqual(first.status_code, 201)
        self.assertNotIn("Idempotent-Replayed", first.headers)
        retry = self.create()
        self.assertEqual(retry.status_code, 201)
        self.assertEqual(retry.get_json(), first.get_json())
        self.assertEqual(retry.headers["Location"], first.headers["Location"])
        self.assertEqual(retry.headers["Idempotent-Replayed"], "true")
        self.assertEqual(self.count(Bucketlist), 1)

    def test_goals_too(self):
        bucketlist = self.create(key=None).get_json()
        path = f"/bucketlists/{bucketlist['id']}/items/"
        first = self.create("Dive", path=path)
        retry = self.create("Dive", path=path)
        self.assertEqual((first.status_code, retry.status_code), (201, 201))
        self.assertEqual(retry.get_json()["id"], first.get_json()["id"])
        self.assertEqual(self.count(Item), 1)

    def test_the_same_key_on_another_path_is_a_different_request(self):
        self.create()
        bucketlist = self.create(key=None).get_json()
        res = self.create(path=f"/bucketlists/{bucketlist['id']}/items/")
        self.assert_error(res, 422, "This Idempotency-Key was already used with a different "
                                    "request.")

    def test_the_same_key_with_another_body_is_a_422_and_creates_nothing(self):
        self.create("First")
        res = self.create("Second")
        self.assert_error(res, 422)
        self.assertEqual(self.count(Bucketlist), 1)

    def test_the_same_fields_as_form_data_are_the_same_request(self):
        first = self.create(as_form=True)
        self.assertEqual(self.create(as_form=True).get_json(), first.get_json())
        self.assertEqual(self.count(Bucketlist), 1)

    def test_a_multipart_part_without_a_name_is_ignored_not_a_500(self):
        # Werkzeug keys such a part None, which once broke the request's fingerprint.
        body = (b'--B\r\nContent-Disposition: form-data\r\n\r\nnameless\r\n'
                b'--B\r\nContent-Disposition: form-data; name="name"\r\n\r\nMultipart\r\n--B--\r\n')
        for key in (KEY, None):
            with self.subTest(key=key):
                headers = self.auth_header(self.token)
                if key:
                    headers["Idempotency-Key"] = key
                res = self.client().post("/bucketlists/", headers=headers, data=body,
                                         content_type="multipart/form-data; boundary=B")
                self.assertEqual(res.status_code, 201, res.data)
                self.assertEqual(res.get_json()["name"], "Multipart")

    def test_without_a_key_every_post_creates(self):
        self.create(key=None)
        self.create(key=None)
        self.assertEqual(self.count(Bucketlist), 2)

    def test_different_keys_create_twice(self):
        self.create(key="a")
        self.create(key="b")
        self.assertEqual(self.count(Bucketlist), 2)

    def test_empty_over_long_and_unprintable_keys_are_400_and_create_nothing(self):
        for key in ["", "k" * 256, "a\x00b", "tab\there", "del\x7f", "caf\u00e9"]:
            with self.subTest(key=key[:20]):
                self.assert_error(self.create(key=key), 400,
                                  "Idempotency-Key must be 1 to 255 printable ASCII characters "
                                  "(a space to a tilde).")
        self.assertEqual(self.create(key="k" * 255).status_code, 201)
        self.assertEqual(self.create(key=" !~ a-key with spaces ~! ").status_code, 201)
        self.assertEqual(self.count(Bucketlist), 2)

    def test_another_users_identical_key_is_unrelated(self):
        other = self.get_token(email="other@example.com")
        mine, theirs = self.create(), self.create(token=other)
        self.assertEqual((mine.status_code, theirs.status_code), (201, 201))
        self.assertNotEqual(mine.get_json()["id"], theirs.get_json()["id"])
        self.assertNotIn("Idempotent-Replayed", theirs.headers)

    def test_a_failed_create_is_not_stored_and_may_be_retried(self):
        self.assert_error(self.create(name=""), 400)
        res = self.client().post("/bucketlists/", json={"name": ""},
                                 headers={**self.auth_header(self.token), "Idempotency-Key": KEY})
        self.assert_error(res, 400)
        self.assertEqual(self.count(IdempotencyKey), 0)
        self.assert_error(self.create(path="/bucketlists/99/items/"), 404)
        self.assertEqual(self.count(IdempotencyKey), 0)

    def test_a_retry_while_the_first_runs_is_a_409(self):
        # Hold the lock the first request would hold, from another connection.
        engine = create_engine(self.app.config["SQLALCHEMY_DATABASE_URI"])
        self.addCleanup(engine.dispose)
        with self.app.app_context():
            from app.idempotency import _lock_key

            user_id, key_hash = 1, _lock_key(KEY)
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:u, :k)"),
                               {"u": user_id, "k": key_hash})
            self.assert_error(self.create(), 409, "A request with this Idempotency-Key is still "
                                                  "being processed; retry once it has finished.")
        self.assertEqual(self.count(Bucketlist), 0)
        self.assertEqual(self.create().status_code, 201)

    def test_racing_retries_create_once(self):
        responses = race(*[lambda: self.create() for _ in range(6)])
        statuses = sorted(res.status_code for res in responses)
        self.assertEqual(self.count(Bucketlist), 1)
        self.assertTrue(set(statuses) <= {201, 409}, statuses)
        ids = {res.get_json()["id"] for res in responses if res.status_code == 201}
        self.assertEqual(len(ids), 1)

    def test_an_expired_key_starts_afresh(self):
        self.create()
        with self.app.app_context():
            db.session.execute(db.update(IdempotencyKey).values(
                expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
            db.session.commit()
        res = self.create()
        self.assertEqual(res.status_code, 201)
        self.assertNotIn("Idempotent-Replayed", res.headers)
        self.assertEqual(self.count(Bucketlist), 2)

    def test_the_lifetime_comes_from_the_config(self):
        self.use_app(IDEMPOTENCY_KEY_LIFETIME_SECONDS=60)
        self.create()
        with self.app.app_context():
            stored = db.session.scalar(db.select(IdempotencyKey))
        remaining = stored.expires_at - datetime.now(timezone.utc)
        self.assertTrue(timedelta(seconds=50) < remaining <= timedelta(seconds=60))

    def test_only_the_newest_keys_per_user_are_kept(self):
        self.use_app(IDEMPOTENCY_KEYS_PER_USER=3)
        for number in range(5):
            self.create(name=f"n{number}", key=f"k{number}")
        with self.app.app_context():
            keys = set(db.session.scalars(db.select(IdempotencyKey.key)))
        self.assertEqual(keys, {"k2", "k3", "k4"})

    def test_purge_forgets_expired_keys(self):
        self.create(key="old")
        self.create(key="live")
        with self.app.app_context():
            db.session.execute(db.update(IdempotencyKey).where(IdempotencyKey.key == "old")
                               .values(expires_at=datetime.now(timezone.utc)))
            db.session.commit()
            self.assertEqual(purge_expired_idempotency_keys(), 1)
            db.session.commit()
            self.assertEqual(db.session.scalars(db.select(IdempotencyKey.key)).all(), ["live"])

    def test_a_deleted_accounts_keys_go_with_it(self):
        self.create()
        self.api.delete("/auth/me", json={"password": "test1234"})
        self.assertEqual(self.count(IdempotencyKey), 0)

    def test_the_header_and_its_answers_are_in_the_openapi_description(self):
        spec = self.client().get("/openapi.json").get_json()
        for path in ("/bucketlists/", "/bucketlists/{bucketlist_id}/items/"):
            with self.subTest(path=path):
                operation = spec["paths"][path]["post"]
                names = [parameter.get("name") for parameter in operation.get("parameters", [])]
                self.assertIn("Idempotency-Key", names)
                self.assertIn("409", operation["responses"])
                self.assertIn("422", operation["responses"])


if __name__ == "__main__":
    unittest.main()
