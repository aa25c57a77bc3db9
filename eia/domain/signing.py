"""Digital seals: the organisation's signing identity, PAdES sealing of PDFs, and their verification.

Pure: bytes in, bytes or reports out; no Flask, no database. The key is ECDSA P-256 (an imported
RSA key works too); it is parsed once per process and the constant parts of the CMS are encoded
once (_SealSigner), so a seal costs a few milliseconds on top of reading and writing the PDF.
Verification fails closed: any exception, a signature that is not intact, valid and trusted, or a
last signature that does not cover the whole file is a problem.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import add_validation_info, validate_pdf_signature, validate_pdf_timestamp
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
    key = _seal_key(serialization.load_pem_private_key(key_pem, password=None))
    return key_pem, self_signed_certificate(key, common_name, organisation, years)


def new_signing_key() -> bytes:
    """A new ECDSA P-256 private key (PEM, PKCS#8, unencrypted: protect the file)."""
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


class TokenKey(Protocol):
    """A key held in a token (eia.services.hsm): it signs, but never leaves the token."""

    def sign_sha256(self, body: bytes) -> bytes: ...


SealKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | TokenKey


def _seal_key(key: object) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    """A key as loaded from a file, if it is of a kind that can seal."""
    if isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        return key
    raise SigningKeyError("the signing key must be an ECDSA or RSA private key")


def self_signed_certificate(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    common_name: str,
    organisation: str,
    years: int = 10,
    not_before: datetime | None = None,
) -> bytes:
    """A self-signed certificate (PEM) for ``key``, fit for sealing documents (RFC 9336 document signing)."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
        ]
    )
    start = not_before or datetime.now(UTC) - timedelta(minutes=5)
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
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
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

    def __init__(
        self,
        private_key: SealKey,
        certificate: x509.Certificate,
        chain: list[x509.Certificate] | None = None,
        timestamp_url: str | None = None,
        timestamp_roots: list[x509.Certificate] | None = None,
    ) -> None:
        if not (
            isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
            or hasattr(private_key, "sign_sha256")
        ):
            raise SigningKeyError("the signing key must be an ECDSA or RSA private key")
        _check_valid_now(certificate)
        self._key = private_key
        self._certificate = certificate
        # A probe signature, so a key held in a token is checked against the certificate too.
        probe = secrets.token_bytes(32)
        if not self.verify_bytes(probe, _sign_sha256(private_key, probe)):
            raise SigningKeyError("the signing key does not belong to the signing certificate")
        self.certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
        self.certificate_fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
        self.subject = certificate.subject.rfc4514_string()
        asn1_cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
        registry = SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]  # unannotated upstream
            [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain or []]
        )
        self._signer = _SealSigner(private_key, asn1_cert, registry)
        # One timestamper object for the process: pyHanko caches its size-estimation token.
        self._timestamper = HTTPTimeStamper(timestamp_url, timeout=10) if timestamp_url else None
        # With a timestamp server, seals are PAdES B-LT: what validating them needs goes into the DSS.
        self._chain = [
            asn1_cert,
            *(asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in chain or []),
        ]
        self._timestamp_roots = [
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in timestamp_roots or []
        ]
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
        return cls(_seal_key(key), certificates[0], certificates[1:], timestamp_url=timestamp_url)

    @classmethod
    def from_pkcs12(cls, path: str | Path, passphrase: bytes | None, timestamp_url: str | None = None) -> PdfSealer:
        try:
            key, certificate, chain = pkcs12.load_key_and_certificates(Path(path).read_bytes(), passphrase)
        except (OSError, ValueError, TypeError) as error:
            raise SigningKeyError(f"cannot load the PKCS#12 signing file {path}: {error}") from error
        if key is None or certificate is None:
            raise SigningKeyError(f"the PKCS#12 file {path} holds no key and certificate")
        return cls(_seal_key(key), certificate, list(chain), timestamp_url=timestamp_url)

    def seal(
        self, pdf: bytes, *, signer_name: str, reason: str, location: str, seal_box: SealBox | None = None
    ) -> bytes:
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
            fields.append_signature_field(
                writer, fields.SigFieldSpec(SEAL_FIELD, on_page=seal_box.page, box=seal_box.box)
            )
        signer = signers.PdfSigner(metadata, self._signer, timestamper=self._timestamper, stamp_style=NoOpStampStyle())
        output = io.BytesIO()
        try:
            signer.sign_pdf(writer, output=output, bytes_reserved=self._bytes_reserved)
        except (SigningError, OSError, ValueError) as error:
            raise SigningKeyError(f"the document could not be sealed: {error}") from error
        if self._timestamper is None:
            return output.getvalue()
        return self._with_validation_info(output.getvalue())

    def _with_validation_info(self, sealed: bytes) -> bytes:
        """PAdES B-LT: the seal's and its timestamp's certificates (and revocation information, where the
        certificates name any) added to the document security store in an incremental update, so the
        record can be validated later without the network."""
        reader = PdfFileReader(io.BytesIO(sealed), strict=False)
        (signature,) = reader.embedded_regular_signatures
        try:
            context = collection_context(signature, [*self._chain, *self._timestamp_roots])
            output = add_validation_info(signature, context)
        except Exception as error:  # noqa: BLE001  pyHanko's validation raises many kinds
            raise SigningKeyError(f"the seal's validation information could not be collected: {error}") from error
        result: bytes = output.getvalue()
        return result

    def close(self) -> None:
        """Release a key held in a token (its session); a key in memory needs nothing."""
        if hasattr(self._key, "close"):
            self._key.close()

    def sign_bytes(self, body: bytes) -> bytes:
        """A detached signature over arbitrary bytes (audit checkpoints)."""
        return _sign_sha256(self._key, body)

    def verify_bytes(self, body: bytes, signature: bytes) -> bool:
        public_key = self._certificate.public_key()
        try:
            if isinstance(public_key, ec.EllipticCurvePublicKey):
                public_key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
            elif isinstance(public_key, rsa.RSAPublicKey):
                public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
            else:
                return False
        except InvalidSignature:
            return False
        return True


class TimestampError(Exception):
    """A timestamp could not be added (the server is unreachable, refused, or answered something unusable)."""


def add_document_timestamp(content: bytes, timestamp_url: str, trusted: list[x509.Certificate] | None = None) -> bytes:
    """PAdES B-LTA: validation information for the newest signature or timestamp in ``content`` into the DSS,
    then a document timestamp over the whole file, then the new timestamp's own validation information.
    Every step is an incremental update, so the result starts with exactly ``content``."""
    known = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in trusted or []]
    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        newest = list(reader.embedded_signatures)[-1]
        with_info = add_validation_info(newest, collection_context(newest, known)).getvalue()
        stamped = io.BytesIO()
        signers.PdfTimeStamper(HTTPTimeStamper(timestamp_url, timeout=10)).timestamp_pdf(
            IncrementalPdfFileWriter(io.BytesIO(with_info), strict=False), "sha256", output=stamped
        )
        reader = PdfFileReader(io.BytesIO(stamped.getvalue()), strict=False)
        timestamp = reader.embedded_timestamp_signatures[-1]
        result: bytes = add_validation_info(timestamp, collection_context(timestamp, known)).getvalue()
    except Exception as error:  # noqa: BLE001  network, server and pyHanko errors alike: nothing is changed
        raise TimestampError(str(error) or type(error).__name__) from error
    if not result.startswith(content):
        raise TimestampError("the timestamped file is not an incremental update of the original")
    return result


def collection_context(signature: Any, trusted: list[asn1_x509.Certificate]) -> ValidationContext:
    """A context for collecting validation information (not for judging trust): the given certificates
    and every self-signed certificate that the signature and its timestamp tokens carry are its roots,
    so the chains they present are always collected. Trust is decided when a record is verified."""
    roots = list(trusted)
    for signed_data in _signed_data_with_tokens(signature):
        for choice in signed_data["certificates"] or []:
            certificate = choice.chosen
            if isinstance(certificate, asn1_x509.Certificate) and certificate.self_signed:
                roots.append(certificate)
    return ValidationContext(
        trust_roots=roots, allow_fetching=True, revocation_mode="soft-fail", other_certs=list(trusted)
    )


def _signed_data_with_tokens(signature: Any) -> list[cms.SignedData]:
    found = [signature.signed_data]
    for attribute in signature.signer_info["unsigned_attrs"] or []:
        if attribute["type"].native == "signature_time_stamp_token":
            found += [value["content"] for value in attribute["values"]]
    return found


def _sign_sha256(private_key: SealKey, body: bytes) -> bytes:
    """ECDSA or RSA PKCS#1 v1.5 over SHA-256: the mechanisms pyHanko names in the CMS for these keys.

    A key held in a token (eia.services.hsm) signs itself: it has ``sign_sha256``.
    """
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(body, ec.ECDSA(hashes.SHA256()))
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return private_key.sign_sha256(body)


class _SealSigner(signers.Signer):
    """pyHanko's signer for the organisation key, with the CMS parts that never change encoded once.

    pyHanko builds every CMS SignedData with asn1crypto in pure Python, copying and re-encoding the
    certificates and algorithm identifiers each time: about three quarters of the sealing time
    (profiled). For one key everything but the message digest, the signature value and the
    timestamp token is the same in every seal, so pyHanko's own code makes one at start-up and each
    seal splices the parts that change into its DER encoding. pyHanko still does the rest (the
    PDF's incremental update, the timestamp request, the size estimate for it).

    Only what PdfSealer asks for is supported (PAdES, SHA-256, detached data); anything else is
    refused rather than signed differently.
    """

    def __init__(
        self, private_key: SealKey, certificate: asn1_x509.Certificate, registry: SimpleCertificateStore
    ) -> None:
        super().__init__(signing_cert=certificate, cert_registry=registry)
        self._key = private_key
        # pyHanko's own signed attributes and SignedData, made once around a random stand-in digest.
        stand_in = secrets.token_bytes(32)
        attributes = asyncio.run(super().signed_attrs(stand_in, "sha256", use_pades=True)).dump()
        if attributes.count(stand_in) != 1:
            raise SigningKeyError("cannot locate the message digest in the signed attributes")
        self._attributes_before_digest, self._attributes_after_digest = attributes.split(stand_in)
        template = cms.ContentInfo.load(
            asyncio.run(super().async_sign_prescribed_attributes("sha256", cms.CMSAttributes.load(attributes))).dump()
        )
        signed_data, signer_info = template["content"], template["content"]["signer_infos"][0]
        self._content_type = template["content_type"].dump()
        self._signed_data_head = b"".join(
            signed_data[name].dump() for name in ("version", "digest_algorithms", "encap_content_info", "certificates")
        )
        self._signer_info_head = b"".join(signer_info[name].dump() for name in ("version", "sid", "digest_algorithm"))
        self._signature_algorithm = signer_info["signature_algorithm"].dump()

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        _require(digest_algorithm == "sha256", f"digest {digest_algorithm}")
        return _sign_sha256(self._key, data)

    async def signed_attrs(
        self,
        data_digest: bytes,
        digest_algorithm: str,
        attr_settings: Any = None,
        content_type: str = "data",
        use_pades: bool = False,
        timestamper: Any = None,
        dry_run: bool = False,
        is_pdf_sig: bool = True,
    ) -> cms.CMSAttributes:
        """content-type, message-digest and signing-certificate-v2, as pyHanko makes them for PAdES."""
        _require(use_pades and is_pdf_sig and content_type == "data", "a signature other than PAdES")
        _require(digest_algorithm == "sha256" and len(data_digest) == 32, f"digest {digest_algorithm}")
        _require(
            attr_settings is None
            or (attr_settings.adobe_revinfo_attr is None and attr_settings.cades_signed_attrs is None),
            "extra signed attributes",
        )
        return cms.CMSAttributes.load(self._attributes_before_digest + data_digest + self._attributes_after_digest)

    async def async_sign_prescribed_attributes(
        self,
        digest_algorithm: str,
        signed_attrs: cms.CMSAttributes,
        cms_version: str = "v1",
        dry_run: bool = False,
        timestamper: Any = None,
        encap_content_info: Any = None,
    ) -> cms.ContentInfo:
        """The SignedData pyHanko would package (RFC 5652 section 5), from the parts encoded at start-up."""
        _require(cms_version == "v1" and encap_content_info in (None, {"content_type": "data"}), "encapsulated content")
        attributes = signed_attrs.dump()
        signature = await self.async_sign_raw(attributes, digest_algorithm, dry_run)
        # The RFC 3161 timestamp over the signature, when a timestamper is configured (pyHanko's request).
        unsigned = await self.unsigned_attrs(
            digest_algorithm, signature, signed_attrs=signed_attrs, timestamper=timestamper, dry_run=dry_run
        )
        signer_info = _der(
            0x30,
            b"".join(
                (
                    self._signer_info_head,
                    _retagged(attributes, 0xA0),  # signedAttrs [0] IMPLICIT
                    self._signature_algorithm,
                    _der(0x04, signature),
                    _retagged(unsigned.dump(), 0xA1) if unsigned else b"",  # unsignedAttrs [1] IMPLICIT
                )
            ),
        )
        signed_data = _der(0x30, self._signed_data_head + _der(0x31, signer_info))
        return cms.ContentInfo.load(_der(0x30, self._content_type + _der(0xA0, signed_data)))


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise SigningError(f"the organisation seal does not support {what}")


def _der(tag: int, content: bytes) -> bytes:
    """One DER tag-length-value (the tags used here are all single bytes)."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def _retagged(encoded: bytes, tag: int) -> bytes:
    """A SET OF encoding with its universal tag replaced by an IMPLICIT context tag (same length)."""
    if encoded[0] != 0x31:
        raise SigningError("expected a DER SET OF")
    return bytes((tag,)) + encoded[1:]


def _check_valid_now(certificate: x509.Certificate) -> None:
    now = datetime.now(UTC)
    if certificate.not_valid_after_utc < now:
        raise SigningKeyError(f"the signing certificate expired on {certificate.not_valid_after_utc:%d %B %Y}")
    if certificate.not_valid_before_utc > now:
        raise SigningKeyError("the signing certificate is not valid yet")


# --- verification ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealPeriod:
    """One certificate an organisation sealed with, and when it was in use (``until`` None: still in use)."""

    certificate_sha256: str
    certificate_pem: bytes
    in_use_from: datetime
    in_use_until: datetime | None = None

    def covers(self, moment: datetime) -> bool:
        """Whether a seal dated ``moment`` was made in this period (a PDF states the time to the second)."""
        return self.in_use_from.replace(microsecond=0) <= moment and (
            self.in_use_until is None or moment <= self.in_use_until
        )


@dataclass(frozen=True)
class SealTrust:
    """Whose seal makes a record genuine: the organisation's seal history, and the CA certificates (PEM)
    its seals must chain to where the organisation configured any (then its own certificates are not
    enough on their own)."""

    organisation: str
    periods: tuple[SealPeriod, ...]
    ca_roots: tuple[bytes, ...] = ()
    timestamp_roots: tuple[bytes, ...] = ()  # the timestamp authorities' roots (PEM), where configured

    @classmethod
    def single(cls, organisation: str, certificate_pem: bytes) -> SealTrust:
        """One certificate, in use at any time (tests, and files checked outside any instance)."""
        return cls(
            organisation,
            (
                SealPeriod(
                    certificate_details(certificate_pem).sha256, certificate_pem, datetime.min.replace(tzinfo=UTC)
                ),
            ),
        )

    def timestamp_root_certificates(self) -> list[asn1_x509.Certificate]:
        return [
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for pem in self.timestamp_roots
            for c in x509.load_pem_x509_certificates(pem)
        ]

    def roots(self) -> list[asn1_x509.Certificate]:
        pems = self.ca_roots or tuple(period.certificate_pem for period in self.periods)
        return [
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for pem in pems
            for c in x509.load_pem_x509_certificates(pem)
        ]


@dataclass(frozen=True)
class CertificateDetails:
    sha256: str
    subject: str  # RFC 4514, for operators
    organisation: str  # the subject's O (or CN), for people
    not_before: datetime
    not_after: datetime


def certificate_details(pem: bytes) -> CertificateDetails:
    certificate = x509.load_pem_x509_certificate(pem)
    return CertificateDetails(
        sha256=certificate.fingerprint(hashes.SHA256()).hex(),
        subject=certificate.subject.rfc4514_string(),
        organisation=_subject_organisation(certificate.subject),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def _subject_organisation(name: x509.Name) -> str:
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        attributes = name.get_attributes_for_oid(oid)
        if attributes:
            return str(attributes[0].value)
    return "an unnamed signer"


@dataclass
class SignatureReport:
    field_name: str
    signer: str  # the organisation the certificate names
    signed_at: datetime | None
    certificate_sha256: str
    intact: bool
    valid: bool
    trusted: bool  # the organisation's seal in use at the time (and chained to its CA roots, if any)
    coverage: str
    seal_period: SealPeriod | None = None  # the organisation's seal that made it, if it is one
    # It covers the whole file, or only validation information and document timestamps came after it.
    covers_document: bool = False


@dataclass
class TimestampReport:
    """An RFC 3161 timestamp in a record: the seal's own (B-T), or a document timestamp added later (B-LTA)."""

    at: datetime | None
    authority: str  # the timestamp authority its certificate names
    authority_until: datetime | None  # when the authority's certificate expires
    document: bool  # added later over the whole file (renewal), rather than over the seal
    intact: bool
    valid: bool
    trusted: bool  # chains to the configured timestamp or CA trust roots

    @property
    def sentence(self) -> str:
        when = f"{self.at:%-d %B %Y}" if self.at else "an unstated date"
        return f"{'Timestamped again' if self.document else 'Timestamped'} on {when} by {self.authority}"


@dataclass
class PdfVerification:
    signatures: list[SignatureReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    timestamps: list[TimestampReport] = field(default_factory=list)
    validation_info: bool = False  # the file carries a document security store (PAdES B-LT)

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and not self.problems

    def newest_timestamp(self) -> TimestampReport | None:
        dated = [t for t in self.timestamps if t.at is not None]
        return max(dated, key=lambda t: t.at, default=None)  # type: ignore[arg-type, return-value]


_ADDED_VALIDATION_ONLY = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)


def verify_pdf(content: bytes, trust: SealTrust) -> PdfVerification:
    """Check every signature in a PDF: intact, valid, made by ``trust``'s organisation with the seal it used
    at the time the signature states (validated at that time, so an expired or replaced certificate still
    vouches for what it sealed while in use), and the last one covering the whole file, or followed only
    by validation information and document timestamps (PAdES B-LT, B-LTA). Timestamps, the seal's own
    and those added later, are reported, and any that is not intact or valid is a problem."""
    report = PdfVerification()
    try:
        roots = trust.roots()
        timestamp_roots = trust.timestamp_root_certificates()
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        embedded = list(reader.embedded_regular_signatures)
        if not embedded:
            report.problems.append("the file has no digital signature")
            return report
        report.validation_info = "/DSS" in reader.root
        for index, signature in enumerate(embedded):
            signed_at = signature.self_reported_timestamp
            context = ValidationContext(
                trust_roots=roots + timestamp_roots, allow_fetching=False, revocation_mode="soft-fail", moment=signed_at
            )
            status = validate_pdf_signature(signature, context, key_usage_settings=_KEY_USAGE)
            certificate = status.signing_cert
            sha256 = hashlib.sha256(certificate.dump()).hexdigest() if certificate else ""
            period = next(
                (
                    p
                    for p in trust.periods
                    if p.certificate_sha256 == sha256 and signed_at is not None and p.covers(signed_at)
                ),
                None,
            )
            entry = SignatureReport(
                field_name=signature.field_name,
                signer=_signer_name(certificate),
                signed_at=signed_at,
                certificate_sha256=sha256,
                intact=status.intact,
                valid=status.valid,
                trusted=status.trusted and period is not None,
                coverage=status.coverage.name if status.coverage else "NONE",
                seal_period=period,
            )
            entry.covers_document = _covers_all_but_validation(status)
            report.signatures.append(entry)
            name = "the seal" if signature.field_name == SEAL_FIELD else f"the signature {signature.field_name!r}"
            if not status.intact:
                report.problems.append(f"{name}: the signed content was altered after signing")
            elif not status.valid:
                report.problems.append(f"{name}: the cryptographic signature is not valid")
            else:
                report.problems += _trust_problems(name, entry, status.trusted, trust)
            if status.timestamp_validity is not None:
                report.timestamps.append(_timestamp_report(status.timestamp_validity, document=False))
                report.problems += _timestamp_problems(f"{name}'s timestamp", report.timestamps[-1], trust)
            if index == len(embedded) - 1 and not entry.covers_document:
                report.problems.append(f"{name}: does not cover the whole file (content was added after signing)")
        for timestamp in reader.embedded_timestamp_signatures:
            tst_info = timestamp.signed_data["encap_content_info"]["content"].parsed
            context = ValidationContext(
                trust_roots=roots + timestamp_roots,
                allow_fetching=False,
                revocation_mode="soft-fail",
                moment=tst_info["gen_time"].native,
            )
            timestamp_status = validate_pdf_timestamp(timestamp, context)
            stamp = _timestamp_report(timestamp_status, document=True)
            report.timestamps.append(stamp)
            report.problems += _timestamp_problems("a timestamp added later", stamp, trust)
            if not _covers_all_but_validation(timestamp_status):
                when = f"{stamp.at:%-d %B %Y}" if stamp.at else "an unstated date"
                report.problems.append(
                    f"the timestamp added on {when}: content other than validation information was added after it"
                )
    except Exception:  # noqa: BLE001  fail closed: a file we cannot parse is not verified
        report.problems.append("the file cannot be read as a signed PDF: it may be damaged, cut short or not a PDF")
    return report


def _covers_all_but_validation(status: Any) -> bool:
    """The signature covers the whole file, or only validation information and timestamps came after it."""
    if status.coverage is None:
        return False
    if status.coverage.name == "ENTIRE_FILE":
        return True
    return status.coverage.name == "ENTIRE_REVISION" and status.modification_level in _ADDED_VALIDATION_ONLY


def _timestamp_report(status: Any, document: bool) -> TimestampReport:
    certificate = status.signing_cert
    until = None
    if certificate is not None:
        until = x509.load_der_x509_certificate(certificate.dump()).not_valid_after_utc
    return TimestampReport(
        at=status.timestamp,
        authority=_signer_name(certificate),
        authority_until=until,
        document=document,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
    )


def _timestamp_problems(name: str, entry: TimestampReport, trust: SealTrust) -> list[str]:
    if not entry.intact:
        return [f"{name}: the timestamp was altered"]
    if not entry.valid:
        return [f"{name}: the timestamp's signature is not valid"]
    if not entry.trusted and trust.timestamp_roots:
        return [f"{name}: made by {entry.authority}, which is not a trusted timestamp authority"]
    return []


def _signer_name(certificate: asn1_x509.Certificate | None) -> str:
    if certificate is None:
        return "unknown"
    return _subject_organisation(x509.load_der_x509_certificate(certificate.dump()).subject)


def _trust_problems(name: str, entry: SignatureReport, chain_trusted: bool, trust: SealTrust) -> list[str]:
    known = [p for p in trust.periods if p.certificate_sha256 == entry.certificate_sha256]
    if not known:
        return [
            f"{name}: made by {entry.signer}, not with {trust.organisation}'s seal: "
            f"this is not {trust.organisation}'s record"
        ]
    if entry.seal_period is None:
        when = f"{entry.signed_at:%d %B %Y %H:%M} UTC" if entry.signed_at else "an unstated time"
        return [
            f"{name}: made with one of {trust.organisation}'s seals, but dated {when}, when that seal was not in use"
        ]
    if not chain_trusted:
        if trust.ca_roots:
            return [
                f"{name}: {trust.organisation}'s seal does not chain to the configured trust roots, "
                "or its certificate is not fit for signing documents"
            ]
        return [
            f"{name}: {trust.organisation}'s seal certificate was not valid then, or is not fit for signing documents"
        ]
    return []
