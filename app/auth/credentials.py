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
    """The user with these credentials, or None.

    An unknown e-mail, or a password bcrypt cannot take, still costs one bcrypt check (against a
    dummy hash), so the answer's timing does not tell which e-mails are registered.
    """
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None or not password_fits_bcrypt(password):
        bcrypt.check_password_hash(_dummy_hash(), "not-the-password")
        return None
    return user if user.password_is_valid(password) else None


def replace_password(user: User, password: str) -> None:
    """Give the user a new password (in the current transaction): every session of theirs ends,
    and a reset token they were mailed no longer works."""
    user.set_password(password)
    end_all_sessions(user.id)
    db.session.execute(db.delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))
