"""Long-term validation end to end: sign-offs sealed at PAdES B-LT through a local RFC 3161 responder
(reached over HTTP through TIMESTAMP_URL), and `eia archive renew` adding document timestamps (B-LTA)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import func, select

from eia.domain.signing import sha256_hex, verify_pdf
from eia.extensions import db
from eia.models import ArchivedRecord, AuditEvent, RecordRenewal
from eia.services import archive, integrity, seals
from tests import factories
from tests.conftest import PASSWORD, signed_in
from tests.insider import insider_sql

BACKENDS = ["database", "filesystem"]


@pytest.fixture(params=BACKENDS)
def ltv_app(request, make_app, tsa, tmp_path):
    from eia.services.demo import seed

    roots = tmp_path / "tsa-root.pem"
    roots.write_bytes(tsa.root_pem)
    app = make_app(ARCHIVE_BACKEND=request.param, TIMESTAMP_URL=tsa.url, TIMESTAMP_TRUST_ROOTS=[str(roots)])
    with app.app_context():
        seed(PASSWORD)
    return app


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _record(app, assessment_id: int) -> ArchivedRecord:
    return db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id))


def _asn1(certificate_pem: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(certificate_pem).public_bytes(serialization.Encoding.DER)
    )


def test_a_sign_off_is_sealed_at_b_lt_and_validates_without_the_network(ltv_app, tsa):
    assessment_id = factories.signed_off(ltv_app, comment="Content")
    with ltv_app.app_context():
        record = _record(ltv_app, assessment_id)
        content = archive.archived_pdf(record)
        period = seals.in_use(record.organisation_id)
        reader = PdfFileReader(io.BytesIO(content))
        assert "/DSS" in reader.root
        (signature,) = reader.embedded_regular_signatures
        context = ValidationContext(
            trust_roots=[_asn1(period.certificate_pem.encode()), _asn1(tsa.root_pem)], allow_fetching=False
        )
        status = validate_pdf_signature(signature, context)
        assert status.bottom_line and status.timestamp_validity.trusted
        assert integrity.verify_archived_record(record) == []
        verification = verify_pdf(content, seals.trust_for(record.organisation_id))
        assert [t.sentence for t in verification.timestamps] == [
            f"Timestamped on {datetime.now(UTC):%-d %B %Y} by {tsa.name}"
        ]


def test_renew_adds_a_document_timestamp_keeps_the_original_and_is_idempotent(ltv_app, tsa):
    assessment_id = factories.signed_off(ltv_app, comment="Content")
    with ltv_app.app_context():
        total = db.session.scalar(select(func.count(ArchivedRecord.id)))
        original = archive.archived_pdf(_record(ltv_app, assessment_id))

    fresh = _cli(ltv_app, "archive", "renew")
    assert fresh.exit_code == 0, fresh.output
    assert "0 renewed, 0 failed" in fresh.output  # sealed with a timestamp just now: not due

    result = _cli(ltv_app, "archive", "renew", "--older-than-days", "0")
    assert result.exit_code == 0, result.output
    assert f"{total} renewed, 0 failed" in result.output
    with ltv_app.app_context():
        record = _record(ltv_app, assessment_id)
        (renewal,) = archive.renewals(record)
        renewed = archive.current_pdf(record)
        assert renewed.startswith(original) and len(renewed) > len(original)
        assert record.sha256 == sha256_hex(original)  # the record and its archiving event are untouched
        assert renewal.sha256 == sha256_hex(renewed)
        assert integrity.verify_archive().problems == []
        stamps = verify_pdf(renewed, seals.trust_for(record.organisation_id)).timestamps
        assert stamps[-1].document and stamps[-1].sentence.startswith("Timestamped again on ")
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "archive.renewed")).all()
        assert len(events) == total
        assert PdfFileReader(io.BytesIO(renewed)).embedded_timestamp_signatures

    again = _cli(ltv_app, "archive", "renew")
    assert again.exit_code == 0, again.output
    assert "0 renewed, 0 failed" in again.output
    with ltv_app.app_context():
        assert db.session.scalar(select(func.count(RecordRenewal.id))) == total

    # The auditor downloads the renewed file, and the verify page names the timestamps.
    auditor = signed_in(ltv_app, "auditor@example.org")
    response = auditor.client.get(f"/assessments/{assessment_id}/signed-record.pdf")
    assert response.get_data() == renewed
    page = auditor.get(f"/archive/{assessment_id}?check=integrity")
    assert page.text_of(id="record-verdict-1") == "Intact"
    assert "Timestamped again on" in page.text_of(id="record-timestamps-1")
    from tests.web.test_archive import _upload

    uploaded = _upload(auditor, renewed)
    assert uploaded.text_of(id="verdict").startswith("Authentic This is an archived record")
    assert "Timestamped again on" in uploaded.text_of(id="verdict-timestamps")


def test_a_renewal_is_due_when_its_newest_timestamp_is_old_or_its_authority_expires(ltv_app, tsa):
    factories.signed_off(ltv_app, comment="Content")
    assert "0 renewed" in _cli(ltv_app, "archive", "renew", "--older-than-days", "1").output
    result = _cli(ltv_app, "archive", "renew", "--older-than-days", "1", "--expiring-within-days", "99999")
    assert result.exit_code == 0 and "0 renewed" not in result.output, result.output


def test_a_failing_timestamp_server_renews_nothing_and_says_so_per_record(ltv_app, tsa):
    assessment_id = factories.signed_off(ltv_app, comment="Content")
    tsa.failing = True
    result = _cli(ltv_app, "archive", "renew", "--older-than-days", "0")
    assert result.exit_code == 1
    assert "FAILED:" in result.output and "the timestamp server failed" in result.output
    assert "0 renewed" in result.output
    with ltv_app.app_context():
        assert db.session.scalar(select(func.count(RecordRenewal.id))) == 0
        assert db.session.scalar(select(func.count(AuditEvent.seq)).where(AuditEvent.action == "archive.renewed")) == 0
        assert archive.current_pdf(_record(ltv_app, assessment_id)) == archive.archived_pdf(
            _record(ltv_app, assessment_id)
        )


def test_a_tampered_renewed_file_is_flagged(ltv_app, tsa):
    assessment_id = factories.signed_off(ltv_app, comment="Content")
    assert _cli(ltv_app, "archive", "renew", "--older-than-days", "0").exit_code == 0
    with ltv_app.app_context():
        record = _record(ltv_app, assessment_id)
        (renewal,) = archive.renewals(record)
        content = archive.current_pdf(record)
        forged = (
            content.replace(b"/Type /DocTimeStamp", b"/Type /DocTimeStamx", 1)
            if b"/Type /DocTimeStamp" in content
            else content + b"\n% appended\n"
        )
        if renewal.storage_backend == "database":
            insider_sql(f"UPDATE record_renewal SET content = :c WHERE id = {renewal.id}", {"c": forged})
        else:
            path = archive.storage().path_for(renewal.storage_key)
            path.chmod(0o644)
            path.write_bytes(forged)
        problems = integrity.verify_archived_record(_record(ltv_app, assessment_id))
        assert any("renewal 1" in p and "altered" in p for p in problems), problems


def test_renewed_files_travel_in_a_backup_and_verify_after_a_restore(ltv_app, tsa, tmp_path):
    from tests.services.test_backup import _export, _import, _sqlite_target

    factories.signed_off(ltv_app, comment="Content")
    assert _cli(ltv_app, "archive", "renew", "--older-than-days", "0").exit_code == 0
    bundle = tmp_path / "bundle.zip"
    _export(ltv_app, bundle)
    copy = _sqlite_target(tmp_path, "restored", ltv_app)
    output = _import(copy, bundle)
    assert "Archived records: 0 problem(s)" in output, output
    with ltv_app.app_context():
        expected = {(r.archived_record_id, r.sha256) for r in db.session.scalars(select(RecordRenewal))}
    with copy.app_context():
        restored = list(db.session.scalars(select(RecordRenewal)))
        assert {(r.archived_record_id, r.sha256) for r in restored} == expected
        assert all(sha256_hex(archive.renewal_pdf(r)) == r.sha256 for r in restored)


def test_renewed_files_are_append_only_in_the_database(ltv_app, tsa):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    factories.signed_off(ltv_app, comment="Content")
    assert _cli(ltv_app, "archive", "renew", "--older-than-days", "0").exit_code == 0
    with ltv_app.app_context():
        for statement in ("UPDATE record_renewal SET sha256 = 'x'", "DELETE FROM record_renewal"):
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.scalar(select(func.count(RecordRenewal.id))) > 0


def test_a_renewed_file_uploaded_for_checking_is_recognised_as_the_record(ltv_app, tsa):
    from eia.models import User
    from eia.services import auditor

    assessment_id = factories.signed_off(ltv_app, comment="Content")
    assert _cli(ltv_app, "archive", "renew", "--older-than-days", "0").exit_code == 0
    with ltv_app.app_context():
        record = _record(ltv_app, assessment_id)
        renewed = archive.current_pdf(record)
        user = db.session.scalar(select(User).where(User.email == "auditor@example.org"))
        verdict = auditor.verify_upload(user, "renewed.pdf", renewed)
        assert verdict.kind == auditor.AUTHENTIC and verdict.record.id == record.id, verdict.problems
        assert integrity.verify_upload(user, renewed).ok
        tampered = renewed.replace(b"Content", b"Contemt", 1)
        assert tampered != renewed
        assert auditor.verify_upload(user, "tampered.pdf", tampered).kind != auditor.AUTHENTIC
