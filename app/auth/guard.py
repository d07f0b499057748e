"""Authentication happens here, once: a bearer token becomes the caller, or the answer is 401.

`Blueprint.auth_required` (app/openapi.py) declares on a route that it needs this.
"""

from flask import request
from sqlalchemy import Row, and_, bindparam, select

from app.auth.models import LoginSession
from app.auth.tokens import REVOKED_MESSAGE, AccessToken, decode_token, invalid_token
from app.database import db
from app.errors import APIError
from app.models import User

MISSING_MESSAGE = "Authorization required. Send the header 'Authorization: Bearer <access_token>'."
# The caller and whether the token's login session is live, in one indexed query, built once and
# run with its values bound. It runs before every authenticated request, so it reads the columns the
# views use as a row on the session's connection: building an ORM object here doubled its cost.
CALLER = (
    select(User.id, User.email, User.bucketlists_count,
           LoginSession.id.label("session_id"), LoginSession.ended_at.label("session_ended_at"))
    .outerjoin(LoginSession, and_(LoginSession.handle == bindparam("session"),
                                  LoginSession.user_id == User.id))
    .where(User.id == bindparam("user_id"))
)


def authenticate_request() -> tuple[Row, AccessToken]:
    """The caller and the token of the `Authorization: Bearer <token>` header (any case of Bearer).

    The caller is a row (id, email, bucketlists_count); one query finds the user and
    whether the token's login session still lives (not logged out, nor ended by a password change
    or reset, nor purged).
    """
    authorization = request.authorization
    if authorization is None or authorization.type != "bearer" or not authorization.token:
        raise APIError(401, MISSING_MESSAGE, headers={"WWW-Authenticate": "Bearer"})
    token = decode_token(authorization.token)
    params = {"session": token.session, "user_id": token.user_id}
    caller = db.session.connection().execute(CALLER, params).first()
    if caller is None:
        raise invalid_token()
    if caller.session_id is None or caller.session_ended_at is not None:
        raise invalid_token(REVOKED_MESSAGE)
    return caller, token
