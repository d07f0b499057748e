"""The caller's account: who they are (GET /auth/me), a new password (PUT /auth/password), and
deleting the account with everything in it (DELETE /auth/me)."""

from marshmallow import ValidationError

from app.auth.credentials import replace_password
from app.auth.guard import current_user
from app.auth.schemas import MeSchema, PasswordChangeSchema, PasswordSchema, TokenSchema
from app.auth.sessions import start_session
from app.auth.throttling import caller_email_key
from app.auth.views import blp
from app.database import db
from app.errors import AccountDeletedError
from app.models import User
from app.schemas import MessageSchema

NOT_YOUR_PASSWORD = "Wrong password."  # noqa: S105  (a message)


def caller_confirmed_by(password: str, field: str) -> User:
    """The caller, their row locked (and read again) until the transaction ends, if `password` is
    theirs; else a 400 naming `field`."""
    user = db.session.scalar(
        db.select(User).where(User.id == current_user().id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if user is None:
        raise AccountDeletedError()  # deleted since the guard looked
    if not user.password_is_valid(password):
        raise ValidationError({field: [NOT_YOUR_PASSWORD]})
    return user


@blp.get("/auth/me")
@blp.auth_required
@blp.response(200, MeSchema, description="The caller")
def me():
    """Who the caller is: id, e-mail, since when, and how many bucketlists they have."""
    return current_user()


@blp.put("/auth/password")
@blp.auth_required
@blp.arguments(PasswordChangeSchema, location="json_or_form")
@blp.response(200, TokenSchema,
              description="Changed: every session ended, and this answer begins a new one")
@blp.throttled(per_client="PASSWORD_CHANGE_LIMIT_PER_CLIENT",
               per_email="PASSWORD_CHANGE_LIMIT_PER_EMAIL", email=caller_email_key)
def change_password(data: dict):
    """Change the caller's password; every session and token issued before ends."""
    user = caller_confirmed_by(data["current_password"], "current_password")
    replace_password(user, data["new_password"])
    tokens = start_session(user.id)
    return {"message": "Password changed. Every other session was logged out.", **tokens}


@blp.delete("/auth/me")
@blp.auth_required
@blp.arguments(PasswordSchema, location="json_or_form")
@blp.response(200, MessageSchema,
              description="Deleted, with every bucketlist, goal and session of the account")
@blp.throttled(per_client="ACCOUNT_DELETE_LIMIT_PER_CLIENT",
               per_email="ACCOUNT_DELETE_LIMIT_PER_EMAIL", email=caller_email_key)
def delete_account(data: dict):
    """Delete the caller's account, bucketlists, goals and sessions, confirmed by the password."""
    user = caller_confirmed_by(data["password"], "password")
    # One statement: the database's ON DELETE CASCADE takes the rest in the same transaction.
    db.session.execute(db.delete(User).where(User.id == user.id))
    return {"message": "Your account and everything in it were deleted."}
