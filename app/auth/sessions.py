"""Login sessions: start one at login, renew it with its refresh token, end one or all of a user's.

A refresh token is `<session handle>.<generation>.<random>.<tag>`, the tag an HMAC of the rest under
SECRET: a token this service never issued (garbage, or one from another secret) is refused before
any query, and one it did issue can be told apart from a forgery when it comes back after it was
spent. That is how reuse is detected (RFC 9700 section 4.14.2): presenting a spent refresh token
means two parties hold it, so the whole session ends and every token descended from it with it.
The session keeps only the SHA-256 of its current refresh token.
"""

import base64
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, update

from app.auth.models import LoginSession, new_session_handle, token_digest
from app.auth.tokens import generate_token, invalid_token, is_handle
from app.database import db, delete_where
from app.timestamps import as_utc, utcnow

INVALID_REFRESH_MESSAGE = "Invalid refresh token. Please login."
ENDED_MESSAGE = "Session ended. Please login again."
REUSED_MESSAGE = (
    "Refresh token already used: the session has ended in case it was stolen. Please login again."
)
TOKEN_TYPE = "Bearer"  # noqa: S105  (a scheme name, not a secret)


def _tag(body: str) -> str:
    digest = hmac.digest(current_app.config["SECRET"].encode(), b"refresh." + body.encode(),
                         "sha256")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _new_refresh_token(handle: str, generation: int) -> str:
    body = f"{handle}.{generation}.{secrets.token_urlsafe(32)}"
    return f"{body}.{_tag(body)}"


def _issued_by_us(token: str) -> tuple[str, int]:
    """The session handle and generation of a refresh token this service issued; else a 401."""
    body, _, tag = token.rpartition(".")
    parts = body.split(".")
    if (len(parts) != 3 or not is_handle(parts[0]) or not parts[1].isascii()
            or not parts[1].isdigit() or len(parts[1]) > 9
            or not hmac.compare_digest(tag.encode(), _tag(body).encode())):
        raise invalid_token(INVALID_REFRESH_MESSAGE)
    return parts[0], int(parts[1])


def _tokens(session: LoginSession, refresh_token: str) -> dict:
    """What a client gets for a session: a new access token and this refresh token."""
    return {
        "access_token": generate_token(session.user_id, session.handle),
        "refresh_token": refresh_token,
        "token_type": TOKEN_TYPE,
        "expires_in": current_app.config["TOKEN_LIFETIME_SECONDS"],
    }


def start_session(user_id: int) -> dict:
    """A new login session of this user (added to the transaction), and its first tokens.

    Beyond MAX_SESSIONS_PER_USER live sessions, the least recently refreshed ones end.
    """
    now = utcnow()
    keep = current_app.config["MAX_SESSIONS_PER_USER"] - 1
    newest = (
        db.select(LoginSession.id)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .order_by(LoginSession.refreshed_at.desc(), LoginSession.id.desc())
        .limit(keep)
    )
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None),
               LoginSession.id.not_in(newest.scalar_subquery()))
        .values(ended_at=now)
    )
    lifetime = timedelta(seconds=current_app.config["REFRESH_TOKEN_LIFETIME_SECONDS"])
    handle = new_session_handle()
    refresh_token = _new_refresh_token(handle, 0)
    session = LoginSession(handle=handle, user_id=user_id, created_at=now, refreshed_at=now,
                           expires_at=now + lifetime, generation=0,
                           refresh_token_hash=token_digest(refresh_token))
    db.session.add(session)
    return _tokens(session, refresh_token)


def refresh_session(refresh_token: str) -> dict:
    """New tokens for the session of this refresh token, which is spent.

    A 401 when the token is not one this service issued, when its session has ended or expired,
    and when it was spent already (then the session ends, and stays ended).
    """
    handle, generation = _issued_by_us(refresh_token)
    session = db.session.scalar(db.select(LoginSession).where(LoginSession.handle == handle))
    if session is None or session.ended_at is not None:
        raise invalid_token(ENDED_MESSAGE)
    if generation < session.generation:
        _end_reused(handle)
    if generation != session.generation or not hmac.compare_digest(
        token_digest(refresh_token), session.refresh_token_hash
    ):
        raise invalid_token(INVALID_REFRESH_MESSAGE)
    now = utcnow()
    idle = timedelta(seconds=current_app.config["REFRESH_TOKEN_IDLE_SECONDS"])
    if now >= as_utc(session.expires_at) or now >= as_utc(session.refreshed_at) + idle:
        end_session(handle)
        raise invalid_token(ENDED_MESSAGE, keep_changes=True)
    new_token = _new_refresh_token(handle, generation + 1)
    # Only the refresh that moves the generation on wins; one racing it with the same token
    # finds the generation moved, which is a reuse.
    renewed = db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == session.id, LoginSession.generation == generation,
               LoginSession.ended_at.is_(None))
        .values(generation=generation + 1, refresh_token_hash=token_digest(new_token),
                refreshed_at=now)
        .execution_options(synchronize_session=False)
    )
    if renewed.rowcount != 1:
        _end_reused(handle)
    return _tokens(session, new_token)


def _end_reused(handle: str):
    """End a session whose spent refresh token came back; always raises the 401, which keeps
    the session ended."""
    end_session(handle)
    raise invalid_token(REUSED_MESSAGE, keep_changes=True)


def end_session(handle: str) -> bool:
    """End the session of this handle (in the current transaction); False if it had ended
    already."""
    result = db.session.execute(
        update(LoginSession)
        .where(LoginSession.handle == handle, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def end_all_sessions(user_id: int) -> None:
    """End every session of this user (in the current transaction)."""
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def purge_dead_sessions(limit: int | None = None) -> int:
    """Delete the sessions that ended, expired or sat idle too long (in the current transaction;
    at most `limit` of them); how many were deleted.

    An access token of a deleted session is refused as one of an ended session is.
    """
    now = utcnow()
    idle = timedelta(seconds=current_app.config["REFRESH_TOKEN_IDLE_SECONDS"])
    dead = or_(LoginSession.ended_at.is_not(None), LoginSession.expires_at <= now,
               LoginSession.refreshed_at <= now - idle)
    return delete_where(LoginSession, dead, limit)
