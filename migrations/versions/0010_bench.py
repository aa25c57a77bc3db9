"""list pages at scale: indexes for the dashboard and the queues

The dashboard lists an organisation's assessments newest first (LIMIT 50): without an index on
(organisation, updated_at) the database reads and sorts every assessment of the organisation (about
90 ms at 50,000). The queues select an organisation's assessments in one or two states: with only
single-column indexes SQLite (no statistics) picks the organisation index and scans all 50,000
(about 200 ms); (organisation, status, updated_at) finds the few dozen directly, in the Board
queue's order.

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_assessment_organisation_updated", "assessment", ["organisation_id", "updated_at"])
    op.create_index("ix_assessment_organisation_status", "assessment", ["organisation_id", "status", "updated_at"])


def downgrade():
    op.drop_index("ix_assessment_organisation_status", table_name="assessment")
    op.drop_index("ix_assessment_organisation_updated", table_name="assessment")
