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
    with op.batch_alter_table('organisation') as batch:
        batch.add_column(sa.Column('subject_type_routes', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                                   nullable=False, server_default='{}'))


def downgrade():
    with op.batch_alter_table('organisation') as batch:
        batch.drop_column('subject_type_routes')
