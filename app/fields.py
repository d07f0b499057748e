"""Marshmallow fields shared by the request and response schemas.

The rules a field enforces are also written into its OpenAPI description (`pattern`), so that the
published contract and the validation cannot drift apart.
"""

import re

from marshmallow import ValidationError, fields, validate

from app.email_addresses import (
    MAX_EMAIL_LENGTH,
    EmailNotValidError,
    comparable_email,
    normalize_email,
)
from app.parser import FormText
from app.timestamps import as_utc

NO_NUL_PATTERN = "^[^\\u0000]*$"
NOT_BLANK_PATTERN = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


class Text(fields.String):
    """A string that PostgreSQL can store: no NUL characters, no lone surrogates.

    With `strip=True` the value must hold something besides white space, and surrounding white space
    is removed once it has been validated (so length limits apply to the text as sent).
    """

    def __init__(self, *args, strip: bool = False, **kwargs) -> None:
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault("pattern", NOT_BLANK_PATTERN if strip else NO_NUL_PATTERN)
        super().__init__(*args, **kwargs)
        self.strip = strip

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Must not contain NUL characters.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("Must be valid Unicode text.") from None
        if self.strip and not re.search(r"\S", text):
            raise ValidationError("Must not be empty or only white space.")
        return text

    def deserialize(self, value, attr=None, data=None, **kwargs):
        """Validate the text as sent, then strip it if asked to."""
        result = super().deserialize(value, attr, data, **kwargs)
        return result.strip() if self.strip and isinstance(result, str) else result


class Email(Text):
    """An e-mail address in its canonical form (`app.email_addresses.normalize_email`).

    `strict` (registration) refuses what cannot be an address; otherwise (login) such text is only
    lower-cased (`comparable_email`). Either way, text longer than MAX_EMAIL_LENGTH is a 400:
    normalization refuses it before doing any work, and the length validator has the last word.
    """

    def __init__(self, *args, strict: bool = True, **kwargs) -> None:
        kwargs.setdefault("metadata", {}).setdefault("format", "email")
        kwargs.setdefault("validate", validate.Length(max=MAX_EMAIL_LENGTH))
        super().__init__(*args, **kwargs)
        self.strict = strict

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not self.strict:
            return comparable_email(text)
        try:
            return normalize_email(text)
        except EmailNotValidError as error:
            raise ValidationError(f"Not a valid e-mail address: {error}") from None


class Flag(fields.Boolean):
    """true or false: a JSON boolean, or the text "true"/"false" from form data or a query string.

    A JSON string is not a boolean, whatever it says.
    """

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, FormText) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.make_error("invalid")


class UTCDateTime(fields.DateTime):
    """An ISO 8601 timestamp in UTC with its offset, e.g. 2026-11-25T11:44:00.123456+00:00.

    It dumps the instant as a datetime in UTC, which the app's JSON provider (orjson) writes in
    that form itself, in C."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else as_utc(value)
