"""The migrations are the schema: exactly the models' tables, on PostgreSQL and on SQLite."""

import os
import tempfile
import unittest

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app import create_app, db
from tests.database import scratch_database


class MigrationTestCase(unittest.TestCase):
    """Upgrade an empty database to head, compare it with the models, downgrade it again."""

    def app_on(self, url):
        app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
        self.addCleanup(self.dispose, app)
        return app

    @staticmethod
    def dispose(app):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    def differences(self) -> list:
        """What autogenerate would still change: nothing, when migrations and models agree."""
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, db.metadata)

    def check_schema(self):
        inspector = inspect(db.engine)
        self.assertEqual(
            set(inspector.get_table_names()),
            {"alembic_version", "users", "bucketlists", "items", "revoked_tokens"},
        )
        indexes = {index["name"]: index for index in inspector.get_indexes("bucketlists")}
        self.assertEqual(indexes["ix_bucketlists_created_by_id"]["column_names"],
                         ["created_by", "id"])
        self.assertEqual(indexes["ix_bucketlists_created_by_name"]["column_names"],
                         ["created_by", "name", "id"])
        item_indexes = {index["name"]: index for index in inspector.get_indexes("items")}
        self.assertEqual(item_indexes["ix_items_bucketlist_id_id"]["column_names"],
                         ["bucketlist_id", "id"])
        for table, referred in [("bucketlists", "users"), ("items", "bucketlists")]:
            (foreign_key,) = inspector.get_foreign_keys(table)
            self.assertEqual(foreign_key["referred_table"], referred)
            self.assertEqual(foreign_key["options"].get("ondelete"), "CASCADE")
        unique = inspector.get_unique_constraints("users")
        self.assertEqual([c["column_names"] for c in unique], [["email"]])
        checks = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints("users")}
        self.assertIn("lower(email", checks["ck_users_email_lower_case"])

    def check_round_trip(self, url):
        app = self.app_on(url)
        with app.app_context():
            flask_migrate.upgrade()
            self.assertEqual(self.differences(), [])
            self.check_schema()

            flask_migrate.downgrade(revision="-1")
            self.assertNotIn("items", inspect(db.engine).get_table_names())
            flask_migrate.downgrade(revision="base")
            self.assertEqual(inspect(db.engine).get_table_names(), ["alembic_version"])
            flask_migrate.upgrade()
            self.assertEqual(self.differences(), [])

    def test_postgresql_upgrade_matches_models_and_downgrades(self):
        with scratch_database() as url:
            self.check_round_trip(url)

    def test_sqlite_upgrade_matches_models_and_downgrades(self):
        with tempfile.TemporaryDirectory() as directory:
            self.check_round_trip("sqlite:///" + os.path.join(directory, "bucketlist.db"))

    def test_there_is_one_head(self):
        app = self.app_on("sqlite://")
        with app.app_context():
            from alembic.script import ScriptDirectory

            config = app.extensions["migrate"].migrate.get_config()
            self.assertEqual(len(ScriptDirectory.from_config(config).get_heads()), 1)


if __name__ == "__main__":
    unittest.main()
