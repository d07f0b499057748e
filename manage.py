"""The tutorial's commands on Flask's click CLI (Flask-Script no longer imports on Flask 2+).

    python manage.py db upgrade     # Flask-Migrate: init, migrate, upgrade, downgrade, check, ...
    python manage.py test           # the unittest suite in tests/, on a real PostgreSQL
    python manage.py run            # the development server
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from app import create_app, jobs

ROOT = os.path.dirname(os.path.abspath(__file__))


def make_app():
    """The app for the configuration named by APP_SETTINGS (development by default)."""
    return create_app(os.getenv("APP_SETTINGS", "development"))


cli = FlaskGroup(create_app=make_app, help=__doc__)


def summary_line(result: unittest.TestResult) -> str:
    """`N passed, N failed, N skipped`, the line CI reads; errors count as failures.

    A test counts once however many of its subtests failed.
    """
    failing = [test for test, _ in result.failures + result.errors]
    failing += result.unexpectedSuccesses
    failed = len({getattr(test, "test_case", test).id() for test in failing})
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped - len(result.expectedFailures)
    return f"{passed} passed, {failed} failed, {skipped} skipped"


@cli.command(with_appcontext=False)
@click.argument("names", nargs=-1)
def test(names):
    """Run the unit tests (all of tests/, or the given dotted NAMES) on a real PostgreSQL.

    Uses TEST_DATABASE_URL when it is set; otherwise starts a throwaway PostgreSQL and removes it
    when the run ends.
    """
    from tests.database import ensure_test_database

    ensure_test_database()
    loader = unittest.TestLoader()
    if names:
        suite = loader.loadTestsFromNames(names)
    else:
        suite = loader.discover(os.path.join(ROOT, "tests"), pattern="test*.py", top_level_dir=ROOT)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    click.echo(summary_line(result))
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)


@cli.command()
@click.option("--beat", is_flag=True,
              help="also run the scheduler (the upkeep every PURGE_INTERVAL_SECONDS); one "
                   "worker of the fleet, no more")
@click.option("--concurrency", type=int, default=2, show_default=True)
@with_appcontext
def worker(beat, concurrency):
    """Run queued jobs (mail, upkeep) from JOB_QUEUE_URL."""
    queue = current_app.extensions.get("celery")
    if queue is None:
        raise click.ClickException("JOB_QUEUE_URL is not set: jobs run in the web process.")
    jobs.run_worker(current_app, queue, beat, concurrency)


# The head when squawk started to guard the migrations: every newer one must pass it.
SQUAWK_SINCE = "d4e6f8a0b2c1"
SQUAWK_CONFIG = os.path.join(ROOT, "migrations", "squawk.toml")


@cli.command("lint-migrations", with_appcontext=False)
@click.option("--since", default=SQUAWK_SINCE, show_default=True,
              help="lint the migrations after this revision")
@click.option("--directory", default=os.path.join(ROOT, "migrations"), show_default=True)
def lint_migrations(since, directory):
    """Check the SQL of every migration newer than SINCE with squawk (locks a busy table
    would wait behind, rewrites, missing lock_timeout); non-zero exit on any finding."""
    env = {**os.environ, "APP_SETTINGS": "development", "SECRET": "lint-migrations-only",
           "DATABASE_URL": "postgresql://squawk@localhost/squawk"}  # only its dialect is used
    rendered = subprocess.run(  # noqa: S603  (this Python and this script)
        [sys.executable, os.path.join(ROOT, "manage.py"), "db", "upgrade", "--directory",
         directory, f"{since}:head", "--sql"], env=env, capture_output=True, text=True)
    if rendered.returncode != 0:
        raise click.ClickException(f"could not render the migrations' SQL:\n{rendered.stderr}")
    squawk = shutil.which("squawk") or os.path.join(os.path.dirname(sys.executable), "squawk")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", prefix="migrations-") as sql:
        sql.write(rendered.stdout)
        sql.flush()
        checked = subprocess.run([squawk, f"--config={SQUAWK_CONFIG}", sql.name])  # noqa: S603
    sys.exit(checked.returncode)


if __name__ == "__main__":
    cli()
