"""several roles per person: user.role becomes rows of user_role

Each person's one role becomes their one row; a person may then hold several (an approver who also
sits on the Board). Downgrading keeps one role per person (the first, alphabetically) and loses the rest.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_role',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_role_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_role'))
    )
    op.execute('INSERT INTO user_role (user_id, role) SELECT id, role FROM "user"')
    # A plain ALTER TABLE on both databases (SQLite 3.35+): rebuilding "user" in batch mode would meet
    # the foreign keys that point at it.
    op.drop_column('user', 'role')


def downgrade():
    # SQLite adds a NOT NULL column only with a default, and cannot drop the default afterwards.
    op.add_column('user', sa.Column('role', sa.String(length=20), nullable=False, server_default=''))
    op.execute('UPDATE "user" SET role = (SELECT min(role) FROM user_role WHERE user_role.user_id = "user".id)')
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('user', 'role', server_default=None)
    op.drop_table('user_role')
