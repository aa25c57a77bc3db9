"""publication: answers marked not for publication (redaction marks), and the public copies of signed-off
records, each derived from the sealed snapshot, sealed, and linked to the original by its SHA-256

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('redaction_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=100), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_redaction_mark_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['marked_by_id'], ['user.id'], name=op.f('fk_redaction_mark_marked_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redaction_mark')),
    sa.UniqueConstraint('assessment_id', 'target', name=op.f('uq_redaction_mark_assessment_id_target'))
    )
    with op.batch_alter_table('redaction_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redaction_mark_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('archived_record_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=30), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('organisation_name', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=False),
    sa.Column('subject_type', sa.String(length=200), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=False),
    sa.Column('public_snapshot', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('redactions', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('storage_backend', sa.String(length=20), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('original_sha256', sa.String(length=64), nullable=False),
    sa.Column('signer_certificate_sha256', sa.String(length=64), nullable=False),
    sa.Column('audit_seq', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawal_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['archived_record_id'], ['archived_record.id'], name=op.f('fk_publication_archived_record_id_archived_record')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_publication_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_publication_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_publication_published_by_id_user')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['user.id'], name=op.f('fk_publication_withdrawn_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication')),
    sa.UniqueConstraint('archived_record_id', name=op.f('uq_publication_archived_record_id'))
    )
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_sha256'), ['sha256'], unique=False)



def downgrade():
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_sha256'))
        batch_op.drop_index(batch_op.f('ix_publication_published_at'))
        batch_op.drop_index(batch_op.f('ix_publication_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_publication_assessment_id'))

    op.drop_table('publication')
    with op.batch_alter_table('redaction_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redaction_mark_assessment_id'))

    op.drop_table('redaction_mark')
