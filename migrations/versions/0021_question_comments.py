"""question comments: an equality adviser (or anyone who may comment) comments on one question of an
assessment; replies thread under the first comment, which can be resolved

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('question_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('page_id', sa.String(length=100), nullable=False),
    sa.Column('question_id', sa.String(length=100), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_question_comment_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_question_comment_author_id_user')),
    sa.ForeignKeyConstraint(['parent_id'], ['question_comment.id'], name=op.f('fk_question_comment_parent_id_question_comment')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_question_comment_resolved_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_comment'))
    )
    op.create_index(op.f('ix_question_comment_assessment_id'), 'question_comment', ['assessment_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_question_comment_assessment_id'), table_name='question_comment')
    op.drop_table('question_comment')
