"""The caps on what one user stores: bucketlists per user, goals per bucketlist."""

import os
import unittest
from unittest import mock

from sqlalchemy import insert

from app import create_app, db
from app.models import Bucketlist, Item, User
from instance.config import ConfigError
from tests.base import AuthenticatedTestCase, race


def statuses(count: int, request) -> list[int]:
    """The status codes of `count` copies of `request` sent at once, sorted."""
    return sorted(response.status_code for response in race(*[request] * count))


class BucketlistsPerUserTestCase(AuthenticatedTestCase):
    """MAX_BUCKETLISTS_PER_USER: one more is a 409 saying the limit, and nothing is stored."""

    def setUp(self):
        super().setUp()
        self.use_app(MAX_BUCKETLISTS_PER_USER=3)

    def create(self, name="one more", headers=None):
        return self.client().post("/bucketlists/", headers=headers or self.headers,
                                  json={"name": name})

    def names_and_count(self):
        return self.stored(Bucketlist.name), self.stored(User.bucketlists_count)[0]

    def test_one_past_the_limit_is_a_409_and_stores_nothing(self):
        for number in range(3):
            self.create_bucketlist(self.token, f"list {number}")
        body = self.assert_error(self.create(), 409)
        self.assertIn("at most 3 bucketlists", body["message"])
        self.assertNotIn("MAX_", body["message"])  # the client is told no setting's name
        self.assertEqual(self.names_and_count(), (["list 0", "list 1", "list 2"], 3))

    def test_deleting_one_makes_room(self):
        first = self.create_bucketlist(self.token, "first")
        for number in range(2):
            self.create_bucketlist(self.token, f"list {number}")
        self.assertEqual(self.create().status_code, 409)
        self.api.delete(f"/bucketlists/{first['id']}")
        self.assertEqual(self.create().status_code, 201)

    def test_the_limit_is_per_user(self):
        for number in range(3):
            self.create_bucketlist(self.token, f"list {number}")
        other = self.auth_header(self.get_token("other@example.com"))
        self.assertEqual(self.create(headers=other).status_code, 201)

    def test_racing_creates_do_not_pass_the_limit(self):
        self.create_bucketlist(self.token, "already there")
        self.assertEqual(statuses(6, self.create), [201, 201, 409, 409, 409, 409])
        names, count = self.names_and_count()
        self.assertEqual((len(names), count), (3, 3))


class ItemsPerBucketlistTestCase(AuthenticatedTestCase):
    """MAX_ITEMS_PER_BUCKETLIST: one more is a 409; the detail never shows more than that."""

    def setUp(self):
        super().setUp()
        self.use_app(MAX_ITEMS_PER_BUCKETLIST=3)
        self.bucketlist = self.create_bucketlist(self.token, "Travel")
        self.path = f"/bucketlists/{self.bucketlist['id']}"
        self.items = f"{self.path}/items/"

    def add(self, name="one more"):
        return self.api.post(self.items, json={"name": name})

    def test_one_past_the_limit_is_a_409_and_stores_nothing(self):
        for number in range(3):
            self.assertEqual(self.add(f"goal {number}").status_code, 201)
        body = self.assert_error(self.add(), 409)
        self.assertIn("at most 3 goals", body["message"])
        self.assertNotIn("MAX_", body["message"])
        self.assertEqual(self.stored(Item.name), ["goal 0", "goal 1", "goal 2"])

    def test_a_full_bucketlist_can_still_change_and_lose_goals(self):
        created = [self.add(f"goal {number}").get_json() for number in range(3)]
        res = self.api.patch(f"{self.items}{created[0]['id']}", json={"done": True})
        self.assertEqual(res.status_code, 200)
        self.api.delete(f"{self.items}{created[1]['id']}")
        self.assertEqual(self.add("room again").status_code, 201)

    def test_the_limit_is_per_bucketlist(self):
        for number in range(3):
            self.add(f"goal {number}")
        other = self.create_bucketlist(self.token, "Other")
        res = self.api.post(f"/bucketlists/{other['id']}/items/", json={"name": "fits"})
        self.assertEqual(res.status_code, 201)

    def test_racing_adds_do_not_pass_the_limit(self):
        self.add("already there")
        self.assertEqual(statuses(6, self.add), [201, 201, 409, 409, 409, 409])
        self.assertEqual(len(self.stored(Item.name)), 3)

    def test_the_detail_shows_at_most_the_limit_with_the_true_counts(self):
        # Goals stored around the API (or before the limit existed) can outnumber the limit.
        with self.app.app_context():
            db.session.execute(insert(Item), [
                {"name": f"bulk {number}", "done": number % 2 == 0,
                 "bucketlist_id": self.bucketlist["id"]} for number in range(10)
            ])
            db.session.commit()
        body = self.api.get(self.path).get_json()
        self.assertEqual([item["name"] for item in body["items"]], ["bulk 0", "bulk 1", "bulk 2"])
        self.assertEqual((body["items_count"], body["done_count"]), (10, 5))

    def test_a_detail_at_the_limit_counts_from_its_goals(self):
        for number in range(3):
            self.add(f"goal {number}")
        body = self.api.get(self.path).get_json()
        self.assertEqual((len(body["items"]), body["items_count"], body["done_count"]), (3, 3, 0))


class LimitSettingsTestCase(unittest.TestCase):
    """The limits come from the environment, with documented defaults."""

    def test_defaults(self):
        config = create_app("development").config
        self.assertEqual((config["MAX_BUCKETLISTS_PER_USER"], config["MAX_ITEMS_PER_BUCKETLIST"]),
                         (10_000, 1_000))

    def test_the_environment_sets_them(self):
        values = {"MAX_BUCKETLISTS_PER_USER": "50", "MAX_ITEMS_PER_BUCKETLIST": "20"}
        with mock.patch.dict(os.environ, values):
            config = create_app("development").config
        self.assertEqual((config["MAX_BUCKETLISTS_PER_USER"], config["MAX_ITEMS_PER_BUCKETLIST"]),
                         (50, 20))

    def test_nonsense_is_refused_at_start_up(self):
        for value in ("0", "-1", "many"):
            with self.subTest(value=value), mock.patch.dict(
                os.environ, {"MAX_ITEMS_PER_BUCKETLIST": value}
            ), self.assertRaises(ConfigError):
                create_app("development")


if __name__ == "__main__":
    unittest.main()
