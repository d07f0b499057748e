"""Passwords: checking an e-mail and password (in the same time whether or not the e-mail is
registered), and replacing a user's password."""

import secrets

from flask import current_app

from app.auth.models import PasswordResetToken
from app.auth.sessions import end_all_sessions
from app.database import db
from app.extensions import bcrypt
from app.models import User, password_fits_bcrypt


def _dummy_hash() -> str:
    """A hash of a random password at the app's work factor, made once per app."""
    cached = current_app.extensions.get("bucketlist_dummy_hash")
    if cached is None:
        cached = bcrypt.generate_password_hash(secrets.token_urlsafe(16)).decode("utf-8")
        current_app.extensions["bucketlist_dummy_hash"] = cached
    return cached


def authenticate(email: str, password: str) -> User | None:
    """The user with these credentials, or None; their row stays locked until the transaction
    ends.

    An unknown e-mail, or a password bcrypt cannot take, still costs one bcrypt check (against a
    dummy hash), so the answer's timing does not tell which e-mails are registered.

    bcrypt runs without a lock, so a password change, a reset or the account's deletion may
    commit meanwhile. The row is then locked and the password read again: a login whose password
    is no longer the account's fails, and one that got the lock first has its session stored
    before a change that follows can end "every session" (replace_password locks the row too).
    """
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None or not password_fits_bcrypt(password):
        bcrypt.check_password_hash(_dummy_hash(), "not-the-password")
        return None
    if not user.password_is_valid(password):
        return None
    current_hash = db.session.scalar(
        db.select(User.password_hash).where(User.id == user.id).with_for_update()
    )
    return user if current_hash == user.password_hash else None


def replace_password(user: User, password: str) -> None:
    """Give the user a new password (in the current transaction, whose caller holds the user's row
    locked): every session of theirs ends, and a reset token they were mailed no longer works."""
    user.set_password(password)
    end_all_sessions(user.id)
    db.session.execute(db.delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
