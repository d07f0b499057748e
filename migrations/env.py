"""Alembic's environment: migrate the app's database (Flask-Migrate hands it the app).

Online only (`manage.py db upgrade` and friends, on the app's engine); `--sql` prints the SQL
against the configured URL. On PostgreSQL the run holds an advisory lock, so that instances which
all migrate as they start do it one after the other.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import text

from app.database import MIGRATION_LOCK, include_object

config = context.config
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate = current_app.extensions["migrate"]
engine = migrate.db.engine
config.set_main_option(
    "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
)
target_metadata = migrate.db.metadata
# A migration that waits this long for a table lock gives up (and can be run again) rather than
# queue every request that touches the table behind it. Set after the migration lock, which
# instances starting together may wait on for longer.
LOCK_TIMEOUT = "SET lock_timeout = '5s'"


def skip_empty_autogenerate(context, revision, directives) -> None:
    """`db migrate` writes no revision when the models and the schema agree."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def configure_args() -> dict:
    """Flask-Migrate's arguments (render_as_batch, compare_type), with the app's filter."""
    args = dict(migrate.configure_args)
    args.setdefault("include_object", include_object)
    args.setdefault("process_revision_directives", skip_empty_autogenerate)
    return args


def run_migrations_offline() -> None:
    """Print the SQL of the migrations instead of running it (`manage.py lint-migrations`
    checks it with squawk)."""
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True, **configure_args())
    with context.begin_transaction():
        if context.get_context().dialect.name == "postgresql":
            context.execute(LOCK_TIMEOUT)
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the app's engine, under the migration lock on PostgreSQL."""
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          **configure_args())
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Instances that start together and each run `db upgrade` (the image's
                # MIGRATE=1) migrate one after the other; all but the first find nothing to do.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": MIGRATION_LOCK})
                connection.execute(text(LOCK_TIMEOUT))
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
