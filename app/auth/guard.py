"""Authentication happens here, once: the bearer token becomes `g.user`, or the answer is 401."""

import functools

from flask import g, request

from app.auth.tokens import decode_token, invalid_token
from app.errors import APIError
from app.extensions import db
from app.models import User

MISSING_MESSAGE = "Authorization required. Send the header 'Authorization: Bearer <access_token>'."


def authenticated_user() -> User:
    """The user named by the `Authorization: Bearer <token>` header (the scheme in any case)."""
    authorization = request.authorization
    if authorization is None or authorization.type != "bearer" or not authorization.token:
        raise APIError(401, MISSING_MESSAGE, headers={"WWW-Authenticate": "Bearer"})
    user = db.session.get(User, decode_token(authorization.token))
    if user is None:
        raise invalid_token()
    return user


def token_required(view):
    """Let the view run only for an authenticated user, available to it as `g.user`."""

    @functools.wraps(view)
    def wrapped_view(*args, **kwargs):
        g.user = authenticated_user()
        return view(*args, **kwargs)

    return wrapped_view
