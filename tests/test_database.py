"""Reads run without a transaction; writes keep theirs, even on a connection a read just used."""

import unittest

from app import create_app, db
from tests.base import BaseTestCase


class ReadOnlyAutocommitTestCase(BaseTestCase):
    """app/database.py: GET and HEAD in autocommit, everything else in a transaction."""

    def setUp(self):
        super().setUp()
        # One pooled connection, so the write below reuses the read's connection.
        self.app = create_app("testing", overrides={
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0}})

        @self.app.route("/autocommit", methods=["GET", "POST"])
        def autocommit():
            dbapi_connection = db.session.connection().connection.dbapi_connection
            return {"autocommit": dbapi_connection.autocommit}

        self.client = self.app.test_client

    def tearDown(self):
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    def test_reads_autocommit_and_writes_do_not(self):
        for method, expected in [("get", True), ("post", False), ("get", True), ("post", False)]:
            with self.subTest(method=method):
                response = getattr(self.client(), method)("/autocommit")
                self.assertEqual(response.get_json(), {"autocommit": expected})

    def test_outside_requests_sessions_are_transactional(self):
        with self.app.app_context():
            self.assertFalse(db.session.connection().connection.dbapi_connection.autocommit)


if __name__ == "__main__":
    unittest.main()
