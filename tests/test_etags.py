"""Conditional requests (RFC 9110 §13): ETags, If-None-Match (304) and If-Match (412)."""

import unittest

from app.models import Bucketlist, Item
from tests.base import AuthenticatedTestCase, race


class EtagTestCase(AuthenticatedTestCase):
    """A bucketlist with one goal, and the caller's list."""

    def setUp(self):
        super().setUp()
        self.bucketlist = self.create_bucketlist(self.token, "Travel")
        self.path = f"/bucketlists/{self.bucketlist['id']}"
        self.item = self.api.post(f"{self.path}/items/", json={"name": "See the aurora"}).get_json()
        self.item_path = f"{self.path}/items/{self.item['id']}"

    def get(self, path, **headers):
        return self.api.get(path, headers=headers)

    def etag(self, path):
        response = self.get(path)
        self.assertEqual(response.status_code, 200)
        return response.headers["ETag"]

    def write(self, method, path, etag=None, body=None):
        headers = {} if etag is None else {"If-Match": etag}
        return getattr(self.api, method)(path, headers=headers, json=body)

    def names(self):
        return self.stored(Bucketlist.name), self.stored(Item.name)


class NotModifiedTestCase(EtagTestCase):
    """GET answers a strong ETag; If-None-Match with it is a 304 with no body."""

    def test_a_bucketlist_a_goal_and_a_list_page_have_strong_etags(self):
        for path in (self.path, self.item_path, "/bucketlists/", f"{self.path}/items/"):
            with self.subTest(path=path):
                etag = self.etag(path)
                self.assertRegex(etag, r'^"[0-9a-f]{40}"$')
                self.assertEqual(self.etag(path), etag)

    def test_if_none_match_is_304_without_a_body(self):
        for path in (self.path, self.item_path, "/bucketlists/", f"{self.path}/items/?page=1"):
            with self.subTest(path=path):
                etag = self.etag(path)
                response = self.get(path, **{"If-None-Match": etag})
                self.assertEqual(response.status_code, 304)
                self.assertEqual(response.data, b"")
                self.assertEqual(response.headers["ETag"], etag)

    def test_a_weak_or_listed_etag_matches_too(self):
        etag = self.etag(self.path)
        for header in (f"W/{etag}", f'"other", {etag}', "*"):
            with self.subTest(header=header):
                self.assertEqual(self.get(self.path, **{"If-None-Match": header}).status_code,
                                 304)

    def test_any_change_changes_the_etag(self):
        before = {path: self.etag(path) for path in (self.path, self.item_path, "/bucketlists/")}
        self.api.patch(self.item_path, json={"done": True})
        self.create_bucketlist(self.token, "Another")
        for path, etag in before.items():
            with self.subTest(path=path):
                response = self.get(path, **{"If-None-Match": etag})
                self.assertEqual(response.status_code, 200)
                self.assertNotEqual(response.headers["ETag"], etag)

    def test_pages_of_one_list_have_their_own_etags(self):
        self.create_bucketlist(self.token, "Second")
        first = self.etag("/bucketlists/?per_page=1&page=1")
        second = self.etag("/bucketlists/?per_page=1&page=2")
        self.assertNotEqual(first, second)

    def test_another_users_etag_shows_nothing(self):
        etag = self.etag(self.path)
        other = self.auth_header(self.get_token("other@example.com"))
        response = self.client().get(self.path, headers={**other, "If-None-Match": etag})
        self.assert_error(response, 404)


class IfMatchTestCase(EtagTestCase):
    """PUT, PATCH and DELETE with If-Match: only on the version the client saw."""

    def test_a_write_with_the_current_etag_succeeds_and_answers_the_next_one(self):
        response = self.write("put", self.path, self.etag(self.path), {"name": "Renamed"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["ETag"], self.etag(self.path))
        response = self.write("patch", self.item_path, self.etag(self.item_path), {"done": True})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["ETag"], self.etag(self.item_path))

    def test_a_stale_etag_is_412_and_changes_nothing(self):
        stale_bucketlist, stale_item = self.etag(self.path), self.etag(self.item_path)
        self.write("patch", self.item_path, body={"name": "Changed meanwhile"})
        for method, path, etag, body in [
            ("put", self.path, stale_bucketlist, {"name": "Overwrite"}),
            ("delete", self.path, stale_bucketlist, None),
            ("put", self.item_path, stale_item, {"name": "Overwrite"}),
            ("patch", self.item_path, stale_item, {"done": True}),
            ("delete", self.item_path, stale_item, None),
        ]:
            with self.subTest(method=method, path=path):
                body_ = self.assert_error(self.write(method, path, etag, body), 412)
                self.assertIn("If-Match", body_["message"])
        self.assertEqual(self.names(), (["Travel"], ["Changed meanwhile"]))

    def test_without_if_match_a_rename_reads_the_goals_once(self):
        detail_reads = "LEFT OUTER JOIN items ON items.bucketlist_id = bucketlists.id"
        with self.statements() as sent:
            self.assertEqual(self.write("put", self.path, body={"name": "Plain"}).status_code, 200)
        without = sum(detail_reads in statement for statement in sent)
        etag = self.etag(self.path)
        with self.statements() as sent:
            self.assertEqual(self.write("put", self.path, etag, {"name": "Checked"}).status_code,
                             200)
        with_if_match = sum(detail_reads in statement for statement in sent)
        # Once for the new ETag of the answer; once more to check If-Match, only when it is sent.
        self.assertEqual((without, with_if_match), (1, 2))

    def test_star_matches_any_current_version(self):
        self.assertEqual(self.write("put", self.path, "*", {"name": "Any"}).status_code, 200)

    def test_if_none_match_that_matches_makes_a_write_412_and_changes_nothing(self):
        # RFC 9110 §13.1.2: `*` matches any current version, and so does the current ETag.
        writes = [("put", self.path, {"name": "Overwrite"}), ("delete", self.path, None),
                  ("put", self.item_path, {"name": "Overwrite"}),
                  ("patch", self.item_path, {"done": True}), ("delete", self.item_path, None)]
        for header in ["*", "current", 'W/"other", current']:
            for method, path, body in writes:
                with self.subTest(header=header, method=method, path=path):
                    value = header.replace("current", self.etag(path))
                    response = getattr(self.client(), method)(
                        path, headers={**self.headers, "If-None-Match": value}, json=body)
                    self.assertIn("If-None-Match", self.assert_error(response, 412)["message"])
        self.assertEqual(self.names(), (["Travel"], ["See the aurora"]))

    def test_if_none_match_naming_another_version_lets_a_write_through(self):
        for method, path, body in [("patch", self.item_path, {"done": True}),
                                   ("put", self.path, {"name": "Renamed"})]:
            with self.subTest(method=method, path=path):
                response = getattr(self.client(), method)(
                    path, headers={**self.headers, "If-None-Match": '"an-old-version"'},
                    json=body)
                self.assertEqual(response.status_code, 200, response.data)

    def test_if_match_on_what_is_gone_is_404(self):
        etag = self.etag(self.item_path)
        self.assertEqual(self.write("delete", self.item_path).status_code, 200)
        self.assert_error(self.write("patch", self.item_path, etag, {"done": True}), 404)

    def test_a_bad_body_is_400_before_the_precondition(self):
        stale = self.etag(self.path)
        self.write("put", self.path, body={"name": "Changed meanwhile"})
        self.assert_error(self.write("put", self.path, stale, {"name": ""}), 400)

    def test_writes_without_if_match_work_as_they_always_have(self):
        self.assertEqual(self.write("put", self.path, body={"name": "Plain"}).status_code, 200)
        self.assertEqual(self.write("delete", self.item_path).status_code, 200)

    def test_require_if_match_makes_them_428(self):
        self.use_app(REQUIRE_IF_MATCH=True)
        for method, path, body in [("put", self.path, {"name": "x"}),
                                   ("patch", self.item_path, {"done": True}),
                                   ("delete", self.item_path, None)]:
            with self.subTest(method=method, path=path):
                body_ = self.assert_error(self.write(method, path, body=body), 428)
                self.assertIn("If-Match", body_["message"])
        self.assertEqual(self.names(), (["Travel"], ["See the aurora"]))
        self.assertEqual(self.write("put", self.path, self.etag(self.path),
                                    {"name": "Conditional"}).status_code, 200)


class DescribedTestCase(EtagTestCase):
    """The OpenAPI description says which requests are conditional, and how."""

    def test_gets_take_if_none_match_and_writes_take_an_optional_if_match(self):
        spec = self.client().get("/openapi.json").get_json()
        parameters = spec["components"]["parameters"]
        self.assertEqual(parameters["IF_MATCH"]["name"], "If-Match")
        self.assertFalse(parameters["IF_MATCH"].get("required", False))
        for path in ("/bucketlists/{bucketlist_id}", "/bucketlists/{bucketlist_id}/items/{item_id}",
                     "/bucketlists/", "/bucketlists/{bucketlist_id}/items/"):
            with self.subTest(path=path):
                get = spec["paths"][path]["get"]
                self.assertIn({"$ref": "#/components/parameters/IF_NONE_MATCH"}, get["parameters"])
                self.assertIn("304", get["responses"])
                self.assertIn("ETag", get["responses"]["200"]["headers"])
        for path, methods in [("/bucketlists/{bucketlist_id}", ("put", "delete")),
                              ("/bucketlists/{bucketlist_id}/items/{item_id}",
                               ("put", "patch", "delete"))]:
            for method in methods:
                with self.subTest(path=path, method=method):
                    operation = spec["paths"][path][method]
                    self.assertIn({"$ref": "#/components/parameters/IF_MATCH"},
                                  operation["parameters"])
                    self.assertLessEqual({"412", "428"}, set(operation["responses"]))


class RacingWritersTestCase(EtagTestCase):
    """Two writers holding the same ETag: exactly one wins, the other gets 412."""

    def racing(self, path, first, second):
        etag = self.etag(path)
        return race(lambda: self.write(*first[:1], path, etag, *first[1:]),
                    lambda: self.write(*second[:1], path, etag, *second[1:]))

    def test_two_puts_of_a_bucketlist(self):
        for round_ in range(5):  # a race is a matter of timing: run it a few times
            responses = self.racing(self.path, ("put", {"name": f"Alice's {round_}"}),
                                    ("put", {"name": f"Bob's {round_}"}))
            self.assertEqual(sorted(r.status_code for r in responses), [200, 412])
            winner = next(r for r in responses if r.status_code == 200).get_json()["name"]
            self.assertEqual(self.names()[0], [winner])

    def test_two_patches_of_a_goal(self):
        responses = self.racing(self.item_path, ("patch", {"name": "Alice's"}),
                                ("patch", {"done": True}))
        self.assertEqual(sorted(r.status_code for r in responses), [200, 412])
        stored = self.get(self.item_path).get_json()
        winner = next(r for r in responses if r.status_code == 200).get_json()
        self.assertEqual(stored, winner)
        self.assertNotEqual((stored["name"], stored["done"]), ("Alice's", True))

    def test_a_delete_and_a_put_of_a_bucketlist(self):
        deleting, renaming = self.racing(self.path, ("delete",), ("put", {"name": "Renamed"}))
        if deleting.status_code == 200:  # the rename then finds nothing to rename
            self.assertEqual(renaming.status_code, 404)
            self.assertEqual(self.names()[0], [])
        else:
            self.assertEqual((deleting.status_code, renaming.status_code), (412, 200))
            self.assertEqual(self.names()[0], ["Renamed"])

    def test_two_deletes_of_a_goal_with_a_patch(self):
        patching, deleting = self.racing(self.item_path, ("patch", {"done": True}), ("delete",))
        self.assertEqual(sorted((patching.status_code, deleting.status_code)),
                         [200, 412] if patching.status_code == 200 else [200, 404])


if __name__ == "__main__":
    unittest.main()
