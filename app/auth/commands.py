"""`python manage.py purge-tokens` (or `flask purge-tokens`): forget revocations past expiry."""

import click
from flask.cli import with_appcontext

from app.database import db
from app.models import RevokedToken
from app.timestamps import utcnow


def purge_expired_revocations() -> int:
    """Delete revoked-token entries whose tokens have expired anyway; how many were deleted."""
    result = db.session.execute(db.delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    db.session.commit()
    return result.rowcount


@click.command("purge-tokens")
@with_appcontext
def purge_tokens_command():
    """Drop revoked-token entries past their expiry (an expired token is refused anyway)."""
    click.echo(f"Purged {purge_expired_revocations()} expired revoked token(s).")
