"""Response bodies shared by more than one blueprint."""

from marshmallow import Schema, fields


class MessageSchema(Schema):
    """A confirmation: `{"message": ...}`."""

    message = fields.String(required=True)
