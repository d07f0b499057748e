"""The front page: `/` says what the service is and links to where to start."""

from tests.base import BaseTestCase
from tests.test_browsable import BROWSER_ACCEPT


class HomeTestCase(BaseTestCase):
    """GET / as JSON for clients, as a page for browsers."""

    def test_a_client_gets_the_entry_points(self):
        res = self.client().get("/", headers={"Accept": "application/json"})
        self.assertEqual((res.status_code, res.mimetype), (200, "application/json"))
        body = res.get_json()
        self.assertEqual(body["name"], "Bucketlist API")
        self.assertEqual(body["bucketlists_url"], "/bucketlists/")
        self.assertEqual(body["register_url"], "/auth/register")
        self.assertEqual(body["login_url"], "/auth/login")
        self.assertEqual(body["docs_url"], "/docs")
        urls = {name: path for name, path in body.items() if name.endswith("_url")}
        self.assertEqual(len(urls), 8)
        adapter = self.app.url_map.bind("localhost")
        for name, path in urls.items():
            with self.subTest(name=name):
                self.assertTrue(adapter.allowed_methods(path), path)

    def test_a_browser_gets_a_page_with_the_links(self):
        res = self.client().get("/", headers={"Accept": BROWSER_ACCEPT})
        self.assertEqual((res.status_code, res.mimetype), (200, "text/html"))
        page = res.get_data(as_text=True)
        self.assertIn("before you kick the bucket", page)
        for path in ("/bucketlists/", "/docs", "/auth/register", "/auth/login"):
            self.assertIn(path, page)

    def test_it_is_described_like_every_route(self):
        spec = self.client().get("/openapi.json").get_json()
        self.assertEqual(spec["paths"]["/"]["get"]["operationId"], "home_index")
