"""Invitations by e-mail: the owner invites an address as editor or viewer; whoever holds that
address's account accepts with the mailed token. The answer to an invitation is the same whether
or not the address has an account."""

import secrets
from datetime import timedelta

from flask import current_app
from flask.views import MethodView
from marshmallow import ValidationError

from app import jobs
from app.api import Blueprint
from app.auth.guard import current_user
from app.bucketlists.access import MANAGE_MEMBERS
from app.database import db, delete_where
from app.errors import APIError
from app.links import public_url_for
from app.models import Bucketlist, User
from app.schemas import ErrorSchema, MessageSchema
from app.sharing.models import Invitation, Membership, token_digest
from app.sharing.schemas import (
    AcceptedSchema,
    AcceptSchema,
    InvitationInputSchema,
    InvitationSchema,
)
from app.timestamps import as_utc, utcnow

blp = Blueprint("invitations", __name__, description="Invitations to share a bucketlist")
INVITED_MESSAGE = "If that address can be invited, an invitation is on its way."
INVALID_INVITATION = "This invitation is not valid: it was used, withdrawn or has expired."
SUBJECT = "You are invited to a bucketlist"
MAIL_TEXT = """{inviter} invites you to their bucketlist "{name}" as {article} {role}.

To accept, log in to the Bucketlist API with this e-mail address (register it first if you
have no account) and open this link within {valid_for}:

{link}

or send POST /invitations/accept with this token while logged in:

token={token}

If you did not expect this, ignore this mail.
"""


def duration(seconds: int) -> str:
    """`7 days`, `36 hours`, `1 hour`: how long, in words, rounded down (at least an hour)."""
    days, hours = seconds // 86400, max(1, seconds // 3600)
    return f"{days} days" if days >= 2 else f"{hours} hour{'s' if hours > 1 else ''}"


def pending(bucketlist_id: int):
    """A select of the bucketlist's invitations that still work."""
    return db.select(Invitation).where(Invitation.bucketlist_id == bucketlist_id,
                                       Invitation.expires_at > utcnow())


def members(bucketlist_id: int) -> int:
    """How many members a bucketlist has (its owner not counted)."""
    return db.session.scalar(db.select(db.func.count()).select_from(Membership)
                             .where(Membership.bucketlist_id == bucketlist_id))


def seats_taken(bucketlist_id: int) -> int:
    """Members and pending invitations of a bucketlist: what MAX_MEMBERS_PER_BUCKETLIST bounds."""
    invited = db.session.scalar(db.select(db.func.count()).select_from(
        pending(bucketlist_id).subquery()))
    return members(bucketlist_id) + invited


@blp.route("/bucketlists/<id:bucketlist_id>/invitations/", strict_slashes=False)
@blp.auth_required
@blp.bucketlist_access(get=MANAGE_MEMBERS, post=MANAGE_MEMBERS)
class InvitationsView(MethodView):
    """The pending invitations of a bucketlist (its owner only)."""

    operations = {"get": "list_invitations", "post": "invite"}

    @blp.response(200, InvitationSchema(many=True))
    def get(self, bucketlist: Bucketlist):
        """The invitations not yet accepted, withdrawn or expired, oldest first."""
        return db.session.scalars(pending(bucketlist.id).order_by(Invitation.id)).all()

    @blp.throttled(per_user="INVITATION_LIMIT_PER_USER")
    @blp.arguments(InvitationInputSchema, location="json_or_form")
    @blp.response(202, MessageSchema,
                  description="The same answer whether or not the address has an account")
    @blp.alt_response(409, schema=ErrorSchema, description=(
        "The address is the owner's or a member's, or the bucketlist has "
        "MAX_MEMBERS_PER_BUCKETLIST members and invitations"))
    def post(self, data: dict, bucketlist: Bucketlist):
        """Invite an e-mail address as editor or viewer; it is mailed a link to accept.

        Inviting a pending address again replaces its invitation (a new token, a new mail).
        """
        email, config = data["email"], current_app.config
        invitee = db.session.scalar(db.select(User.id).where(User.email == email))
        if invitee == bucketlist.created_by:
            raise APIError(409, "You cannot invite yourself: you own this bucketlist.")
        if invitee is not None and db.session.get(Membership, (bucketlist.id, invitee)):
            raise APIError(409, "That address is already a member of this bucketlist.")
        existing = db.session.scalar(db.select(Invitation).where(
            Invitation.bucketlist_id == bucketlist.id, Invitation.email == email))
        if existing is not None:
            db.session.delete(existing)
            db.session.flush()
        limit = config["MAX_MEMBERS_PER_BUCKETLIST"]
        if seats_taken(bucketlist.id) >= limit:
            raise APIError(409, f"A bucketlist may have at most {limit} members and pending "
                                "invitations; remove one before inviting another.")
        token, now = secrets.token_urlsafe(32), utcnow()
        lifetime = config["INVITATION_LIFETIME_SECONDS"]
        db.session.add(Invitation(bucketlist_id=bucketlist.id, email=email, role=data["role"],
                                  token_hash=token_digest(token), invited_by=current_user().id,
                                  date_created=now, expires_at=now + timedelta(seconds=lifetime)))
        link = f"{public_url_for('invitations.AcceptView')}#token={token}"
        article = "an" if data["role"] == "editor" else "a"
        jobs.submit_mail(email, SUBJECT, MAIL_TEXT.format(
            inviter=current_user().email, name=bucketlist.name, article=article,
            role=data["role"], valid_for=duration(lifetime), link=link, token=token))
        return {"message": INVITED_MESSAGE}


@blp.route("/bucketlists/<id:bucketlist_id>/invitations/<id:invitation_id>")
@blp.auth_required
@blp.bucketlist_access(delete=MANAGE_MEMBERS)
class InvitationView(MethodView):
    """One pending invitation (its bucketlist's owner only)."""

    operations = {"delete": "withdraw_invitation"}

    @blp.response(200, MessageSchema, description="Withdrawn: its token no longer works")
    def delete(self, bucketlist: Bucketlist, invitation_id: int):
        """Withdraw an invitation."""
        withdrawn = db.session.execute(
            db.delete(Invitation).where(Invitation.id == invitation_id,
                                        Invitation.bucketlist_id == bucketlist.id)
        ).rowcount
        if not withdrawn:
            raise APIError(404, "Invitation not found.")
        return {"message": f"invitation {invitation_id} withdrawn"}


@blp.route("/invitations/accept")
@blp.auth_required
class AcceptView(MethodView):
    """Accepting an invitation, as the user whose e-mail it was sent to."""

    operations = {"post": "accept_invitation"}

    @blp.arguments(AcceptSchema, location="json_or_form")
    @blp.response(200, AcceptedSchema, description="The caller is a member with the role")
    @blp.alt_response(403, schema=ErrorSchema,
                      description="The invitation is for another e-mail address")
    @blp.alt_response(409, schema=ErrorSchema,
                      description="The bucketlist has MAX_MEMBERS_PER_BUCKETLIST members")
    def post(self, data: dict):
        """Accept an invitation with its mailed token (once, before it expires).

        The caller's e-mail must be the invited one.
        """
        invitation = db.session.scalar(
            db.select(Invitation).where(Invitation.token_hash == token_digest(data["token"]))
            .with_for_update())
        if invitation is None or as_utc(invitation.expires_at) <= utcnow():
            raise ValidationError({"token": [INVALID_INVITATION]})
        me = current_user()
        if invitation.email != me.email:
            raise APIError(403, "This invitation was sent to another e-mail address; log in "
                                "with the account of that address to accept it.")
        bucketlist = db.session.get(Bucketlist, invitation.bucketlist_id, with_for_update=True)
        db.session.delete(invitation)
        if bucketlist.created_by == me.id:
            raise APIError(409, "You own this bucketlist.", keep_changes=True)
        member = db.session.get(Membership, (bucketlist.id, me.id))
        if member is None:
            limit = current_app.config["MAX_MEMBERS_PER_BUCKETLIST"]
            if members(bucketlist.id) >= limit:
                raise APIError(409, f"This bucketlist has {limit} members, its most.")
            member = Membership(bucketlist_id=bucketlist.id, user_id=me.id,
                                role=invitation.role, date_added=utcnow())
            db.session.add(member)
        else:
            member.role = invitation.role
        return {"message": f"You are now a member of \"{bucketlist.name}\" as {member.role}.",
                "bucketlist_id": bucketlist.id, "role": member.role}



def purge_expired_invitations(limit: int | None = None) -> int:
    """Delete the invitations past their lifetime (in the current transaction, at most `limit`
    of them; an accepted or withdrawn one is deleted then); how many were deleted."""
    return delete_where(Invitation, Invitation.expires_at <= utcnow(), limit)
