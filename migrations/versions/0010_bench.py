"""list pages at scale: assessments by organisation, most recently updated first

The dashboard lists an organisation's assessments newest first (LIMIT 50). Without this index the
database reads and sorts every assessment of the organisation (about 90 ms at 50,000); with it, it
walks the index and stops after 50 matches.

Revision ID: 0010
Revises: 0003
"""
from alembic import op

revision = '0010'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_assessment_organisation_updated", "assessment", ["organisation_id", "updated_at"])


def downgrade():
    op.drop_index("ix_assessment_organisation_updated", table_name="assessment")
