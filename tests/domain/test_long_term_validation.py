"""PAdES B-LT seals and B-LTA document timestamps, against a local RFC 3161 responder over HTTP."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

from eia.domain import pdf
from eia.domain.signing import (
    PdfSealer,
    SealTrust,
    TimestampError,
    add_document_timestamp,
    generate_organisation_identity,
    verify_pdf,
)
from tests.domain.test_pdf import snapshot


@pytest.fixture(scope="module")
def identity():
    key_pem, cert_pem = generate_organisation_identity("Example Constabulary archive seal", "Example Constabulary")
    return serialization.load_pem_private_key(key_pem, password=None), cert_pem


@pytest.fixture(scope="module")
def document() -> pdf.RenderedPdf:
    return pdf.render_assessment_pdf(snapshot(), sealed_by="Example Constabulary", certificate_sha256="0" * 64)


def _seal(key, cert_pem: bytes, document, url: str | None) -> bytes:
    sealer = PdfSealer(key, x509.load_pem_x509_certificate(cert_pem), timestamp_url=url)
    return sealer.seal(
        document.content,
        signer_name="Example Constabulary",
        reason="Signed off",
        location="Example Constabulary",
        seal_box=document.seal_box,
    )


def _asn1(pem: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))


def _trust(cert_pem: bytes, authority) -> SealTrust:
    single = SealTrust.single("Example Constabulary", cert_pem)
    return SealTrust(single.organisation, single.periods, timestamp_roots=(authority.root_pem,))


def _offline_context(cert_pem: bytes, authority, **kwargs) -> ValidationContext:
    """Validation with the network forbidden: only what the file carries, and the two roots."""
    return ValidationContext(trust_roots=[_asn1(cert_pem), _asn1(authority.root_pem)], allow_fetching=False, **kwargs)


def test_with_a_timestamp_server_the_seal_is_b_lt_and_validates_offline(identity, document, tsa):
    key, cert_pem = identity
    sealed = _seal(key, cert_pem, document, tsa.url)

    assert len(tsa.requests) >= 1  # reached over HTTP
    reader = PdfFileReader(io.BytesIO(sealed))
    dss = reader.root["/DSS"]
    embedded_certs = [asn1_x509.Certificate.load(stream.get_object().data) for stream in dss["/Certs"]]
    names = {c.subject.native.get("common_name") for c in embedded_certs}
    assert {"Example Constabulary archive seal", f"{tsa.name} TSA 1"} <= names
    (signature,) = reader.embedded_regular_signatures
    status = validate_pdf_signature(signature, _offline_context(cert_pem, tsa))
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity.trusted and status.timestamp_validity.valid
    assert status.modification_level.name == "LTA_UPDATES"  # only the DSS came after the seal

    report = verify_pdf(sealed, _trust(cert_pem, tsa))
    assert report.ok, report.problems
    assert report.validation_info
    (stamp,) = report.timestamps
    assert stamp.trusted and not stamp.document
    assert stamp.sentence == f"Timestamped on {datetime.now(UTC):%-d %B %Y} by {tsa.name}"


def test_without_a_timestamp_server_the_seal_is_as_before(identity, document):
    key, cert_pem = identity
    sealed = _seal(key, cert_pem, document, None)
    assert "/DSS" not in PdfFileReader(io.BytesIO(sealed)).root
    report = verify_pdf(sealed, SealTrust.single("Example Constabulary", cert_pem))
    assert report.ok and report.timestamps == [] and not report.validation_info


def test_an_unreachable_timestamp_server_fails_the_seal(identity, document, tsa):
    from eia.domain.signing import SigningKeyError

    key, cert_pem = identity
    tsa.failing = True
    with pytest.raises(SigningKeyError):
        _seal(key, cert_pem, document, tsa.url)


def test_a_document_timestamp_extends_the_file_and_verifies(identity, document, tsa):
    key, cert_pem = identity
    sealed = _seal(key, cert_pem, document, tsa.url)
    renewed = add_document_timestamp(sealed, tsa.url)

    assert renewed.startswith(sealed) and len(renewed) > len(sealed)
    reader = PdfFileReader(io.BytesIO(renewed))
    (timestamp,) = reader.embedded_timestamp_signatures
    status = validate_pdf_timestamp(timestamp, _offline_context(cert_pem, tsa))
    assert status.intact and status.valid and status.trusted
    report = verify_pdf(renewed, _trust(cert_pem, tsa))
    assert report.ok, report.problems
    assert [t.document for t in report.timestamps] == [False, True]
    assert report.timestamps[-1].sentence.startswith("Timestamped again on ")
    assert report.timestamps[-1].sentence.endswith(f"by {tsa.name}")

    again = add_document_timestamp(renewed, tsa.url)
    assert again.startswith(renewed)
    assert verify_pdf(again, _trust(cert_pem, tsa)).ok


def test_content_added_after_a_document_timestamp_is_flagged(identity, document, tsa):
    key, cert_pem = identity
    renewed = add_document_timestamp(_seal(key, cert_pem, document, tsa.url), tsa.url)
    writer = IncrementalPdfFileWriter(io.BytesIO(renewed), strict=False)
    page = writer.root["/Pages"]["/Kids"].raw_get(0)
    page.get_object()["/Rotate"] = generic.NumberObject(90)  # the page now shows turned on its side
    writer.mark_update(page)
    output = io.BytesIO()
    writer.write(output)
    report = verify_pdf(output.getvalue(), _trust(cert_pem, tsa))
    assert "the seal: does not cover the whole file (content was added after signing)" in report.problems
    assert any("content other than validation information was added after it" in p for p in report.problems)


def test_a_timestamp_altered_in_the_file_is_flagged(identity, document, tsa):
    key, cert_pem = identity
    renewed = add_document_timestamp(_seal(key, cert_pem, document, tsa.url), tsa.url)
    timestamp = PdfFileReader(io.BytesIO(renewed)).embedded_timestamp_signatures[-1]
    # Flip one hex digit inside the document timestamp's token (its /Contents).
    position = timestamp.byte_range[1] + 200
    tampered = bytearray(renewed)
    tampered[position] = ord("0") if tampered[position] != ord("0") else ord("1")
    report = verify_pdf(bytes(tampered), _trust(cert_pem, tsa))
    assert not report.ok


def test_an_unreachable_timestamp_server_changes_nothing(identity, document, tsa):
    key, cert_pem = identity
    sealed = _seal(key, cert_pem, document, None)
    tsa.failing = True
    with pytest.raises(TimestampError):
        add_document_timestamp(sealed, tsa.url)
    with pytest.raises(TimestampError):
        add_document_timestamp(sealed, "http://127.0.0.1:9/nothing-listens-here")


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils is not installed")
def test_pdfsig_sees_the_timestamped_seal_as_valid(identity, document, tsa, tmp_path):
    key, cert_pem = identity
    path = tmp_path / "renewed.pdf"
    path.write_bytes(add_document_timestamp(_seal(key, cert_pem, document, tsa.url), tsa.url))
    result = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True, check=False)
    output = result.stdout
    seal, timestamp = output.split("Signature #2:")
    assert "Signature Validation: Signature is Valid." in seal, output
    assert "O=Example Constabulary" in seal
    # The validation information and the document timestamp come after the seal, so poppler says the
    # seal does not cover the whole file; it lists the document timestamp but cannot validate that kind.
    assert "Not total document signed" in seal
    assert f"Signer Certificate Common Name: {tsa.name} TSA 1" in timestamp
