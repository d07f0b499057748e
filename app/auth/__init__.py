"""The authentication blueprint: /auth/register, /auth/login, /auth/logout; purge-tokens."""

from flask import Blueprint

# cli_group=None: its commands are top-level (`python manage.py purge-tokens`).
auth_blueprint = Blueprint("auth", __name__, cli_group=None)

from app.auth import commands, views  # noqa: E402,F401  (register the routes and commands)
