"""organisation seals: every certificate an organisation sealed with, and when it was in use

Before this revision one instance-wide certificate (generated into instance/signing/, or the
configured PKCS#12 file) sealed every organisation's records, and verification trusted only it.
That certificate is recorded here, as a closed period, for each organisation whose records it
sealed, so they keep verifying; each organisation's next sign-off starts its own seal.

Revision ID: 0017
Revises: 0016
"""
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import current_app

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('seal_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('certificate_sha256', sa.String(length=64), nullable=False),
    sa.Column('certificate_pem', sa.Text(), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('in_use_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('in_use_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('key_source', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_seal_certificate_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seal_certificate'))
    )
    with op.batch_alter_table('seal_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seal_certificate_certificate_sha256'), ['certificate_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_seal_certificate_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('uq_seal_certificate_in_use', ['organisation_id'], unique=True,
                              sqlite_where=sa.text('in_use_until IS NULL'),
                              postgresql_where=sa.text('in_use_until IS NULL'))
    _record_the_former_instance_certificate()


def _former_certificate():
    """(certificate, where its key is) that sealed records before this revision, or None."""
    config = current_app.config
    if config.get("SIGNING_PKCS12") and "{organisation}" not in config["SIGNING_PKCS12"]:
        passphrase = config.get("SIGNING_PKCS12_PASSPHRASE")
        try:
            _, certificate, _ = pkcs12.load_key_and_certificates(
                Path(config["SIGNING_PKCS12"]).read_bytes(), passphrase.encode() if passphrase else None)
        except (OSError, ValueError, TypeError):
            return None
        return certificate, f"PKCS#12 file {config['SIGNING_PKCS12']}"
    path = Path(config["INSTANCE_DIR"]) / "signing" / "organisation-certificate.pem"
    if not path.exists():
        return None
    return x509.load_pem_x509_certificate(path.read_bytes()), "key file signing/organisation-key.pem in the instance folder"


def _record_the_former_instance_certificate():
    former = _former_certificate()
    if former is None:
        return
    certificate, key_source = former
    sha256 = certificate.fingerprint(hashes.SHA256()).hex()
    connection = op.get_bind()
    organisations = connection.execute(sa.text(
        "SELECT DISTINCT organisation_id FROM archived_record WHERE signer_certificate_sha256 = :sha256"),
        {"sha256": sha256}).scalars().all()
    table = sa.table('seal_certificate', *[sa.column(name) for name in (
        'organisation_id', 'certificate_sha256', 'certificate_pem', 'subject', 'not_before', 'not_after',
        'in_use_from', 'in_use_until', 'key_source')])
    now = datetime.now(timezone.utc)
    for organisation_id in organisations:
        connection.execute(table.insert().values(
            organisation_id=organisation_id, certificate_sha256=sha256,
            certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode('ascii'),
            subject=certificate.subject.rfc4514_string(), not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc, in_use_from=certificate.not_valid_before_utc,
            in_use_until=now, key_source=key_source))


def downgrade():
    with op.batch_alter_table('seal_certificate', schema=None) as batch_op:
        batch_op.drop_index('uq_seal_certificate_in_use', sqlite_where=sa.text('in_use_until IS NULL'),
                            postgresql_where=sa.text('in_use_until IS NULL'))
        batch_op.drop_index(batch_op.f('ix_seal_certificate_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_seal_certificate_certificate_sha256'))

    op.drop_table('seal_certificate')
