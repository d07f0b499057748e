"""Migrations safe for a live database: squawk (`manage.py lint-migrations`, run by `make lint`)
refuses a new migration that would block writes to a busy table and passes the one written the
safe way, and that safe migration, applied under write load, fails no write."""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import flask_migrate
from alembic.script import ScriptDirectory
from sqlalchemy import text

from app import create_app, db
from tests.database import release, scratch_database
from tests.live_server import ROOT

SQUAWK = shutil.which("squawk") or os.path.join(os.path.dirname(sys.executable), "squawk")
# Today's head, which the migration made in these tests follows.
HEAD = ScriptDirectory(os.path.join(ROOT, "migrations")).get_current_head()
MIGRATION = '''"""{doc}"""

from alembic import op

revision = "{revision}"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
{upgrade}


def downgrade():
    op.drop_index("ix_items_date_done", table_name="items")
'''
BLOCKING = MIGRATION.format(
    doc="An index built the blocking way.", revision="b10c4ed1de77", head=HEAD,
    upgrade='    op.create_index("ix_items_date_done", "items", ["date_done"])')
CONCURRENT = MIGRATION.format(doc="An index built without blocking writes.",
                              revision="c0c0ffee1de7", head=HEAD, upgrade='''\
    # CREATE INDEX CONCURRENTLY cannot run in a transaction.
    with op.get_context().autocommit_block():
        op.create_index("ix_items_date_done", "items", ["date_done"],
                        postgresql_concurrently=True)''')


def migrations_with(revision: str) -> str:
    """A copy of migrations/ with one more revision after today's head; its path."""
    directory = os.path.join(tempfile.mkdtemp(prefix="bucketlist-migrations-"), "migrations")
    shutil.copytree(os.path.join(ROOT, "migrations"), directory,
                    ignore=shutil.ignore_patterns("__pycache__"))
    with open(os.path.join(directory, "versions", "new_index.py"), "w") as file:
        file.write(revision)
    return directory


@unittest.skipUnless(os.access(SQUAWK, os.X_OK), "squawk not found: pip install squawk-cli")
class SquawkTestCase(unittest.TestCase):
    """`manage.py lint-migrations` on the migrations after today's head."""

    def lint(self, directory=None) -> subprocess.CompletedProcess:
        args = [sys.executable, "manage.py", "lint-migrations"]
        if directory:
            args += ["--directory", directory]
            self.addCleanup(shutil.rmtree, os.path.dirname(directory), ignore_errors=True)
        return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)

    def test_todays_migrations_pass(self):
        result = self.lint()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_a_blocking_index_fails_and_a_concurrent_one_passes(self):
        blocking = self.lint(migrations_with(BLOCKING))
        self.assertNotEqual(blocking.returncode, 0)
        self.assertIn("require-concurrent-index-creation", blocking.stdout)
        concurrent = self.lint(migrations_with(CONCURRENT))
        self.assertEqual(concurrent.returncode, 0, concurrent.stdout + concurrent.stderr)
        self.assertIn("Found 0 issues", concurrent.stdout)


class ConcurrentIndexUnderLoadTestCase(unittest.TestCase):
    """The safe index migration, applied while writers insert goals, fails none of them."""

    def test_no_write_fails_while_the_index_is_built(self):
        directory = migrations_with(CONCURRENT)
        self.addCleanup(shutil.rmtree, os.path.dirname(directory), ignore_errors=True)
        with scratch_database() as url:
            app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
            self.addCleanup(release, app)
            with app.app_context():
                flask_migrate.upgrade()
                db.session.execute(text(
                    "INSERT INTO users (email, password, date_created, bucketlists_count) "
                    "VALUES ('load@example.com', 'x', now(), 0)"))
                db.session.execute(text(
                    "INSERT INTO bucketlists (name, date_created, date_modified, created_by) "
                    "VALUES ('Load', now(), now(), 1)"))
                db.session.execute(text(
                    "INSERT INTO items (name, done, date_created, date_modified, bucketlist_id) "
                    "SELECT 'goal ' || n, n % 2 = 0, now(), now(), 1 "
                    "FROM generate_series(1, 200000) AS n"))
                db.session.commit()
            stop, written, failed = threading.Event(), [], []

            def write():
                with app.app_context():
                    while not stop.is_set():
                        try:
                            db.session.execute(text(
                                "INSERT INTO items (name, done, date_created, date_modified, "
                                "bucketlist_id) VALUES ('during', false, now(), now(), 1)"))
                            db.session.commit()
                            written.append(time.monotonic())
                        except Exception as error:  # a failed write is what this test counts
                            db.session.rollback()
                            failed.append(repr(error))
                    db.session.remove()

            writers = [threading.Thread(target=write) for _ in range(2)]
            for writer in writers:
                writer.start()
            try:
                with app.app_context():
                    started = time.monotonic()
                    flask_migrate.upgrade(directory=directory)
                    finished = time.monotonic()
            finally:
                stop.set()
                for writer in writers:
                    writer.join()
            self.assertEqual(failed, [])
            during = [moment for moment in written if started <= moment <= finished]
            self.assertTrue(during, "no write completed while the index was built")
            with app.app_context():
                valid = db.session.scalar(text(
                    "SELECT indisvalid FROM pg_index JOIN pg_class ON pg_class.oid = indexrelid "
                    "WHERE relname = 'ix_items_date_done'"))
                db.session.remove()
            self.assertTrue(valid)
