"""`python manage.py purge-tokens` (or `flask purge-tokens`): forget sessions, reset tokens and
idempotency keys that can no longer be used."""

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import or_

from app.auth.models import LoginSession, PasswordResetToken
from app.database import db
from app.models import IdempotencyKey
from app.timestamps import utcnow


def purge_dead_sessions() -> int:
    """Delete the sessions that ended, expired or sat idle too long; how many were deleted.

    An access token of a deleted session is refused as one of an ended session is.
    """
    now = utcnow()
    idle = timedelta(seconds=current_app.config["REFRESH_TOKEN_IDLE_SECONDS"])
    result = db.session.execute(
        db.delete(LoginSession).where(or_(
            LoginSession.ended_at.is_not(None),
            LoginSession.expires_at <= now,
            LoginSession.refreshed_at <= now - idle,
        ))
    )
    db.session.commit()
    return result.rowcount


def purge_expired_reset_tokens() -> int:
    """Delete the password reset tokens past their lifetime (a used one is deleted when used)."""
    result = db.session.execute(
        db.delete(PasswordResetToken).where(PasswordResetToken.expires_at <= utcnow())
    )
    db.session.commit()
    return result.rowcount


def purge_expired_idempotency_keys() -> int:
    """Delete the stored answers of Idempotency-Keys past their lifetime."""
    result = db.session.execute(
        db.delete(IdempotencyKey).where(IdempotencyKey.expires_at <= utcnow())
    )
    db.session.commit()
    return result.rowcount


@click.command("purge-tokens")
@with_appcontext
def purge_tokens_command():
    """Drop ended, expired and idle sessions, expired password reset tokens and expired
    idempotency keys."""
    sessions, resets = purge_dead_sessions(), purge_expired_reset_tokens()
    keys = purge_expired_idempotency_keys()
    click.echo(f"Purged {sessions} ended or expired session(s), {resets} expired password "
               f"reset token(s) and {keys} expired idempotency key(s).")
