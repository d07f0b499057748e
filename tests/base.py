"""The base TestCase: a fresh app on the testing config and empty tables for every test."""

import contextlib
import json
import socket
import threading
import unittest

import flask_migrate
from sqlalchemy import event, func, inspect, select, text

from app import create_app, db
from tests.database import ensure_test_database, release

ensure_test_database()

DEFAULT_EMAIL = "test@example.com"
DEFAULT_PASSWORD = "test1234"
_schema_ready_for = set()


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def race(*requests) -> list:
    """Run the requests from threads released at once; their responses, in the given order."""
    responses = [None] * len(requests)
    barrier = threading.Barrier(len(requests))

    def run(index, request):
        barrier.wait()
        responses[index] = request()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def reset_database() -> None:
    """Migrate the database once per run (the migrations are the schema, triggers included),
    then empty its tables and restart their ids at 1."""
    url = str(db.engine.url)
    if url not in _schema_ready_for:
        if not inspect(db.engine).has_table("alembic_version"):
            db.drop_all()  # tables an older run made with db.create_all(): migrate them anew
        flask_migrate.upgrade()
        _schema_ready_for.add(url)
    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


class BaseTestCase(unittest.TestCase):
    """Builds the app and a clean database; helpers to register, log in and call the API."""

    def setUp(self):
        """Define test variables and initialize app."""
        self.app = create_app(config_name="testing")
        self.client = self.app.test_client
        self.addCleanup(release, self.app)
        with self.app.app_context():
            reset_database()

    def use_app(self, **overrides):
        """From here on, call an app with these config overrides (released after the test)."""
        self.app = create_app("testing", overrides=overrides)
        self.client = self.app.test_client
        self.addCleanup(release, self.app)
        return self.app

    def register_user(self, email=DEFAULT_EMAIL, password=DEFAULT_PASSWORD):
        """Register a user with form data, as the tutorial does."""
        return self.client().post("/auth/register", data={"email": email, "password": password})

    def login_user(self, email=DEFAULT_EMAIL, password=DEFAULT_PASSWORD):
        """Log a user in with form data, as the tutorial does."""
        return self.client().post("/auth/login", data={"email": email, "password": password})

    def get_token(self, email=DEFAULT_EMAIL, password=DEFAULT_PASSWORD) -> str:
        """Register (if needed) and log in a user; their access token."""
        self.register_user(email, password)
        response = self.login_user(email, password)
        self.assertEqual(response.status_code, 200, response.data)
        return response.get_json()["access_token"]

    @staticmethod
    def auth_header(token: str) -> dict:
        """The Authorization header that carries a token."""
        return {"Authorization": f"Bearer {token}"}

    @property
    def api(self):
        """A test client of the current app whose every request carries `self.token` (the
        logged-in user's, in an AuthenticatedTestCase)."""
        return self.client_for(self.token)

    def client_for(self, token: str):
        """A test client of the current app whose every request carries this bearer token."""
        client = self.app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client

    def create_bucketlist(self, token: str, name: str = "Go to Borabora for vacay") -> dict:
        """Create a bucketlist through the API and return its JSON."""
        response = self.client().post(
            "/bucketlists/", headers=self.auth_header(token), json={"name": name}
        )
        self.assertEqual(response.status_code, 201, response.data)
        return response.get_json()

    def assert_error(self, response, status: int, message: str | None = None) -> dict:
        """Assert a JSON error response with this status (and message, if given); its body."""
        self.assertEqual(response.status_code, status, response.data)
        self.assertEqual(response.mimetype, "application/json")
        body = json.loads(response.data)
        self.assertIsInstance(body.get("message"), str)
        if message is not None:
            self.assertEqual(body["message"], message)
        return body

    @contextlib.contextmanager
    def statements(self):
        """The SQL the app sends while the block runs, as a list that fills as it goes."""
        with self.app.app_context():
            engine = db.engine
        sent = []

        def record(connection, cursor, statement, *args):
            sent.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield sent
        finally:
            event.remove(engine, "before_cursor_execute", record)

    def count(self, model) -> int:
        """How many rows a model's table holds."""
        with self.app.app_context():
            return db.session.scalar(select(func.count()).select_from(model))

    def stored(self, column) -> list:
        """What a model's column holds, row by row in the order of their ids."""
        with self.app.app_context():
            table = column.class_
            return db.session.scalars(select(column).order_by(table.id)).all()


class AuthenticatedTestCase(BaseTestCase):
    """A BaseTestCase with a registered, logged-in user: `self.token` and `self.headers`
    (`self.api` sends the token)."""

    def setUp(self):
        super().setUp()
        self.token = self.get_token()
        self.headers = self.auth_header(self.token)
