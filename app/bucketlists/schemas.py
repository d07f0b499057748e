"""Request and response bodies, and query parameters, of the bucketlist and item endpoints."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from app.bucketlists.pagination import ListQuerySchema
from app.fields import Flag, Text, UTCDateTime
from app.sharing.models import ROLES

MAX_NAME_LENGTH = 255


def _name(required: bool = True) -> Text:
    return Text(
        required=required,
        strip=True,
        validate=validate.Length(
            min=1, max=MAX_NAME_LENGTH, error=f"Must be 1 to {MAX_NAME_LENGTH} characters long."
        ),
    )


class BucketlistInputSchema(Schema):
    """`{name}` for creating or renaming a bucketlist: up to 255 characters, not blank; trimmed."""

    class Meta:
        unknown = EXCLUDE

    name = _name()


class BucketlistSchema(Schema):
    """A bucketlist as the API shows it."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    date_created = UTCDateTime(required=True)
    date_modified = UTCDateTime(required=True)
    created_by = fields.Integer(required=True, metadata={"description": "the owner's user id"})
    role = fields.String(required=True, metadata={
        "description": "the caller's role in it: owner, editor or viewer"})


class BucketlistSummarySchema(BucketlistSchema):
    """A bucketlist in a list: with how many goals it has and how many are done."""

    items_count = fields.Integer(required=True)
    done_count = fields.Integer(required=True)


class ItemInputSchema(Schema):
    """`{name, done}` for creating or replacing an item; `done` is false unless given."""

    class Meta:
        unknown = EXCLUDE

    name = _name()
    done = Flag(load_default=False)


class ItemPatchSchema(Schema):
    """`{name?, done?}` for changing only what is sent; at least one of them."""

    class Meta:
        unknown = EXCLUDE

    name = _name(required=False)
    done = Flag()

    @validates_schema
    def _something_to_change(self, data, **kwargs):
        if not data:
            raise ValidationError("Send name, done, or both.", "_schema")


class ItemSchema(Schema):
    """A goal in a bucketlist as the API shows it."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    done = fields.Boolean(required=True)
    date_created = UTCDateTime(required=True)
    date_modified = UTCDateTime(required=True)
    date_done = UTCDateTime(required=True, allow_none=True,
                            metadata={"description": "when it was marked done; null if not done"})


class BucketlistDetailSchema(BucketlistSummarySchema):
    """One bucketlist with its goals (at most MAX_ITEMS_PER_BUCKETLIST, by id), and how many it
    has and has done."""

    items = fields.Nested(
        ItemSchema,
        many=True,
        required=True,
        metadata={"description": "its goals by id, at most MAX_ITEMS_PER_BUCKETLIST of them"},
    )


class BucketlistListQuerySchema(ListQuerySchema):
    """The query parameters of the bucketlist list: those of every list, and `role`."""

    role = fields.String(validate=validate.OneOf(ROLES), metadata={
        "description": "only the bucketlists in which the caller has this role"})


class ItemListQuerySchema(ListQuerySchema):
    """The query parameters of an item list: those of every list, and `done`."""

    done = Flag(metadata={"description": "only the items that are (true) or are not (false) done"})
