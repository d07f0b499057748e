"""What the sharing tests share: an owner, an editor, a viewer, a removed member and a stranger
around one bucketlist, made through the API (invitations accepted with the mailed tokens)."""

from tests.base import BaseTestCase
from tests.mail import SMTPServer, delivered, reset_token

PEOPLE = ("owner", "editor", "viewer", "removed", "stranger")


class SharingTestCase(BaseTestCase):
    """`self.tokens[who]` and `self.ids[who]` for each of PEOPLE; `self.bucketlist` is the
    owner's, with one goal (`self.item`), shared with the editor and the viewer; the removed
    member was a viewer until the owner removed them."""

    def setUp(self):
        super().setUp()
        self.smtp = SMTPServer()
        self.smtp.start()
        self.addCleanup(self.smtp.stop)
        self.use_app(**self.settings())
        self.tokens = {who: self.get_token(f"{who}@example.com") for who in PEOPLE}
        self.ids = {who: self.client_for(self.tokens[who]).get("/auth/me").get_json()["id"]
                    for who in PEOPLE}
        self.bucketlist = self.create_bucketlist(self.tokens["owner"], "Trip")
        self.path = f"/bucketlists/{self.bucketlist['id']}"
        self.item = self.as_("owner").post(f"{self.path}/items/", json={"name": "Fly"}).get_json()
        for who, role in (("editor", "editor"), ("viewer", "viewer"), ("removed", "viewer")):
            self.join(who, role)
        removed = self.as_("owner").delete(f"{self.path}/members/{self.ids['removed']}")
        self.assertEqual(removed.status_code, 200, removed.data)

    def settings(self) -> dict:
        return self.smtp.config

    def as_(self, who: str):
        """A test client carrying the token of `who`."""
        return self.client_for(self.tokens[who])

    def invite(self, email: str, role: str, path: str | None = None):
        return self.as_("owner").post(f"{path or self.path}/invitations/",
                                      json={"email": email, "role": role})

    def mailed_token(self, count: int) -> str:
        """The token of the `count`-th mail the SMTP server received."""
        messages = delivered(self.smtp.inbox, count=count, timeout=10)
        self.assertEqual(len(messages), count)
        return reset_token(messages[count - 1])

    def join(self, who: str, role: str) -> None:
        """Invite `who` as `role` and accept with the mailed token."""
        self.assertEqual(self.invite(f"{who}@example.com", role).status_code, 202)
        token = self.mailed_token(len(self.smtp.inbox.messages) + 1)
        accepted = self.as_(who).post("/invitations/accept", json={"token": token})
        self.assertEqual(accepted.status_code, 200, accepted.data)
