"""The authentication blueprint: /auth/register and /auth/login."""

from flask import Blueprint

auth_blueprint = Blueprint("auth", __name__)

from app.auth import views  # noqa: E402,F401  (registers the routes on the blueprint)
