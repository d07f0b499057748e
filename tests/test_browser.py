"""The browsable API and /docs in a real headless Chromium, driven by Playwright.

Needs Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). Without it the tests
are skipped and say why. Screenshots go to test-output/browser/.
"""

import http.server
import json
import os
import re
import shutil
import threading
import unittest
import urllib.error
import urllib.request

from tests.base import free_port
from tests.live_server import ROOT, live_api

CHROMIUM = os.getenv("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
SCREENSHOTS = os.path.join(ROOT, "test-output", "browser")
USER = {"email": "browser@example.com", "password": "browser password"}
TIMEOUT_MS = 15_000


def register(base, user=USER):
    request = urllib.request.Request(
        base + "/auth/register", data=json.dumps(user).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def login_token(base) -> str:
    request = urllib.request.Request(
        base + "/auth/login", data=json.dumps(USER).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["access_token"]


def api_call(base, method, path, token, body=None):
    """The JSON answer of one API call with this token."""
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def api_status(base, token) -> int:
    """The status of GET /bucketlists/ with this token."""
    request = urllib.request.Request(base + "/bucketlists/",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


NEEDS_CHROMIUM = unittest.skipUnless(
    os.path.exists(CHROMIUM), f"Chromium not found at {CHROMIUM}: install Debian's chromium "
                              "(apt-get install chromium) to run the headless browser tests")


class LiveBrowserTestCase(unittest.TestCase):
    """A live server (with `server_env` added to its environment) and a headless Chromium, for
    the whole class: `cls.base` is the server's URL, `cls.browser` the browser."""

    server_env: dict = {}

    @classmethod
    def setUpClass(cls):
        from playwright.sync_api import expect, sync_playwright

        expect.set_options(timeout=TIMEOUT_MS)
        os.makedirs(SCREENSHOTS, exist_ok=True)
        cls._server = live_api(extra_env=cls.server_env)
        cls.base = cls._server.__enter__()
        cls._playwright = sync_playwright().start()
        cls.browser = cls._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls._playwright.stop()
        cls._server.__exit__(None, None, None)


class MailingBrowserTestCase(LiveBrowserTestCase):
    """A live browser test whose server mails to `cls.smtp` (an SMTP server of the test's own),
    with links under the server's own address."""

    @classmethod
    def setUpClass(cls):
        from tests.mail import SMTPServer

        cls.smtp = SMTPServer()
        cls.smtp.start()
        cls.server_env = {**cls.server_env, "MAIL_SERVER": "127.0.0.1",
                          "MAIL_PORT": str(cls.smtp.port), "PUBLIC_URL": "http://127.0.0.1:{port}"}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.smtp.stop()


@NEEDS_CHROMIUM
class BrowserTestCase(LiveBrowserTestCase):
    """Log in, create, rename and delete through the pages; use /docs with the network cut off."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        register(cls.base)

    def setUp(self):
        self.context = self.browser.new_context()
        self.context.set_default_timeout(TIMEOUT_MS)
        self.outside_requests = []
        self.context.route("**/*", self.local_only)
        self.page = self.context.new_page()
        self.dialogs = []
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message),
                                               dialog.dismiss()))
        self.errors = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def tearDown(self):
        self.context.close()

    def local_only(self, route):
        """The network is 'unplugged': only this machine's server answers."""
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            self.outside_requests.append(route.request.url)
            route.abort()

    def screenshot(self, name):
        path = os.path.join(SCREENSHOTS, f"{name}.png")
        self.page.screenshot(path=path, full_page=True)
        return path

    def expect_response(self, status_text, body_text=None):
        """Wait until the page shows this status line (and this text in the body)."""
        from playwright.sync_api import expect

        expect(self.page.locator("#response-head b")).to_have_text(f"HTTP {status_text}")
        if body_text is not None:
            expect(self.page.locator("#response-body")).to_contain_text(body_text)

    def test_manage_bucketlists_through_the_browsable_pages(self):
        from playwright.sync_api import expect

        page = self.page
        newcomer = {"email": "newcomer@example.com", "password": "newcomer password"}
        page.goto(self.base + "/bucketlists/")
        self.expect_response("401 UNAUTHORIZED", "Authorization required")
        self.screenshot("1-logged-out")

        page.click("nav >> text=register")
        page.wait_for_url(self.base + "/auth/register")
        page.fill(".method-form[data-method=POST] input[data-field=email]", newcomer["email"])
        page.fill(".method-form[data-method=POST] input[data-field=password]", newcomer["password"])
        page.click(".method-form[data-method=POST] button")
        self.expect_response("201 CREATED", "You registered successfully.")

        page.click("header nav >> text=bucketlists")
        page.wait_for_url(self.base + "/bucketlists/")
        page.fill("#login-form input[name=email]", newcomer["email"])
        page.fill("#login-form input[name=password]", newcomer["password"])
        page.click("#login-form button")
        expect(page.locator("#session-user")).to_have_text(f"Logged in as {newcomer['email']}")
        self.expect_response("200 OK", "[]")

        evil = "<script>alert(1)</script>"
        page.fill(".method-form[data-method=POST] input[data-field=name]", evil)
        page.click(".method-form[data-method=POST] button")
        self.expect_response("201 CREATED", evil)
        page.click("#get-form button")
        self.expect_response("200 OK", evil)
        self.screenshot("2-created")

        page.click("#response-body a.json-number")
        page.wait_for_url(re.compile(r"/bucketlists/\d+$"))
        bucketlist = page.url
        self.expect_response("200 OK", evil)
        put_name = page.locator(".method-form[data-method=PUT] input[data-field=name]")
        expect(put_name).to_have_value(evil)

        put_name.fill("Renamed by a form")
        page.select_option(".method-form[data-method=PUT] select",
                           "application/x-www-form-urlencoded")
        page.click(".method-form[data-method=PUT] button")
        self.expect_response("200 OK", "Renamed by a form")
        self.screenshot("3-renamed")

        page.fill(".method-form[data-method=PUT] input[data-field=name]", "With goals")
        page.click(".method-form[data-method=PUT] button")
        self.expect_response("200 OK", "With goals")
        page.goto(bucketlist + "/items/")
        self.expect_response("200 OK", "[]")
        page.fill(".method-form[data-method=POST] input[data-field=name]", "A goal")
        page.check(".method-form[data-method=POST] input[data-field=done]")
        page.click(".method-form[data-method=POST] button")
        self.expect_response("201 CREATED", '"done": true')
        page.goto(bucketlist)
        self.expect_response("200 OK", "A goal")
        page.click("#response-body a.json-number")  # the goal's id, inside "items"
        page.wait_for_url(re.compile(r"/bucketlists/\d+/items/\d+$"))
        self.expect_response("200 OK", "A goal")
        page.uncheck(".method-form[data-method=PATCH] input[data-field=done]")
        page.click(".method-form[data-method=PATCH] button")
        self.expect_response("200 OK", '"done": false')
        self.screenshot("4-goal")
        page.goto(bucketlist)
        self.expect_response("200 OK", "With goals")

        page.click(".method-form[data-method=DELETE] button")
        self.expect_response("200 OK", re.compile(r"bucketlist \d+ deleted"))
        page.click("#get-form button")
        self.expect_response("404 NOT FOUND", "Bucketlist not found.")
        self.screenshot("5-deleted")

        page.click("#logout")
        self.expect_response("401 UNAUTHORIZED")
        expect(page.locator("#login-form")).to_be_visible()

        self.assertEqual(self.dialogs, [], "a script from the data ran")
        self.assertEqual(self.errors, [])
        self.assertEqual(self.outside_requests, [])

    def token_in_tab(self):
        return self.page.evaluate("sessionStorage.getItem('bucketlist-api-token')")

    def log_in_on_the_page(self):
        from playwright.sync_api import expect

        self.page.goto(self.base + "/bucketlists/")
        self.page.fill("#login-form input[name=email]", USER["email"])
        self.page.fill("#login-form input[name=password]", USER["password"])
        self.page.click("#login-form button")
        expect(self.page.locator("#session-user")).to_have_text(f"Logged in as {USER['email']}")
        return self.token_in_tab()

    def assert_no_client_error(self, name):
        """The page shows no 4xx, neither as its heading nor as its answer; screenshot it."""
        from playwright.sync_api import expect

        expect(self.page.locator("#response-head b")).not_to_have_text(re.compile(r"HTTP 4\d\d"))
        heading = self.page.locator("#name").text_content()
        self.assertNotRegex(heading, r"^4\d\d")
        self.screenshot(name)
        return heading

    def test_a_newcomers_first_pages_are_pages_not_errors(self):
        from playwright.sync_api import expect

        self.page.goto(self.base + "/")
        self.expect_response("200 OK", "before you kick the bucket")
        self.assertEqual(self.assert_no_client_error("newcomer-1-front-page"), "Index")
        self.page.click("#response-body a[href='/auth/register']")
        self.page.wait_for_url(self.base + "/auth/register")
        self.assertEqual(self.assert_no_client_error("newcomer-2-register"), "Register")
        expect(self.page.locator(".method-form[data-method=POST] input[data-field=email]"))\
            .to_be_visible()

        self.page.goto(self.base + "/auth/password-reset/confirm#token=mailed-token")
        expect(self.page.locator(".method-form input[data-field=token]"))\
            .to_have_value("mailed-token")
        self.assertEqual(self.assert_no_client_error("newcomer-3-mailed-reset-link"),
                         "Confirm password reset")
        self.page.fill(".method-form input[data-field=password]", "a new password")
        self.page.click(".method-form button")
        self.expect_response("400 BAD REQUEST")
        expect(self.page.locator("#name")).to_have_text("Confirm password reset")
        expect(self.page.locator("#request-line")).to_have_text(
            "POST /auth/password-reset/confirm")

        token = login_token(self.base)
        for name in ("First of two", "Second of two"):
            api_call(self.base, "POST", "/bucketlists/", token, {"name": name})
        self.log_in_on_the_page()
        self.page.goto(self.base + "/bucketlists/?per_page=1")
        self.expect_response("200 OK", "First of two")
        self.page.click("#paging a[rel=next]")
        self.page.wait_for_url(self.base + "/bucketlists/?per_page=1&page=2")
        self.expect_response("200 OK", "Second of two")
        expect(self.page.locator("#paging a[rel=prev]")).to_be_visible()
        self.assert_no_client_error("newcomer-4-second-page")

    def test_only_the_apis_own_urls_become_links(self):
        token = login_token(self.base)
        names = ["https://elsewhere.example/x", "http://elsewhere.example", "//elsewhere.example/y",
                 self.base + "/bucketlists/", "/docs"]
        for name in names:
            self.assertEqual(api_call(self.base, "POST", "/bucketlists/", token,
                                      {"name": name})["name"], name)
        self.log_in_on_the_page()
        self.page.goto(self.base + "/bucketlists/?per_page=100&sort=-id")
        self.expect_response("200 OK", "elsewhere.example")
        hrefs = self.page.eval_on_selector_all("#response-body a", "links => links.map("
                                               "link => new URL(link.href).origin)")
        self.assertTrue(hrefs)
        self.assertEqual(set(hrefs), {self.base})
        links = self.page.eval_on_selector_all("#response-body a.json-string",
                                               "links => links.map(link => link.textContent)")
        self.assertEqual(sorted(links), sorted(f'"{name}"' for name in names[3:]))
        self.assertEqual(self.outside_requests, [])

    def test_log_out_revokes_the_token_on_the_server(self):
        from playwright.sync_api import expect

        token = self.log_in_on_the_page()
        self.assertEqual(api_status(self.base, token), 200)
        self.page.click("#logout")
        self.expect_response("401 UNAUTHORIZED")
        expect(self.page.locator("#login-form")).to_be_visible()
        self.assertIsNone(self.token_in_tab())
        self.assertEqual(api_status(self.base, token), 401)

    def test_a_path_that_reads_as_another_host_gets_no_token_even_without_csp(self):
        # The CSP's connect-src 'self' would stop the request; the page itself must not make it.
        self.context.close()
        self.context = self.browser.new_context(bypass_csp=True)
        self.context.set_default_timeout(TIMEOUT_MS)
        sent_token_to = []
        self.context.route("**/*", self.local_only)
        self.context.on("request", lambda request: sent_token_to.append(request.url)
                        if "authorization" in request.headers else None)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.log_in_on_the_page()
        for path in ("/%5Cevil.example/x", "/%09/evil.example/x", "/%5C%5Cevil.example/x"):
            with self.subTest(path=path):
                self.page.goto(self.base + path)
                self.expect_response("404 NOT FOUND", "not found")
        self.assertEqual(self.outside_requests, [])
        self.assertTrue(sent_token_to)
        self.assertEqual([url for url in sent_token_to if not url.startswith(self.base + "/")], [])
        self.assertEqual(self.errors, [])

    def test_the_edit_forms_do_not_overwrite_a_change_made_meanwhile(self):
        token = self.log_in_on_the_page()
        bucketlist = api_call(self.base, "POST", "/bucketlists/", token, {"name": "Mine"})
        path = f"/bucketlists/{bucketlist['id']}"
        self.page.goto(self.base + path)
        self.expect_response("200 OK", "Mine")
        api_call(self.base, "PUT", path, token, {"name": "Changed elsewhere"})
        self.page.fill(".method-form[data-method=PUT] input[data-field=name]", "From the page")
        self.page.click(".method-form[data-method=PUT] button")
        self.expect_response("412 PRECONDITION FAILED", "If-Match")
        self.assertEqual(api_call(self.base, "GET", path, token)["name"], "Changed elsewhere")
        self.page.click("#get-form button")
        self.expect_response("200 OK", "Changed elsewhere")
        self.page.fill(".method-form[data-method=PUT] input[data-field=name]", "From the page")
        self.page.click(".method-form[data-method=PUT] button")
        self.expect_response("200 OK", "From the page")
        self.assertEqual(self.errors, [])

    def test_docs_keep_no_token_in_local_storage(self):
        from playwright.sync_api import expect

        page = self.page
        page.goto(self.base + "/docs")
        page.click(".swagger-ui .btn.authorize")
        page.fill(".swagger-ui .modal-ux input", login_token(self.base))
        page.click(".swagger-ui .modal-ux .auth-btn-wrapper .authorize")
        expect(page.locator(".swagger-ui .modal-ux .auth-btn-wrapper")).to_contain_text("Logout")
        page.click(".swagger-ui .modal-ux .btn-done")
        self.assertEqual(page.evaluate("Object.keys(localStorage)"), [])
        page.reload()
        expect(page.locator(".swagger-ui .btn.authorize")).to_be_visible()
        expect(page.locator(".swagger-ui .btn.authorize.locked")).to_have_count(0)

    def test_docs_use_the_token_the_tab_logged_in_with(self):
        from playwright.sync_api import expect

        self.log_in_on_the_page()
        self.page.goto(self.base + "/docs")
        expect(self.page.locator(".swagger-ui .btn.authorize.locked")).to_have_count(1)

    def test_docs_work_offline_and_try_it_out_sends_the_token(self):
        from playwright.sync_api import expect

        token = login_token(self.base)
        page = self.page
        page.goto(self.base + "/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Bucketlist API")

        page.click(".swagger-ui .btn.authorize")
        page.fill(".swagger-ui .modal-ux input", token)
        page.click(".swagger-ui .modal-ux .auth-btn-wrapper .authorize")
        page.click(".swagger-ui .modal-ux .btn-done")

        operation = page.locator("#operations-bucketlists-bucketlists_list_bucketlists")
        operation.locator(".opblock-summary").click()
        operation.locator(".try-out__btn").click()
        operation.locator(".execute").click()
        status = operation.locator(".live-responses-table tbody .response-col_status")
        expect(status.first).to_have_text("200")
        self.screenshot("6-docs")
        self.assertEqual(self.outside_requests, [])
        self.assertEqual(self.errors, [])


if __name__ == "__main__":
    unittest.main()


FRONT_PORT = free_port()
FRONT_PAGE = b"<!doctype html><title>A front-end on another origin</title><p>front"
CROSS_ORIGIN_CALLS = """async ([api, user]) => {
  const json = {"Content-Type": "application/json"};
  const login = await fetch(api + "/auth/login",
                            {method: "POST", headers: json, body: JSON.stringify(user)});
  const auth = {"Authorization": "Bearer " + (await login.json()).access_token};
  const create = () => fetch(api + "/bucketlists/", {
    method: "POST", body: JSON.stringify({name: "From the front"}),
    headers: {...auth, ...json, "Idempotency-Key": "front-1", "X-Request-ID": "front-request-1"}});
  const created = await create();
  const again = await create();
  const url = api + created.headers.get("Location");
  const read = await fetch(url, {headers: auth, cache: "no-store"});
  const etag = read.headers.get("ETag");
  const same = await fetch(url, {headers: {...auth, "If-None-Match": etag}, cache: "no-store"});
  const write = (match) => fetch(url, {
    method: "PUT", headers: {...auth, ...json, "If-Match": match},
    body: JSON.stringify({name: "Renamed from the front"})});
  const stale = await write('"0000000000000000000000000000000000000000"');
  const renamed = await write(etag);
  await fetch(api + "/bucketlists/", {method: "POST", headers: {...auth, ...json},
                                      body: JSON.stringify({name: "Second"})});
  const page = await fetch(api + "/bucketlists/?per_page=1", {headers: auth});
  return {login: login.status, created: created.status, location: created.headers.get("Location"),
          requestId: created.headers.get("X-Request-ID"),
          replayed: again.headers.get("Idempotent-Replayed"), etag: etag,
          notModified: same.status, stale: stale.status, renamed: renamed.status,
          total: page.headers.get("X-Total-Count"), link: page.headers.get("Link")};
}"""


class FrontPage(http.server.BaseHTTPRequestHandler):
    """The one page of the front-end's origin."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(FRONT_PAGE)

    def log_message(self, *args):
        pass


@NEEDS_CHROMIUM
class CrossOriginTestCase(LiveBrowserTestCase):
    """A front-end on an origin in CORS_ORIGINS uses every header the API offers: conditional
    and idempotent requests, request ids and paging work from another origin."""

    front = f"http://127.0.0.1:{FRONT_PORT}"
    server_env = {"CORS_ORIGINS": front}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        register(cls.base)
        cls.front_server = http.server.ThreadingHTTPServer(("127.0.0.1", FRONT_PORT), FrontPage)
        threading.Thread(target=cls.front_server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.front_server.shutdown()
        cls.front_server.server_close()
        super().tearDownClass()

    def test_conditional_idempotent_and_paged_requests_work_cross_origin(self):
        page = self.browser.new_page()
        self.addCleanup(page.close)
        page.goto(self.front)
        seen = page.evaluate(CROSS_ORIGIN_CALLS, [self.base, USER])
        self.assertEqual((seen["login"], seen["created"]), (200, 201))
        self.assertEqual(seen["location"], "/bucketlists/1")
        self.assertEqual(seen["requestId"], "front-request-1")
        self.assertEqual(seen["replayed"], "true")
        self.assertRegex(seen["etag"] or "", r'^"[0-9a-f]{40}"$')
        self.assertEqual((seen["notModified"], seen["stale"], seen["renamed"]), (304, 412, 200))
        self.assertEqual(seen["total"], "2")
        self.assertIn('rel="next"', seen["link"] or "")
