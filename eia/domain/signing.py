"""Digital seals: the organisation's signing identity, PAdES sealing of PDFs, and their verification.

Pure: bytes in, bytes or reports out; no Flask, no database. The key is ECDSA P-256 (about 20 ms a
signature; an RSA key costs ~90 ms more per use because pyHanko re-parses it each time).
Verification fails closed: any exception, a signature that is not intact, valid and trusted, or a
last signature that does not cover the whole file is a problem.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.stamp import NoOpStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

# RFC 9336 id-kp-documentSigning: the certificate is for signing documents, nothing else.
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
SEAL_FIELD = "OrganisationSeal"
_KEY_USAGE = KeyUsageConstraints(key_usage={"non_repudiation"}, extd_key_usage={DOCUMENT_SIGNING.dotted_string})


class SigningKeyError(Exception):
    """The signing key or certificate is missing, unreadable, expired or unfit for sealing."""


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def generate_organisation_identity(common_name: str, organisation: str, years: int = 10) -> tuple[bytes, bytes]:
    """A new ECDSA P-256 key and a self-signed certificate fit for sealing documents (PEM, PEM)."""
    key_pem = new_signing_key()
    key = serialization.load_pem_private_key(key_pem, password=None)
    return key_pem, self_signed_certificate(key, common_name, organisation, years)


def new_signing_key() -> bytes:
    """A new ECDSA P-256 private key (PEM, PKCS#8, unencrypted: protect the file)."""
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def self_signed_certificate(key, common_name: str, organisation: str, years: int = 10,
                            not_before: datetime | None = None) -> bytes:
    """A self-signed certificate (PEM) for ``key``, fit for sealing documents (RFC 9336 document signing)."""
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
    ])
    start = not_before or datetime.now(timezone.utc) - timedelta(minutes=5)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class SealBox:
    """Where the visible seal goes: a 0-based page index and a box in PDF points (x1, y1, x2, y2)."""

    page: int
    box: tuple[int, int, int, int]


class PdfSealer:
    """Seals PDFs with one organisation key; built once per process and reused (the key is parsed once)."""

    def __init__(self, private_key, certificate: x509.Certificate, chain: list[x509.Certificate] | None = None,
                 timestamp_url: str | None = None) -> None:
        if not isinstance(private_key, ec.EllipticCurvePrivateKey | _rsa_private_key_type()):
            raise SigningKeyError("the signing key must be an ECDSA or RSA private key")
        _check_valid_now(certificate)
        if certificate.public_key().public_numbers() != private_key.public_key().public_numbers():
            raise SigningKeyError("the signing key does not belong to the signing certificate")
        self._key = private_key
        self._certificate = certificate
        der_key = private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption())
        self.certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
        self.certificate_fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
        self.subject = certificate.subject.rfc4514_string()
        asn1_cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
        registry = SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain or []]
        )
        self._signer = signers.SimpleSigner(asn1_cert, asn1_keys.PrivateKeyInfo.load(der_key), registry)
        # One timestamper object for the process: pyHanko caches its size-estimation token.
        self._timestamper = HTTPTimeStamper(timestamp_url, timeout=10) if timestamp_url else None
        # Space for the signature in the PDF. Left to pyHanko, it signs a dummy CMS first to measure it
        # (a whole extra signature: ~40% of the sealing time). Without a timestamp the size is bounded
        # by the certificates it embeds plus a signature and attributes well under 2 KB; pyHanko
        # refuses (and the sign-off rolls back) if it ever does not fit. A timestamp token's size
        # depends on the server, so then pyHanko still estimates.
        certificates = len(asn1_cert.dump()) + sum(len(c.public_bytes(serialization.Encoding.DER)) for c in chain or [])
        self._bytes_reserved = None if timestamp_url else 2 * (certificates + 4096)

    @classmethod
    def from_pem_files(cls, key_path: Path, cert_path: Path, timestamp_url: str | None = None) -> PdfSealer:
        try:
            key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
            certificates = x509.load_pem_x509_certificates(Path(cert_path).read_bytes())
        except (OSError, ValueError, TypeError) as error:
            raise SigningKeyError(f"cannot load the signing key or certificate: {error}") from error
        return cls(key, certificates[0], certificates[1:], timestamp_url=timestamp_url)

    @classmethod
    def from_pkcs12(cls, path: str | Path, passphrase: bytes | None, timestamp_url: str | None = None) -> PdfSealer:
        try:
            key, certificate, chain = pkcs12.load_key_and_certificates(Path(path).read_bytes(), passphrase)
        except (OSError, ValueError, TypeError) as error:
            raise SigningKeyError(f"cannot load the PKCS#12 signing file {path}: {error}") from error
        if key is None or certificate is None:
            raise SigningKeyError(f"the PKCS#12 file {path} holds no key and certificate")
        return cls(key, certificate, list(chain), timestamp_url=timestamp_url)

    def seal(self, pdf: bytes, *, signer_name: str, reason: str, location: str,
             seal_box: SealBox | None = None) -> bytes:
        """A PAdES signature over the whole document; visible where ``seal_box`` says.

        The field's appearance is empty: the PDF already shows the seal panel (with an embedded font)
        under it, and pyHanko's own stamp would bring a non-embedded Courier.
        """
        _check_valid_now(self._certificate)  # the process may outlive the certificate
        metadata = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            name=signer_name,
            reason=reason,
            location=location,
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        if seal_box is not None:
            # Created here with an empty appearance (no font at all), then filled by the signature.
            fields.append_signature_field(writer, fields.SigFieldSpec(SEAL_FIELD, on_page=seal_box.page,
                                                                      box=seal_box.box))
        signer = signers.PdfSigner(metadata, self._signer, timestamper=self._timestamper,
                                   stamp_style=NoOpStampStyle())
        output = io.BytesIO()
        try:
            signer.sign_pdf(writer, output=output, bytes_reserved=self._bytes_reserved)
        except (SigningError, OSError, ValueError) as error:
            raise SigningKeyError(f"the document could not be sealed: {error}") from error
        return output.getvalue()

    def sign_bytes(self, body: bytes) -> bytes:
        """A detached signature over arbitrary bytes (audit checkpoints)."""
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(body, ec.ECDSA(hashes.SHA256()))
        from cryptography.hazmat.primitives.asymmetric import padding

        return self._key.sign(body, padding.PKCS1v15(), hashes.SHA256())

    def verify_bytes(self, body: bytes, signature: bytes) -> bool:
        public_key = self._certificate.public_key()
        try:
            if isinstance(public_key, ec.EllipticCurvePublicKey):
                public_key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
            else:
                from cryptography.hazmat.primitives.asymmetric import padding

                public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return False
        return True


def _check_valid_now(certificate: x509.Certificate) -> None:
    now = datetime.now(timezone.utc)
    if certificate.not_valid_after_utc < now:
        raise SigningKeyError(f"the signing certificate expired on {certificate.not_valid_after_utc:%d %B %Y}")
    if certificate.not_valid_before_utc > now:
        raise SigningKeyError("the signing certificate is not valid yet")


def _rsa_private_key_type():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.RSAPrivateKey


# --- verification ---------------------------------------------------------------------------------


@dataclass
class SignatureReport:
    field_name: str
    signer: str
    signed_at: datetime | None
    certificate_sha256: str
    intact: bool
    valid: bool
    trusted: bool
    coverage: str


@dataclass
class PdfVerification:
    signatures: list[SignatureReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems


def verify_pdf(content: bytes, trust_roots: list[bytes]) -> PdfVerification:
    """Check every signature in a PDF: intact, valid, trusted by ``trust_roots`` (PEM), whole file covered."""
    report = PdfVerification()
    try:
        roots = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
                 for pem in trust_roots for c in x509.load_pem_x509_certificates(pem)]
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        embedded = list(reader.embedded_regular_signatures)
        if not embedded:
            report.problems.append("the file has no digital signature")
            return report
        context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        for index, signature in enumerate(embedded):
            status = validate_pdf_signature(signature, context, key_usage_settings=_KEY_USAGE)
            certificate = status.signing_cert
            entry = SignatureReport(
                field_name=signature.field_name,
                signer=certificate.subject.human_friendly if certificate else "unknown",
                signed_at=status.signer_reported_dt,
                certificate_sha256=hashlib.sha256(certificate.dump()).hexdigest() if certificate else "",
                intact=status.intact,
                valid=status.valid,
                trusted=status.trusted,
                coverage=status.coverage.name if status.coverage else "NONE",
            )
            report.signatures.append(entry)
            name = f"signature {signature.field_name!r}"
            if not status.intact:
                report.problems.append(f"{name}: the signed content was altered after signing")
            elif not status.valid:
                report.problems.append(f"{name}: the cryptographic signature is not valid")
            if not status.trusted:
                report.problems.append(f"{name}: the signing certificate is not trusted (not the organisation's, "
                                       "or not fit for signing documents)")
            if index == len(embedded) - 1 and entry.coverage != "ENTIRE_FILE":
                report.problems.append(f"{name}: does not cover the whole file (content was added after signing)")
    except Exception as error:  # noqa: BLE001  fail closed: a file we cannot parse is not verified
        report.problems.append(f"the file cannot be verified: {type(error).__name__}: {error}".rstrip(": "))
    return report
