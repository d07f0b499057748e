"""Every route of bucketlists and sharing, times every kind of caller, with the status each gets.

Each attempt works on a bucketlist made for it (shared with an editor and a viewer, and once with
a member since removed), so that one caller's success does not change what the next one meets.
The table must name every route: a route added without its row fails the test.
"""

import re

from app import db
from app.sharing.models import Invitation, Membership, PublicLink, token_digest
from app.timestamps import utcnow
from tests.sharing import SharingTestCase

CALLERS = ("owner", "editor", "viewer", "removed", "stranger", "anonymous")
B, ITEM, V, M, T = "{bucketlist}", "{item}", "{invitation}", "{member}", "{token}"


def everyone(status: int, anonymous: int = 401) -> dict:
    return {**dict.fromkeys(CALLERS[:-1], status), "anonymous": anonymous}


def members(owner: int, editor: int, viewer: int) -> dict:
    """The statuses of the owner, an editor and a viewer; a stranger and a removed member get
    the 404 of a bucketlist that does not exist, and anyone without a token a 401."""
    return {"owner": owner, "editor": editor, "viewer": viewer, "removed": 404,
            "stranger": 404, "anonymous": 401}


READ, EDIT, OWN = members(200, 200, 200), members(200, 200, 403), members(200, 403, 403)
ROWS = [
    ("GET", "/bucketlists/", None, everyone(200)),
    ("POST", "/bucketlists/", {"name": "New"}, everyone(201)),
    ("GET", f"/bucketlists/{B}", None, READ),
    ("PUT", f"/bucketlists/{B}", {"name": "Renamed"}, EDIT),
    ("DELETE", f"/bucketlists/{B}", None, OWN),
    ("GET", f"/bucketlists/{B}/items/", None, READ),
    ("POST", f"/bucketlists/{B}/items/", {"name": "Swim"}, members(201, 201, 403)),
    ("GET", f"/bucketlists/{B}/items/{ITEM}", None, READ),
    ("PUT", f"/bucketlists/{B}/items/{ITEM}", {"name": "Run", "done": True}, EDIT),
    ("PATCH", f"/bucketlists/{B}/items/{ITEM}", {"done": True}, EDIT),
    ("DELETE", f"/bucketlists/{B}/items/{ITEM}", None, EDIT),
    ("GET", f"/bucketlists/{B}/members/", None, READ),
    ("PATCH", f"/bucketlists/{B}/members/{M}", {"role": "editor"}, OWN),
    # The member is the viewer: the viewer may leave, the editor may not remove them.
    ("DELETE", f"/bucketlists/{B}/members/{M}", None, members(200, 403, 200)),
    ("GET", f"/bucketlists/{B}/invitations/", None, OWN),
    ("POST", f"/bucketlists/{B}/invitations/", {"email": "new@example.com", "role": "viewer"},
     members(202, 403, 403)),
    ("DELETE", f"/bucketlists/{B}/invitations/{V}", None, OWN),
    ("PUT", f"/bucketlists/{B}/public-link", None, OWN),
    ("DELETE", f"/bucketlists/{B}/public-link", None, OWN),
    # The invitation is the stranger's: anyone else's account is refused.
    ("POST", "/invitations/accept", {"token": T},
     {**everyone(403), "stranger": 200}),
    ("GET", f"/shared/{T}", None, everyone(200, anonymous=200)),
]
PREFIXES = ("/bucketlists", "/invitations", "/shared")


class RightsTableTestCase(SharingTestCase):
    def fresh(self) -> dict:
        """A bucketlist of the owner with one goal, an editor, a viewer, a removed member, a
        pending invitation for the stranger and a public link; the values of the paths."""
        bucketlist = self.create_bucketlist(self.tokens["owner"], "Fresh")
        item = self.as_("owner").post(f"/bucketlists/{bucketlist['id']}/items/",
                                      json={"name": "Fly"}).get_json()
        token = f"token-{bucketlist['id']}"
        with self.app.app_context():
            for who, role in (("editor", "editor"), ("viewer", "viewer"), ("removed", "viewer")):
                db.session.add(Membership(bucketlist_id=bucketlist["id"], user_id=self.ids[who],
                                          role=role, date_added=utcnow()))
            db.session.flush()
            db.session.execute(db.delete(Membership).where(
                Membership.user_id == self.ids["removed"]))
            invitation = Invitation(bucketlist_id=bucketlist["id"], email="stranger@example.com",
                                    role="viewer", token_hash=token_digest(token),
                                    invited_by=self.ids["owner"], date_created=utcnow(),
                                    expires_at=utcnow().replace(year=2100))
            db.session.add(invitation)
            db.session.add(PublicLink(bucketlist_id=bucketlist["id"],
                                      token_hash=token_digest(token)))
            db.session.commit()
            invitation_id = invitation.id
        return {"bucketlist": bucketlist["id"], "item": item["id"], "invitation": invitation_id,
                "member": self.ids["viewer"], "token": token}

    def test_every_route_answers_every_caller_as_the_table_says(self):
        for method, path, body, expected in ROWS:
            for caller in CALLERS:
                with self.subTest(method=method, path=path, caller=caller):
                    values = self.fresh()
                    sent = None if body is None else {
                        key: value.format(**values) if isinstance(value, str) else value
                        for key, value in body.items()}
                    client = self.client() if caller == "anonymous" else self.as_(caller)
                    answer = client.open(path.format(**values), method=method, json=sent)
                    self.assertEqual(answer.status_code, expected[caller], answer.data[:300])
                    self.assertEqual(answer.mimetype, "application/json")

    def test_the_table_names_every_route(self):
        routes = {(method, pattern(rule.rule)) for rule in self.app.url_map.iter_rules()
                  if rule.rule.startswith(PREFIXES)
                  for method in rule.methods - {"HEAD", "OPTIONS"}}
        named = {(method, pattern(path)) for method, path, _, _ in ROWS}
        self.assertEqual(routes - named, set(), "routes without a row in ROWS")
        self.assertEqual(named - routes, set(), "rows of routes that do not exist")

    def test_every_operation_that_can_refuse_a_member_documents_its_403(self):
        spec = self.client().get("/openapi.json").get_json()["paths"]
        for method, path, _, expected in ROWS:
            operation = spec[re.sub(r"\{([a-z]+)\}", spec_name, path)][method.lower()]
            with self.subTest(method=method, path=path):
                self.assertEqual("403" in operation["responses"], 403 in expected.values())


SPEC_NAMES = {"bucketlist": "bucketlist_id", "item": "item_id", "invitation": "invitation_id",
              "member": "user_id", "token": "token"}


def spec_name(match) -> str:
    """The OpenAPI name of a path variable of the table (`{item}` is `{item_id}`)."""
    return "{" + SPEC_NAMES[match[1]] + "}"


def pattern(path: str) -> str:
    """A path with each variable as `<>`, whether Flask's (`<id:item_id>`) or the table's."""
    return re.sub(r"<[^>]+>|\{[a-z]+\}", "<>", path)
