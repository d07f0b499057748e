"""Response bodies shared by more than one blueprint."""

from marshmallow import Schema, fields


class MessageSchema(Schema):
    """A confirmation: `{"message": ...}`."""

    message = fields.String(required=True)


class StatusSchema(Schema):
    """A probe's answer: `{"status": ...}`."""

    status = fields.String(required=True)
