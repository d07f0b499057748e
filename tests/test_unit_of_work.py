"""app/unit_of_work.py: what a view hands to `after_commit` runs once its changes are stored, and
not when the view fails or its commit does."""

from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from app import db, unit_of_work
from app.errors import APIError
from app.models import User
from tests.base import BaseTestCase


class AfterCommitTestCase(BaseTestCase):
    def setUp(self):
        super().setUp()
        app = self.use_app()
        self.seen = []  # what each callback saw, from a connection of its own
        other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
        self.addCleanup(other.dispose)

        def users_seen_elsewhere(email: str) -> None:
            with other.connect() as connection:
                self.seen.append(connection.scalar(
                    select(func.count()).select_from(User).where(User.email == email)))

        @app.post("/make/<email>/<outcome>")
        def make(email, outcome):
            db.session.add(User(email, "a password"))
            unit_of_work.after_commit(lambda: users_seen_elsewhere(email))
            if outcome == "fails":
                raise APIError(400, "The view failed.")
            return {"made": email}, 201

    def test_a_callback_runs_once_the_changes_are_stored(self):
        response = self.client().post("/make/one@example.com/succeeds")
        self.assertEqual(response.status_code, 201)
        self.assertEqual(self.seen, [1])  # the other connection already saw the new user

    def test_a_view_that_raises_runs_no_callback(self):
        self.assert_error(self.client().post("/make/two@example.com/fails"), 400)
        self.assertEqual(self.seen, [])
        self.assertEqual(self.count(User), 0)

    def test_a_commit_that_fails_runs_no_callback(self):
        self.assertEqual(self.client().post("/make/three@example.com/succeeds").status_code, 201)
        # The same e-mail again: the unique constraint fails the commit (logged as unexpected).
        with self.assertLogs(self.app.logger, "ERROR"):
            response = self.client().post("/make/three@example.com/succeeds")
        self.assertGreaterEqual(response.status_code, 400)
        self.assertEqual(self.seen, [1])
        self.assertEqual(self.count(User), 1)
