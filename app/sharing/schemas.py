"""Request and response bodies of sharing: members, invitations, the public link."""

from marshmallow import EXCLUDE, Schema, fields, validate

from app.auth.schemas import token_text
from app.bucketlists.schemas import ItemSchema
from app.fields import Email, UTCDateTime
from app.sharing.models import MEMBER_ROLES, ROLES

ROLE_ERROR = "Must be editor or viewer."


def member_role() -> fields.String:
    return fields.String(required=True, validate=validate.OneOf(MEMBER_ROLES, error=ROLE_ERROR),
                         metadata={"description": "editor or viewer"})


class MemberSchema(Schema):
    """Someone who may reach a bucketlist: its owner, or a member."""

    user_id = fields.Integer(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    date_added = UTCDateTime(required=True, metadata={
        "description": "when they joined (the owner: when the bucketlist was created)"})


class RoleSchema(Schema):
    """`{role}`: a member's new role."""

    class Meta:
        unknown = EXCLUDE

    role = member_role()


class InvitationInputSchema(Schema):
    """`{email, role}`: whom to invite, as what."""

    class Meta:
        unknown = EXCLUDE

    email = Email(required=True)
    role = member_role()


class InvitationSchema(Schema):
    """A pending invitation, as its bucketlist's owner sees it."""

    id = fields.Integer(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True)
    date_created = UTCDateTime(required=True)
    expires_at = UTCDateTime(required=True)


class AcceptSchema(Schema):
    """`{token}`: the token of an invitation mail."""

    class Meta:
        unknown = EXCLUDE

    token = token_text()


class AcceptedSchema(Schema):
    """What accepting an invitation made the caller."""

    message = fields.String(required=True)
    bucketlist_id = fields.Integer(required=True)
    role = fields.String(required=True)


class PublicLinkSchema(Schema):
    """The bucketlist's read-only link (shown once: only its hash is kept)."""

    url = fields.String(required=True)


class SharedBucketlistSchema(Schema):
    """A bucketlist read through its public link: no e-mail and no user id of anyone."""

    name = fields.String(required=True)
    date_created = UTCDateTime(required=True)
    date_modified = UTCDateTime(required=True)
    items_count = fields.Integer(required=True)
    done_count = fields.Integer(required=True)
    items = fields.List(fields.Nested(ItemSchema), required=True)
