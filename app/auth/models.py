"""The tables of sign-in: login sessions (each with its current refresh token) and password resets.

Both hold only hashes of the tokens they stand for; a database that leaks gives no usable token.
"""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import db
from app.models import NEVER_REUSE_IDS

# A session's handle: 24 URL-safe characters, 144 random bits.
HANDLE_LENGTH = 24


def new_session_handle() -> str:
    """A new random session handle."""
    return secrets.token_urlsafe(HANDLE_LENGTH * 3 // 4)


def token_digest(token: str) -> str:
    """What these tables keep of a token: its SHA-256, in hex (64 characters)."""
    return hashlib.sha256(token.encode()).hexdigest()


class LoginSession(db.Model):
    """One login, and every access and refresh token descended from it.

    Tokens name it by `handle`, a random text no one can guess (an access token's `sid` claim,
    the first part of a refresh token), never by its sequential id; they are refused once it has
    ended. Its refresh token rotates on every refresh: `generation` counts the rotations and
    `refresh_token_hash` is the SHA-256 of the one refresh token that still works. It ends on
    logout, on a password change or reset, when a spent refresh token is presented again,
    REFRESH_TOKEN_LIFETIME_SECONDS after the login (`expires_at`), or REFRESH_TOKEN_IDLE_SECONDS
    after its last refresh (`refreshed_at`).
    """

    __tablename__ = "login_sessions"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(HANDLE_LENGTH), unique=True,
                                        default=new_session_handle)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    generation: Mapped[int] = mapped_column(default=0)
    refresh_token_hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<LoginSession {self.id} of user {self.user_id}>"


class PasswordResetToken(db.Model):
    """The one password reset a user has asked for, by the SHA-256 of its token.

    A user has at most one (asking again replaces it); it works once, until `expires_at`.
    """

    __tablename__ = "password_reset_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    def __repr__(self) -> str:
        return f"<PasswordResetToken of user {self.user_id}>"
