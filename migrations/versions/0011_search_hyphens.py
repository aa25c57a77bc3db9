"""archive search on PostgreSQL: hyphens separate words in the indexed text

PostgreSQL's parser reads "EIA-2025-0042" as "eia", "-2025", "-0042" (signed numbers), so the
search words "EIA-2025-0042" (punctuation removed: the phrase "eia 2025 0042") never found the
assessment with that reference. The tsvector is now built from the text with hyphens as spaces, as
SQLite's unicode61 tokenizer already splits it. SQLite is unchanged.

Revision ID: 0011
Revises: 0010
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _document(text: str) -> str:
    return (f"setweight(to_tsvector('english'::regconfig, {text.format('title')}), 'A') "
            f"|| setweight(to_tsvector('english'::regconfig, {text.format('body')}), 'B')")


def _rebuild(text: str) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP INDEX ix_assessment_search_document")
    op.execute("ALTER TABLE assessment_search_text DROP COLUMN document")
    op.execute(f"ALTER TABLE assessment_search_text ADD COLUMN document tsvector GENERATED ALWAYS AS ({_document(text)}) STORED")
    op.execute("CREATE INDEX ix_assessment_search_document ON assessment_search_text USING gin (document)")


def upgrade():
    _rebuild("translate(coalesce({0}, ''), '-', ' ')")


def downgrade():
    _rebuild("coalesce({0}, '')")
