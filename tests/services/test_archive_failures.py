"""The sign-off when something is wrong: a rendering error or an unusable signing key rolls it all back
and it succeeds once fixed; the generated identity survives crashes and races; verify stays readable."""

from __future__ import annotations

import errno
import logging
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy import func, select

from eia.domain.pdf import render_assessment_pdf
from eia.domain.signing import (
    PdfSealer,
    SigningKeyError,
    generate_organisation_identity,
    self_signed_certificate,
)
from eia.domain.snapshot import AssessmentSnapshot
from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, AuditEvent, Organisation, Transition
from eia.services import archive, seals
from eia.services.seals import ensure_signing_identity, signing_paths
from tests import factories
from tests.conftest import PASSWORD, signed_in
from tests.insider import insider_sql
from tests.journeys import act
from tests.pages import PageClient


def _ready_for_sign_off(app) -> tuple[PageClient, int]:
    from eia.services.demo import seed

    with app.app_context():
        seed(PASSWORD)
    assessment_id = factories.submitted(app)
    factories.act(app, assessment_id, "start_review", factories.APPROVER)
    return signed_in(app, factories.APPROVER), assessment_id


def _fails_and_changes_nothing(app, approver: PageClient, assessment_id: int) -> None:
    with app.app_context():
        events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    failed = act(approver, assessment_id, "approve", {"comment": "Signed"}, status=503)
    assert "The signed record could not be made or stored" in failed.error_messages[0]
    assert "Signed" in failed.text_of(id="comment"), "what they typed is kept for the retry"
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "with_approver"
        assert db.session.scalar(select(func.count()).select_from(ArchivedRecord)) == 0
        assert (
            db.session.scalar(select(func.count()).select_from(Transition).where(Transition.action == "approve")) == 0
        )
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before


def _succeeds(app, approver: PageClient, assessment_id: int) -> None:
    act(approver, assessment_id, "approve", {"comment": "Signed"})
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "approved"
        assert db.session.scalar(select(func.count()).select_from(ArchivedRecord)) == 1
    result = app.test_cli_runner().invoke(args=["archive", "verify"])
    assert result.exit_code == 0, result.output


def _pkcs12(path, passphrase: bytes, *, expired: bool = False) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    not_before = datetime.now(UTC) - timedelta(days=800) if expired else None
    certificate = x509.load_pem_x509_certificate(
        self_signed_certificate(
            key, "Example seal", "Example Constabulary", years=1 if expired else 10, not_before=not_before
        )
    )
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"seal", key, certificate, None, serialization.BestAvailableEncryption(passphrase)
        )
    )


# --- a rendering error ---------------------------------------------------------------------------


def test_a_rendering_error_rolls_the_sign_off_back_and_it_can_be_retried(make_app, monkeypatch):
    from reportlab.platypus import doctemplate

    app = make_app()
    approver, assessment_id = _ready_for_sign_off(app)

    def fail(self, flowables):  # a fault injected into reportlab, not into our code
        raise doctemplate.LayoutError("Flowable too large on page 3")

    with monkeypatch.context() as patch:
        patch.setattr(doctemplate.BaseDocTemplate, "handle_flowable", fail)
        _fails_and_changes_nothing(app, approver, assessment_id)
    _succeeds(app, approver, assessment_id)


# --- signing-key problems ---------------------------------------------------------------------------


def _missing_pkcs12(app, tmp_path):
    app.config.update(SIGNING_PKCS12=str(tmp_path / "seal.p12"), SIGNING_PKCS12_PASSPHRASE="right")
    return lambda: _pkcs12(tmp_path / "seal.p12", b"right")


def _wrong_passphrase(app, tmp_path):
    _pkcs12(tmp_path / "seal.p12", b"right")
    app.config.update(SIGNING_PKCS12=str(tmp_path / "seal.p12"), SIGNING_PKCS12_PASSPHRASE="wrong")
    return lambda: app.config.update(SIGNING_PKCS12_PASSPHRASE="right")


def _expired_certificate(app, tmp_path):
    _pkcs12(tmp_path / "seal.p12", b"right", expired=True)
    app.config.update(SIGNING_PKCS12=str(tmp_path / "seal.p12"), SIGNING_PKCS12_PASSPHRASE="right")
    return lambda: _pkcs12(tmp_path / "seal.p12", b"right")


def _unreadable_generated_key(app, tmp_path):
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.slug == "example-constabulary"))
        period = seals.ensure_seal(organisation)
        key_path = seals.generated_key_path(app.config["INSTANCE_DIR"], period.certificate_sha256)
    key = key_path.read_bytes()
    key_path.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    return lambda: key_path.write_bytes(key)


def _lost_generated_key(app, tmp_path):
    """The key is gone (a restore elsewhere without the key backup): rotating starts a new seal."""
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.slug == "example-constabulary"))
        period = seals.ensure_seal(organisation)
        seals.generated_key_path(app.config["INSTANCE_DIR"], period.certificate_sha256).unlink()

    def fix():
        result = app.test_cli_runner().invoke(args=["seal", "rotate", "--organisation", "example-constabulary"])
        assert result.exit_code == 0, result.output

    return fix


def _unreadable_pkcs12(app, tmp_path):
    (tmp_path / "seal.p12").write_bytes(b"\x30\x03\x02\x01\x03")
    app.config.update(SIGNING_PKCS12=str(tmp_path / "seal.p12"), SIGNING_PKCS12_PASSPHRASE="right")
    return lambda: _pkcs12(tmp_path / "seal.p12", b"right")


@pytest.mark.parametrize(
    "break_key",
    [
        _missing_pkcs12,
        _wrong_passphrase,
        _expired_certificate,
        _unreadable_generated_key,
        _lost_generated_key,
        _unreadable_pkcs12,
    ],
)
def test_a_signing_key_problem_rolls_the_sign_off_back_and_it_can_be_retried_once_fixed(make_app, tmp_path, break_key):
    app = make_app()
    approver, assessment_id = _ready_for_sign_off(app)
    fix = break_key(app, tmp_path)
    _fails_and_changes_nothing(app, approver, assessment_id)
    fix()
    _succeeds(app, approver, assessment_id)


def test_an_expired_certificate_is_refused_when_the_key_is_loaded(tmp_path):
    _pkcs12(tmp_path / "seal.p12", b"right", expired=True)
    expired_on = (datetime.now(UTC) - timedelta(days=800) + timedelta(days=365)).strftime("%d %B %Y")
    with pytest.raises(SigningKeyError, match=f"the signing certificate expired on {expired_on}"):
        PdfSealer.from_pkcs12(tmp_path / "seal.p12", b"right")


def test_a_wrong_passphrase_is_a_signing_key_error(tmp_path):
    _pkcs12(tmp_path / "seal.p12", b"right")
    with pytest.raises(SigningKeyError, match="cannot load the PKCS#12 signing file"):
        PdfSealer.from_pkcs12(tmp_path / "seal.p12", b"wrong")


# --- the generated identity -----------------------------------------------------------------------


def _assert_one_matching_identity(instance_dir) -> None:
    key_path, cert_path = signing_paths(instance_dir)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert certificate.public_key().public_numbers() == key.public_key().public_numbers()
    assert PdfSealer.from_pem_files(key_path, cert_path).certificate_fingerprint
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in key_path.parent.iterdir() if p.name.startswith(".organisation")) == [], (
        "no temporary files are left behind"
    )


def test_a_lock_file_left_by_a_crash_does_not_stop_the_identity_being_made(tmp_path):
    (tmp_path / "signing").mkdir()
    (tmp_path / "signing" / ".identity.lock").touch()  # what the old lock-file scheme left after a crash
    ensure_signing_identity(tmp_path)
    _assert_one_matching_identity(tmp_path)


def test_a_crash_between_key_and_certificate_is_completed_with_that_key(tmp_path):
    key_path, cert_path = signing_paths(tmp_path)
    key_path.parent.mkdir()
    key_pem, _ = generate_organisation_identity("x", "y")
    key_path.write_bytes(key_pem)
    key_path.chmod(0o600)
    ensure_signing_identity(tmp_path)
    assert key_path.read_bytes() == key_pem, "the published key is kept"
    _assert_one_matching_identity(tmp_path)


def test_processes_starting_at_once_all_use_one_identity(tmp_path):
    barrier = threading.Barrier(8)
    seen: list[tuple[bytes, bytes]] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait()
            key_path, cert_path = ensure_signing_identity(tmp_path)
            seen.append((key_path.read_bytes(), cert_path.read_bytes()))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(set(seen)) == 1, "everyone read the same complete key and certificate"
    _assert_one_matching_identity(tmp_path)


# --- what the record says about the audit log -----------------------------------------------------


def test_the_record_names_the_audit_event_just_before_the_sign_off(make_app):
    app = make_app()
    approver, assessment_id = _ready_for_sign_off(app)
    with app.app_context():
        last_before = db.session.scalar(select(func.max(AuditEvent.seq)))
    act(approver, assessment_id, "approve")
    with app.app_context():
        record = db.session.scalar(select(ArchivedRecord))
        seq, entry_hash = record.snapshot["audit_chain_head"]
        # The organisation's first sign-off starts its seal first: that event is before the snapshot too.
        started = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.seq > last_before, AuditEvent.seq <= seq)
        )
        assert list(started) == ["seal.started"]
        assert entry_hash == db.session.scalar(select(AuditEvent.entry_hash).where(AuditEvent.seq == seq))
        following = db.session.scalars(select(AuditEvent.action).where(AuditEvent.seq > seq).order_by(AuditEvent.seq))
        assert list(following)[:2] == ["assessment.archived", "assessment.approve"]


# --- verify output --------------------------------------------------------------------------------


def test_verify_reports_a_record_sealed_by_another_key_in_its_own_words(make_app, caplog):
    app = make_app()
    approver, assessment_id = _ready_for_sign_off(app)
    act(approver, assessment_id, "approve")
    key_pem, cert_pem = generate_organisation_identity("Impostor seal", "Impostor")
    impostor = PdfSealer(
        serialization.load_pem_private_key(key_pem, password=None), x509.load_pem_x509_certificate(cert_pem)
    )
    with app.app_context():
        record = db.session.scalar(select(ArchivedRecord))
        rendered = render_assessment_pdf(
            AssessmentSnapshot.from_dict(record.snapshot),
            sealed_by="Impostor",
            certificate_sha256=impostor.certificate_fingerprint,
        )
        forged = impostor.seal(
            rendered.content, signer_name="Impostor", reason="forged", location="elsewhere", seal_box=rendered.seal_box
        )
        # A thorough forger also rewrites the recorded hash and size: only the signature can tell.
        insider_sql(
            "UPDATE archived_record SET content = :c, sha256 = :h, size = :s WHERE id = :i",
            {"c": forged, "h": archive.sha256_hex(forged), "s": len(forged), "i": record.id},
        )
        db.session.commit()
    caplog.set_level(logging.DEBUG)
    result = app.test_cli_runner().invoke(args=["archive", "verify"])
    assert result.exit_code == 1
    assert (
        "made by Impostor, not with Example Constabulary's seal: this is not Example Constabulary's record"
        in result.output
    )
    assert "Traceback" not in result.output
    assert [r for r in caplog.records if r.name.startswith("pyhanko")] == []
    assert logging.getLogger("pyhanko").level == logging.NOTSET, "the CLI restores pyHanko's logging afterwards"


@pytest.fixture
def tiny_archive_disk(tmp_path):
    """A real, tiny filesystem for the archive folder, so a full disk is a real ENOSPC (needs root)."""
    mount_point = tmp_path / "tiny-archive"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


def _fill(disk: Path) -> Path:
    """Write a filler file until the filesystem says it is full."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as handle:  # unbuffered: the ENOSPC comes from write, not close
        try:
            while True:
                handle.write(b"\0" * 4096)  # tmpfs allocates whole pages
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
    return filler


def test_a_full_archive_disk_rolls_the_sign_off_back_and_it_succeeds_once_space_is_freed(make_app, tiny_archive_disk):
    app = make_app(ARCHIVE_BACKEND="filesystem", ARCHIVE_DIR=tiny_archive_disk)
    approver, assessment_id = _ready_for_sign_off(app)
    filler = _fill(tiny_archive_disk)
    _fails_and_changes_nothing(app, approver, assessment_id)
    files = sorted(p.name for p in tiny_archive_disk.rglob("*") if p.is_file())
    assert files == ["filler"], f"no partial or temporary PDF is left behind: {files}"

    filler.unlink()
    _succeeds(app, approver, assessment_id)
