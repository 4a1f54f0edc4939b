"""Voice: seconds of speech per usage row (heard for stt, spoken for tts) and a per-chat voice-answers switch

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audio_seconds', sa.Float(), server_default='0', nullable=False))
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voice', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.drop_column('voice')
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.drop_column('audio_seconds')
