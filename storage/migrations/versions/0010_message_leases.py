"""Pending messages held by a replica under a lease, taken over by another when the holder dies; webhook claims
know their chat and holder

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-21 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lease_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('tries', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('message_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('owner', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_processed_updates_chat', ['bot', 'chat_id', 'update_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_processed_updates_chat')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('owner')
        batch_op.drop_column('message_id')
        batch_op.drop_column('chat_id')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('tries')
        batch_op.drop_column('lease_at')
        batch_op.drop_column('owner')
