"""Web search: a per-chat switch, a daily search quota override, and web_usage rows (questions, searches,
page reads)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('web_search', sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table('quota_overrides', schema=None) as batch_op:
        batch_op.add_column(sa.Column('daily_searches', sa.Integer(), nullable=True))
    op.create_table('web_usage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('bot', sa.String(length=64), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('agent', sa.String(length=64), nullable=False),
    sa.Column('backend', sa.String(length=255), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('latency_ms', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('web_usage', schema=None) as batch_op:
        batch_op.create_index('ix_web_usage_chat_day', ['chat_id', 'day'], unique=False)
        batch_op.create_index('ix_web_usage_day', ['day'], unique=False)
        batch_op.create_index('ix_web_usage_user_day', ['user_id', 'day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_usage', schema=None) as batch_op:
        batch_op.drop_index('ix_web_usage_user_day')
        batch_op.drop_index('ix_web_usage_day')
        batch_op.drop_index('ix_web_usage_chat_day')
    op.drop_table('web_usage')
    with op.batch_alter_table('quota_overrides', schema=None) as batch_op:
        batch_op.drop_column('daily_searches')
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.drop_column('web_search')
