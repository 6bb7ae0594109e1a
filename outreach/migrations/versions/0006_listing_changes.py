"""listing changes, review queue, problem reports, verification

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 04:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('listing_change',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('target_type', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.String(length=36), nullable=True),
    sa.Column('base', sa.JSON(), nullable=False),
    sa.Column('proposed', sa.JSON(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_user.id'], name=op.f('fk_listing_change_decided_by_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_listing_change_organization_id_organization'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['staff_user.id'], name=op.f('fk_listing_change_submitted_by_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_change'))
    )
    with op.batch_alter_table('listing_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_change_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_change_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_change_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_change_target_id'), ['target_id'], unique=False)

    op.create_table('listing_trusted_organization',
    sa.Column('organization_id', sa.String(length=36), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['marked_by_id'], ['staff_user.id'], name=op.f('fk_listing_trusted_organization_marked_by_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], name=op.f('fk_listing_trusted_organization_organization_id_organization'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organization_id', name=op.f('pk_listing_trusted_organization'))
    )


def downgrade():
    op.drop_table('listing_trusted_organization')
    with op.batch_alter_table('listing_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_change_target_id'))
        batch_op.drop_index(batch_op.f('ix_listing_change_status'))
        batch_op.drop_index(batch_op.f('ix_listing_change_organization_id'))
        batch_op.drop_index(batch_op.f('ix_listing_change_created_at'))

    op.drop_table('listing_change')
