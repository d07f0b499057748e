"""Password reset by e-mail: ask for a link (POST /auth/password-reset), then choose a new
password with the token it carries (POST /auth/password-reset/confirm).

Asking answers the same 202, in the same time, whether or not the e-mail is registered: the view
only queues a job (app/mail.py), and the job looks the user up, stores the SHA-256 of a new token
(replacing any earlier one of theirs) and sends the mail. A token works once, for
PASSWORD_RESET_LIFETIME_SECONDS.
"""

import secrets
from datetime import timedelta

from flask import current_app
from marshmallow import ValidationError

from app import jobs
from app.auth.credentials import replace_password
from app.auth.models import PasswordResetToken, token_digest
from app.auth.schemas import PasswordResetConfirmSchema, PasswordResetSchema
from app.auth.views import blp
from app.database import db, delete_where
from app.links import public_url_for
from app.mail import send_mail
from app.models import User
from app.schemas import MessageSchema
from app.timestamps import as_utc, utcnow

REQUESTED_MESSAGE = "If that e-mail is registered, a link to reset its password is on its way."
INVALID_RESET_MESSAGE = "Invalid, used or expired reset token. Please ask for a new one."
SUBJECT = "Reset your Bucketlist API password"
MAIL_TEXT = """Someone, hopefully you, asked to reset the password of the Bucketlist API account
of this e-mail address. To choose a new password, open this link within {minutes} minutes:

{link}

or send POST /auth/password-reset/confirm with this token and your new password:

token={token}

The link works once. If you did not ask, ignore this mail: your password stays as it is.
"""


@blp.post("/auth/password-reset")
@blp.arguments(PasswordResetSchema, location="json_or_form")
@blp.response(202, MessageSchema,
              description="The same answer whether or not the e-mail is registered")
@blp.throttled(per_client="PASSWORD_RESET_LIMIT_PER_CLIENT",
               per_email="PASSWORD_RESET_LIMIT_PER_EMAIL")
def request_password_reset(data: dict):
    """Mail a password reset link to this e-mail, if it is registered."""
    jobs.submit_password_reset_mail(data["email"], public_url_for("auth.confirm_password_reset"))
    return {"message": REQUESTED_MESSAGE}


def mail_reset_token(email: str, confirm_url: str) -> None:
    """The background job: a new reset token for the user of this e-mail, if any, by mail."""
    user_id = db.session.scalar(db.select(User.id).where(User.email == email))
    if user_id is None:
        return
    token, now = secrets.token_urlsafe(32), utcnow()
    lifetime = current_app.config["PASSWORD_RESET_LIFETIME_SECONDS"]
    db.session.execute(db.delete(PasswordResetToken).where(PasswordResetToken.user_id == user_id))
    db.session.add(PasswordResetToken(token_hash=token_digest(token), user_id=user_id,
                                      created_at=now,
                                      expires_at=now + timedelta(seconds=lifetime)))
    db.session.commit()
    text = MAIL_TEXT.format(minutes=lifetime // 60, link=f"{confirm_url}#token={token}",
                            token=token)
    send_mail(email, SUBJECT, text)


@blp.post("/auth/password-reset/confirm")
@blp.arguments(PasswordResetConfirmSchema, location="json_or_form")
@blp.response(200, MessageSchema, description="Password changed; every session ended")
@blp.throttled(per_client="PASSWORD_RESET_CONFIRM_LIMIT_PER_CLIENT")
def confirm_password_reset(data: dict):
    """Choose a new password with a mailed reset token; every session of the account ends."""
    spent = db.session.execute(
        db.delete(PasswordResetToken)
        .where(PasswordResetToken.token_hash == token_digest(data["token"]))
        .returning(PasswordResetToken.user_id, PasswordResetToken.expires_at)
    ).first()
    if spent is None or as_utc(spent.expires_at) <= utcnow():
        # An expired token stays refused (purge-tokens deletes it), and nothing changes.
        raise ValidationError({"token": [INVALID_RESET_MESSAGE]})
    user = db.session.get(User, spent.user_id, with_for_update=True)
    if user is None:  # the account was deleted meanwhile
        raise ValidationError({"token": [INVALID_RESET_MESSAGE]})
    replace_password(user, data["password"])
    return {"message": "Your password was reset. Please login with the new one."}


def purge_expired_reset_tokens(limit: int | None = None) -> int:
    """Delete the password reset tokens past their lifetime (in the current transaction, at most
    `limit` of them; a used one is deleted when used); how many were deleted."""
    return delete_where(PasswordResetToken, PasswordResetToken.expires_at <= utcnow(), limit)
