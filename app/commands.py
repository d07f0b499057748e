"""The app's own commands (`python manage.py <command>`, or `flask <command>`)."""

import click
from flask.cli import with_appcontext

from app.auth.password_reset import purge_expired_reset_tokens
from app.auth.sessions import purge_dead_sessions
from app.database import db
from app.idempotency import purge_expired_idempotency_keys


@click.command("purge-tokens")
@with_appcontext
def purge_tokens_command():
    """Drop ended, expired and idle sessions, expired password reset tokens and expired
    idempotency keys."""
    sessions, resets = purge_dead_sessions(), purge_expired_reset_tokens()
    keys = purge_expired_idempotency_keys()
    db.session.commit()
    click.echo(f"Purged {sessions} ended or expired session(s), {resets} expired password "
               f"reset token(s) and {keys} expired idempotency key(s).")


def init_app(app) -> None:
    """Add the commands to the app's CLI."""
    app.cli.add_command(purge_tokens_command)
