"""Registration and login."""

from flask import jsonify
from sqlalchemy.exc import IntegrityError

from app.auth import auth_blueprint
from app.auth.credentials import authenticate
from app.auth.schemas import LoginSchema, RegisterSchema, TokenSchema
from app.auth.tokens import generate_token
from app.errors import APIError
from app.extensions import db
from app.models import User
from app.openapi import documented
from app.request_body import request_data
from app.schemas import MessageSchema

register_schema = RegisterSchema()
login_schema = LoginSchema()


@auth_blueprint.post("/auth/register")
@documented(
    body=RegisterSchema,
    responses={
        201: ("Registered", MessageSchema),
        202: ("The e-mail is already registered", MessageSchema),
    },
    tags=["auth"],
)
def register():
    """Register a user with an e-mail and a password; 202 if the e-mail is already registered."""
    data = register_schema.load(request_data())
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
    responses={200: ("Logged in", TokenSchema), 401: "Invalid email or password"},
    tags=["auth"],
)
def login():
    """Exchange an e-mail and password for an access token."""
    data = login_schema.load(request_data())
    user = authenticate(data["email"], data["password"])
    if user is None:
        raise APIError(401, "Invalid email or password, Please try again")
    return jsonify(message="You logged in successfully.", access_token=generate_token(user.id)), 200
