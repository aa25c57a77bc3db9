"""policy register: the organisation's policies, SOPs and change programmes, each linked to its
equality impact assessments, for the coverage register

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('policy_register_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('document_version', sa.String(length=40), nullable=False),
    sa.Column('review_date', sa.Date(), nullable=True),
    sa.Column('document_url', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_policy_register_entry_department_id_department')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_policy_register_entry_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_register_entry')),
    sa.UniqueConstraint('organisation_id', 'title', name=op.f('uq_policy_register_entry_organisation_id_title'))
    )
    op.create_index(op.f('ix_policy_register_entry_department_id'), 'policy_register_entry', ['department_id'], unique=False)
    op.create_index(op.f('ix_policy_register_entry_organisation_id'), 'policy_register_entry', ['organisation_id'], unique=False)
    op.create_table('policy_register_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('document_version', sa.String(length=40), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_policy_register_link_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['entry_id'], ['policy_register_entry.id'], name=op.f('fk_policy_register_link_entry_id_policy_register_entry')),
    sa.ForeignKeyConstraint(['linked_by_id'], ['user.id'], name=op.f('fk_policy_register_link_linked_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_register_link')),
    sa.UniqueConstraint('assessment_id', name=op.f('uq_policy_register_link_assessment_id'))
    )
    op.create_index(op.f('ix_policy_register_link_entry_id'), 'policy_register_link', ['entry_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_policy_register_link_entry_id'), table_name='policy_register_link')
    op.drop_table('policy_register_link')
    op.drop_index(op.f('ix_policy_register_entry_organisation_id'), table_name='policy_register_entry')
    op.drop_index(op.f('ix_policy_register_entry_department_id'), table_name='policy_register_entry')
    op.drop_table('policy_register_entry')
