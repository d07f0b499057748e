"""X-Total-Count is the database's truth, however the rows were written."""

import os
import tempfile
import unittest

import flask_migrate
from sqlalchemy import text

from app import create_app, db
from tests.base import AuthenticatedTestCase
from tests.database import release


class TotalsBehindTheAppsBackTestCase(AuthenticatedTestCase):
    """Rows written with plain SQL (a bulk import, an operator, a second service) are counted."""

    def setUp(self):
        super().setUp()
        self.create_bucketlist(self.token, "Through the API")
        self.other = self.auth_header(self.get_token("other@example.com"))

    def total(self, headers=None):
        response = self.client().get("/bucketlists/", headers=headers or self.headers)
        self.assertEqual(response.status_code, 200)
        return int(response.headers["X-Total-Count"])

    def sql(self, statement, **values):
        with self.app.app_context():
            db.session.execute(text(statement), values)
            db.session.commit()

    def test_a_bulk_insert_is_counted(self):
        self.sql("INSERT INTO bucketlists (name, date_created, date_modified, created_by) "
                 "SELECT 'bulk ' || n, now(), now(), 1 FROM generate_series(1, 1000) AS n")
        self.assertEqual(self.total(), 1001)
        response = self.api.get("/bucketlists/?per_page=100&page=11")
        self.assertEqual(len(response.get_json()), 1)

    def test_a_delete_in_sql_is_counted(self):
        self.sql("INSERT INTO bucketlists (name, date_created, date_modified, created_by) "
                 "VALUES ('a', now(), now(), 1), ('b', now(), now(), 1)")
        self.sql("DELETE FROM bucketlists WHERE name IN ('a', 'Through the API')")
        self.assertEqual(self.total(), 1)

    def test_a_change_of_owner_is_counted_for_both(self):
        self.sql("UPDATE bucketlists SET created_by = 2")
        self.assertEqual((self.total(), self.total(self.other)), (0, 1))

    def test_deleting_a_user_takes_their_count_along(self):
        self.sql("DELETE FROM users WHERE id = 1")
        self.assertEqual(self.total(self.other), 0)

    def test_the_api_and_sql_agree_through_a_mix(self):
        self.sql("INSERT INTO bucketlists (name, date_created, date_modified, created_by) "
                 "SELECT 'bulk ' || n, now(), now(), 1 FROM generate_series(1, 10) AS n")
        self.api.delete("/bucketlists/1")
        self.create_bucketlist(self.token, "Another")
        with self.app.app_context():
            counted = db.session.scalar(text("SELECT count(*) FROM bucketlists"))
        self.assertEqual(self.total(), counted)


class SqliteTriggersTestCase(unittest.TestCase):
    """The embedded development database keeps the count by triggers too."""

    def test_inserts_deletes_and_moves_are_counted(self):
        with tempfile.TemporaryDirectory() as directory:
            url = "sqlite:///" + os.path.join(directory, "bucketlist.db")
            app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
            self.addCleanup(release, app)
            with app.app_context():
                flask_migrate.upgrade()
                for statement in [
                    "INSERT INTO users (id, email, password) VALUES (1, 'a@example.com', 'x'), "
                    "(2, 'b@example.com', 'x')",
                    "INSERT INTO bucketlists (name, date_created, date_modified, created_by) "
                    "VALUES ('one', 0, 0, 1), ('two', 0, 0, 1), ('three', 0, 0, 1)",
                    "DELETE FROM bucketlists WHERE name = 'one'",
                    "UPDATE bucketlists SET created_by = 2 WHERE name = 'two'",
                ]:
                    db.session.execute(text(statement))
                db.session.commit()
                counts = db.session.execute(
                    text("SELECT id, bucketlists_count FROM users ORDER BY id")).all()
        self.assertEqual([tuple(row) for row in counts], [(1, 1), (2, 1)])


if __name__ == "__main__":
    unittest.main()
