"""Goals inside bucketlists: CRUD, PATCH, date_done, ownership through the bucketlist, bad input."""

import time
import unittest
from datetime import datetime

from app import db
from app.models import Bucketlist, Item
from tests.base import AuthenticatedTestCase, BaseTestCase

ITEM_FIELDS = {"id", "name", "done", "date_created", "date_modified", "date_done"}


class ItemsTestCase(AuthenticatedTestCase):
    """The goals of one bucketlist."""

    def setUp(self):
        super().setUp()
        self.bucketlist = self.create_bucketlist(self.token, "Travel")
        self.items = f"/bucketlists/{self.bucketlist['id']}/items/"

    def add(self, name="See the aurora", **fields):
        res = self.api.post(self.items, json={"name": name, **fields})
        self.assertEqual(res.status_code, 201, res.data)
        return res.get_json()

    def item_path(self, item):
        return f"{self.items}{item['id']}"

    def test_create_answers_the_item_not_done(self):
        res = self.api.post(self.items, json={"name": "Dive"})
        self.assertEqual(res.status_code, 201)
        body = res.get_json()
        self.assertEqual(set(body), ITEM_FIELDS)
        self.assertEqual((body["name"], body["done"], body["date_done"]), ("Dive", False, None))
        self.assertEqual(body["date_created"], body["date_modified"])
        self.assertEqual(res.headers["Location"], self.item_path(body))

    def test_create_with_form_data_and_done(self):
        res = self.api.post(self.items, data={"name": " Ski ", "done": "true"})
        body = res.get_json()
        self.assertEqual((res.status_code, body["name"], body["done"]), (201, "Ski", True))
        self.assertEqual(body["date_done"], body["date_created"])

    def test_list_and_get(self):
        first, second = self.add("one"), self.add("two")
        res = self.api.get(self.items)
        self.assertEqual([i["name"] for i in res.get_json()], ["one", "two"])
        res = self.api.get(self.item_path(second))
        self.assertEqual(res.get_json(), second)
        self.assertNotEqual(first["id"], second["id"])

    def test_put_replaces_name_and_done(self):
        item = self.add("old", done=True)
        res = self.api.put(self.item_path(item), json={"name": "new"})
        body = res.get_json()
        self.assertEqual((res.status_code, body["name"], body["done"]), (200, "new", False))
        self.assertIsNone(body["date_done"])

    def test_put_needs_a_name(self):
        item = self.add("kept")
        res = self.api.put(self.item_path(item), json={"done": True})
        self.assertIn("name", self.assert_error(res, 400)["errors"])
        self.assertEqual(self.api.get(self.item_path(item)).get_json()["name"], "kept")

    def test_patch_changes_only_what_is_sent(self):
        item = self.add("walk")
        res = self.api.patch(self.item_path(item), json={"done": True})
        body = res.get_json()
        self.assertEqual((body["name"], body["done"]), ("walk", True))
        res = self.api.patch(self.item_path(item), json={"name": "run"})
        body = res.get_json()
        self.assertEqual((body["name"], body["done"]), ("run", True))

    def test_patch_with_nothing_to_change_is_400(self):
        item = self.add()
        for body in [{}, {"unknown": 1}]:
            with self.subTest(body=body):
                res = self.api.patch(self.item_path(item), json=body)
                self.assert_error(res, 400)

    def test_date_done_is_set_when_done_and_cleared_when_not(self):
        item = self.add()
        time.sleep(0.002)
        done = self.api.patch(self.item_path(item), json={"done": True}).get_json()
        self.assertIsNotNone(done["date_done"])
        self.assertEqual(done["date_done"], done["date_modified"])
        time.sleep(0.002)
        renamed = self.api.patch(self.item_path(item),
                                 json={"name": "still done", "done": True}).get_json()
        self.assertEqual(renamed["date_done"], done["date_done"])
        self.assertGreater(datetime.fromisoformat(renamed["date_modified"]),
                           datetime.fromisoformat(done["date_modified"]))
        undone = self.api.patch(self.item_path(item), json={"done": False}).get_json()
        self.assertIsNone(undone["date_done"])

    def test_delete(self):
        item = self.add()
        res = self.api.delete(self.item_path(item))
        self.assertEqual(res.get_json(), {"message": f"item {item['id']} deleted"})
        self.assert_error(self.api.get(self.item_path(item)), 404, "Item not found.")

    def test_deleting_the_bucketlist_deletes_its_items_in_the_database(self):
        self.add()
        self.add()
        other = self.create_bucketlist(self.token, "Other")
        self.api.post(f"/bucketlists/{other['id']}/items/", json={"name": "kept"})
        self.api.delete(f"/bucketlists/{self.bucketlist['id']}")
        with self.app.app_context():
            self.assertEqual(db.session.scalars(db.select(Item.name)).all(), ["kept"])

    def test_cascade_is_in_the_database_not_only_the_orm(self):
        self.add()
        with self.app.app_context():
            db.session.execute(db.delete(Bucketlist))
            db.session.commit()
        self.assertEqual(self.count(Item), 0)

    def test_bucketlist_detail_has_its_items_and_counts(self):
        self.add("a", done=True)
        self.add("b")
        body = self.api.get(f"/bucketlists/{self.bucketlist['id']}").get_json()
        self.assertEqual([i["name"] for i in body["items"]], ["a", "b"])
        self.assertEqual((body["items_count"], body["done_count"]), (2, 1))
        self.assertEqual(body["name"], "Travel")

    def test_bucketlist_detail_items_are_whole_and_in_id_order(self):
        first = self.add("z first", done=True)
        self.add("a second")
        path = f"/bucketlists/{self.bucketlist['id']}"
        items = self.api.get(path).get_json()["items"]
        self.assertEqual([i["name"] for i in items], ["z first", "a second"])
        self.assertEqual(items[0], first)
        self.assertEqual(list(items[0]), ["id", "name", "done", "date_created", "date_modified",
                                          "date_done"])
        self.assertIsNone(items[1]["date_done"])

    def test_bucketlist_detail_without_goals(self):
        body = self.api.get(f"/bucketlists/{self.bucketlist['id']}").get_json()
        self.assertEqual((body["items"], body["items_count"], body["done_count"]), ([], 0, 0))
        self.assertEqual(list(body), ["id", "name", "date_created", "date_modified", "created_by",
                                      "role", "items_count", "done_count", "items"])

    def test_bucketlist_detail_takes_two_queries_whatever_its_size(self):
        for number in range(30):
            self.add(f"goal {number}")
        path = f"/bucketlists/{self.bucketlist['id']}"
        # The user check, and one join of the bucketlist with its goals.
        self.assertEqual(len(self.selects_of(path)), 2)

    def test_a_goal_is_found_with_the_callers_role_in_one_query(self):
        path = self.item_path(self.add())
        # The user check, and one query of the goal joined with its bucketlist and membership.
        self.assertEqual(len(self.selects_of(path)), 2)

    def test_bucketlist_list_has_counts(self):
        self.add("a", done=True)
        self.add("b", done=True)
        self.add("c")
        self.create_bucketlist(self.token, "Empty")
        body = self.api.get("/bucketlists/").get_json()
        self.assertEqual([(b["name"], b["items_count"], b["done_count"]) for b in body],
                         [("Travel", 3, 2), ("Empty", 0, 0)])

    def test_list_takes_three_queries_whatever_the_page_size(self):
        for number in range(5):
            bucketlist = self.create_bucketlist(self.token, f"list {number}")
            self.api.post(f"/bucketlists/{bucketlist['id']}/items/", json={"name": "goal"})
        # The user check (which carries the user's bucketlist count), the count of the
        # bucketlists shared with them, and one page query with each row's counts in it; a
        # search counts what it found instead; the owned ones alone need no count.
        self.assertEqual(len(self.selects_of("/bucketlists/?per_page=100")), 3)
        self.assertEqual(len(self.selects_of("/bucketlists/?per_page=1")), 3)
        self.assertEqual(len(self.selects_of("/bucketlists/?q=list")), 3)
        self.assertEqual(len(self.selects_of("/bucketlists/?role=owner")), 2)

    def selects_of(self, path):
        """The SELECT statements one request sends."""
        statements = []
        from sqlalchemy import event

        with self.app.app_context():
            engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            self.assertEqual(self.api.get(path).status_code, 200)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


class ItemInputTestCase(AuthenticatedTestCase):
    """Bad item bodies: 400, and nothing stored or changed."""

    def setUp(self):
        super().setUp()
        bucketlist = self.create_bucketlist(self.token)
        self.items = f"/bucketlists/{bucketlist['id']}/items/"
        self.item = self.api.post(self.items, json={"name": "Original"}).get_json()
        self.path = f"{self.items}{self.item['id']}"

    def assert_unchanged(self):
        with self.app.app_context():
            self.assertEqual(db.session.scalars(db.select(Item.name)).all(), ["Original"])
            self.assertFalse(db.session.scalar(db.select(Item.done)))

    def test_bad_bodies_are_rejected_everywhere(self):
        bad = [{"name": ""}, {"name": "   "}, {"name": "n" * 256}, {"name": None}, {"name": 5},
               {"name": "bad\x00"}, {"name": "ok", "done": "true"}, {"name": "ok", "done": 1},
               {"name": "ok", "done": None}, {"name": "ok", "done": "yes"}]
        for body in bad:
            for method, path in [("post", self.items), ("put", self.path), ("patch", self.path)]:
                with self.subTest(body=body, method=method):
                    res = getattr(self.client(), method)(path, headers=self.headers, json=body)
                    self.assert_error(res, 400)
        self.assert_unchanged()

    def test_bad_form_flags_are_rejected(self):
        for done in ["yes", "on", "2", ""]:
            with self.subTest(done=done):
                res = self.api.post(self.items, data={"name": "x", "done": done})
                self.assertIn("done", self.assert_error(res, 400)["errors"])
        self.assert_unchanged()

    def test_malformed_and_other_media_types(self):
        for method, path in [("post", self.items), ("put", self.path), ("patch", self.path)]:
            with self.subTest(method=method):
                call = getattr(self.client(), method)
                self.assert_error(call(path, headers=self.headers, data="{",
                                       content_type="application/json"), 400)
                self.assert_error(call(path, headers=self.headers, data="x",
                                       content_type="text/plain"), 415)
                self.assert_error(call(path, headers=self.headers, json={"name": "n" * 2**20}),
                                  413)
        self.assert_unchanged()


class ItemOwnershipTestCase(BaseTestCase):
    """Ownership goes through the bucketlist: anything else is a 404."""

    def setUp(self):
        super().setUp()
        self.owner = self.get_token("owner@example.com", "owner-password")
        self.other = self.get_token("other@example.com", "other-password")
        owner_headers = self.auth_header(self.owner)
        self.first = self.create_bucketlist(self.owner, "First")
        self.second = self.create_bucketlist(self.owner, "Second")
        self.item = self.client().post(f"/bucketlists/{self.first['id']}/items/",
                                       headers=owner_headers, json={"name": "Mine"}).get_json()

    def calls(self, bucketlist_id, item_id, collection=True):
        base = f"/bucketlists/{bucketlist_id}/items/"
        one = f"{base}{item_id}"
        calls = [("get", base, None), ("post", base, {"name": "x"})] if collection else []
        return [*calls, ("get", one, None), ("put", one, {"name": "x"}),
                ("patch", one, {"done": True}), ("delete", one, None)]

    def assert_all_404(self, token, bucketlist_id, item_id, collection=True):
        for method, path, body in self.calls(bucketlist_id, item_id, collection):
            with self.subTest(method=method, path=path):
                res = getattr(self.client(), method)(path, headers=self.auth_header(token),
                                                     json=body)
                self.assert_error(res, 404)
        with self.app.app_context():
            item = db.session.get(Item, self.item["id"])
            self.assertEqual((item.name, item.done), ("Mine", False))

    def test_another_users_bucketlist_and_items_are_404(self):
        self.assert_all_404(self.other, self.first["id"], self.item["id"])

    def test_an_item_through_another_bucketlist_is_404(self):
        self.assert_all_404(self.owner, self.second["id"], self.item["id"], collection=False)

    def test_unknown_and_out_of_range_ids_are_404(self):
        for bucketlist_id, item_id in [(999, self.item["id"]), (2**31, 1), (self.first["id"], 999),
                                       (self.first["id"], 2**31), (10**30, 10**30)]:
            with self.subTest(bucketlist_id=bucketlist_id, item_id=item_id):
                path = f"/bucketlists/{bucketlist_id}/items/{item_id}"
                res = self.client_for(self.owner).get(path)
                self.assert_error(res, 404)

    def test_items_need_a_token(self):
        for method, path, body in self.calls(self.first["id"], self.item["id"]):
            with self.subTest(method=method, path=path):
                self.assert_error(getattr(self.client(), method)(path, json=body), 401)


if __name__ == "__main__":
    unittest.main()
