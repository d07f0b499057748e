"""Request and response bodies of the bucketlist endpoints."""

from marshmallow import EXCLUDE, Schema, fields, validate

from app.fields import Text, UTCDateTime

MAX_NAME_LENGTH = 255


class BucketlistInputSchema(Schema):
    """`{name}` for creating or renaming a bucketlist: up to 255 characters, not blank; trimmed."""

    class Meta:
        unknown = EXCLUDE

    name = Text(
        required=True,
        strip=True,
        validate=validate.Length(
            min=1, max=MAX_NAME_LENGTH, error=f"Must be 1 to {MAX_NAME_LENGTH} characters long."
        ),
    )


class BucketlistSchema(Schema):
    """A bucketlist as the API shows it."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    date_created = UTCDateTime(required=True)
    date_modified = UTCDateTime(required=True)
    created_by = fields.Integer(required=True, metadata={"description": "the owner's user id"})
