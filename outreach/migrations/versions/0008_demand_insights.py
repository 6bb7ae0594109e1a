"""anonymous weekly help-request demand counts for the insights page

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 04:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('help_demand_count',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('category_code', sa.String(length=100), nullable=False),
    sa.Column('town', sa.String(length=120), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_demand_count')),
    sa.UniqueConstraint('week', 'category_code', 'town', name=op.f('uq_help_demand_count_week'))
    )


def downgrade():
    op.drop_table('help_demand_count')
