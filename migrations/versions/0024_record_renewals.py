"""record renewals: a newer file for an archived record (the original's bytes, then validation
information and a document timestamp, PAdES B-LTA), added by `eia archive renew`

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

from eia.services.append_only import renewal_install_statements, renewal_remove_statements


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('record_renewal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('archived_record_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('storage_backend', sa.String(length=20), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('timestamped_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('authority', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['archived_record_id'], ['archived_record.id'], name=op.f('fk_record_renewal_archived_record_id_archived_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_renewal'))
    )
    op.create_index(op.f('ix_record_renewal_archived_record_id'), 'record_renewal', ['archived_record_id'], unique=False)
    op.create_index(op.f('ix_record_renewal_sha256'), 'record_renewal', ['sha256'], unique=False)
    # Append-only, like the archive it extends (eia.services.append_only).
    for statement in renewal_install_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in renewal_remove_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index(op.f('ix_record_renewal_sha256'), table_name='record_renewal')
    op.drop_index(op.f('ix_record_renewal_archived_record_id'), table_name='record_renewal')
    op.drop_table('record_renewal')
