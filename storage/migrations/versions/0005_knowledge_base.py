"""kb_documents (knowledge-base documents) and chats.kb_files

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kb_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('doc_id', sa.String(length=36), nullable=False),
    sa.Column('scope', sa.String(length=96), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('chunks', sa.Integer(), nullable=False),
    sa.Column('dense', sa.Boolean(), nullable=False),
    sa.Column('added_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('doc_id'),
    sa.UniqueConstraint('scope', 'content_hash', name='uq_kb_scope_hash')
    )
    with op.batch_alter_table('kb_documents', schema=None) as batch_op:
        batch_op.create_index('ix_kb_documents_scope', ['scope', 'id'], unique=False)
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kb_files', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('chats', schema=None) as batch_op:
        batch_op.drop_column('kb_files')
    with op.batch_alter_table('kb_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_kb_documents_scope')
    op.drop_table('kb_documents')
