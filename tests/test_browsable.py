"""The browsable API as the server renders it: HTML for browsers only, escaped, strict CSP."""

import unittest

from tests.base import BaseTestCase

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class BrowsableTestCase(BaseTestCase):
    """Content negotiation and the page around the JSON."""

    def setUp(self):
        super().setUp()
        self.token = self.get_token()

    def get(self, path, accept=BROWSER_ACCEPT, **kwargs):
        headers = {"Accept": accept} if accept else {}
        headers.update(kwargs.pop("headers", {}))
        return self.client().get(path, headers=headers, **kwargs)

    def test_browser_gets_html_with_the_same_status(self):
        res = self.get("/bucketlists/")
        self.assertEqual((res.status_code, res.mimetype), (401, "text/html"))
        page = res.get_data(as_text=True)
        self.assertIn("List bucketlists", page)
        self.assertIn("GET /bucketlists/", page)
        self.assertIn("HTTP 401 UNAUTHORIZED", page)
        self.assertIn("Authorization required", page)

    def test_other_clients_get_json(self):
        for accept in [None, "*/*", "application/json", "application/json, text/html;q=0.9"]:
            with self.subTest(accept=accept):
                res = self.get("/bucketlists/", accept=accept)
                self.assertEqual(res.mimetype, "application/json")
                self.assertEqual(res.get_json()["message"][:22], "Authorization required")

    def test_format_json_forces_json_in_a_browser(self):
        res = self.get("/bucketlists/?format=json", headers=self.auth_header(self.token))
        self.assertEqual((res.status_code, res.mimetype), (200, "application/json"))
        self.assertEqual(res.get_json(), [])

    def test_responses_vary_on_accept(self):
        self.assertIn("Accept", self.get("/bucketlists/", accept="*/*").headers["Vary"])
        self.assertIn("Accept", self.get("/bucketlists/").headers["Vary"])

    def test_page_has_a_strict_csp_and_no_inline_script(self):
        res = self.get("/bucketlists/")
        csp = res.headers["Content-Security-Policy"]
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)
        page = res.get_data(as_text=True)
        scripts = page.split("<script")[1:]
        for script in scripts:
            opening = script.split(">", 1)[0]
            self.assertTrue("src=" in opening or 'type="application/json"' in opening, opening)

    def test_data_is_escaped(self):
        self.create_bucketlist(self.token, "<script>alert(1)</script>")
        res = self.get("/bucketlists/1", headers=self.auth_header(self.token))
        page = res.get_data(as_text=True)
        self.assertNotIn("<script>alert(1)", page)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", page)
        self.assertIn("\\u003cscript\\u003ealert(1)", page)

    def test_forms_follow_the_allowed_methods_and_body_schemas(self):
        self.create_bucketlist(self.token)
        collection = self.get("/bucketlists/").get_data(as_text=True)
        self.assertIn('data-method="POST"', collection)
        self.assertIn('data-field="name"', collection)
        self.assertNotIn('data-method="PUT"', collection)
        item = self.get("/bucketlists/1").get_data(as_text=True)
        self.assertIn('data-method="PUT"', item)
        self.assertIn('data-method="DELETE"', item)
        self.assertNotIn('data-method="POST"', item)

    def test_pages_show_whole_summaries_and_descriptions(self):
        self.create_bucketlist(self.token)
        page = self.get("/bucketlists/1", headers=self.auth_header(self.token))
        text = page.get_data(as_text=True)
        self.assertIn("A bucketlist, with its goals and the caller&#39;s role. The goals are the "
                      "first MAX_ITEMS_PER_BUCKETLIST, by id.", text)
        self.assertIn("Rename a bucketlist (its owner or an editor). 412 if If-Match names an "
                      "older version.", text)

    def test_routes_that_take_only_forms_are_form_pages_for_a_browser(self):
        for path, method, name in [("/auth/register", "POST", "Register"),
                                   ("/auth/login", "POST", "Login"),
                                   ("/auth/password-reset", "POST", "Request password reset"),
                                   ("/auth/password-reset/confirm?token=abc", "POST",
                                    "Confirm password reset"),
                                   ("/auth/password", "PUT", "Change password")]:
            with self.subTest(path=path):
                res = self.get(path)
                self.assertEqual((res.status_code, res.mimetype), (200, "text/html"))
                page = res.get_data(as_text=True)
                self.assertIn(f'<h1 id="name">{name}</h1>', page)
                self.assertIn(f'data-method="{method}"', page)
                self.assertIn("<b>HTTP 200 OK</b>", page)
                self.assertNotIn("METHOD NOT ALLOWED", page)
                api = self.client().get(path, headers={"Accept": "application/json"})
                self.assert_error(api, 405)
                self.assertIn(method, api.headers["Allow"])

    def test_errors_and_unknown_urls_are_pages_too(self):
        res = self.get("/no/such/page")
        self.assertEqual((res.status_code, res.mimetype), (404, "text/html"))
        res = self.client().post("/bucketlists/", headers={"Accept": BROWSER_ACCEPT,
                                 **self.auth_header(self.token)}, json={"name": ""})
        self.assertEqual((res.status_code, res.mimetype), (400, "text/html"))

    def test_login_form_posts_to_login_without_script(self):
        page = self.get("/bucketlists/").get_data(as_text=True)
        self.assertIn('<form id="login-form" method="post" action="/auth/login">', page)

    def test_assets_are_served_by_the_app(self):
        for path in ["/static/browsable/browsable.js", "/static/browsable/browsable.css"]:
            with self.subTest(path=path):
                self.assertEqual(self.client().get(path).status_code, 200)


if __name__ == "__main__":
    unittest.main()
