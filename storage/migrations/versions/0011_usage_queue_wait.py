"""Usage rows keep how long a request waited for a slot of its provider (queue_ms; NULL: no slots counted)

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-05 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_ms', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.drop_column('queue_ms')
