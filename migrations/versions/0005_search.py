"""archive search: a denormalised row per assessment version, its text, and the text's full-text index

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-25 11:50:00

SQLite gets an FTS5 external-content table (porter stemming, Unicode tokens) kept in step by
triggers; PostgreSQL a stored generated tsvector (title weighted above the answers) with a GIN index.
Existing assessments are indexed by `eia search rebuild`.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None

SQLITE_FTS = [
    """CREATE VIRTUAL TABLE assessment_search_fts USING fts5(
        title, body, content='assessment_search_text', content_rowid='assessment_id', tokenize='porter unicode61')""",
    """CREATE TRIGGER assessment_search_fts_insert AFTER INSERT ON assessment_search_text BEGIN
        INSERT INTO assessment_search_fts(rowid, title, body) VALUES (new.assessment_id, new.title, new.body);
    END""",
    """CREATE TRIGGER assessment_search_fts_delete AFTER DELETE ON assessment_search_text BEGIN
        INSERT INTO assessment_search_fts(assessment_search_fts, rowid, title, body)
        VALUES ('delete', old.assessment_id, old.title, old.body);
    END""",
    """CREATE TRIGGER assessment_search_fts_update AFTER UPDATE OF title, body ON assessment_search_text BEGIN
        INSERT INTO assessment_search_fts(assessment_search_fts, rowid, title, body)
        VALUES ('delete', old.assessment_id, old.title, old.body);
        INSERT INTO assessment_search_fts(rowid, title, body) VALUES (new.assessment_id, new.title, new.body);
    END""",
]

POSTGRESQL_FTS = [
    """ALTER TABLE assessment_search_text ADD COLUMN document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B')) STORED""",
    "CREATE INDEX ix_assessment_search_document ON assessment_search_text USING gin (document)",
]


def upgrade():
    op.create_table('assessment_search',
    sa.Column('assessment_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=30), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('went_to_board', sa.Boolean(), nullable=False),
    sa.Column('review_date', sa.Date(), nullable=True),
    sa.Column('adverse_characteristics', sa.String(length=1000), nullable=False),
    sa.Column('fired_rules', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_assessment_search_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_assessment_search_department_id_department')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_assessment_search_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('assessment_id', name=op.f('pk_assessment_search'))
    )
    with op.batch_alter_table('assessment_search', schema=None) as batch_op:
        batch_op.create_index('ix_assessment_search_organisation_decided', ['organisation_id', 'decided_at'], unique=False)
        batch_op.create_index('ix_assessment_search_organisation_title', ['organisation_id', 'title'], unique=False)

    op.create_table('assessment_search_text',
    sa.Column('assessment_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_assessment_search_text_assessment_id_assessment')),
    sa.PrimaryKeyConstraint('assessment_id', name=op.f('pk_assessment_search_text'))
    )

    statements = POSTGRESQL_FTS if op.get_bind().dialect.name == 'postgresql' else SQLITE_FTS
    for statement in statements:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        for trigger in ('insert', 'delete', 'update'):
            op.execute(f'DROP TRIGGER IF EXISTS assessment_search_fts_{trigger}')
        op.execute('DROP TABLE IF EXISTS assessment_search_fts')
    op.drop_table('assessment_search_text')
    with op.batch_alter_table('assessment_search', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_search_organisation_title')
        batch_op.drop_index('ix_assessment_search_organisation_decided')

    op.drop_table('assessment_search')
