"""The app's own commands (`python manage.py <command>`, or `flask <command>`)."""

import click
from flask.cli import with_appcontext

from app.auth.password_reset import purge_expired_reset_tokens
from app.auth.sessions import purge_dead_sessions
from app.database import db
from app.idempotency import purge_expired_idempotency_keys
from app.sharing.invitation_views import purge_expired_invitations

# Rows deleted per transaction: each batch holds its locks only briefly.
PURGE_BATCH = 1000


def purge_everything(batch: int = PURGE_BATCH) -> dict:
    """Delete dead sessions, expired reset tokens, expired idempotency keys and expired
    invitations, `batch` rows to a transaction, each kind until none is left; how many of each."""
    counts = {}
    for name, purge in (("sessions", purge_dead_sessions),
                        ("reset_tokens", purge_expired_reset_tokens),
                        ("idempotency_keys", purge_expired_idempotency_keys),
                        ("invitations", purge_expired_invitations)):
        counts[name] = 0
        while True:
            deleted = purge(limit=batch)
            db.session.commit()
            counts[name] += deleted
            if deleted < batch:
                break
    return counts


@click.command("purge-tokens")
@with_appcontext
def purge_tokens_command():
    """Drop ended, expired and idle sessions, expired password reset tokens, expired
    idempotency keys and expired invitations (the queue's scheduler does it every
    PURGE_INTERVAL_SECONDS)."""
    counts = purge_everything()
    click.echo(f"Purged {counts['sessions']} ended or expired session(s), "
               f"{counts['reset_tokens']} expired password reset token(s), "
               f"{counts['idempotency_keys']} expired idempotency key(s) and "
               f"{counts['invitations']} expired invitation(s).")


def init_app(app) -> None:
    """Add the commands to the app's CLI."""
    app.cli.add_command(purge_tokens_command)
