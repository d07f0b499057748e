"""The people of a bucketlist: its owner and members. Any of them sees who they are; the owner
changes roles and removes members; a member may leave (app/bucketlists/access.py decides)."""

from flask.views import MethodView

from app.api import Blueprint
from app.auth.guard import current_user
from app.bucketlists.access import MANAGE_MEMBERS, READ, REMOVE_MEMBER, require_removal
from app.database import db
from app.errors import APIError
from app.models import Bucketlist, User
from app.schemas import ErrorSchema, MessageSchema
from app.sharing.models import OWNER, Membership
from app.sharing.schemas import MemberSchema, RoleSchema

blp = Blueprint("members", __name__, description="Who shares a bucketlist, and as what")
MEMBER_NOT_FOUND = "Member not found."


@blp.route("/bucketlists/<id:bucketlist_id>/members/", strict_slashes=False)
@blp.auth_required
@blp.bucketlist_access(get=READ)
class MembersView(MethodView):
    """The owner and members of a bucketlist."""

    operations = {"get": "list_members"}

    @blp.response(200, MemberSchema(many=True))
    def get(self, bucketlist: Bucketlist):
        """The owner first, then each member in the order they joined.

        At most MAX_MEMBERS_PER_BUCKETLIST members, so there is one page.
        """
        owner = db.session.get(User, bucketlist.created_by)
        members = db.session.execute(
            db.select(Membership, User.email).join(User, User.id == Membership.user_id)
            .where(Membership.bucketlist_id == bucketlist.id)
            .order_by(Membership.date_added, Membership.user_id)
        ).all()
        return [{"user_id": owner.id, "email": owner.email, "role": OWNER,
                 "date_added": bucketlist.date_created},
                *({"user_id": member.user_id, "email": email, "role": member.role,
                   "date_added": member.date_added} for member, email in members)]


@blp.route("/bucketlists/<id:bucketlist_id>/members/<id:user_id>")
@blp.auth_required
@blp.bucketlist_access(patch=MANAGE_MEMBERS, delete=REMOVE_MEMBER)
class MemberView(MethodView):
    """One member of a bucketlist."""

    operations = {"patch": "update_member", "delete": "remove_member"}

    @blp.arguments(RoleSchema, location="json_or_form")
    @blp.response(200, MemberSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The user is the owner")
    def patch(self, data: dict, bucketlist: Bucketlist, user_id: int):
        """Change a member's role (the owner only)."""
        if user_id == bucketlist.created_by:
            raise APIError(409, "The owner's role cannot change.")
        member = member_of(bucketlist, user_id)
        member.role = data["role"]
        email = db.session.scalar(db.select(User.email).where(User.id == user_id))
        return {"user_id": user_id, "email": email, "role": member.role,
                "date_added": member.date_added}

    @blp.response(200, MessageSchema, description="Removed, or left")
    @blp.alt_response(409, schema=ErrorSchema, description="The owner cannot leave")
    def delete(self, bucketlist: Bucketlist, user_id: int):
        """Remove a member (the owner), or leave (a member, with their own user id)."""
        require_removal(bucketlist, user_id)
        db.session.delete(member_of(bucketlist, user_id))
        if user_id == current_user().id:
            return {"message": f"You left bucketlist {bucketlist.id}."}
        return {"message": f"User {user_id} was removed from bucketlist {bucketlist.id}."}


def member_of(bucketlist: Bucketlist, user_id: int) -> Membership:
    """The membership of this user in this bucketlist, locked; else 404."""
    member = db.session.get(Membership, (bucketlist.id, user_id), with_for_update=True)
    if member is None:
        raise APIError(404, MEMBER_NOT_FOUND)
    return member
