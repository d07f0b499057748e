"""Registration and sessions: /auth/register, /auth/login, /auth/refresh, /auth/logout.

The account routes (app/auth/account.py) and the password reset (app/auth/password_reset.py) are
on this blueprint too.
"""

from sqlalchemy.exc import IntegrityError

from app import metrics
from app.api import Blueprint
from app.auth.credentials import authenticate
from app.auth.guard import current_token
from app.auth.schemas import LoginSchema, RefreshSchema, RegisterSchema, TokenSchema
from app.auth.sessions import end_session, refresh_session, start_session
from app.auth.tokens import REVOKED_MESSAGE, invalid_token
from app.database import db
from app.errors import APIError
from app.models import User
from app.schemas import ErrorSchema, MessageSchema

blp = Blueprint("auth", __name__, description="Accounts and access tokens")


@blp.post("/auth/register")
@blp.arguments(RegisterSchema, location="json_or_form")
@blp.response(201, MessageSchema, description="Registered")
@blp.alt_response(202, schema=MessageSchema, description="The e-mail is already registered",
                  success=True)
@blp.throttled(per_client="REGISTER_LIMIT_PER_CLIENT", per_email="REGISTER_LIMIT_PER_EMAIL")
def register(data: dict):
    """Register a user with an e-mail and a password; 202 if the e-mail is already registered."""
    try:
        # The unique e-mail constraint decides, so two racing registrations cannot both win.
        with db.session.begin_nested():
            db.session.add(User(email=data["email"], password=data["password"]))
    except IntegrityError:
        return {"message": "User already exists. Please login."}, 202
    return {"message": "You registered successfully."}


@blp.post("/auth/login")
@blp.arguments(LoginSchema, location="json_or_form")
@blp.response(200, TokenSchema, description="Logged in")
@blp.alt_response(401, schema=ErrorSchema, description="Invalid email or password")
@blp.throttled(per_client="LOGIN_LIMIT_PER_CLIENT", per_email="LOGIN_LIMIT_PER_EMAIL")
def login(data: dict):
    """Exchange an e-mail and password for an access token and a refresh token (a new session)."""
    user = authenticate(data["email"], data["password"])
    if user is None:
        metrics.LOGIN_FAILURES.inc()
        raise APIError(401, "Invalid email or password, Please try again")
    return {"message": "You logged in successfully.", **start_session(user.id)}


@blp.post("/auth/refresh")
@blp.arguments(RefreshSchema, location="json_or_form")
@blp.response(200, TokenSchema, description="New tokens; the refresh token sent is spent")
@blp.alt_response(401, schema=ErrorSchema,
                  description="Not a refresh token this service issued, a session that ended or "
                              "expired, or a spent refresh token (which ends its session)")
@blp.throttled(per_client="REFRESH_LIMIT_PER_CLIENT")
def refresh(data: dict):
    """Exchange a refresh token for a new access token and a new refresh token."""
    return {"message": "Tokens refreshed.", **refresh_session(data["refresh_token"])}


@blp.post("/auth/logout")
@blp.auth_required
@blp.response(200, MessageSchema, description="Logged out")
def logout():
    """End the session of this request's token: its access and refresh tokens stop working.

    Every server process refuses them from then on.
    """
    if not end_session(current_token().session):
        raise invalid_token(REVOKED_MESSAGE)  # the same session logged out at the same time
    return {"message": "You logged out successfully."}
