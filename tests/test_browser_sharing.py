"""Sharing in a real headless Chromium (Playwright): the owner invites, the mail arrives over
SMTP, the invitee opens its link, accepts, and sees the bucketlist with their role; the public
link opens with no login and shows nobody's e-mail.

Needs Debian's Chromium, as tests/test_browser.py; skipped without it.
"""

import json
import os
import urllib.request

from tests.mail import delivered, reset_token
from tests.test_browser import (
    NEEDS_CHROMIUM,
    SCREENSHOTS,
    TIMEOUT_MS,
    MailingBrowserTestCase,
    api_call,
    register,
)

OWNER = {"email": "owner@example.com", "password": "owner password"}
INVITEE = {"email": "invitee@example.com", "password": "invitee password"}


def token_of(base: str, user: dict) -> str:
    request = urllib.request.Request(base + "/auth/login", data=json.dumps(user).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["access_token"]


@NEEDS_CHROMIUM
class SharingBrowserTestCase(MailingBrowserTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        register(cls.base, OWNER)
        register(cls.base, INVITEE)

    def setUp(self):
        self.errors = []
        self.context = self.browser.new_context()
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.owner = token_of(self.base, OWNER)
        self.bucketlist = api_call(self.base, "POST", "/bucketlists/", self.owner,
                                   {"name": "Northern lights"})

    def tearDown(self):
        self.context.close()
        self.assertEqual(self.errors, [])

    def expect_response(self, status_text, body_text):
        from playwright.sync_api import expect

        expect(self.page.locator("#response-head b")).to_have_text(f"HTTP {status_text}")
        expect(self.page.locator("#response-body")).to_contain_text(body_text)

    def test_the_invitee_opens_the_mailed_link_accepts_and_sees_the_list(self):
        from playwright.sync_api import expect

        self.smtp.inbox.clear()
        answer = api_call(self.base, "POST", f"/bucketlists/{self.bucketlist['id']}/invitations/",
                          self.owner, {"email": INVITEE["email"], "role": "editor"})
        self.assertIn("on its way", answer["message"])
        [message] = delivered(self.smtp.inbox, timeout=15)
        token = reset_token(message)
        link = f"{self.base}/invitations/accept#token={token}"
        self.assertIn(link, message.get_content())

        page = self.page
        page.goto(self.base + "/bucketlists/")
        page.fill("#login-form input[name=email]", INVITEE["email"])
        page.fill("#login-form input[name=password]", INVITEE["password"])
        page.click("#login-form button")
        expect(page.locator("#session-user")).to_have_text(f"Logged in as {INVITEE['email']}")
        page.goto(link)
        form = ".method-form[data-method=POST]"
        expect(page.locator(f"{form} input[data-field=token]")).to_have_value(token)
        self.assertNotIn(token, page.url)
        page.click(f"{form} button")
        self.expect_response("200 OK", "You are now a member")
        page.click("nav >> text=bucketlists")
        page.wait_for_url(self.base + "/bucketlists/")
        self.expect_response("200 OK", "Northern lights")
        expect(page.locator("#response-body")).to_contain_text('"role": "editor"')
        page.screenshot(path=os.path.join(SCREENSHOTS, "sharing-accepted.png"))

    def test_the_public_link_opens_without_a_login(self):
        url = api_call(self.base, "PUT", f"/bucketlists/{self.bucketlist['id']}/public-link",
                       self.owner)["url"]
        self.assertTrue(url.startswith(self.base + "/shared/"))
        self.page.goto(url)
        self.expect_response("200 OK", "Northern lights")
        self.assertNotIn("@example.com", self.page.content())
        self.page.screenshot(path=os.path.join(SCREENSHOTS, "sharing-public-link.png"))
