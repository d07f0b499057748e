"""The tutorial's commands on Flask's click CLI (Flask-Script no longer imports on Flask 2+).

    python manage.py db upgrade     # Flask-Migrate: init, migrate, upgrade, downgrade, check, ...
    python manage.py test           # the unittest suite in tests/, on a real PostgreSQL
    python manage.py run            # the development server
"""

import os
import sys
import unittest

import click
from flask.cli import FlaskGroup

from app import create_app

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


if __name__ == "__main__":
    cli()
