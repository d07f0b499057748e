"""How the app uses its pooled database connections: pinged when idle, autocommit for reads.

Pre-ping. A connection that sat unused in the pool may have been cut (the database restarted, a
proxy dropped it); it is tested with a `SELECT 1` before use, and when the test fails the pool
drops it and every connection as old, and hands out a new one. A connection used in the last
DATABASE_PING_AFTER_IDLE_SECONDS (0.5 s by default; 0 pings on every checkout) is not pinged: it
answered a moment ago, and under load that saves a round trip per request (HikariCP's "alive
bypass window" makes the same trade). If the database goes away within that moment, the next
query fails with a 503 and the pool is renewed all the same.

Autocommit for reads. A GET or HEAD only reads, each of its statements sees committed data, and
nothing it does needs to be undone; so the connection it checks out is put in autocommit (psycopg2
then sends no BEGIN, and the rollback when the request ends has nothing to do). Requests that write
keep the ordinary transaction that `db.session.commit()` ends.
"""

import time

from flask import Flask, has_request_context, request
from sqlalchemy import Engine, event, exc

from app.extensions import db

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LAST_USED = "last_used"
READ_ONLY_AUTOCOMMIT = "read_only_autocommit"


def _pinger(engine: Engine, after_idle_seconds: float):
    """A checkout listener that pings connections idle for longer than `after_idle_seconds`."""
    dialect = engine.dialect

    def ping_if_idle(dbapi_connection, connection_record, connection_proxy) -> None:
        last_used = connection_record.info.get(LAST_USED)
        if last_used is not None and time.monotonic() - last_used < after_idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError(str(error)) from error
            raise

    return ping_if_idle


def _mark_used(dbapi_connection, connection_record, *args) -> None:
    connection_record.info[LAST_USED] = time.monotonic()


def _on_checkout(dbapi_connection, connection_record, connection_proxy) -> None:
    in_a_read = has_request_context() and request.method in READ_ONLY_METHODS
    if in_a_read and not getattr(dbapi_connection, "autocommit", True):
        dbapi_connection.autocommit = True
        connection_record.info[READ_ONLY_AUTOCOMMIT] = True


def _on_checkin(dbapi_connection, connection_record) -> None:
    if connection_record.info.pop(READ_ONLY_AUTOCOMMIT, False) and dbapi_connection is not None:
        dbapi_connection.autocommit = False


def init_app(app: Flask) -> None:
    """Install the idle pre-ping and the read-only autocommit on the pool of the app's engine.

    The pre-ping follows DATABASE_POOL_PRE_PING and DATABASE_PING_AFTER_IDLE_MS.
    """
    with app.app_context():
        engine = db.engine
    if app.config["DATABASE_POOL_PRE_PING"]:
        after_idle_seconds = app.config["DATABASE_PING_AFTER_IDLE_MS"] / 1000
        event.listen(engine, "checkout", _pinger(engine, after_idle_seconds))
        event.listen(engine, "connect", _mark_used)
        event.listen(engine, "checkin", _mark_used)
    event.listen(engine, "checkout", _on_checkout)
    event.listen(engine, "checkin", _on_checkin)
