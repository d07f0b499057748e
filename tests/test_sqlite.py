"""The embedded SQLite database of `make run`: ids are never reused, and what PostgreSQL's row
locks decide (caps, an Idempotency-Key sent twice at once) holds there too."""

import os
import tempfile
import unittest

import flask_migrate
from sqlalchemy import text

from app import create_app, db
from tests.base import race
from tests.database import release

USER = {"email": "first@example.com", "password": "first password"}
OTHER = {"email": "second@example.com", "password": "second password"}


class SqliteTestCase(unittest.TestCase):
    def setUp(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        self.url = "sqlite:///" + os.path.join(directory.name, "bucketlist.db")

    def make_app(self, **overrides):
        app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": self.url, **overrides})
        self.addCleanup(release, app)
        return app

    def migrated_app(self, **overrides):
        app = self.make_app(**overrides)
        with app.app_context():
            flask_migrate.upgrade()
        return app

    def login(self, app, user) -> dict:
        app.test_client().post("/auth/register", json=user)
        response = app.test_client().post("/auth/login", json=user)
        self.assertEqual(response.status_code, 200, response.data)
        return {"Authorization": "Bearer " + response.get_json()["access_token"]}

    def test_a_deleted_users_token_does_not_work_as_the_next_user(self):
        app = self.migrated_app()
        client = app.test_client()
        first = self.login(app, USER)
        self.assertEqual(client.post("/bucketlists/", headers=first,
                                     json={"name": "Mine"}).status_code, 201)
        first_id = client.get("/auth/me", headers=first).get_json()["id"]
        response = client.delete("/auth/me", headers=first, json={"password": USER["password"]})
        self.assertEqual(response.status_code, 200)
        second = self.login(app, OTHER)
        client.post("/bucketlists/", headers=second, json={"name": "Theirs"})
        self.assertNotEqual(client.get("/auth/me", headers=second).get_json()["id"], first_id)
        for path in ("/auth/me", "/bucketlists/", "/bucketlists/2"):
            with self.subTest(path=path):
                self.assertEqual(client.get(path, headers=first).status_code, 401)

    def test_a_deleted_bucketlists_id_is_not_given_to_the_next(self):
        app = self.migrated_app()
        client = app.test_client()
        headers = self.login(app, USER)
        old = client.post("/bucketlists/", headers=headers, json={"name": "Old"}).get_json()
        client.delete(f"/bucketlists/{old['id']}", headers=headers)
        new = client.post("/bucketlists/", headers=headers, json={"name": "New"}).get_json()
        self.assertNotEqual(new["id"], old["id"])
        self.assertEqual(client.get(f"/bucketlists/{old['id']}", headers=headers).status_code,
                         404)

    def test_the_cap_holds_under_parallel_creates(self):
        app = self.migrated_app(MAX_BUCKETLISTS_PER_USER=3)
        headers = self.login(app, USER)
        responses = race(*[lambda: app.test_client().post("/bucketlists/", headers=headers,
                                                          json={"name": "Racing"})
                           for _ in range(12)])
        self.assertEqual(sorted(r.status_code for r in responses), [201] * 3 + [409] * 9)
        self.assertEqual(len(app.test_client().get("/bucketlists/", headers=headers).get_json()),
                         3)

    def test_one_idempotency_key_sent_in_parallel_creates_once(self):
        app = self.migrated_app()
        headers = {**self.login(app, USER), "Idempotency-Key": "one-key"}
        responses = race(*[lambda: app.test_client().post("/bucketlists/", headers=headers,
                                                          json={"name": "Once"})
                           for _ in range(8)])
        self.assertEqual({r.status_code for r in responses}, {201}, [r.data for r in responses])
        self.assertEqual(sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses),
                         7)
        self.assertEqual(len({r.get_json()["id"] for r in responses}), 1)
        listed = app.test_client().get("/bucketlists/", headers=self.login(app, USER))
        self.assertEqual(len(listed.get_json()), 1)

    def test_an_existing_database_keeps_its_rows_and_counts_through_the_rebuild(self):
        app = self.make_app()
        with app.app_context():
            flask_migrate.upgrade(revision="b8e4f0a2c3d5")
            for statement in [
                "INSERT INTO users (id, email, password) VALUES (1, 'a@example.com', 'x'), "
                "(2, 'b@example.com', 'x')",
                "INSERT INTO bucketlists (id, name, date_created, date_modified, created_by) "
                "VALUES (1, 'one', 0, 0, 1), (2, 'two', 0, 0, 2)",
                "INSERT INTO items (name, done, date_created, date_modified, bucketlist_id) "
                "VALUES ('goal', 0, 0, 0, 1)",
            ]:
                db.session.execute(text(statement))
            db.session.commit()
            flask_migrate.upgrade()
            rows = {table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                    for table in ("users", "bucketlists", "items")}
            db.session.execute(text("DELETE FROM bucketlists WHERE id = 2"))
            db.session.execute(text("INSERT INTO bucketlists (name, date_created, date_modified, "
                                    "created_by) VALUES ('three', 0, 0, 1)"))
            db.session.commit()
            new_id = db.session.execute(
                text("SELECT id FROM bucketlists WHERE name = 'three'")).scalar()
            counts = db.session.execute(
                text("SELECT id, bucketlists_count FROM users ORDER BY id")).all()
            foreign_keys = db.session.execute(text("PRAGMA foreign_keys")).scalar()
        self.assertEqual(rows, {"users": 2, "bucketlists": 2, "items": 1})
        self.assertEqual(new_id, 3)
        self.assertEqual([tuple(row) for row in counts], [(1, 2), (2, 0)])
        self.assertEqual(foreign_keys, 1)


if __name__ == "__main__":
    unittest.main()
