"""usage, quota overrides, chat settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 00:54:25.595422
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quota_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('daily_tokens', sa.Integer(), nullable=True),
    sa.Column('daily_requests', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'subject_id', name='uq_quota_subject')
    )
    op.create_table('usage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('bot', sa.String(length=64), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('agent', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=False),
    sa.Column('tokens_in', sa.Integer(), nullable=False),
    sa.Column('tokens_out', sa.Integer(), nullable=False),
    sa.Column('cost', sa.Float(), nullable=False),
    sa.Column('latency_ms', sa.Float(), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.create_index('ix_usage_chat_day', ['chat_id', 'day'], unique=False)
        batch_op.create_index('ix_usage_provider_at', ['provider', 'created_at'], unique=False)
        batch_op.create_index('ix_usage_provider_day', ['provider', 'day'], unique=False)
        batch_op.create_index('ix_usage_user_day', ['user_id', 'day'], unique=False)

    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handoff', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('local_only', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.drop_column('local_only')
        batch_op.drop_column('handoff')

    with op.batch_alter_table('usage', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_user_day')
        batch_op.drop_index('ix_usage_provider_day')
        batch_op.drop_index('ix_usage_provider_at')
        batch_op.drop_index('ix_usage_chat_day')

    op.drop_table('usage')
    op.drop_table('quota_overrides')
