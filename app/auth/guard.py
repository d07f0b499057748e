"""Authentication happens here, once: the bearer token becomes `g.user`, or the answer is 401."""

import functools

from flask import g, request
from sqlalchemy import bindparam, select

from app.auth.tokens import REVOKED_MESSAGE, AccessToken, decode_token, invalid_token
from app.errors import APIError
from app.extensions import db
from app.models import RevokedToken, User

MISSING_MESSAGE = "Authorization required. Send the header 'Authorization: Bearer <access_token>'."
# Built once, run on every authenticated request with its values bound.
USER_AND_REVOCATION = (
    select(User, RevokedToken.jti)
    .outerjoin(RevokedToken, RevokedToken.jti == bindparam("jti"))
    .where(User.id == bindparam("user_id"))
)


def authenticate_request() -> tuple[User, AccessToken]:
    """The user and token of the `Authorization: Bearer <token>` header (the scheme in any case).

    One query finds the user and whether the token was revoked (logged out).
    """
    authorization = request.authorization
    if authorization is None or authorization.type != "bearer" or not authorization.token:
        raise APIError(401, MISSING_MESSAGE, headers={"WWW-Authenticate": "Bearer"})
    token = decode_token(authorization.token)
    row = db.session.execute(USER_AND_REVOCATION, {"jti": token.jti, "user_id": token.user_id})
    row = row.first()
    if row is None:
        raise invalid_token()
    user, revoked = row
    if revoked is not None:
        raise invalid_token(REVOKED_MESSAGE)
    return user, token


def token_required(view):
    """Let the view run only for an authenticated user: `g.user`, and `g.token` (its claims)."""

    @functools.wraps(view)
    def wrapped_view(*args, **kwargs):
        g.user, g.token = authenticate_request()
        return view(*args, **kwargs)

    return wrapped_view
