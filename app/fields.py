"""Marshmallow fields shared by the request and response schemas."""

from marshmallow import ValidationError, fields

from app.timestamps import as_utc


class Text(fields.String):
    """A string that PostgreSQL can store: no NUL characters, no lone surrogates.

    With `strip=True` surrounding white space is removed before the validators run.
    """

    def __init__(self, *args, strip: bool = False, **kwargs) -> None:
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
        return text.strip() if self.strip else text


class Email(Text):
    """An e-mail address, trimmed and lower-cased so that comparisons ignore case."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, strip=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).lower()


class UTCDateTime(fields.DateTime):
    """An ISO 8601 timestamp in UTC with its offset, e.g. 2026-11-25T11:44:00.123456+00:00."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return as_utc(value).isoformat()
