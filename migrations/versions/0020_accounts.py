"""accounts: temporary passwords, a second factor (authenticator app and recovery codes), how each session was signed in,
and why an API token was revoked and by whom

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE on both databases (SQLite 3.35+): rebuilding "user" in batch mode would delete
    # the rows that cascade from it (user_role).
    op.add_column('user', sa.Column('password_temporary_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('user', sa.Column('totp_secret', sa.String(length=64), nullable=True))
    op.add_column('user', sa.Column('totp_enabled_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('user', sa.Column('totp_last_step', sa.Integer(), nullable=True))
    op.add_column('user_session', sa.Column('authenticated_by', sa.String(length=40), nullable=False,
                                            server_default='password'))
    with op.batch_alter_table('api_token') as batch_op:
        batch_op.add_column(sa.Column('revoked_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('revoked_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_api_token_revoked_by_id_user'), 'user', ['revoked_by_id'], ['id'])
    op.create_table('recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_recovery_code_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code'))
    )
    with op.batch_alter_table('recovery_code') as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('recovery_code') as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))
    op.drop_table('recovery_code')
    with op.batch_alter_table('api_token') as batch_op:
        batch_op.drop_constraint(op.f('fk_api_token_revoked_by_id_user'), type_='foreignkey')
        batch_op.drop_column('revoked_by_id')
        batch_op.drop_column('revoked_reason')
    op.drop_column('user_session', 'authenticated_by')
    op.drop_column('user', 'totp_last_step')
    op.drop_column('user', 'totp_enabled_at')
    op.drop_column('user', 'totp_secret')
    op.drop_column('user', 'password_temporary_until')
