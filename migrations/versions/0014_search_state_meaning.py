"""archive search rows say which definitions their assessment pinned, and whether it is signed off

The search page shows each row's status in its own workflow's words, and "review overdue" looks for
signed-off assessments: both used to compare state ids with the workflow loaded now, which a
renamed state would break. The index now keeps the pinned definitions' hash and "signed off" as its
assessment's own workflow defines it (eia.services.search.index_assessment keeps them in step).

Until now every pinned workflow was a version of the shipped one, in which "approved" was the one
signed-off state; `eia search rebuild` recomputes both columns from the definitions.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('assessment_search', sa.Column('definitions_sha256', sa.String(length=64), nullable=True))
    op.add_column('assessment_search', sa.Column('signed_off', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE assessment_search SET definitions_sha256 = (SELECT assessment.definitions_sha256 FROM assessment "
               "WHERE assessment.id = assessment_search.assessment_id), signed_off = (status = 'approved')")


def downgrade():
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of the table would trip
    # the foreign keys that point at it.
    op.execute("ALTER TABLE assessment_search DROP COLUMN signed_off")
    op.execute("ALTER TABLE assessment_search DROP COLUMN definitions_sha256")
