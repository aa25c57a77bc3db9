"""append-only audit log and archive: triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL)

The statements live in eia.services.append_only, beside the owner-only helpers that suspend them,
so there is one definition of what the database refuses.

Revision ID: 0018
Revises: 0017
"""
from alembic import op

from eia.services.append_only import install_statements, remove_statements

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    for statement in install_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in remove_statements(op.get_bind().dialect.name):
        op.execute(statement)
