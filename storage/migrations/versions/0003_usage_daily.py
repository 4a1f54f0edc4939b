"""usage_daily: per-day sums per user, chat and provider, so quota checks cost one row read

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# (kind, subject expression, rows that count) — the same rules storage.usage applies to new rows.
_BACKFILL = (("user", "user_id", "user_id != 0"), ("chat", "chat_id", "chat_id != 0"), ("provider", "provider", "1 = 1"))


def upgrade() -> None:
    op.create_table('usage_daily',
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('tokens', sa.BigInteger(), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'subject', 'day')
    )
    for kind, column, where in _BACKFILL:  # rows written before this revision keep counting toward today
        op.execute(
            "INSERT INTO usage_daily (kind, subject, day, tokens, requests, calls) "
            f"SELECT '{kind}', CAST({column} AS VARCHAR(64)), day, SUM(tokens_in + tokens_out), "
            "SUM(CASE WHEN outcome IN ('ok', 'cut') THEN 1 ELSE 0 END), COUNT(*) "
            f"FROM usage WHERE {where} GROUP BY {column}, day"
        )


def downgrade() -> None:
    op.drop_table('usage_daily')
