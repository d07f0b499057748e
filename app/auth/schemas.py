"""Request and response bodies of the auth endpoints."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from app.fields import Email, Text, UTCDateTime
from app.models import BCRYPT_MAX_BYTES, password_fits_bcrypt

MIN_PASSWORD_LENGTH = 8
# Longer than any token this service issues (refresh tokens are about 110 characters, reset tokens
# 43), so that anything longer is refused before it is hashed or compared.
MAX_TOKEN_LENGTH = 256


def _fits_bcrypt(password: str) -> None:
    if not password_fits_bcrypt(password):
        raise ValidationError("Must be at most 72 bytes in UTF-8 (bcrypt's limit).")


def new_password() -> Text:
    """A password being chosen: 8 characters to 72 bytes (registration, change and reset)."""
    return Text(
        required=True,
        load_only=True,
        validate=[
            validate.Length(
                min=MIN_PASSWORD_LENGTH,
                error=f"Must be at least {MIN_PASSWORD_LENGTH} characters long.",
            ),
            validate.Length(max=BCRYPT_MAX_BYTES, error="Must be at most 72 characters long."),
            _fits_bcrypt,
        ],
    )


def token_text() -> Text:
    """A token sent back to this service: text of at most MAX_TOKEN_LENGTH characters."""
    return Text(required=True, load_only=True, validate=validate.Length(min=1,
                                                                        max=MAX_TOKEN_LENGTH))


class RegisterSchema(Schema):
    """`{email, password}` for /auth/register: a valid e-mail, stored in its canonical form;
    a password of 8 characters to 72 bytes."""

    class Meta:
        unknown = EXCLUDE

    email = Email(required=True)
    password = new_password()


class LoginSchema(Schema):
    """`{email, password}` for /auth/login: any strings; whether they match is checked later."""

    class Meta:
        unknown = EXCLUDE

    email = Email(required=True, strict=False)
    password = Text(required=True, load_only=True)


class TokenSchema(Schema):
    """The answer to a login, a refresh or a password change: a session's tokens."""

    message = fields.String(required=True)
    access_token = fields.String(required=True, metadata={"description": "JWT for Authorization"})
    refresh_token = fields.String(
        required=True,
        metadata={"description": "Opaque; POST it to /auth/refresh for new tokens. Works once."},
    )
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True,
                                metadata={"description": "Seconds the access token is valid"})


class RefreshSchema(Schema):
    """`{refresh_token}` for /auth/refresh."""

    class Meta:
        unknown = EXCLUDE

    refresh_token = token_text()


class MeSchema(Schema):
    """Who the caller is."""

    id = fields.Integer(required=True)
    email = fields.String(required=True)
    date_created = UTCDateTime(required=True)
    bucketlists_count = fields.Integer(required=True)


class PasswordChangeSchema(Schema):
    """`{current_password, new_password}` for PUT /auth/password."""

    class Meta:
        unknown = EXCLUDE

    current_password = Text(required=True, load_only=True)
    new_password = new_password()


class PasswordSchema(Schema):
    """`{password}`: the caller's password, to confirm deleting the account."""

    class Meta:
        unknown = EXCLUDE

    password = Text(required=True, load_only=True)


class PasswordResetSchema(Schema):
    """`{email}` for /auth/password-reset: a valid e-mail (only a registered one gets a mail)."""

    class Meta:
        unknown = EXCLUDE

    email = Email(required=True)


class PasswordResetConfirmSchema(Schema):
    """`{token, password}` for /auth/password-reset/confirm: the mailed token, a new password."""

    class Meta:
        unknown = EXCLUDE

    token = token_text()
    password = new_password()
