"""Read-only requests run without a transaction: no BEGIN and no ROLLBACK round trips.

A GET or HEAD only reads, each of its statements sees committed data, and nothing it does needs
to be undone; so the connection it checks out is put in autocommit (psycopg2 then sends no BEGIN,
and the rollback when the request ends has nothing to do). Requests that write keep the ordinary
transaction that `db.session.commit()` ends.
"""

from flask import has_request_context, request
from sqlalchemy import event

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _on_checkout(dbapi_connection, connection_record, connection_proxy) -> None:
    in_a_read = has_request_context() and request.method in READ_ONLY_METHODS
    if in_a_read and not getattr(dbapi_connection, "autocommit", True):
        dbapi_connection.autocommit = True
        connection_record.info["read_only_autocommit"] = True


def _on_checkin(dbapi_connection, connection_record) -> None:
    if connection_record.info.pop("read_only_autocommit", False) and dbapi_connection is not None:
        dbapi_connection.autocommit = False


def init_engine(engine) -> None:
    """Install the read-only autocommit on an engine's pool."""
    event.listen(engine, "checkout", _on_checkout)
    event.listen(engine, "checkin", _on_checkin)
