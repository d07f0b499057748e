"""Registration, login and logout: /auth/register, /auth/login, /auth/logout."""

from flask import g
from sqlalchemy.exc import IntegrityError

from app.auth.credentials import authenticate
from app.auth.schemas import LoginSchema, RegisterSchema, TokenSchema
from app.auth.throttling import throttled
from app.auth.tokens import REVOKED_MESSAGE, generate_token, invalid_token
from app.database import db
from app.errors import APIError
from app.models import RevokedToken, User
from app.openapi import Blueprint, ErrorSchema
from app.schemas import MessageSchema

blp = Blueprint("auth", __name__, description="Accounts and access tokens")


@blp.post("/auth/register")
@blp.arguments(RegisterSchema, location="json_or_form")
@blp.response(201, MessageSchema, description="Registered")
@blp.alt_response(202, schema=MessageSchema, description="The e-mail is already registered",
                  success=True)
@blp.alt_response(429, schema=ErrorSchema,
                  description="Too many registrations from this client or for this e-mail; "
                              "see Retry-After")
@throttled(per_client="REGISTER_LIMIT_PER_CLIENT", per_email="REGISTER_LIMIT_PER_EMAIL")
def register(data: dict):
    """Register a user with an e-mail and a password; 202 if the e-mail is already registered."""
    db.session.add(User(email=data["email"], password=data["password"]))
    try:
        db.session.commit()
    except IntegrityError:
        # The unique e-mail constraint decides, so two racing registrations cannot both win.
        db.session.rollback()
        return {"message": "User already exists. Please login."}, 202
    return {"message": "You registered successfully."}


@blp.post("/auth/login")
@blp.arguments(LoginSchema, location="json_or_form")
@blp.response(200, TokenSchema, description="Logged in")
@blp.alt_response(401, schema=ErrorSchema, description="Invalid email or password")
@blp.alt_response(429, schema=ErrorSchema,
                  description="Too many attempts from this client or for this e-mail; "
                              "see Retry-After")
@throttled(per_client="LOGIN_LIMIT_PER_CLIENT", per_email="LOGIN_LIMIT_PER_EMAIL")
def login(data: dict):
    """Exchange an e-mail and password for an access token."""
    user = authenticate(data["email"], data["password"])
    if user is None:
        raise APIError(401, "Invalid email or password, Please try again")
    return {"message": "You logged in successfully.", "access_token": generate_token(user.id)}


@blp.post("/auth/logout")
@blp.auth_required
@blp.response(200, MessageSchema, description="Logged out")
def logout():
    """Revoke the token this request carries, on every server process."""
    db.session.add(RevokedToken(jti=g.token.jti, expires_at=g.token.expires_at))
    try:
        db.session.commit()
    except IntegrityError:
        # The same token logged out twice at once: the first one won.
        db.session.rollback()
        raise invalid_token(REVOKED_MESSAGE) from None
    return {"message": "You logged out successfully."}
