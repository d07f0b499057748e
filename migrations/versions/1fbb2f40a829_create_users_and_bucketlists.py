"""Create users and bucketlists, with the index on bucketlists.created_by.

Revision ID: 1fbb2f40a829
Revises: 
Create Date: 2026-11-25 11:49:19.312721

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1fbb2f40a829'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    """Create every table and index of the first schema."""
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=256), nullable=False),
    sa.Column('password', sa.String(length=256), nullable=False),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_users_email_lower_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('bucketlists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('date_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('date_modified', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_bucketlists_created_by_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bucketlists'))
    )
    with op.batch_alter_table('bucketlists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bucketlists_created_by'), ['created_by'], unique=False)



def downgrade():
    """Drop them again."""
    with op.batch_alter_table('bucketlists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bucketlists_created_by'))

    op.drop_table('bucketlists')
    op.drop_table('users')
