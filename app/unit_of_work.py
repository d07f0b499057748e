"""Each request is one unit of work: what its view changed is committed once, in one place, after
the view has answered, together with anything a wrapper stored beside it (an idempotent answer).

A view that raises commits nothing (the session is rolled back when the request ends), unless the
error says its changes must stand (`APIError(..., keep_changes=True)`: a refresh token presented
twice ends its session, and the 401 must not undo that). A commit that fails (the database is
gone, a constraint) is answered like an error of the view. Background jobs and CLI commands are
not requests: they commit their own work.

What must happen only once the changes are stored (queueing a mail) is handed to `after_commit`;
it runs after the commit, and not at all when the view raised or the commit failed.
"""

from collections.abc import Callable

from flask import Flask, g, has_request_context, request

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
        for callback in g.pop("after_commit", ()):
            callback()
        return response


def after_commit(callback: Callable[[], None]) -> None:
    """Call `callback` once this request's changes are committed; at once outside a request (a
    job, a command), whose caller commits its own work."""
    if has_request_context():
        g.setdefault("after_commit", []).append(callback)
    else:
        callback()
