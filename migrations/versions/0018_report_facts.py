"""the annual report's facts, kept at sign-off: objectives and Board reasons on each search row, and
what each signed-off version found per characteristic

The report used to work out every signed-off assessment's effective answers each time it was asked
for (about a minute at 50,000). eia.services.search.index_assessment now keeps these facts from sign-off
on, and `eia search rebuild` recomputes them. Rows indexed before this revision have NULL objectives:
the report indexes those assessments again the first time it meets them.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('assessment_search', sa.Column('objectives', sa.String(length=1000), nullable=True))
    op.add_column('assessment_search', sa.Column(
        'board_reasons', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True))
    op.create_table('signed_off_characteristic',
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('characteristic_id', sa.String(length=60), nullable=False),
    sa.Column('relevance', sa.String(length=30), nullable=True),
    sa.Column('adverse_impact', sa.Boolean(), nullable=False),
    sa.Column('residual_adverse', sa.Boolean(), nullable=False),
    sa.Column('evidence_gap', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'],
                            name=op.f('fk_signed_off_characteristic_assessment_id_assessment')),
    sa.PrimaryKeyConstraint('assessment_id', 'characteristic_id', name=op.f('pk_signed_off_characteristic'))
    )


def downgrade():
    op.drop_table('signed_off_characteristic')
    # Plain ALTER TABLE ... DROP COLUMN, as in 0014: a batch copy would trip the foreign keys.
    op.execute("ALTER TABLE assessment_search DROP COLUMN board_reasons")
    op.execute("ALTER TABLE assessment_search DROP COLUMN objectives")
