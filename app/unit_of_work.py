"""Each request is one unit of work: what its view changed is committed once, in one place, after
the view has answered, together with anything a wrapper stored beside it (an idempotent answer).

A view that raises commits nothing (the session is rolled back when the request ends), unless the
error says its changes must stand (`APIError(..., keep_changes=True)`: a refresh token presented
twice ends its session, and the 401 must not undo that). A commit that fails (the database is
gone, a constraint) is answered like an error of the view. Background jobs and CLI commands are
not requests: they commit their own work.
"""

from flask import Flask, request

from app.database import READ_ONLY_METHODS, db
from app.errors import APIError


class App(Flask):
    """Flask, whose requests each commit once, when their view has answered."""

    def dispatch_request(self):
        try:
            response = super().dispatch_request()
        except APIError as error:
            if error.keep_changes:
                db.session.commit()
            raise
        if request.method not in READ_ONLY_METHODS:
            db.session.commit()
        return response
