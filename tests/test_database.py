"""Pooled connections: reads run without a transaction, idle connections are pinged before use."""

import time
import unittest

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app import db
from tests.base import BaseTestCase


class ReadOnlyAutocommitTestCase(BaseTestCase):
    """app/database.py: GET and HEAD in autocommit, everything else in a transaction."""

    def setUp(self):
        super().setUp()
        # One pooled connection, so the write below reuses the read's connection.
        app = self.use_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0})

        @app.route("/autocommit", methods=["GET", "POST"])
        def autocommit():
            dbapi_connection = db.session.connection().connection.dbapi_connection
            return {"autocommit": dbapi_connection.autocommit}

    def test_reads_autocommit_and_writes_do_not(self):
        for method, expected in [("get", True), ("post", False), ("get", True), ("post", False)]:
            with self.subTest(method=method):
                response = getattr(self.client(), method)("/autocommit")
                self.assertEqual(response.get_json(), {"autocommit": expected})

    def test_outside_requests_sessions_are_transactional(self):
        with self.app.app_context():
            self.assertFalse(db.session.connection().connection.dbapi_connection.autocommit)


class IdlePrePingTestCase(BaseTestCase):
    """app/database.py: a connection cut while idle is replaced before use, not failed on."""

    def make_app(self, **overrides):
        """An app with one pooled connection and a route that names its server process."""
        app = self.use_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0},
                           **overrides)

        @app.get("/backend")
        def backend():
            return {"pid": db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()}

        return app

    def cut(self, app, pid: int) -> None:
        """End a server process from outside the app, as a database restart or a proxy would."""
        with app.app_context():
            url = db.engine.url
        engine = create_engine(url, poolclass=NullPool)
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        engine.dispose()

    def backend_after_cut(self, app, pause: float):
        """Use the connection, cut it, wait, and ask again: the second answer."""
        client = app.test_client()
        pid = client.get("/backend").get_json()["pid"]
        self.cut(app, pid)
        time.sleep(pause)
        return pid, client.get("/backend")

    def test_a_connection_idle_longer_than_the_window_is_pinged_and_replaced(self):
        app = self.make_app(DATABASE_PING_AFTER_IDLE_MS=100)
        pid, answer = self.backend_after_cut(app, pause=0.3)
        self.assertEqual(answer.status_code, 200)
        self.assertNotEqual(answer.get_json()["pid"], pid)

    def test_a_window_of_zero_pings_on_every_use(self):
        app = self.make_app(DATABASE_PING_AFTER_IDLE_MS=0)
        pid, answer = self.backend_after_cut(app, pause=0)
        self.assertEqual(answer.status_code, 200)
        self.assertNotEqual(answer.get_json()["pid"], pid)

    def test_a_connection_used_within_the_window_fails_once_then_the_pool_is_renewed(self):
        app = self.make_app(DATABASE_PING_AFTER_IDLE_MS=60_000)
        with self.assertLogs(app.logger, level="ERROR"):
            pid, answer = self.backend_after_cut(app, pause=0)
        self.assertEqual(answer.status_code, 503)
        again = app.test_client().get("/backend")
        self.assertEqual(again.status_code, 200)
        self.assertNotEqual(again.get_json()["pid"], pid)

    def test_without_pre_ping_a_cut_connection_fails_once(self):
        app = self.make_app(DATABASE_POOL_PRE_PING=False, DATABASE_PING_AFTER_IDLE_MS=0)
        with self.assertLogs(app.logger, level="ERROR"):
            _, answer = self.backend_after_cut(app, pause=0.3)
        self.assertEqual(answer.status_code, 503)
        self.assertEqual(app.test_client().get("/backend").status_code, 200)



class ParallelQueryTestCase(BaseTestCase):
    """app/database.py: the app's PostgreSQL connections plan without parallel workers unless
    DATABASE_PARALLEL_WORKERS says otherwise."""

    def workers(self, **overrides) -> str:
        app = self.use_app(**overrides)
        with app.app_context():
            return db.session.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one()

    def test_no_parallel_workers_by_default(self):
        self.assertEqual(self.workers(), "0")

    def test_the_setting_is_used(self):
        self.assertEqual(self.workers(DATABASE_PARALLEL_WORKERS=3), "3")

    def test_engine_options_of_their_own_are_kept(self):
        options = {"pool_size": 1, "connect_args": {"application_name": "parallel-test"}}
        app = self.use_app(SQLALCHEMY_ENGINE_OPTIONS=options)
        with app.app_context():
            name = db.session.execute(text("SHOW application_name")).scalar_one()
            workers = db.session.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one()
        self.assertEqual((name, workers), ("parallel-test", "0"))
        self.assertEqual(options, {"pool_size": 1,
                                   "connect_args": {"application_name": "parallel-test"}})

    def test_options_of_their_own_win(self):
        own = {"connect_args": {"options": "-c max_parallel_workers_per_gather=1"}}
        self.assertEqual(self.workers(SQLALCHEMY_ENGINE_OPTIONS=own), "1")


if __name__ == "__main__":
    unittest.main()
