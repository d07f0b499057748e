"""Backups restore: data made through the API, dumped with pg_dump (custom format), the database
dropped, made again and restored with pg_restore, as docs/deployment.md ("Backups") says; every
row comes back, the schema is at the migrations' head, and the service answers the same (ETags
included) to the tokens it issued before."""

import os
import shutil
import subprocess
import tempfile
import unittest

from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text

from app import create_app, db
from tests.database import debian_postgresql, debian_postgresql_bin

BIN = debian_postgresql_bin()


TABLES = ["users", "bucketlists", "items", "login_sessions", "password_reset_tokens",
          "idempotency_keys", "alembic_version"]


def libpq_url(url: str) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@unittest.skipUnless(BIN, "Debian's PostgreSQL is not installed (apt-get install postgresql): "
                          "the backup test needs a server and a pg_dump of one version")
class BackupRestoreTestCase(unittest.TestCase):
    """pg_dump -Fc, drop, create, pg_restore: the same data and the same answers."""

    def rows(self, url: str) -> dict:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                return {table: connection.execute(
                    text(f"SELECT * FROM {table} ORDER BY 1")).all() for table in TABLES}
        finally:
            engine.dispose()

    def answers(self, app, tokens: list[str], paths: list[str]) -> list:
        client = app.test_client()
        seen = []
        for token in tokens:
            for path in paths:
                response = client.get(path, headers={"Authorization": f"Bearer {token}"})
                seen.append((path, response.status_code, response.get_json(),
                             response.headers.get("ETag")))
        return seen

    def make_data(self, app) -> tuple[list[str], list[str]]:
        client = app.test_client()
        tokens, paths = [], ["/bucketlists/", "/auth/me"]
        for number in range(2):
            user = {"email": f"backup{number}@example.com", "password": "backup password"}
            self.assertEqual(client.post("/auth/register", json=user).status_code, 201)
            token = client.post("/auth/login", json=user).get_json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            for name in ("Sail the fjords", "See the aurora"):
                created = client.post("/bucketlists/", json={"name": name}, headers={
                    **auth, "Idempotency-Key": f"{number}-{name}"}).get_json()
                path = f"/bucketlists/{created['id']}"
                paths += [path, f"{path}/items/"]
                for goal, done in (("Book it", True), ("Go", False)):
                    item = client.post(f"{path}/items/", json={"name": goal, "done": done},
                                       headers=auth).get_json()
            client.delete(f"{path}/items/{item['id']}", headers=auth)  # ids with a gap
            tokens.append(token)
        return tokens, paths

    def test_a_dump_restores_every_row_and_the_same_answers(self):
        with debian_postgresql() as server_url:
            url = make_url(server_url).set(database="bucketlist").render_as_string(
                hide_password=False)
            admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text('CREATE DATABASE "bucketlist"'))
            admin.dispose()
            app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
            with app.app_context():
                upgrade()
            tokens, paths = self.make_data(app)
            before_rows, before_answers = self.rows(url), self.answers(app, tokens, paths)
            with app.app_context():
                db.engine.dispose()

            dump = os.path.join(self.temporary_directory(), "bucketlist.dump")
            dumped = subprocess.run([os.path.join(BIN, "pg_dump"), "--format=custom",
                                     "--no-owner", f"--file={dump}", libpq_url(url)],
                                    capture_output=True, text=True, timeout=120)
            self.assertEqual(dumped.returncode, 0, dumped.stderr)
            admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text('DROP DATABASE "bucketlist" WITH (FORCE)'))
                connection.execute(text('CREATE DATABASE "bucketlist"'))
            admin.dispose()
            restore = subprocess.run([os.path.join(BIN, "pg_restore"), "--no-owner",
                                      f"--dbname={libpq_url(url)}", dump],
                                     capture_output=True, text=True, timeout=120)
            self.assertEqual(restore.returncode, 0, restore.stderr)

            self.assertEqual(self.rows(url), before_rows)
            restored = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
            with restored.app_context():
                config = restored.extensions["migrate"].migrate.get_config()
                head = ScriptDirectory.from_config(config).get_current_head()
            self.assertEqual(before_rows["alembic_version"], [(head,)])
            self.assertEqual(self.answers(restored, tokens, paths), before_answers)
            client = restored.test_client()
            created = client.post("/bucketlists/", json={"name": "After the restore"},
                                  headers={"Authorization": f"Bearer {tokens[0]}"}).get_json()
            self.assertEqual(created["id"], max(row[0] for row in before_rows["bucketlists"]) + 1)
            with restored.app_context():
                db.engine.dispose()

    def temporary_directory(self) -> str:
        path = tempfile.mkdtemp(prefix="bucketlist-backup-")
        self.addCleanup(shutil.rmtree, path, ignore_errors=True)
        return path
