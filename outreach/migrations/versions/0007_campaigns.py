"""awareness campaigns, their images, events and per-locale text

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 04:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('content_slug', sa.String(length=120), nullable=True),
    sa.Column('source_locale', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('is_featured', sa.Boolean(), nullable=False),
    sa.Column('image_file', sa.String(length=80), nullable=True),
    sa.Column('image_alt', sa.String(length=300), nullable=True),
    sa.Column('image_width', sa.Integer(), nullable=True),
    sa.Column('image_height', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_campaign_created_by_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign')),
    sa.UniqueConstraint('content_slug', name=op.f('uq_campaign_content_slug')),
    sa.UniqueConstraint('slug', name=op.f('uq_campaign_slug'))
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_ends_at'), ['ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_starts_at'), ['starts_at'], unique=False)

    op.create_table('campaign_category',
    sa.Column('campaign_id', sa.String(length=36), nullable=False),
    sa.Column('taxonomy_term_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_category_campaign_id_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['taxonomy_term_id'], ['taxonomy_term.id'], name=op.f('fk_campaign_category_taxonomy_term_id_taxonomy_term'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'taxonomy_term_id', name=op.f('pk_campaign_category'))
    )
    with op.batch_alter_table('campaign_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_category_taxonomy_term_id'), ['taxonomy_term_id'], unique=False)

    op.create_table('campaign_event',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('campaign_id', sa.String(length=36), nullable=False),
    sa.Column('source_locale', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('is_online', sa.Boolean(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=False),
    sa.Column('online_url', sa.String(length=500), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_event_campaign_id_campaign'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_event'))
    )
    with op.batch_alter_table('campaign_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_event_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_event_starts_on'), ['starts_on'], unique=False)


def downgrade():
    with op.batch_alter_table('campaign_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_event_starts_on'))
        batch_op.drop_index(batch_op.f('ix_campaign_event_campaign_id'))

    op.drop_table('campaign_event')
    with op.batch_alter_table('campaign_category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_category_taxonomy_term_id'))

    op.drop_table('campaign_category')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_starts_at'))
        batch_op.drop_index(batch_op.f('ix_campaign_ends_at'))

    op.drop_table('campaign')
