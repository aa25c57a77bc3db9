"""append-only audit log and archive: triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL);
audit events indexed by their object

The statements live in eia.services.append_only, beside the owner-only helpers that suspend them,
so there is one definition of what the database refuses.

Revision ID: 0019
Revises: 0018
"""
from alembic import op

from eia.services.append_only import install_statements, remove_statements

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    for statement in install_statements(op.get_bind().dialect.name):
        op.execute(statement)
    # The trail shown on every assessment page is cross-checked against its events: find them directly.
    op.create_index('ix_audit_event_object', 'audit_event', ['object_type', 'object_id'], unique=False)


def downgrade():
    op.execute('DROP INDEX IF EXISTS ix_audit_event_object')  # absent if object_id was redefined since
    for statement in remove_statements(op.get_bind().dialect.name):
        op.execute(statement)
