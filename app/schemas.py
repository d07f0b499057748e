"""Response bodies shared by more than one blueprint, and the one shape of every error."""

from marshmallow import Schema, fields


class ErrorSchema(Schema):
    """Every error: a message, and per-field messages when the input was invalid."""

    message = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())


class MessageSchema(Schema):
    """A confirmation: `{"message": ...}`."""

    message = fields.String(required=True)


class StatusSchema(Schema):
    """A probe's answer: `{"status": ...}`."""

    status = fields.String(required=True)


class ReadySchema(StatusSchema):
    """/ready's answer: `{"status": "ready", "rate_limits": ...}`."""

    rate_limits = fields.String(
        required=True,
        metadata={"description": "off (no rate limits), memory (per process, as configured), "
                                 "shared (in Redis), or degraded (Redis does not answer: per "
                                 "process meanwhile)"},
    )
    jobs = fields.String(
        metadata={"description": "reachable, when a job queue (JOB_QUEUE_URL) is configured"},
    )
