"""Access tokens: HS256 JSON Web Tokens carrying the user id as `sub` and the login session's random
handle as `sid`.

Each token also carries a random `jti`, so that no two are alike (two refreshes in one second get
different tokens); nothing reads it, so it is neither required nor checked."""

import functools
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
from flask import current_app

from app.auth.models import HANDLE_LENGTH
from app.errors import APIError
from app.models import MAX_ID
from app.timestamps import utcnow

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "sid", "iat", "exp"]
EXPIRED_MESSAGE = (
    "Expired token. Please login to get a new token, or send your refresh token to "
    "POST /auth/refresh for one."
)
INVALID_MESSAGE = "Invalid token. Please register or login"
REVOKED_MESSAGE = "Token revoked. Please login again."
VALID_HANDLE = re.compile(rf"[A-Za-z0-9_-]{{{HANDLE_LENGTH}}}")
# Verified tokens remembered per process (a few hundred bytes each). Kept optimization
# (bench/instructions.py, GET by id): 2.653 M instructions per request with it, 3.033 M without
# (the signature checked again on every request: 14 % more).
VERIFIED_TOKENS_KEPT = 4096
# RFC 6750: a 401 for a bearer token says so, and why.
INVALID_TOKEN_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


@dataclass(frozen=True)
class AccessToken:
    """What a verified token says: whose it is, the handle of its login session, and when it
    expires."""

    user_id: int
    session: str
    expires_at: datetime


def invalid_token(message: str = INVALID_MESSAGE, keep_changes: bool = False) -> APIError:
    """The 401 for a token that is not to be trusted (`keep_changes`: what the request changed
    stands all the same)."""
    return APIError(401, message, headers=INVALID_TOKEN_CHALLENGE, keep_changes=keep_changes)


def generate_token(user_id: int, session: str) -> str:
    """A signed token for this user and login session (its handle), valid for
    TOKEN_LIFETIME_SECONDS, with a unique id."""
    now = utcnow()
    payload = {
        "sub": str(user_id),
        "sid": session,
        "iat": now,
        "exp": now + timedelta(seconds=current_app.config["TOKEN_LIFETIME_SECONDS"]),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, current_app.config["SECRET"], algorithm=ALGORITHM)


def decode_token(token: str) -> AccessToken:
    """What a token says; raises a 401 APIError for any token not to be trusted."""
    access = _verify(token, current_app.config["SECRET"])
    if access.expires_at <= utcnow():
        raise invalid_token(EXPIRED_MESSAGE)
    return access


@functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def _verify(token: str, secret: str) -> AccessToken:
    """Check a token's signature and claims; raises a 401 APIError for any token not to be trusted.

    A client sends the same token with every request until it expires, and the same token and
    secret always verify the same way, so what a good token says is kept (a failure is not); only
    its expiry, which changes with time, is checked again on every use.
    """
    try:
        payload = jwt.decode(token, secret, algorithms=[ALGORITHM],
                             options={"require": REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError:
        raise invalid_token(EXPIRED_MESSAGE) from None
    except jwt.InvalidTokenError:
        raise invalid_token() from None
    subject, session, expires = payload["sub"], payload["sid"], payload["exp"]
    if not is_id(subject) or not is_handle(session):
        raise invalid_token()
    return AccessToken(int(subject), session,
                       datetime.fromtimestamp(expires, tz=timezone.utc))


def is_id(value) -> bool:
    """Whether a claim is the text of a row id (1 to MAX_ID, ASCII digits only)."""
    return (isinstance(value, str) and value.isascii() and value.isdigit()
            and len(value) <= len(str(MAX_ID)) and 0 < int(value) <= MAX_ID)


def is_handle(value) -> bool:
    """Whether a claim is the text of a session handle (as `new_session_handle` makes them)."""
    return isinstance(value, str) and VALID_HANDLE.fullmatch(value) is not None
