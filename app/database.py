"""The database: the SQLAlchemy and Flask-Migrate extensions, the models' base, and how the app
uses its pooled connections (pinged when idle, autocommit for reads).

Naming. Constraints and indexes get deterministic names, so that migrations can name what they
alter or drop on both PostgreSQL and SQLite (whose batch mode rebuilds tables and needs the names).
SQLite enforces foreign keys (and so ON DELETE CASCADE) only when asked on every connection.

Pre-ping. A connection that sat unused in the pool may have been cut (the database restarted, a
proxy dropped it); it is tested with a `SELECT 1` before use, and when the test fails the pool
drops it and every connection as old, and hands out a new one. A connection used in the last
DATABASE_PING_AFTER_IDLE_MS (500 ms by default; 0 pings on every checkout) is not pinged: it
answered a moment ago, and under load that saves a round trip per request (HikariCP's "alive
bypass window" makes the same trade). If the database goes away within that moment, the next
query fails with a 503 and the pool is renewed all the same.

Autocommit for reads. A GET or HEAD only reads, each of its statements sees committed data, and
nothing it does needs to be undone; so the connection it checks out is put in autocommit (psycopg2
then sends no BEGIN, and the rollback when the request ends has nothing to do). Requests that write
keep the ordinary transaction, which app/unit_of_work.py commits once the view has answered.

No parallel plans. On PostgreSQL the app's connections start with max_parallel_workers_per_gather
set to DATABASE_PARALLEL_WORKERS (0 by default). The planner chose two parallel workers to count
the matches of a search over 100,000 bucketlists; starting them took 4 to 5 ms of a query whose
work takes 2 (bench/list_scaling.py on Debian's PostgreSQL 15: 14.0 ms against 10.1 ms without).

SQLite writes one at a time. A request that may write (any method but GET, HEAD and OPTIONS), and
any work outside a request, begins its transaction with BEGIN IMMEDIATE, which takes SQLite's
write lock at once: such transactions run one after the other, so what PostgreSQL's row locks
decide (a user's bucketlist cap, an Idempotency-Key used twice at once, a login racing a password
change) holds on the embedded database too, where a reader upgrading to a writer would otherwise
race or fail with "database is locked". Reads begin an ordinary (deferred) transaction.
"""

import os
import sqlite3
import time

from flask import Flask, has_request_context, request
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, MetaData, event, exc, inspect, make_url, tuple_
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
MIGRATIONS_DIRECTORY = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")
# The PostgreSQL advisory lock that migrations/env.py holds while it migrates (any number that
# nothing else locks).
MIGRATION_LOCK = 7_204_118_650_531_001


def include_object(object, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: leave the optional trigram search indexes (`*_trgm`) out of comparisons.

    A migration creates them only where PostgreSQL offers pg_trgm, so the models do not hold them.
    """
    return not (type_ == "index" and name is not None and name.endswith("_trgm"))


class Base(DeclarativeBase):
    """Declarative base for the models, carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after commit: a view can answer with what it just saved, no refresh query.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate(render_as_batch=True, compare_type=True)


@event.listens_for(Engine, "connect")
def _enable_sqlite_foreign_keys(dbapi_connection, _connection_record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _take_over_sqlite_transactions(dbapi_connection, _connection_record) -> None:
    # pysqlite's own transaction handling would send a deferred BEGIN before the first write;
    # with it off, _begin_sqlite below decides how each transaction begins.
    dbapi_connection.isolation_level = None


def _begin_sqlite(connection) -> None:
    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    reading = has_request_context() and request.method in READ_ONLY_METHODS
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


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


def delete_where(model, condition, limit: int | None = None) -> int:
    """Delete a model's rows that meet `condition`, at most `limit` of them (by primary key);
    how many were deleted."""
    statement = db.delete(model)
    if limit is None:
        statement = statement.where(condition)
    else:
        key = tuple_(*inspect(model).primary_key)
        chosen = db.select(*inspect(model).primary_key).where(condition).limit(limit)
        statement = statement.where(key.in_(chosen))
    return db.session.execute(statement).rowcount


def _postgresql_session_settings(app: Flask) -> None:
    """Connections to PostgreSQL start with DATABASE_PARALLEL_WORKERS as their
    max_parallel_workers_per_gather (libpq's `options`), unless the URL or the engine options
    name their own `options`."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql" or "options" in url.query:
        return
    engine_options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})
    workers = app.config["DATABASE_PARALLEL_WORKERS"]
    connect_args = {"options": f"-c max_parallel_workers_per_gather={workers}",
                    **engine_options.get("connect_args", {})}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**engine_options, "connect_args": connect_args}


def init_app(app: Flask) -> None:
    """Bind the database and the migrations to the app; install the idle pre-ping (following
    DATABASE_POOL_PRE_PING and DATABASE_PING_AFTER_IDLE_MS) and the read-only autocommit on the
    pool of its engine, on PostgreSQL no parallel plans (DATABASE_PARALLEL_WORKERS), and on
    SQLite the write lock taken when a writing transaction begins."""
    _postgresql_session_settings(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIRECTORY)
    with app.app_context():
        engine = db.engine
    if app.config["DATABASE_POOL_PRE_PING"]:
        after_idle_seconds = app.config["DATABASE_PING_AFTER_IDLE_MS"] / 1000
        event.listen(engine, "checkout", _pinger(engine, after_idle_seconds))
        event.listen(engine, "connect", _mark_used)
        event.listen(engine, "checkin", _mark_used)
    event.listen(engine, "checkout", _on_checkout)
    event.listen(engine, "checkin", _on_checkin)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _take_over_sqlite_transactions)
        event.listen(engine, "begin", _begin_sqlite)
