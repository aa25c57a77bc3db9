"""organisations choose the questionnaire and workflow for each kind of proposal

workflows/subject-types.json maps each subject type to a questionnaire and a workflow; an
organisation may depart from it (the administration page). Empty: every organisation follows the file.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('organisation', sa.Column('subject_type_routes', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                                            nullable=False, server_default='{}'))


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of the table would trip
    # the foreign keys that point at it.
    op.execute("ALTER TABLE organisation DROP COLUMN subject_type_routes")
