"""definition versions: the exact definitions each assessment started with

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 11:50:00

Assessments started before this revision keep definitions_sha256 NULL and use the definitions
the application loads (the files are not in the database to pin retrospectively).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('definition_version',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('documents', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_definition_version'))
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('definitions_sha256', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_assessment_definitions_sha256_definition_version'),
                                    'definition_version', ['definitions_sha256'], ['sha256'])


def downgrade():
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assessment_definitions_sha256_definition_version'), type_='foreignkey')
        batch_op.drop_column('definitions_sha256')
    op.drop_table('definition_version')
