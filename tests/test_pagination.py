"""Paging, search and sort on both collections; the paging travels in X-Total-Count and Link."""

import re
import unittest
from urllib.parse import parse_qs, urlsplit

from app.models import Bucketlist
from tests.base import AuthenticatedTestCase, race


def links(response) -> dict:
    """The Link header as {rel: (path, query dict)}."""
    result = {}
    for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"]):
        parts = urlsplit(url)
        result[rel] = (parts.path, parse_qs(parts.query))
    return result


class BucketlistPagingTestCase(AuthenticatedTestCase):
    """GET /bucketlists/ with page, per_page, q and sort."""

    def setUp(self):
        super().setUp()
        self.names = ["Zanzibar", "alps", "Berlin 100%", "berlin_2", "Cairo", "Berlin"]
        for name in self.names:
            self.create_bucketlist(self.token, name)

    def get(self, query=""):
        return self.api.get(f"/bucketlists/{query}")

    def names_of(self, response):
        self.assertEqual(response.status_code, 200, response.data)
        return [b["name"] for b in response.get_json()]

    def test_default_is_first_page_of_20_by_id_with_headers(self):
        res = self.get()
        self.assertEqual(self.names_of(res), self.names)
        self.assertEqual(res.headers["X-Total-Count"], "6")
        self.assertEqual(set(links(res)), {"first", "last"})

    def test_default_page_size_is_20_and_at_most_100(self):
        for number in range(25):
            self.create_bucketlist(self.token, f"more {number}")
        self.assertEqual(len(self.get().get_json()), 20)
        self.assertEqual(len(self.get("?per_page=100").get_json()), 31)

    def test_pages_and_links(self):
        res = self.get("?per_page=2&page=2")
        self.assertEqual(self.names_of(res), ["Berlin 100%", "berlin_2"])
        self.assertEqual(res.headers["X-Total-Count"], "6")
        rels = links(res)
        self.assertEqual({rel: query["page"] for rel, (_, query) in rels.items()},
                         {"first": ["1"], "prev": ["1"], "next": ["3"], "last": ["3"]})
        for path, query in rels.values():
            self.assertEqual((path, query["per_page"]), ("/bucketlists/", ["2"]))

    def test_links_keep_the_other_parameters(self):
        res = self.get("?per_page=1&q=berlin&sort=-name&page=2")
        for rel, (_, query) in links(res).items():
            with self.subTest(rel=rel):
                self.assertEqual((query["q"], query["sort"], query["per_page"]),
                                 (["berlin"], ["-name"], ["1"]))
        self.assertTrue(res.headers["Link"].startswith("<http://localhost/bucketlists/?"))

    def test_page_past_the_end_is_an_empty_array(self):
        res = self.get("?per_page=5&page=9")
        self.assertEqual(self.names_of(res), [])
        self.assertEqual(links(res)["prev"][1]["page"], ["2"])
        self.assertNotIn("next", links(res))

    def test_search_is_a_case_insensitive_substring(self):
        berlins = ["Berlin 100%", "berlin_2", "Berlin"]
        self.assertEqual(self.names_of(self.get("?q=BERLIN")), berlins)
        self.assertEqual(self.get("?q=berlin").headers["X-Total-Count"], "3")
        self.assertEqual(self.names_of(self.get("?q=airo")), ["Cairo"])
        self.assertEqual(self.names_of(self.get("?q=nothing")), [])

    def test_percent_and_underscore_match_themselves(self):
        self.assertEqual(self.names_of(self.get("?q=%25")), ["Berlin 100%"])
        self.assertEqual(self.names_of(self.get("?q=_")), ["berlin_2"])
        self.assertEqual(self.names_of(self.get("?q=n_2")), ["berlin_2"])
        self.assertEqual(self.names_of(self.get("?q=%5C")), [])

    def test_sorts(self):
        by_id = self.names
        self.assertEqual(self.names_of(self.get("?sort=id")), by_id)
        self.assertEqual(self.names_of(self.get("?sort=-id")), by_id[::-1])
        self.assertEqual(self.names_of(self.get("?sort=date_created")), by_id)
        self.assertEqual(self.names_of(self.get("?sort=-date_created")), by_id[::-1])
        by_name = self.names_of(self.get("?sort=name"))
        self.assertEqual(sorted(by_name), sorted(self.names))
        self.assertEqual(self.names_of(self.get("?sort=-name")), by_name[::-1])

    def test_sort_by_date_modified_follows_updates(self):
        self.api.put("/bucketlists/1", json={"name": "Zanzibar!"})
        self.assertEqual(self.names_of(self.get("?sort=-date_modified"))[0], "Zanzibar!")

    def test_only_the_callers_rows_are_counted(self):
        other = self.get_token("other@example.com", "other password")
        self.create_bucketlist(other, "Berlin too")
        self.assertEqual(self.get("?q=berlin").headers["X-Total-Count"], "3")

    def test_bad_parameters_are_400_naming_the_parameter(self):
        bad = {"page": ["0", "-1", "x", "1.5", "", str(2**31)],
               "per_page": ["0", "101", "ten", "-5"],
               "sort": ["created", "--id", "name desc", "ID", ""],
               "q": ["a" * 256, "\x00"]}
        for parameter, values in bad.items():
            for value in values:
                with self.subTest(parameter=parameter, value=value):
                    res = self.api.get("/bucketlists/", query_string={parameter: value})
                    body = self.assert_error(res, 400)
                    self.assertIn(parameter, body["errors"])
                    self.assertIn(parameter, body["message"])

    def test_unknown_parameters_are_400(self):
        body = self.assert_error(self.get("?per-page=5"), 400)
        self.assertIn("per-page", body["errors"])

    def test_format_json_is_allowed(self):
        self.assertEqual(self.get("?format=json").status_code, 200)


class TotalCountTestCase(AuthenticatedTestCase):
    """X-Total-Count of an unfiltered list comes from a per-user counter: it must stay exact."""


    def total(self):
        return int(self.api.get("/bucketlists/").headers["X-Total-Count"])

    def test_counter_follows_creates_and_deletes(self):
        for name in "abcde":
            self.create_bucketlist(self.token, name)
        self.api.delete("/bucketlists/2")
        self.api.delete("/bucketlists/2")  # a 404: nothing changes
        self.api.post("/bucketlists/", json={"name": ""})  # a 400
        self.assertEqual((self.total(), self.count(Bucketlist)), (4, 4))

    def test_counter_stays_exact_under_racing_requests(self):
        for name in "abcdef":
            self.create_bucketlist(self.token, name)

        def create():
            return self.app.test_client().post("/bucketlists/", headers=self.headers,
                                               json={"name": "raced"})

        def delete(bucketlist_id):
            return lambda: self.app.test_client().delete(f"/bucketlists/{bucketlist_id}",
                                                         headers=self.headers)

        race(*[create] * 6, *[delete(1 + n % 3) for n in range(6)])
        self.assertEqual(self.count(Bucketlist), 9)
        self.assertEqual(self.total(), 9)

    def test_counters_are_per_user(self):
        self.create_bucketlist(self.token)
        other = self.get_token("other@example.com", "other password")
        self.create_bucketlist(other)
        self.create_bucketlist(other)
        self.assertEqual(self.total(), 1)


class ItemPagingTestCase(AuthenticatedTestCase):
    """GET /bucketlists/<id>/items/ takes the same parameters, and done."""

    def setUp(self):
        super().setUp()
        bucketlist = self.create_bucketlist(self.token)
        self.items = f"/bucketlists/{bucketlist['id']}/items/"
        for name, done in [("swim", True), ("Surf", False), ("ski", True), ("sail", False)]:
            self.api.post(self.items, json={"name": name, "done": done})

    def names(self, query):
        res = self.api.get(self.items + query)
        self.assertEqual(res.status_code, 200, res.data)
        return [i["name"] for i in res.get_json()], res

    def test_done_filter(self):
        self.assertEqual(self.names("?done=true")[0], ["swim", "ski"])
        self.assertEqual(self.names("?done=false")[0], ["Surf", "sail"])
        self.assertEqual(self.names("?done=false")[1].headers["X-Total-Count"], "2")

    def test_paging_search_and_sort_together(self):
        names, res = self.names("?q=S&sort=-name&per_page=2&done=false")
        self.assertEqual(len(names), 2)
        self.assertEqual(res.headers["X-Total-Count"], "2")
        self.assertIn("done=false", res.headers["Link"])

    def test_bad_done_is_400(self):
        for value in ["yes", "1", "", "TRUEISH"]:
            with self.subTest(value=value):
                res = self.api.get(self.items, query_string={"done": value})
                self.assertIn("done", self.assert_error(res, 400)["errors"])


if __name__ == "__main__":
    unittest.main()
