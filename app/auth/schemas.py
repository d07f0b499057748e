"""Request bodies of the auth endpoints."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from app.fields import Email, Text
from app.models import BCRYPT_MAX_BYTES, password_fits_bcrypt

MIN_PASSWORD_LENGTH = 8


def _fits_bcrypt(password: str) -> None:
    if not password_fits_bcrypt(password):
        raise ValidationError("Must be at most 72 bytes in UTF-8 (bcrypt's limit).")


class RegisterSchema(Schema):
    """`{email, password}` for /auth/register: a valid e-mail, stored in its canonical form;
    a password of 8 characters to 72 bytes."""

    class Meta:
        unknown = EXCLUDE

    email = Email(required=True)
    password = Text(
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


class LoginSchema(Schema):
    """`{email, password}` for /auth/login: any strings; whether they match is checked later."""

    class Meta:
        unknown = EXCLUDE

    email = Email(required=True, strict=False)
    password = Text(required=True, load_only=True)


class TokenSchema(Schema):
    """The answer to a successful login."""

    message = fields.String(required=True)
    access_token = fields.String(required=True, metadata={"description": "JWT for Authorization"})
