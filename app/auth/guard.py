"""Authentication happens here, once: a bearer token becomes the caller, a `User`, or the answer
is 401.

`@blp.auth_required` (`auth_required` below) declares on a view, or on every method of a
MethodView, that it needs this; the view then reads the caller with `current_user()` and the
token with `current_token()`.
"""

import functools

from flask import g, request
from sqlalchemy import and_, bindparam, select

from app.auth.models import LoginSession
from app.auth.tokens import REVOKED_MESSAGE, AccessToken, decode_token, invalid_token
from app.database import db
from app.errors import APIError
from app.method_views import for_each_method
from app.models import User
from app.schemas import ErrorSchema

BEARER_SCHEME = "bearerAuth"

# The caller, and whether the token's session lives, in one query. Kept optimization
# (bench/instructions.py, GET by id): built once here and run with its values bound, 2.653 M
# instructions per request; built in the function on every request, 3.382 M (22 % more).
CALLER = (
    select(User, LoginSession.id, LoginSession.ended_at)
    .outerjoin(LoginSession, and_(LoginSession.handle == bindparam("session"),
                                  LoginSession.user_id == User.id))
    .where(User.id == bindparam("user_id"))
)
# An access token is a JWT (three dot-separated parts); a refresh token has four.
REFRESH_TOKEN_DOTS = 3
REFRESH_AS_BEARER_MESSAGE = (
    "This is a refresh token: send it to POST /auth/refresh for a new access token, and send "
    "the access token as the bearer token."
)
MISSING_MESSAGE = "Authorization required. Send the header 'Authorization: Bearer <access_token>'."


def authenticate_request() -> None:
    """Make the caller of the `Authorization: Bearer <token>` header (any case of Bearer) this
    request's current user, or raise a 401.

    One query finds the user and whether the token's login session still lives (not logged out,
    nor ended by a password change or reset, nor purged).
    """
    authorization = request.authorization
    if authorization is None or authorization.type != "bearer" or not authorization.token:
        raise APIError(401, MISSING_MESSAGE, headers={"WWW-Authenticate": "Bearer"})
    if authorization.token.count(".") == REFRESH_TOKEN_DOTS:
        raise invalid_token(REFRESH_AS_BEARER_MESSAGE)
    token = decode_token(authorization.token)
    found = db.session.execute(CALLER, {"session": token.session, "user_id": token.user_id}).first()
    if found is None:
        raise invalid_token()
    user, session_id, session_ended_at = found
    if session_id is None or session_ended_at is not None:
        raise invalid_token(REVOKED_MESSAGE)
    g.current_user, g.current_token = user, token


def current_user() -> User:
    """The authenticated caller of this request."""
    return g.current_user


def current_token() -> AccessToken:
    """What the caller's access token says (its login session, its expiry)."""
    return g.current_token


def auth_required(blp, view):
    """Let a view function, or each method of a MethodView, run only for a caller with a valid
    bearer token (else 401); the 401 and the bearer scheme are described on the blueprint `blp`."""

    def authenticated(func):
        @functools.wraps(func)
        def authenticated_view(*args, **kwargs):
            authenticate_request()
            return func(*args, **kwargs)

        documented = blp.alt_response(
            401, schema=ErrorSchema, description="Missing, invalid or expired bearer token"
        )(authenticated_view)
        return blp.doc(security=[{BEARER_SCHEME: []}])(documented)

    return for_each_method(authenticated, view)
