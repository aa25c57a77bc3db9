"""Organisation seals: each organisation's own certificate, its history through rotation, and trust that
depends on whose seal was in use when a record was sealed."""

from __future__ import annotations

import io
import time

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader
from sqlalchemy import select

from eia.domain.pdf import render_assessment_pdf
from eia.domain.signing import PdfSealer, sha256_hex
from eia.domain.snapshot import AssessmentSnapshot
from eia.extensions import db
from eia.models import ArchivedRecord, AuditEvent, Organisation, SealCertificate
from eia.services import archive, seals
from tests import factories
from tests.conftest import PASSWORD, signed_in
from tests.insider import insider_sql


def _seeded(make_app, **config):
    from eia.services.demo import seed

    app = make_app(**config)
    with app.app_context():
        seed(PASSWORD)
    return app


def _sign_off(app, title: str = "Custody handover") -> int:
    return factories.signed_off(app, title=title)


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def _organisation(slug: str) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug))


def _record(assessment_id: int) -> ArchivedRecord:
    return db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id))


def _swap_content(record: ArchivedRecord, content: bytes) -> None:
    """What an insider with write access to the database can do: the file, its hash and size all agree."""
    insider_sql(
        "UPDATE archived_record SET content = :c, sha256 = :h, size = :s WHERE id = :i",
        {"c": content, "h": sha256_hex(content), "s": len(content), "i": record.id},
    )
    db.session.commit()


def _resealed(record: ArchivedRecord, sealer: PdfSealer) -> bytes:
    rendered = render_assessment_pdf(
        AssessmentSnapshot.from_dict(record.snapshot), sealed_by="x", certificate_sha256=sealer.certificate_fingerprint
    )
    return sealer.seal(rendered.content, signer_name="x", reason="x", location="x", seal_box=rendered.seal_box)


def test_each_organisation_seals_with_a_certificate_that_names_it(make_app):
    app = _seeded(make_app)
    assessment_id = _sign_off(app)
    with app.app_context():
        record = _record(assessment_id)
        (period,) = seals.history(record.organisation_id)
        certificate = x509.load_pem_x509_certificate(period.certificate_pem.encode())
        assert certificate.subject.rfc4514_string() == "O=Example Constabulary,CN=Example Constabulary archive seal"
        assert record.signer_certificate_sha256 == period.certificate_sha256 and period.in_use_until is None
        content = archive.archived_pdf(record)
        started = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "seal.started"))
        assert started.details["certificate_sha256"] == period.certificate_sha256
        key_file = seals.generated_key_path(app.config["INSTANCE_DIR"], period.certificate_sha256)
        assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    last_page = " ".join(PdfReader(io.BytesIO(content)).pages[-1].extract_text().split())
    assert "Sealed by Example Constabulary (decision by Sam Approver)" in last_page
    assert period.certificate_sha256 in last_page.replace(" ", "")

    shown = _cli(app, "seal", "show", "--organisation", "example-constabulary")
    assert shown.exit_code == 0, shown.output
    assert "Seals of Example Constabulary" in shown.output and period.certificate_sha256 in shown.output
    assert "now (in use)" in shown.output
    with app.app_context():
        assert (
            db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.seq.desc()).limit(1))
            == "seal.history_viewed"
        )
    assert _cli(app, "seal", "show").exit_code == 1, "two organisations: the command asks which"


def test_a_record_sealed_by_another_organisation_is_not_this_organisations(make_app):
    app = _seeded(make_app)
    assessment_id = _sign_off(app)
    with app.app_context():
        neighbour, _ = seals.current_seal(_organisation("neighbouring-constabulary"))
        db.session.commit()
        record = _record(assessment_id)
        _swap_content(record, _resealed(record, neighbour))
        reference = record.reference
    result = _cli(app, "archive", "verify")
    assert result.exit_code == 1
    assert (
        f"{reference} version 1 (archive 1): the seal: made by Neighbouring Constabulary, not with Example "
        "Constabulary's seal: this is not Example Constabulary's record"
    ) in result.output

    auditor = signed_in(app, "auditor@example.org")
    page = auditor.get(f"/archive/{assessment_id}?check=integrity")
    assert page.text_of(id="record-verdict-1") == "Problem found"
    assert page.text_of(id="record-seal-1") == "Not Example Constabulary's seal"


def test_after_rotation_records_sealed_before_and_after_both_verify(make_app):
    app = _seeded(make_app)
    before = _sign_off(app, "Before rotation")
    rotated = _cli(app, "seal", "rotate", "--organisation", "example-constabulary")
    assert rotated.exit_code == 0, rotated.output
    assert "Older records still verify" in rotated.output
    after = _sign_off(app, "After rotation")

    with app.app_context():
        old, new = seals.history(_organisation("example-constabulary").id)
        assert old.in_use_until is not None and new.in_use_until is None and new.in_use_from >= old.in_use_until
        assert _record(before).signer_certificate_sha256 == old.certificate_sha256
        assert _record(after).signer_certificate_sha256 == new.certificate_sha256
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "seal.rotated"))
        assert event.details["replaces"] == old.certificate_sha256
        assert event.details["certificate_sha256"] == new.certificate_sha256
    result = _cli(app, "archive", "verify")
    assert result.exit_code == 0, result.output
    assert "all 2 intact" in result.output

    auditor = signed_in(app, "auditor@example.org")
    for assessment_id, period in ((before, old), (after, new)):
        page = auditor.get(f"/archive/{assessment_id}?check=integrity")
        assert page.text_of(id="record-verdict-1") == "Intact"
        seal = page.text_of(id="record-seal-1")
        assert seal.startswith("Example Constabulary's seal, in use from")
        assert seal.endswith("until now") == (period is new)


def test_a_seal_used_after_it_was_replaced_is_not_trusted(make_app):
    """The old key still exists on disk: anything it seals after the rotation is not a genuine record."""
    app = _seeded(make_app)
    assessment_id = _sign_off(app)
    with app.app_context():
        old = seals.in_use(_organisation("example-constabulary").id)
    assert _cli(app, "seal", "rotate", "--organisation", "example-constabulary").exit_code == 0
    time.sleep(1.1)  # a PDF states its signing time to the second
    with app.app_context():
        key = serialization.load_pem_private_key(
            seals.generated_key_path(app.config["INSTANCE_DIR"], old.certificate_sha256).read_bytes(), password=None
        )
        stale = PdfSealer(key, x509.load_pem_x509_certificate(old.certificate_pem.encode()))
        _swap_content(_record(assessment_id), _resealed(_record(assessment_id), stale))
    result = _cli(app, "archive", "verify")
    assert result.exit_code == 1
    assert "made with one of Example Constabulary's seals, but dated" in result.output
    assert "when that seal was not in use" in result.output


def test_a_configured_seal_is_recorded_on_first_use_and_rotated_by_replacing_the_file(make_app, tmp_path):
    from tests.services.test_archive_failures import _pkcs12

    _pkcs12(tmp_path / "example-constabulary.p12", b"right")
    app = _seeded(make_app, SIGNING_PKCS12=str(tmp_path / "{organisation}.p12"), SIGNING_PKCS12_PASSPHRASE="right")
    first = _sign_off(app, "First")
    refused = _cli(app, "seal", "rotate", "--organisation", "example-constabulary")
    assert refused.exit_code == 1 and "put the new PKCS#12 file in place" in refused.output

    _pkcs12(tmp_path / "example-constabulary.p12", b"right")  # a renewed certificate, new key
    second = _sign_off(app, "Second")
    with app.app_context():
        periods = seals.history(_organisation("example-constabulary").id)
        assert [p.key_source for p in periods] == [f"PKCS#12 file {tmp_path}/example-constabulary.p12"] * 2
        assert periods[0].in_use_until is not None and periods[1].in_use_until is None
        assert {_record(first).signer_certificate_sha256, _record(second).signer_certificate_sha256} == {
            p.certificate_sha256 for p in periods
        }
        assert (
            db.session.scalar(
                select(SealCertificate).where(
                    SealCertificate.in_use_until.is_(None),
                    SealCertificate.organisation_id != periods[0].organisation_id,
                )
            )
            is None
        )
    result = _cli(app, "archive", "verify")
    assert result.exit_code == 0, result.output


def test_upgrading_keeps_records_sealed_by_the_former_instance_wide_certificate_verifiable(make_app):
    """Before revision 0014 one certificate (instance/signing/organisation-certificate.pem) sealed every
    organisation's records; the upgrade records it in the history of the organisations it sealed for."""
    from flask_migrate import downgrade, upgrade

    app = _seeded(make_app)
    assessment_id = _sign_off(app)
    with app.app_context():
        downgrade(revision="0013")
        former = seals.instance_signer()  # the same files the former instance-wide seal used
        record = _record(assessment_id)
        _swap_content(record, _resealed(record, former))
        insider_sql("UPDATE archived_record SET signer_certificate_sha256 = :f", {"f": former.certificate_fingerprint})
        db.session.commit()
        upgrade()
        (period,) = seals.history(record.organisation_id)
        assert period.certificate_sha256 == former.certificate_fingerprint and period.in_use_until is not None
    # The test stands in a record sealed by the former certificate by replacing the file, which the check
    # against its archiving audit event rightly reports; the seal itself must raise nothing.
    assert _seal_problems(_cli(app, "archive", "verify").output) == []
    _sign_off(app, "After the upgrade")  # starts the organisation's own seal
    with app.app_context():
        assert len(seals.history(record.organisation_id)) == 2
    assert _seal_problems(_cli(app, "archive", "verify").output) == []


def _seal_problems(output: str) -> list[str]:
    return [
        line
        for line in output.splitlines()
        if line.startswith("PROBLEM") and not line.endswith("the signed file was replaced")
    ]


def test_an_independent_validator_names_the_organisation_and_finds_the_whole_document_signed(make_app, tmp_path):
    """A second opinion beside pyHanko: poppler's pdfsig (NSS), installed by scripts/ensure-test-tools.sh."""
    import subprocess

    app = _seeded(make_app)
    assessment_id = _sign_off(app)
    with app.app_context():
        content = archive.archived_pdf(_record(assessment_id))
    (tmp_path / "record.pdf").write_bytes(content)
    report = subprocess.run(["pdfsig", str(tmp_path / "record.pdf")], capture_output=True, text=True, check=True).stdout
    assert "Signer full Distinguished Name: O=Example Constabulary,CN=Example Constabulary archive seal" in report
    assert "Total document signed" in report
    assert "Signature Validation: Signature is Valid." in report

    altered = bytearray(content)
    altered[len(altered) // 3] ^= 0x01
    (tmp_path / "altered.pdf").write_bytes(bytes(altered))
    report = subprocess.run(["pdfsig", str(tmp_path / "altered.pdf")], capture_output=True, text=True).stdout
    assert "Signature Validation: Signature is Valid." not in report
