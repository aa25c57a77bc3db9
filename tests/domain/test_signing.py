"""The seal's CMS: the same structure and signed attributes pyHanko makes, a signature that verifies over
them, a digest of exactly the signed bytes, tampering detected; RSA keys and RFC 3161 timestamps too."""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import cms, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from eia.domain import pdf
from eia.domain.signing import (
    PdfSealer,
    SealTrust,
    generate_organisation_identity,
    self_signed_certificate,
    verify_pdf,
)
from tests.domain.test_pdf import snapshot


@pytest.fixture(scope="module")
def identity() -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    key_pem, cert_pem = generate_organisation_identity("Example Constabulary archive seal", "Example Constabulary")
    return serialization.load_pem_private_key(key_pem, password=None), cert_pem


@pytest.fixture(scope="module")
def document() -> pdf.RenderedPdf:
    return pdf.render_assessment_pdf(snapshot(), sealed_by="Example Constabulary", certificate_sha256="0" * 64)


def _sealer(key, cert_pem: bytes, timestamp_url: str | None = None) -> PdfSealer:
    return PdfSealer(key, x509.load_pem_x509_certificate(cert_pem), timestamp_url=timestamp_url)


def _seal(sealer: PdfSealer, document: pdf.RenderedPdf) -> bytes:
    return sealer.seal(
        document.content,
        signer_name="Example Constabulary",
        reason="Signed off",
        location="Example Constabulary",
        seal_box=document.seal_box,
    )


def _trust(cert_pem: bytes) -> SealTrust:
    return SealTrust.single("Example Constabulary", cert_pem)


def _embedded(sealed: bytes):
    (signature,) = PdfFileReader(io.BytesIO(sealed), strict=False).embedded_regular_signatures
    return signature


def _signed_attributes(signer_info: cms.SignerInfo) -> dict[str, object]:
    return {attribute["type"].native: attribute["values"] for attribute in signer_info["signed_attrs"]}


def test_the_cms_is_the_one_pyhanko_packages_itself_but_for_the_random_ecdsa_signature(identity, document):
    key, cert_pem = identity
    ours = _embedded(_seal(_sealer(key, cert_pem), document)).signed_data
    signer_info = ours["signer_infos"][0]
    der_certificate = x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
    stock = signers.SimpleSigner(
        asn1_x509.Certificate.load(der_certificate),
        asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        None,
    )
    digest = _signed_attributes(signer_info)["message_digest"][0].native
    attributes = asyncio.run(stock.signed_attrs(digest, "sha256", use_pades=True))
    assert attributes.dump() == signer_info["signed_attrs"].untag().dump()
    theirs = asyncio.run(stock.async_sign_prescribed_attributes("sha256", attributes))["content"]
    theirs["signer_infos"][0]["signature"] = signer_info["signature"].native
    assert theirs.dump(force=True) == ours.dump()


def test_the_signature_covers_the_signed_attributes_and_they_the_signed_bytes(identity, document):
    key, cert_pem = identity
    sealed = _seal(_sealer(key, cert_pem), document)
    embedded = _embedded(sealed)
    signer_info = embedded.signed_data["signer_infos"][0]
    attributes = _signed_attributes(signer_info)
    certificate = x509.load_pem_x509_certificate(cert_pem)

    assert set(attributes) == {"content_type", "message_digest", "signing_certificate_v2"}
    assert attributes["content_type"][0].native == "data"
    start, first_length, second_start, second_length = embedded.sig_object["/ByteRange"]
    signed_bytes = sealed[start : start + first_length] + sealed[second_start : second_start + second_length]
    assert second_start + second_length == len(sealed), "the signature covers the whole file"
    assert attributes["message_digest"][0].native == hashlib.sha256(signed_bytes).digest()
    (named,) = attributes["signing_certificate_v2"][0]["certs"]
    assert named["cert_hash"].native == hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()
    assert signer_info["sid"].chosen["serial_number"].native == certificate.serial_number
    assert signer_info["signature_algorithm"]["algorithm"].native in {"sha256_ecdsa", "ecdsa"}

    signature = signer_info["signature"].native
    certificate.public_key().verify(signature, signer_info["signed_attrs"].untag().dump(), ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        certificate.public_key().verify(
            signature, signer_info["signed_attrs"].untag().dump() + b"\0", ec.ECDSA(hashes.SHA256())
        )
    assert verify_pdf(sealed, _trust(cert_pem)).ok


def test_altered_content_or_signature_is_detected(identity, document):
    key, cert_pem = identity
    sealed = _seal(_sealer(key, cert_pem), document)
    content = bytearray(sealed)
    content[len(content) // 3] ^= 0x01
    assert "altered after signing" in " ".join(verify_pdf(bytes(content), _trust(cert_pem)).problems)

    # One bit of the ECDSA value r, inside the hex /Contents (outside the signed byte range).
    signature = _embedded(sealed).signed_data["signer_infos"][0]["signature"].native
    at = sealed.index(signature.hex().upper().encode()) + 2 * 10
    forged = sealed[:at] + b"%X" % (int(sealed[at : at + 1], 16) ^ 1) + sealed[at + 1 :]
    problems = verify_pdf(forged, _trust(cert_pem)).problems
    assert problems[0] == "the seal: the cryptographic signature is not valid", problems


def test_an_rsa_key_seals_too(document):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert_pem = self_signed_certificate(key, "RSA archive seal", "Example Constabulary")
    sealed = _seal(_sealer(key, cert_pem), document)
    report = verify_pdf(sealed, _trust(cert_pem))
    assert report.ok, report.problems
    algorithm = _embedded(sealed).signed_data["signer_infos"][0]["signature_algorithm"]["algorithm"].native
    assert algorithm in {"sha256_rsa", "rsassa_pkcs1v15"}


def test_with_a_timestamp_server_the_seal_carries_its_token_over_the_signature(identity, document):
    key, cert_pem = identity
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's test TSA is RSA-only
    tsa_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")])
    now = datetime.now(UTC)
    tsa_certificate = (
        x509.CertificateBuilder()
        .subject_name(tsa_name)
        .issuer_name(tsa_name)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(tsa_key, hashes.SHA256())
    )
    authority = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa_certificate.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            tsa_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
    )
    requests = []

    class TimestampAuthority(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (http.server's name)
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            requests.append(request)
            body = authority.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), TimestampAuthority)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sealed = _seal(_sealer(key, cert_pem, timestamp_url=f"http://127.0.0.1:{server.server_port}/"), document)
    finally:
        server.shutdown()
        server.server_close()

    report = verify_pdf(sealed, _trust(cert_pem))
    assert report.ok, report.problems
    embedded = _embedded(sealed)
    signer_info = embedded.signed_data["signer_infos"][0]
    (token,) = [
        attribute["values"][0]
        for attribute in signer_info["unsigned_attrs"]
        if attribute["type"].native == "signature_time_stamp_token"
    ]
    imprint = token["content"]["encap_content_info"]["content"].parsed["message_imprint"]
    assert imprint["hashed_message"].native == hashlib.sha256(signer_info["signature"].native).digest()
    assert requests[-1]["message_imprint"]["hashed_message"].native == imprint["hashed_message"].native
    context = ValidationContext(
        trust_roots=[
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for c in (x509.load_pem_x509_certificate(cert_pem), tsa_certificate)
        ],
        allow_fetching=False,
    )
    status = validate_pdf_signature(embedded, context)
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.valid and status.timestamp_validity.trusted
