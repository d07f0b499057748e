"""Registration and login."""

from flask import g, jsonify
from sqlalchemy.exc import IntegrityError

from app.auth import auth_blueprint
from app.auth.credentials import authenticate
from app.auth.guard import token_required
from app.auth.schemas import LoginSchema, RegisterSchema, TokenSchema
from app.auth.tokens import REVOKED_MESSAGE, generate_token, invalid_token
from app.errors import APIError
from app.extensions import db
from app.models import RevokedToken, User
from app.openapi import documented
from app.rate_limits import throttled
from app.request_body import use_body
from app.schemas import MessageSchema


@auth_blueprint.post("/auth/register")
@documented(
    body=RegisterSchema,
    responses={
        201: ("Registered", MessageSchema),
        202: ("The e-mail is already registered", MessageSchema),
        429: "Too many registrations from this client or for this e-mail; see Retry-After",
    },
    tags=["auth"],
)
@use_body(RegisterSchema)
@throttled(per_client="REGISTER_LIMIT_PER_CLIENT", per_email="REGISTER_LIMIT_PER_EMAIL")
def register(data: dict):
    """Register a user with an e-mail and a password; 202 if the e-mail is already registered."""
    db.session.add(User(email=data["email"], password=data["password"]))
    try:
        db.session.commit()
    except IntegrityError:
        # The unique e-mail constraint decides, so two racing registrations cannot both win.
        db.session.rollback()
        return jsonify(message="User already exists. Please login."), 202
    return jsonify(message="You registered successfully."), 201


@auth_blueprint.post("/auth/login")
@documented(
    body=LoginSchema,
    responses={
        200: ("Logged in", TokenSchema),
        401: "Invalid email or password",
        429: "Too many attempts from this client or for this e-mail; see Retry-After",
    },
    tags=["auth"],
)
@use_body(LoginSchema)
@throttled(per_client="LOGIN_LIMIT_PER_CLIENT", per_email="LOGIN_LIMIT_PER_EMAIL")
def login(data: dict):
    """Exchange an e-mail and password for an access token."""
    user = authenticate(data["email"], data["password"])
    if user is None:
        raise APIError(401, "Invalid email or password, Please try again")
    return jsonify(message="You logged in successfully.", access_token=generate_token(user.id)), 200


@auth_blueprint.post("/auth/logout")
@documented(responses={200: ("Logged out", MessageSchema)}, auth=True, tags=["auth"])
@token_required
def logout():
    """Revoke the token this request carries, on every server process."""
    db.session.add(RevokedToken(jti=g.token.jti, expires_at=g.token.expires_at))
    try:
        db.session.commit()
    except IntegrityError:
        # The same token logged out twice at once: the first one won.
        db.session.rollback()
        raise invalid_token(REVOKED_MESSAGE) from None
    return jsonify(message="You logged out successfully."), 200
