"""Sealing with a key on a PKCS#11 token (SoftHSM2, set up by scripts/softhsm-token.sh): it works, the
key never sits on disk, and a missing token or a wrong PIN rolls the sign-off back until fixed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from sqlalchemy import select

from eia.domain.signing import generate_organisation_identity
from eia.extensions import db
from eia.models import ArchivedRecord, Organisation
from eia.services import archive, seals
from tests.services.test_archive_failures import _fails_and_changes_nothing, _ready_for_sign_off, _succeeds

ROOT = Path(__file__).resolve().parents[2]
TOKEN, PIN = "due-regard-test", "123456"


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory) -> dict[str, str]:
    """One token for the test session (SoftHSM2 reads its configuration once per process), holding
    Example Constabulary's seal key and certificate, labelled with its slug."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    folder = tmp_path_factory.mktemp("softhsm")
    made = subprocess.run(
        ["bash", str(ROOT / "scripts" / "softhsm-token.sh"), str(folder), TOKEN, PIN],
        capture_output=True,
        text=True,
        check=True,
    )
    settings = dict(line.split("=", 1) for line in made.stdout.split())
    os.environ["SOFTHSM2_CONF"] = settings["SOFTHSM2_CONF"]
    key_pem, certificate_pem = generate_organisation_identity(
        "Example Constabulary archive seal (HSM)", "Example Constabulary"
    )
    (folder / "key.pem").write_bytes(key_pem)
    subprocess.run(
        [
            "softhsm2-util",
            "--import",
            str(folder / "key.pem"),
            "--token",
            TOKEN,
            "--label",
            "example-constabulary",
            "--id",
            "01",
            "--pin",
            PIN,
        ],
        capture_output=True,
        check=True,
    )
    (folder / "key.pem").unlink()  # from here on the key exists only inside the token
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    token = pkcs11.lib(settings["EIA_SIGNING_PKCS11_MODULE"]).get_token(token_label=TOKEN)
    with token.open(rw=True, user_pin=PIN) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: "example-constabulary",
                Attribute.ID: b"\x01",
                Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
                Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.ISSUER: certificate.issuer.public_bytes(),
                Attribute.SERIAL_NUMBER: certificate.serial_number.to_bytes(20, "big").lstrip(b"\0"),
            }
        )
    return {
        "SIGNING_PKCS11_MODULE": settings["EIA_SIGNING_PKCS11_MODULE"],
        "SIGNING_PKCS11_TOKEN": TOKEN,
        "SIGNING_PKCS11_PIN": PIN,
        "certificate_sha256": certificate.fingerprint(hashes.SHA256()).hex(),
    }


@pytest.fixture
def token_app(make_app):
    """An app sealing through the token. PKCS#11 logs a whole process in until its last session ends, so
    each test's sessions are ended afterwards and the next test's PIN is checked afresh."""
    apps = []

    def build(**config):
        apps.append(make_app(**config))
        return apps[-1]

    yield build
    for app in apps:
        for sealer in app.extensions.get("eia.sealers", {}).values():
            sealer.close()


def _configured(softhsm: dict[str, str], **overrides) -> dict[str, str]:
    return {name: value for name, value in {**softhsm, **overrides}.items() if name.startswith("SIGNING_")}


def test_a_sign_off_is_sealed_by_the_key_on_the_token(token_app, softhsm):
    app = token_app(**_configured(softhsm))
    approver, assessment_id = _ready_for_sign_off(app)
    _succeeds(app, approver, assessment_id)
    with app.app_context():
        record = db.session.scalar(select(ArchivedRecord))
        (period,) = seals.history(record.organisation_id)
        assert record.signer_certificate_sha256 == period.certificate_sha256 == softhsm["certificate_sha256"]
        assert period.key_source == f"PKCS#11 token {TOKEN}, key example-constabulary"
        assert not (Path(app.config["INSTANCE_DIR"]) / "signing" / "seals").exists(), "no key file anywhere"
        assert b"Example Constabulary" in archive.archived_pdf(record)
    refused = app.test_cli_runner().invoke(args=["seal", "rotate", "--organisation", "example-constabulary"])
    assert refused.exit_code == 1 and "put a new key and certificate on the token" in refused.output


@pytest.mark.parametrize(
    "broken",
    [{"SIGNING_PKCS11_PIN": "654321"}, {"SIGNING_PKCS11_TOKEN": "unplugged"}, {"SIGNING_PKCS11_KEY": "no-such-key"}],
    ids=["wrong PIN", "token missing", "key missing"],
)
def test_a_token_problem_rolls_the_sign_off_back_and_it_succeeds_once_fixed(token_app, softhsm, broken):
    app = token_app(**_configured(softhsm, **broken))
    approver, assessment_id = _ready_for_sign_off(app)
    _fails_and_changes_nothing(app, approver, assessment_id)
    with app.app_context():
        organisation = db.session.scalar(select(Organisation).where(Organisation.slug == "example-constabulary"))
        assert seals.history(organisation.id) == [], "no seal was recorded for the failed sign-off"
    app.config.update(_configured(softhsm, SIGNING_PKCS11_KEY="{organisation}"))
    _succeeds(app, approver, assessment_id)
