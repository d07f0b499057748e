"""Bucketlists people share: invitations, members, roles, the public link."""

from datetime import timedelta

from sqlalchemy import update

from app import db
from app.commands import purge_everything
from app.sharing.models import Invitation, Membership
from app.timestamps import utcnow
from tests.base import race
from tests.mail import delivered
from tests.sharing import SharingTestCase


class InvitationTestCase(SharingTestCase):
    def test_members_see_the_bucketlist_with_their_role(self):
        for who, role in (("owner", "owner"), ("editor", "editor"), ("viewer", "viewer")):
            with self.subTest(who=who):
                listed = self.as_(who).get("/bucketlists/")
                self.assertEqual([(b["id"], b["role"]) for b in listed.get_json()],
                                 [(self.bucketlist["id"], role)])
                self.assertEqual(listed.headers["X-Total-Count"], "1")
                detail = self.as_(who).get(self.path).get_json()
                self.assertEqual((detail["role"], [i["name"] for i in detail["items"]]),
                                 (role, ["Fly"]))
        self.assertEqual(self.as_("removed").get("/bucketlists/").get_json(), [])

    def test_members_are_listed_owner_first(self):
        members = self.as_("viewer").get(f"{self.path}/members/").get_json()
        self.assertEqual([(m["email"], m["role"]) for m in members],
                         [("owner@example.com", "owner"), ("editor@example.com", "editor"),
                          ("viewer@example.com", "viewer")])
        self.assertEqual(set(members[0]), {"user_id", "email", "role", "date_added"})

    def test_the_answer_is_the_same_for_an_address_without_an_account(self):
        known = self.invite("stranger@example.com", "viewer")
        unknown = self.invite("nobody@example.com", "viewer")
        self.assertEqual((known.status_code, known.get_json()),
                         (unknown.status_code, unknown.get_json()))
        self.assertEqual(known.status_code, 202)
        messages = delivered(self.smtp.inbox, count=5, timeout=10)
        self.assertEqual(messages[-1]["To"], "nobody@example.com")
        text = messages[-1].get_content()
        self.assertIn("/invitations/accept#token=", text)
        self.assertIn('owner@example.com invites you to their bucketlist "Trip" as a viewer', text)
        self.assertIn("within 7 days", text)

    def test_an_invitation_works_once_and_only_for_its_address(self):
        self.invite("stranger@example.com", "editor")
        token = self.mailed_token(4)
        other = self.as_("viewer").post("/invitations/accept", json={"token": token})
        self.assert_error(other, 403)
        accepted = self.as_("stranger").post("/invitations/accept", json={"token": token})
        self.assertEqual(accepted.get_json()["role"], "editor")
        again = self.as_("stranger").post("/invitations/accept", json={"token": token})
        self.assertIn("token", self.assert_error(again, 400)["errors"])

    def test_an_expired_or_unknown_token_is_a_400(self):
        self.invite("stranger@example.com", "viewer")
        token = self.mailed_token(4)
        with self.app.app_context():
            db.session.execute(update(Invitation).values(expires_at=utcnow()))
            db.session.commit()
        for sent in (token, "unknown", "x" * 257):
            with self.subTest(token=sent[:10]):
                self.assert_error(self.as_("stranger").post("/invitations/accept",
                                                            json={"token": sent}), 400)
        self.assertEqual(self.count(Membership), 2)

    def test_bad_invitations(self):
        cases = [
            ({"email": "owner@example.com", "role": "viewer"}, 409),
            ({"email": "Editor@Example.com", "role": "viewer"}, 409),
            ({"email": "someone@example.com", "role": "owner"}, 400),
            ({"email": "someone@example.com", "role": "admin"}, 400),
            ({"email": "someone@example.com"}, 400),
            ({"email": "not an e-mail", "role": "viewer"}, 400),
            ({"email": "a" * 250 + "@example.com", "role": "viewer"}, 400),
            ({"email": 7, "role": "viewer"}, 400),
            ({"role": "viewer"}, 400),
        ]
        for body, status in cases:
            with self.subTest(body=str(body)[:60]):
                answer = self.as_("owner").post(f"{self.path}/invitations/", json=body)
                self.assert_error(answer, status)
        role = self.as_("owner").post(f"{self.path}/invitations/",
                                      json={"email": "x@example.com", "role": "admin"})
        self.assertIn("role", role.get_json()["errors"])
        self.assertEqual(self.as_("owner").get(f"{self.path}/invitations/").get_json(), [])

    def test_inviting_again_replaces_the_invitation(self):
        self.invite("stranger@example.com", "viewer")
        first = self.mailed_token(4)
        self.invite("stranger@example.com", "editor")
        second = self.mailed_token(5)
        pending = self.as_("owner").get(f"{self.path}/invitations/").get_json()
        self.assertEqual([(i["email"], i["role"]) for i in pending],
                         [("stranger@example.com", "editor")])
        self.assert_error(self.as_("stranger").post("/invitations/accept",
                                                    json={"token": first}), 400)
        self.assertEqual(self.as_("stranger").post("/invitations/accept",
                                                   json={"token": second}).status_code, 200)

    def test_a_withdrawn_invitation_no_longer_works(self):
        self.invite("stranger@example.com", "viewer")
        token = self.mailed_token(4)
        invitation = self.as_("owner").get(f"{self.path}/invitations/").get_json()[0]
        withdrawn = self.as_("owner").delete(f"{self.path}/invitations/{invitation['id']}")
        self.assertEqual(withdrawn.status_code, 200)
        self.assert_error(self.as_("stranger").post("/invitations/accept",
                                                    json={"token": token}), 400)
        self.assert_error(self.as_("owner").delete(f"{self.path}/invitations/{invitation['id']}"),
                          404)

    def test_the_members_and_invitations_are_capped(self):
        self.use_app(MAX_MEMBERS_PER_BUCKETLIST=3, **self.settings())
        self.assertEqual(self.invite("one@example.com", "viewer").status_code, 202)
        self.assert_error(self.invite("two@example.com", "viewer"), 409)

    def test_invitations_are_throttled_per_user(self):
        self.use_app(RATELIMIT_ENABLED=True, INVITATION_LIMIT_PER_USER="2 per hour",
                     **self.settings())
        statuses = [self.invite(f"n{number}@example.com", "viewer").status_code
                    for number in range(3)]
        self.assertEqual(statuses, [202, 202, 429])
        self.assertEqual(self.as_("owner").get(f"{self.path}/invitations/").status_code, 200)

    def test_expired_invitations_are_purged(self):
        self.invite("stranger@example.com", "viewer")
        with self.app.app_context():
            db.session.execute(update(Invitation).values(
                expires_at=utcnow() - timedelta(seconds=1)))
            db.session.commit()
            purge_everything()
        self.assertEqual(self.count(Invitation), 0)


class MembersTestCase(SharingTestCase):
    def test_the_owner_changes_a_role_and_the_member_feels_it(self):
        goals = f"{self.path}/items/"
        self.assert_error(self.as_("viewer").post(goals, json={"name": "Swim"}), 403)
        changed = self.as_("owner").patch(f"{self.path}/members/{self.ids['viewer']}",
                                          json={"role": "editor"})
        self.assertEqual(changed.get_json()["role"], "editor")
        self.assertEqual(self.as_("viewer").post(goals, json={"name": "Swim"}).status_code, 201)

    def test_a_missing_right_is_a_403_naming_the_role(self):
        answer = self.assert_error(self.as_("viewer").put(self.path, json={"name": "Mine"}), 403)
        self.assertIn("editor", answer["message"])
        answer = self.assert_error(self.as_("editor").delete(self.path), 403)
        self.assertIn("owner", answer["message"])

    def test_a_member_leaves_and_is_then_a_stranger(self):
        left = self.as_("viewer").delete(f"{self.path}/members/{self.ids['viewer']}")
        self.assertEqual(left.status_code, 200)
        self.assert_error(self.as_("viewer").get(self.path), 404)
        self.assert_error(self.as_("owner").delete(f"{self.path}/members/{self.ids['owner']}"),
                          409)
        other = self.as_("editor").delete(f"{self.path}/members/{self.ids['owner']}")
        self.assertIn("owner", self.assert_error(other, 403)["message"])

    def test_bad_role_changes(self):
        member = f"{self.path}/members/{self.ids['viewer']}"
        for body in ({"role": "owner"}, {"role": ""}, {}, {"role": 3}):
            with self.subTest(body=body):
                self.assertIn("role", self.assert_error(self.as_("owner").patch(member, json=body),
                                                        400)["errors"])
        self.assert_error(self.as_("owner").patch(f"{self.path}/members/{self.ids['owner']}",
                                                  json={"role": "viewer"}), 409)
        self.assert_error(self.as_("owner").patch(f"{self.path}/members/{self.ids['stranger']}",
                                                  json={"role": "viewer"}), 404)

    def test_two_editors_renaming_at_once_one_wins(self):
        self.join("stranger", "editor")
        etag = self.as_("editor").get(self.path).headers["ETag"]
        self.assertEqual(self.as_("stranger").get(self.path).headers["ETag"], etag)
        first, second = (self.as_(who).put(self.path, json={"name": who},
                                           headers={"If-Match": etag})
                         for who in ("editor", "stranger"))
        self.assertEqual((first.status_code, second.status_code), (200, 412))

    def test_racing_editors_do_not_pass_the_goal_cap(self):
        self.use_app(MAX_ITEMS_PER_BUCKETLIST=2, **self.settings())
        goals = f"{self.path}/items/"
        answers = race(lambda: self.as_("editor").post(goals, json={"name": "a"}),
                       lambda: self.as_("owner").post(goals, json={"name": "b"}))
        self.assertEqual(sorted(answer.status_code for answer in answers), [201, 409])
        self.assertEqual(self.as_("owner").get(self.path).get_json()["items_count"], 2)

    def test_a_deleted_member_leaves_and_a_deleted_owner_takes_the_list(self):
        self.as_("viewer").delete("/auth/me", json={"password": "test1234"})
        members = self.as_("owner").get(f"{self.path}/members/").get_json()
        self.assertNotIn("viewer@example.com", [m["email"] for m in members])
        self.as_("owner").delete("/auth/me", json={"password": "test1234"})
        self.assert_error(self.as_("editor").get(self.path), 404)
        self.assertEqual(self.count(Membership), 0)

    def test_me_counts_only_owned_bucketlists(self):
        self.assertEqual(self.as_("editor").get("/auth/me").get_json()["bucketlists_count"], 0)


class TogetherTestCase(SharingTestCase):
    """What held for one user holds among members."""

    def test_idempotency_keys_are_each_callers_own(self):
        goals = f"{self.path}/items/"
        answers = [self.as_(who).post(goals, json={"name": who},
                                      headers={"Idempotency-Key": "same-key"})
                   for who in ("owner", "editor", "owner")]
        self.assertEqual([answer.status_code for answer in answers], [201, 201, 201])
        self.assertEqual(answers[2].headers.get("Idempotent-Replayed"), "true")
        names = [item["name"] for item in self.as_("viewer").get(goals).get_json()]
        self.assertEqual(names, ["Fly", "owner", "editor"])

    def test_the_owner_finds_the_invite_form_on_the_invitations_page(self):
        page = self.as_("owner").get(f"{self.path}/invitations/",
                                     headers={"Accept": "text/html"}).get_data(as_text=True)
        self.assertIn('data-method="POST"', page)
        self.assertIn('data-field="email"', page)
        self.assertIn('data-field="role"', page)
        members = self.as_("viewer").get(f"{self.path}/members/",
                                         headers={"Accept": "text/html"}).get_data(as_text=True)
        self.assertIn("owner@example.com", members)


class ListTestCase(SharingTestCase):
    def test_role_filters_and_totals_stay_true(self):
        for number in range(3):
            self.create_bucketlist(self.tokens["editor"], f"Own {number}")
        every = self.as_("editor").get("/bucketlists/?per_page=2&sort=name")
        self.assertEqual(every.headers["X-Total-Count"], "4")
        self.assertEqual([b["name"] for b in every.get_json()], ["Own 0", "Own 1"])
        last = self.as_("editor").get("/bucketlists/?per_page=2&sort=name&page=2").get_json()
        self.assertEqual([(b["name"], b["role"]) for b in last],
                         [("Own 2", "owner"), ("Trip", "editor")])
        for role, names in (("owner", ["Own 0", "Own 1", "Own 2"]), ("editor", ["Trip"]),
                            ("viewer", [])):
            with self.subTest(role=role):
                page = self.as_("editor").get(f"/bucketlists/?role={role}")
                self.assertEqual([b["name"] for b in page.get_json()], names)
                self.assertEqual(page.headers["X-Total-Count"], str(len(names)))
        searched = self.as_("editor").get("/bucketlists/?q=tri")
        self.assertEqual(([b["name"] for b in searched.get_json()],
                          searched.headers["X-Total-Count"]), (["Trip"], "1"))
        self.assert_error(self.as_("editor").get("/bucketlists/?role=admin"), 400)


class PublicLinkTestCase(SharingTestCase):
    def test_a_link_reads_the_bucketlist_without_a_login_and_shows_nobody(self):
        url = self.as_("owner").put(f"{self.path}/public-link").get_json()["url"]
        self.assertRegex(url, r"^http://localhost/shared/[A-Za-z0-9_-]{43}$")
        shared = self.client().get(url.removeprefix("http://localhost"))
        self.assertEqual(shared.status_code, 200)
        body = shared.get_json()
        self.assertEqual((body["name"], [i["name"] for i in body["items"]]), ("Trip", ["Fly"]))
        text = shared.get_data(as_text=True)
        self.assertNotIn("@example.com", text)
        self.assertNotIn("created_by", text)
        self.assertNotIn("user", text)

    def test_a_new_link_replaces_the_old_and_a_revoked_one_is_gone(self):
        first = self.as_("owner").put(f"{self.path}/public-link").get_json()["url"]
        second = self.as_("owner").put(f"{self.path}/public-link").get_json()["url"]
        path = lambda url: url.removeprefix("http://localhost")  # noqa: E731
        self.assert_error(self.client().get(path(first)), 404)
        self.assertEqual(self.client().get(path(second)).status_code, 200)
        self.assertEqual(self.as_("owner").delete(f"{self.path}/public-link").status_code, 200)
        self.assert_error(self.client().get(path(second)), 404)
        self.assert_error(self.as_("owner").delete(f"{self.path}/public-link"), 404)
        self.assert_error(self.client().get("/shared/" + "x" * 300), 404)

    def test_a_link_token_is_no_key_to_the_api(self):
        url = self.as_("owner").put(f"{self.path}/public-link").get_json()["url"]
        token = url.rsplit("/", 1)[1]
        self.assert_error(self.client().get(self.path, headers=self.auth_header(token)), 401)

