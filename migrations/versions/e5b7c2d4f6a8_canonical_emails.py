"""Stored e-mails in the canonical form the app now compares (see app/email_addresses.py).

Registration and login used to lower-case an e-mail and nothing more; they now compare its
canonical form (Unicode NFKC, email-validator's normalization with the domain in its Unicode IDNA
form, lower case). A user registered as `bob@xn--bcher-kva.example` could not log in as that
once login looks for `bob@bücher.example`, so stored e-mails are rewritten to their canonical form.
An e-mail is left as it is when it is not a valid address by today's rules (login finds it by its
lower-cased text) or when its canonical form already belongs to another user (a look-alike of that
account: it keeps its row, but no spelling of the address reaches it any more).

Revision ID: e5b7c2d4f6a8
Revises: c3a9d1e2f4b5
Create Date: 2026-11-25 18:30:00

"""
import logging
import unicodedata

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email

revision = "e5b7c2d4f6a8"
down_revision = "c3a9d1e2f4b5"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.String))


def canonical(email: str) -> str:
    composed = unicodedata.normalize("NFKC", email)
    return validate_email(composed, check_deliverability=False).normalized.lower()


def upgrade():
    bind = op.get_bind()
    changes = []
    for user_id, email in bind.execute(sa.select(users.c.id, users.c.email)):
        try:
            new_email = canonical(email)
        except EmailNotValidError:
            continue
        if new_email != email:
            changes.append((user_id, email, new_email))
    for user_id, email, new_email in changes:
        taken = bind.execute(sa.select(users.c.id).where(users.c.email == new_email)).first()
        if taken is not None:
            log.warning("users.id %s: %r stays, its canonical form %r is user %s's",
                        user_id, email, new_email, taken.id)
            continue
        bind.execute(users.update().where(users.c.id == user_id).values(email=new_email))


def downgrade():
    # The old spellings are not kept, and the canonical ones work with the older code as well.
    pass
