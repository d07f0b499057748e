"""Items in bucketlists, revoked tokens for logout, and indexes for every way a list is read.

Revision ID: 82ccdea43111
Revises: 1fbb2f40a829
Create Date: 2026-11-25 12:11:09.721181

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '82ccdea43111'
down_revision = '1fbb2f40a829'
branch_labels = None
depends_on = None


def upgrade():
    """Create items and revoked_tokens; replace the created_by index by one per list order."""
    op.create_table('revoked_tokens',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_revoked_tokens'))
    )
    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_tokens_expires_at'), ['expires_at'], unique=False)

    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('date_created', sa.DateTime(timezone=True), nullable=False),
    sa.Column('date_modified', sa.DateTime(timezone=True), nullable=False),
    sa.Column('date_done', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bucketlist_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bucketlist_id'], ['bucketlists.id'], name=op.f('fk_items_bucketlist_id_bucketlists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_bucketlist_id_done', ['bucketlist_id', 'done', 'id'], unique=False)
        batch_op.create_index('ix_items_bucketlist_id_id', ['bucketlist_id', 'id'], unique=False)
        batch_op.create_index('ix_items_bucketlist_id_name', ['bucketlist_id', 'name', 'id'], unique=False)

    with op.batch_alter_table('bucketlists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bucketlists_created_by'))
        batch_op.create_index('ix_bucketlists_created_by_date_created', ['created_by', 'date_created', 'id'], unique=False)
        batch_op.create_index('ix_bucketlists_created_by_date_modified', ['created_by', 'date_modified', 'id'], unique=False)
        batch_op.create_index('ix_bucketlists_created_by_id', ['created_by', 'id'], unique=False)
        batch_op.create_index('ix_bucketlists_created_by_name', ['created_by', 'name', 'id'], unique=False)



def downgrade():
    """Back to the first schema."""
    with op.batch_alter_table('bucketlists', schema=None) as batch_op:
        batch_op.drop_index('ix_bucketlists_created_by_name')
        batch_op.drop_index('ix_bucketlists_created_by_id')
        batch_op.drop_index('ix_bucketlists_created_by_date_modified')
        batch_op.drop_index('ix_bucketlists_created_by_date_created')
        batch_op.create_index(batch_op.f('ix_bucketlists_created_by'), ['created_by'], unique=False)

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_bucketlist_id_name')
        batch_op.drop_index('ix_items_bucketlist_id_id')
        batch_op.drop_index('ix_items_bucketlist_id_done')

    op.drop_table('items')
    with op.batch_alter_table('revoked_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_tokens_expires_at'))

    op.drop_table('revoked_tokens')
