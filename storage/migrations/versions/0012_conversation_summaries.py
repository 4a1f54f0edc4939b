"""Rolling summaries of long conversations: what fell out of the history window, per conversation

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-12 12:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'conversation_summaries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bot', sa.String(length=64), nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('thread_id', sa.BigInteger(), nullable=False),
        sa.Column('conversation', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('covered', sa.BigInteger(), nullable=False),
        sa.Column('turns', sa.Integer(), nullable=False),
        sa.Column('authors', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('bot', 'chat_id', 'thread_id', 'conversation', name='uq_summaries_scope'),
    )


def downgrade() -> None:
    op.drop_table('conversation_summaries')
