"""The migrations are the schema: exactly the models' tables, on PostgreSQL and on SQLite."""

import os
import tempfile
import unittest

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from app import create_app, db
from app.database import include_object
from tests.database import debian_postgresql, debian_postgresql_bin, release, scratch_database

FIRST_REVISION = "1fbb2f40a829"
ITEMS_REVISION = "82ccdea43111"
COUNTER_REVISION = "c3a9d1e2f4b5"


class MigrationTestCase(unittest.TestCase):
    """Upgrade an empty database to head, compare it with the models, downgrade it again."""

    def app_on(self, url):
        app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
        self.addCleanup(release, app)
        return app

    def differences(self) -> list:
        """What autogenerate would still change: nothing, when migrations and models agree."""
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": include_object}
            )
            return compare_metadata(context, db.metadata)

    def check_schema(self):
        inspector = inspect(db.engine)
        self.assertEqual(
            set(inspector.get_table_names()),
            {"alembic_version", "users", "bucketlists", "items", "login_sessions",
             "password_reset_tokens", "idempotency_keys", "memberships", "invitations",
             "public_links"},
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

            flask_migrate.downgrade(revision=FIRST_REVISION)
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

    def test_counter_is_filled_for_existing_bucketlists(self):
        with scratch_database() as url:
            app = self.app_on(url)
            with app.app_context():
                flask_migrate.upgrade(revision=ITEMS_REVISION)
                db.session.execute(text(
                    "INSERT INTO users (id, email, password) VALUES (1, 'a@example.com', 'x'), "
                    "(2, 'b@example.com', 'x')"))
                db.session.execute(text(
                    "INSERT INTO bucketlists (name, date_created, date_modified, created_by) "
                    "VALUES ('one', now(), now(), 1), ('two', now(), now(), 1)"))
                db.session.commit()
                flask_migrate.upgrade()
                counts = db.session.execute(
                    text("SELECT id, bucketlists_count FROM users ORDER BY id")).all()
                self.assertEqual([tuple(row) for row in counts], [(1, 2), (2, 0)])

    def test_stored_emails_are_made_canonical_unless_taken_or_invalid(self):
        stored = ["bob@xn--bcher-kva.example", "\uff41\uff4c\uff49\uff43\uff45@example.com",
                  "alice@example.com", "\uff43arol@example.com", "dave@example.com\u200b"]
        with scratch_database() as url:
            app = self.app_on(url)
            with app.app_context():
                flask_migrate.upgrade(revision=COUNTER_REVISION)
                for number, email in enumerate(stored, start=1):
                    db.session.execute(text(
                        "INSERT INTO users (id, email, password) VALUES (:id, :email, 'x')"),
                        {"id": number, "email": email})
                db.session.commit()
                flask_migrate.upgrade()
                emails = db.session.scalars(text("SELECT email FROM users ORDER BY id")).all()
        self.assertEqual(emails, [
            "bob@bücher.example",
            "\uff41\uff4c\uff49\uff43\uff45@example.com",  # alice@example.com is user 3's
            "alice@example.com",
            "carol@example.com",
            "dave@example.com\u200b",  # no valid address: login finds it as it is
        ])

    def trigram_indexes(self, url) -> tuple[bool, set]:
        """Migrate the database at `url`: whether it offers pg_trgm, and the trigram indexes."""
        app = self.app_on(url)
        with app.app_context():
            flask_migrate.upgrade()
            available = db.session.execute(text(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first()
            names = {i["name"] for i in inspect(db.engine).get_indexes("bucketlists")}
            self.assertEqual(self.differences(), [])
        return available is not None, {name for name in names if name.endswith("_trgm")}

    def test_trigram_indexes_exist_where_pg_trgm_does_and_not_elsewhere(self):
        with scratch_database() as url:
            available, indexes = self.trigram_indexes(url)
        self.assertEqual(bool(indexes), available)

    @unittest.skipUnless(debian_postgresql_bin(), "Debian's PostgreSQL is not installed "
                                                  "(apt-get install postgresql; .ci/run does)")
    def test_debians_postgresql_gets_the_trigram_indexes(self):
        with debian_postgresql() as url:
            available, indexes = self.trigram_indexes(url)
        self.assertTrue(available)
        self.assertEqual(indexes, {"ix_bucketlists_name_trgm"})

    def test_there_is_one_head(self):
        app = self.app_on("sqlite://")
        with app.app_context():
            from alembic.script import ScriptDirectory

            config = app.extensions["migrate"].migrate.get_config()
            self.assertEqual(len(ScriptDirectory.from_config(config).get_heads()), 1)


if __name__ == "__main__":
    unittest.main()
