"""Bucketlist CRUD: the tutorial's tests first, then ownership, validation and timestamps."""

import json
import time
import unittest
from datetime import datetime, timezone

from app import db
from app.models import Bucketlist, User
from tests.base import AuthenticatedTestCase, BaseTestCase


class BucketlistTestCase(BaseTestCase):
    """This class represents the bucketlist test case"""

    def setUp(self):
        """Define test variables and initialize app."""
        super().setUp()
        self.bucketlist = {"name": "Go to Borabora for vacay"}

    def test_bucketlist_creation(self):
        """Test API can create a bucketlist (POST request)"""
        self.register_user()
        result = self.login_user()
        access_token = json.loads(result.data.decode())["access_token"]
        res = self.client().post(
            "/bucketlists/",
            headers=dict(Authorization="Bearer " + access_token),
            data=self.bucketlist,
        )
        self.assertEqual(res.status_code, 201)
        self.assertIn("Go to Borabora", str(res.data))

    def test_api_can_get_all_bucketlists(self):
        """Test API can get a bucketlist (GET request)."""
        self.register_user()
        result = self.login_user()
        access_token = json.loads(result.data.decode())["access_token"]
        res = self.client().post(
            "/bucketlists/",
            headers=dict(Authorization="Bearer " + access_token),
            data=self.bucketlist,
        )
        self.assertEqual(res.status_code, 201)
        res = self.client().get(
            "/bucketlists/",
            headers=dict(Authorization="Bearer " + access_token),
        )
        self.assertEqual(res.status_code, 200)
        self.assertIn("Go to Borabora", str(res.data))

    def test_api_can_get_bucketlist_by_id(self):
        """Test API can get a single bucketlist by using it's id."""
        self.register_user()
        result = self.login_user()
        access_token = json.loads(result.data.decode())["access_token"]
        rv = self.client().post(
            "/bucketlists/",
            headers=dict(Authorization="Bearer " + access_token),
            data=self.bucketlist,
        )
        self.assertEqual(rv.status_code, 201)
        results = json.loads(rv.data.decode())
        result = self.client().get(
            "/bucketlists/{}".format(results["id"]),
            headers=dict(Authorization="Bearer " + access_token),
        )
        self.assertEqual(result.status_code, 200)
        self.assertIn("Go to Borabora", str(result.data))

    def test_bucketlist_can_be_edited(self):
        """Test API can edit an existing bucketlist. (PUT request)"""
        self.register_user()
        result = self.login_user()
        access_token = json.loads(result.data.decode())["access_token"]
        rv = self.client().post(
            "/bucketlists/",
            headers=dict(Authorization="Bearer " + access_token),
            data={"name": "Eat, pray and love"},
        )
        self.assertEqual(rv.status_code, 201)
        results = json.loads(rv.data.decode())
        rv = self.client().put(
            "/bucketlists/{}".format(results["id"]),
            headers=dict(Authorization="Bearer " + access_token),
            data={"name": "Dont just eat, but also pray and love :-)"},
        )
        self.assertEqual(rv.status_code, 200)
        results = self.client().get(
            "/bucketlists/{}".format(results["id"]),
            headers=dict(Authorization="Bearer " + access_token),
        )
        self.assertIn("Dont just eat", str(results.data))

    def test_bucketlist_deletion(self):
        """Test API can delete an existing bucketlist. (DELETE request)."""
        self.register_user()
        result = self.login_user()
        access_token = json.loads(result.data.decode())["access_token"]
        rv = self.client().post(
            "/bucketlists/",
            headers=dict(Authorization="Bearer " + access_token),
            data={"name": "Eat, pray and love"},
        )
        self.assertEqual(rv.status_code, 201)
        results = json.loads(rv.data.decode())
        res = self.client().delete(
            "/bucketlists/{}".format(results["id"]),
            headers=dict(Authorization="Bearer " + access_token),
        )
        self.assertEqual(res.status_code, 200)
        result = self.client().get(
            "/bucketlists/1",
            headers=dict(Authorization="Bearer " + access_token),
        )
        self.assertEqual(result.status_code, 404)


class BucketlistContractTestCase(AuthenticatedTestCase):
    """The shape of what the bucketlist endpoints answer."""


    def test_created_bucketlist_has_every_field(self):
        res = self.api.post("/bucketlists/", json={"name": "Ski"})
        self.assertEqual(res.status_code, 201)
        body = res.get_json()
        self.assertEqual(
            set(body), {"id", "name", "date_created", "date_modified", "created_by", "role"}
        )
        self.assertEqual(body["name"], "Ski")
        self.assertEqual(body["role"], "owner")
        self.assertEqual(body["created_by"], 1)
        self.assertEqual(res.headers["Location"], f"/bucketlists/{body['id']}")
        self.assertEqual(body["date_created"], body["date_modified"])

    def test_fields_come_in_the_tutorials_order(self):
        res = self.api.post("/bucketlists/", json={"name": "Ordered"})
        self.assertEqual(
            list(json.loads(res.data)),
            ["id", "name", "date_created", "date_modified", "created_by", "role"],
        )

    def test_created_bucketlist_is_stored_for_its_owner(self):
        body = self.create_bucketlist(self.token, "Stored")
        with self.app.app_context():
            stored = db.session.get(Bucketlist, body["id"])
            self.assertEqual((stored.name, stored.created_by), ("Stored", 1))

    def test_times_are_iso_8601_utc_with_offset(self):
        before = datetime.now(timezone.utc)
        body = self.create_bucketlist(self.token)
        after = datetime.now(timezone.utc)
        for key in ("date_created", "date_modified"):
            with self.subTest(key=key):
                self.assertTrue(body[key].endswith("+00:00"), body[key])
                moment = datetime.fromisoformat(body[key])
                self.assertTrue(before <= moment <= after)

    def test_list_is_a_json_array_in_id_order(self):
        for name in ["first", "second", "third"]:
            self.create_bucketlist(self.token, name)
        res = self.api.get("/bucketlists/")
        self.assertEqual(res.status_code, 200)
        self.assertEqual([b["name"] for b in res.get_json()], ["first", "second", "third"])

    def test_empty_list_is_an_empty_array(self):
        res = self.api.get("/bucketlists/")
        self.assertEqual((res.status_code, res.get_json()), (200, []))

    def test_update_answers_the_renamed_bucketlist(self):
        created = self.create_bucketlist(self.token, "old")
        res = self.api.put(f"/bucketlists/{created['id']}", json={"name": "new"})
        self.assertEqual(res.status_code, 200)
        body = res.get_json()
        self.assertEqual((body["id"], body["name"]), (created["id"], "new"))
        self.assertEqual(body["date_created"], created["date_created"])

    def test_date_modified_moves_on_every_update_even_to_the_same_name(self):
        created = self.create_bucketlist(self.token, "same")
        previous = datetime.fromisoformat(created["date_modified"])
        for _ in range(2):
            time.sleep(0.002)
            res = self.api.put(f"/bucketlists/{created['id']}", json={"name": "same"})
            modified = datetime.fromisoformat(res.get_json()["date_modified"])
            self.assertGreater(modified, previous)
            previous = modified
        stored = self.api.get(f"/bucketlists/{created['id']}")
        self.assertEqual(datetime.fromisoformat(stored.get_json()["date_modified"]), previous)

    def test_delete_answers_the_tutorial_message(self):
        created = self.create_bucketlist(self.token)
        res = self.api.delete(f"/bucketlists/{created['id']}")
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res.get_json(), {"message": f"bucketlist {created['id']} deleted"})
        self.assertEqual(self.count(Bucketlist), 0)

    def test_deleting_twice_is_a_404(self):
        created = self.create_bucketlist(self.token)
        self.api.delete(f"/bucketlists/{created['id']}")
        res = self.api.delete(f"/bucketlists/{created['id']}")
        self.assert_error(res, 404, "Bucketlist not found.")

    def test_deleting_a_user_deletes_their_bucketlists_in_the_database(self):
        self.create_bucketlist(self.token)
        with self.app.app_context():
            db.session.execute(db.delete(User))
            db.session.commit()
        self.assertEqual(self.count(Bucketlist), 0)

    def test_unknown_and_out_of_range_ids_are_404(self):
        for bucketlist_id in [1, 999, 2**31 - 1, 2**31, 2**63, 10**30]:
            for method in ("get", "put", "delete"):
                with self.subTest(id=bucketlist_id, method=method):
                    res = getattr(self.client(), method)(
                        f"/bucketlists/{bucketlist_id}", headers=self.headers, json={"name": "x"}
                    )
                    self.assert_error(res, 404)

    def test_non_integer_ids_are_404(self):
        for path in ["/bucketlists/abc", "/bucketlists/-1", "/bucketlists/1.5", "/bucketlists/%00"]:
            with self.subTest(path=path):
                self.assert_error(self.api.get(path), 404)

    def test_collection_does_not_allow_put_or_delete(self):
        for method in ("put", "delete", "patch"):
            with self.subTest(method=method):
                res = getattr(self.client(), method)("/bucketlists/", headers=self.headers)
                self.assert_error(res, 405)
                self.assertEqual(
                    set(res.headers["Allow"].split(", ")), {"GET", "HEAD", "OPTIONS", "POST"}
                )


class OwnershipTestCase(BaseTestCase):
    """Nobody reaches a bucketlist that is not theirs: it does not exist for them."""

    def setUp(self):
        super().setUp()
        self.owner = self.get_token("owner@example.com", "owner-password")
        self.other = self.get_token("other@example.com", "other-password")
        self.theirs = self.create_bucketlist(self.owner, "Owner's dream")
        self.path = f"/bucketlists/{self.theirs['id']}"

    def test_others_do_not_see_it_in_their_list(self):
        self.create_bucketlist(self.other, "Other's dream")
        res = self.client_for(self.other).get("/bucketlists/")
        self.assertEqual([b["name"] for b in res.get_json()], ["Other's dream"])

    def test_others_cannot_get_it(self):
        res = self.client_for(self.other).get(self.path)
        self.assert_error(res, 404, "Bucketlist not found.")

    def test_others_cannot_rename_it(self):
        res = self.client_for(self.other).put(self.path, json={"name": "Hijacked"})
        self.assert_error(res, 404, "Bucketlist not found.")
        self.assertEqual(self.stored(Bucketlist.name), ["Owner's dream"])

    def test_others_cannot_rename_it_even_with_a_bad_body(self):
        res = self.client_for(self.other).put(self.path, json={})
        self.assert_error(res, 404)

    def test_others_cannot_delete_it(self):
        res = self.client_for(self.other).delete(self.path)
        self.assert_error(res, 404, "Bucketlist not found.")
        self.assertEqual(self.stored(Bucketlist.name), ["Owner's dream"])

    def test_owner_still_reaches_it(self):
        res = self.client_for(self.owner).get(self.path)
        self.assertEqual(res.get_json()["name"], "Owner's dream")

    def test_created_by_cannot_be_chosen_by_the_client(self):
        res = self.client_for(self.other).post(
            "/bucketlists/",
            json={"name": "Mine", "created_by": 1, "id": 77},
        )
        self.assertEqual(res.get_json()["created_by"], 2)
        self.assertNotEqual(res.get_json()["id"], 77)


class BucketlistInputTestCase(AuthenticatedTestCase):
    """Bad names on create and update: a 400, and nothing stored or changed."""

    def setUp(self):
        super().setUp()
        self.existing = self.create_bucketlist(self.token, "Original")

    def send_both(self, **kwargs):
        """POST and PUT the same body; both responses."""
        post = self.api.post("/bucketlists/", **kwargs)
        path = f"/bucketlists/{self.existing['id']}"
        put = self.api.put(path, **kwargs)
        return post, put

    def assert_both_rejected(self, status=400, **kwargs):
        for response in self.send_both(**kwargs):
            body = self.assert_error(response, status)
        self.assertEqual(self.stored(Bucketlist.name), ["Original"])
        return body

    def test_names_are_trimmed(self):
        post, put = self.send_both(json={"name": "  Climb Kilimanjaro \n"})
        self.assertEqual(post.get_json()["name"], "Climb Kilimanjaro")
        self.assertEqual(put.get_json()["name"], "Climb Kilimanjaro")

    def test_name_of_255_characters_is_accepted(self):
        post, put = self.send_both(json={"name": "n" * 255})
        self.assertEqual((post.status_code, put.status_code), (201, 200))

    def test_name_of_255_non_ascii_characters_is_accepted(self):
        post, _ = self.send_both(json={"name": "ü" * 255})
        self.assertEqual(post.get_json()["name"], "ü" * 255)

    def test_missing_name_is_rejected(self):
        body = self.assert_both_rejected(json={})
        self.assertIn("name", body["errors"])

    def test_missing_body_is_rejected(self):
        self.assert_both_rejected()

    def test_empty_and_blank_names_are_rejected(self):
        for name in ["", "   ", "\t\n"]:
            with self.subTest(name=name):
                self.assert_both_rejected(json={"name": name})
                self.assert_both_rejected(data={"name": name})

    def test_oversized_name_is_rejected(self):
        body = self.assert_both_rejected(json={"name": "n" * 256})
        self.assertIn("255", body["message"])

    def test_length_limit_applies_to_the_name_as_sent(self):
        body = self.assert_both_rejected(json={"name": " " * 10 + "n" * 250})
        self.assertIn("255", body["message"])

    def test_names_of_unicode_white_space_only_are_rejected(self):
        for name in ["\u00a0", "\u2003\u3000", "\x1f", "\u2028"]:
            with self.subTest(name=name):
                self.assert_both_rejected(json={"name": name})

    def test_wrong_types_are_rejected(self):
        for name in [123, 1.5, True, None, [], ["a"], {"a": 1}]:
            with self.subTest(name=name):
                self.assert_both_rejected(json={"name": name})

    def test_nul_is_rejected(self):
        self.assert_both_rejected(json={"name": "bad\x00name"})
        self.assert_both_rejected(data={"name": "bad\x00name"})

    def test_malformed_json_is_rejected(self):
        self.assert_both_rejected(data='{"name": ', content_type="application/json")

    def test_json_that_is_not_an_object_is_rejected(self):
        self.assert_both_rejected(data='["name"]', content_type="application/json")

    def test_other_media_types_are_415(self):
        self.assert_both_rejected(status=415, data="name=x", content_type="text/plain")

    def test_oversized_body_is_413(self):
        self.assert_both_rejected(status=413, json={"name": "n" * (1024 * 1024)})


if __name__ == "__main__":
    unittest.main()
