"""archive search on PostgreSQL: the newest-first order indexed, and each tsvector kept in its row

The page lists an organisation's matches newest decision first (decided_at DESC NULLS LAST, then
assessment_id DESC). PostgreSQL cannot read (organisation_id, decided_at) in that order (backwards it
gives NULLS FIRST), so it read and sorted every row of the organisation before the first page (about
50 ms at 50,000). With this index it walks the organisation's rows newest first and stops after the
page. SQLite reads the existing index backwards in this order already (its NULLs sort first), and
cannot declare NULLS LAST in an index.

A text row (title, body, tsvector: about 3 KB compressed) was over PostgreSQL's 2 KB threshold, so
its tsvector was moved out of line: testing a row against the words (a phrase's positions, ts_rank,
a row the planner tests rather than take from the GIN index) fetched it from the TOAST table first,
2.5 times the cost of decompressing it in the row. With toast_tuple_target at its maximum the
values stay in the row, compressed; the document column is rebuilt (as in 0011) to rewrite the rows.
SQLite is unchanged.

Revision ID: 0013
Revises: 0012
"""
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

DOCUMENT = ("setweight(to_tsvector('english'::regconfig, translate(coalesce(title, ''), '-', ' ')), 'A') "
            "|| setweight(to_tsvector('english'::regconfig, translate(coalesce(body, ''), '-', ' ')), 'B')")


def _rewrite_text_rows() -> None:
    op.execute("DROP INDEX ix_assessment_search_document")
    op.execute("ALTER TABLE assessment_search_text DROP COLUMN document")
    op.execute(f"ALTER TABLE assessment_search_text ADD COLUMN document tsvector GENERATED ALWAYS AS ({DOCUMENT}) STORED")
    op.execute("CREATE INDEX ix_assessment_search_document ON assessment_search_text USING gin (document)")


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("CREATE INDEX ix_assessment_search_organisation_newest ON assessment_search "
               "(organisation_id, decided_at DESC NULLS LAST, assessment_id DESC)")
    op.execute("ALTER TABLE assessment_search_text SET (toast_tuple_target = 8160)")
    _rewrite_text_rows()


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("ALTER TABLE assessment_search_text RESET (toast_tuple_target)")
    _rewrite_text_rows()
    op.execute("DROP INDEX ix_assessment_search_organisation_newest")
