"""Organisation seals: each organisation's signing identity, its certificate history, and trust.

An organisation seals its records with its own key and a certificate that names it. The key is
generated on first use (a file under instance/signing/seals/, named by its certificate's SHA-256),
or configured: a key on a PKCS#11 token (EIA_SIGNING_PKCS11_*, eia.services.hsm) or a PKCS#12 file
(EIA_SIGNING_PKCS12); "{organisation}" in a key label or path stands for the organisation's slug.
The database keeps every certificate an organisation ever sealed with (the public part only) and
when it was in use: a record is genuine when it was sealed by the organisation's seal in use at the
time it states. So rotation, an expired certificate, a lost key or a restore on another machine
leave every older record verifiable.

Starting a seal, rotating it and listing the history are audited. Starting and rotating hold the
audit append lock, so a sign-off and a rotation never interleave: a record is sealed by the seal
in use when its transaction commits.

The instance also has a key of its own (instance/signing/organisation-*.pem): it signs audit-chain
checkpoints, which vouch for the whole instance's log rather than for one organisation.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import current_app
from sqlalchemy import select

from eia.domain.signing import (
    PdfSealer,
    SealPeriod,
    SealTrust,
    SigningKeyError,
    certificate_details,
    generate_organisation_identity,
    new_signing_key,
    self_signed_certificate,
)
from eia.extensions import db
from eia.models import Organisation, SealCertificate, User
from eia.models.types import utcnow
from eia.services import audit
from eia.services.database import unit_of_work
from eia.services.storage import fsync_directory

_lock = threading.Lock()
GENERATED = "key file"  # how a generated key's source begins


class SealError(Exception):
    """A seal operation cannot be done as asked; the message says why and what to do. Nothing changed."""


# --- where keys live ---------------------------------------------------------------------------------


def _instance_dir() -> Path:
    return Path(current_app.config["INSTANCE_DIR"])


def generated_key_path(instance_dir: Path, certificate_sha256: str) -> Path:
    return Path(instance_dir) / "signing" / "seals" / f"{certificate_sha256}.key.pem"


def _configured_pkcs12(organisation: Organisation) -> str | None:
    path = current_app.config.get("SIGNING_PKCS12")
    return path.replace("{organisation}", organisation.slug) if path else None


def _configured_pkcs11_key(organisation: Organisation) -> str | None:
    """The label of the organisation's key (and certificate) on the configured PKCS#11 token, if one is."""
    if not current_app.config.get("SIGNING_PKCS11_MODULE"):
        return None
    return current_app.config["SIGNING_PKCS11_KEY"].replace("{organisation}", organisation.slug)


def _configured(organisation: Organisation) -> tuple[PdfSealer, str] | None:
    """The configured seal (a PKCS#11 token, or a PKCS#12 file) and where its key is, or None (generated)."""
    if label := _configured_pkcs11_key(organisation):
        config = current_app.config
        return _pkcs11_sealer(label), f"PKCS#11 token {config['SIGNING_PKCS11_TOKEN']}, key {label}"
    if path := _configured_pkcs12(organisation):
        return _pkcs12_sealer(path), f"PKCS#12 file {path}"
    return None


def _publish_once(path: Path, content: bytes, mode: int) -> None:
    """Write ``path`` complete and durable, unless another process already has (then keep theirs)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return
        fsync_directory(path.parent)
    finally:
        os.unlink(temporary)


# --- the seal in use ---------------------------------------------------------------------------------


def in_use(organisation_id: int) -> SealCertificate | None:
    return db.session.scalar(
        select(SealCertificate).where(
            SealCertificate.organisation_id == organisation_id, SealCertificate.in_use_until.is_(None)
        )
    )


def current_seal(organisation: Organisation, actor: User | None = None) -> tuple[PdfSealer, SealCertificate]:
    """The sealer for ``organisation``'s records and its certificate's period, inside the caller's transaction.

    Holds the audit append lock until the transaction ends. On first use it starts the organisation's
    seal (generated, or the configured PKCS#12); when the configured certificate has changed, the new
    one starts a new period. Either is audited in the caller's transaction, so a failed sign-off leaves
    no trace of it. Raises SigningKeyError when the key cannot be used.
    """
    audit.head(lock=True)
    period = in_use(organisation.id)
    if configured := _configured(organisation):
        sealer, key_source = configured
        if period is None or period.certificate_sha256 != sealer.certificate_fingerprint:
            period = _start(organisation, sealer.certificate_pem, key_source, period, actor)
        return sealer, period
    if period is None:
        period = _start_generated(organisation, None, actor)
    return _generated_sealer(period), period


def ensure_seal(organisation: Organisation) -> SealCertificate:
    """Start the organisation's seal now if it has none (its own transaction)."""
    with unit_of_work():
        _, period = current_seal(organisation)
    return period


def _start_generated(
    organisation: Organisation, closing: SealCertificate | None, actor: User | None, action: str = "seal.started"
) -> SealCertificate:
    key_pem, certificate_pem = generate_organisation_identity(f"{organisation.name} archive seal", organisation.name)
    sha256 = certificate_details(certificate_pem).sha256
    path = generated_key_path(_instance_dir(), sha256)
    # Written before the transaction commits: a rollback leaves an unused key file, never a seal without a key.
    _publish_once(path, key_pem, 0o600)
    return _start(
        organisation,
        certificate_pem,
        f"{GENERATED} {path.relative_to(_instance_dir())} in the instance folder",
        closing,
        actor,
        action,
    )


def _start(
    organisation: Organisation,
    certificate_pem: bytes,
    key_source: str,
    closing: SealCertificate | None,
    actor: User | None,
    action: str = "seal.started",
) -> SealCertificate:
    details = certificate_details(certificate_pem)
    now = utcnow()
    if closing is not None:
        closing.in_use_until = now
        db.session.flush()  # one open period per organisation (a unique index)
    period = SealCertificate(
        organisation_id=organisation.id,
        certificate_sha256=details.sha256,
        certificate_pem=certificate_pem.decode("ascii"),
        subject=details.subject,
        not_before=details.not_before,
        not_after=details.not_after,
        in_use_from=now,
        key_source=key_source,
    )
    db.session.add(period)
    db.session.flush()
    audit.record(
        action,
        actor=actor,
        object_type="organisation",
        object_id=organisation.id,
        details={
            "certificate_sha256": details.sha256,
            "subject": details.subject,
            "not_after": details.not_after.isoformat(),
            "key_source": key_source,
            "replaces": closing.certificate_sha256 if closing is not None else None,
        },
    )
    return period


def _cached(key: tuple, build) -> PdfSealer:
    """One sealer per key per process: the key is parsed and the CMS template built once, not per document."""
    cache = current_app.extensions.setdefault("eia.sealers", {})
    existing = cache.get(key)
    if existing is None:
        with _lock:
            existing = cache.get(key)
            if existing is None:
                existing = cache[key] = build()
    return existing


def _pkcs12_sealer(path: str) -> PdfSealer:
    passphrase = current_app.config.get("SIGNING_PKCS12_PASSPHRASE")
    try:
        stat = os.stat(path)
    except OSError as error:
        raise SigningKeyError(f"cannot load the PKCS#12 signing file {path}: {error.strerror}") from error
    # Keyed by the file's identity too: replacing the file (a renewed certificate) takes effect at once.
    return _cached(
        ("pkcs12", path, passphrase, stat.st_ino, stat.st_mtime_ns, stat.st_size),
        lambda: PdfSealer.from_pkcs12(
            path, passphrase.encode() if passphrase else None, timestamp_url=current_app.config.get("TIMESTAMP_URL")
        ),
    )


def _pkcs11_sealer(label: str) -> PdfSealer:
    from eia.services.hsm import TokenKey

    config = current_app.config

    def build() -> PdfSealer:
        key = TokenKey(
            config["SIGNING_PKCS11_MODULE"], config["SIGNING_PKCS11_TOKEN"], config["SIGNING_PKCS11_PIN"], label
        )
        return PdfSealer(key, key.certificate, timestamp_url=config.get("TIMESTAMP_URL"))

    return _cached(
        (
            "pkcs11",
            config["SIGNING_PKCS11_MODULE"],
            config["SIGNING_PKCS11_TOKEN"],
            config["SIGNING_PKCS11_PIN"],
            label,
        ),
        build,
    )


def _generated_sealer(period: SealCertificate) -> PdfSealer:
    path = generated_key_path(_instance_dir(), period.certificate_sha256)

    def build() -> PdfSealer:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError:
            raise SigningKeyError(
                f"the private key of the seal in use ({period.subject}) is not on this server ({path}): restore it "
                "from the key backup, or start a new seal with `eia seal rotate`"
            ) from None
        except (OSError, ValueError, TypeError) as error:
            raise SigningKeyError(f"cannot read the signing key {path}: {error}") from error
        certificate = x509.load_pem_x509_certificate(period.certificate_pem.encode("ascii"))
        return PdfSealer(key, certificate, timestamp_url=current_app.config.get("TIMESTAMP_URL"))

    return _cached(("generated", period.certificate_sha256, path.stat().st_mtime_ns if path.exists() else 0), build)


# --- history, rotation -------------------------------------------------------------------------------


def history(organisation_id: int) -> list[SealCertificate]:
    return list(
        db.session.scalars(
            select(SealCertificate)
            .where(SealCertificate.organisation_id == organisation_id)
            .order_by(SealCertificate.in_use_from, SealCertificate.id)
        )
    )


def show(organisation: Organisation, actor: User | None = None) -> list[SealCertificate]:
    """The organisation's seal history, oldest first; looking is audited."""
    with unit_of_work():
        periods = history(organisation.id)
        audit.record(
            "seal.history_viewed",
            actor=actor,
            object_type="organisation",
            object_id=organisation.id,
            details={"certificates": len(periods)},
        )
    return periods


def rotate(organisation: Organisation, actor: User | None = None) -> SealCertificate:
    """A new key and certificate for the organisation's new records; the old certificate stays in the history.

    Works without the old key (a lost key is recovered this way). One transaction with its audit event.
    """
    with unit_of_work():
        audit.head(lock=True)
        if _configured_pkcs11_key(organisation):
            raise SealError(
                "this organisation's seal is on a PKCS#11 token: to rotate it, put a new key and "
                "certificate on the token under a new label and set EIA_SIGNING_PKCS11_KEY to it; the "
                "next sign-off records it and keeps the old certificate"
            )
        if _configured_pkcs12(organisation):
            raise SealError(
                "this organisation's seal is configured (EIA_SIGNING_PKCS12): to rotate it, put the new "
                "PKCS#12 file in place; the next sign-off records it and keeps the old certificate"
            )
        return _start_generated(organisation, in_use(organisation.id), actor, action="seal.rotated")


# --- trust -------------------------------------------------------------------------------------------


def trust_for(organisation_id: int) -> SealTrust:
    """What makes a record this organisation's: its seal history, and the configured CA roots if any."""
    organisation = db.session.get(Organisation, organisation_id)
    periods = tuple(
        SealPeriod(p.certificate_sha256, p.certificate_pem.encode("ascii"), p.in_use_from, p.in_use_until)
        for p in history(organisation_id)
    )
    roots = []
    for path in current_app.config.get("SIGNING_TRUST_ROOTS") or []:
        with open(path, "rb") as handle:
            roots.append(handle.read())
    return SealTrust(organisation.name, periods, tuple(roots), timestamp_roots())


def timestamp_roots() -> tuple[bytes, ...]:
    """The configured timestamp authorities' root certificates (PEM)."""
    found = []
    for path in current_app.config.get("TIMESTAMP_TRUST_ROOTS") or []:
        with open(path, "rb") as handle:
            found.append(handle.read())
    return tuple(found)


def key_missing(organisation_id: int) -> bool:
    """The seal in use is a generated one whose key file is not on this server (after a restore elsewhere)."""
    period = in_use(organisation_id)
    return (
        period is not None
        and period.key_source.startswith(GENERATED)
        and not generated_key_path(_instance_dir(), period.certificate_sha256).exists()
    )


# --- the instance's own key (audit checkpoints) ----------------------------------------------------------


def signing_paths(instance_dir: Path) -> tuple[Path, Path]:
    folder = Path(instance_dir) / "signing"
    return folder / "organisation-key.pem", folder / "organisation-certificate.pem"


def ensure_signing_identity(instance_dir: Path, name: str = "Due Regard") -> tuple[Path, Path]:
    """The instance's key and self-signed certificate, generated on first use.

    Crash-safe and race-free without a lock file: each file is written and fsynced under a private
    temporary name, then hard-linked into place, which fails if the name exists, so the first
    writer wins and everyone else reads the winner's complete file. The key is published first and
    the certificate is made from whichever key won; a crash between the two leaves a key without a
    certificate, and the next call certifies that key.
    """
    key_path, cert_path = signing_paths(instance_dir)
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    if not key_path.exists():
        _publish_once(key_path, new_signing_key(), 0o600)
    if not cert_path.exists():
        try:
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as error:
            raise SigningKeyError(f"cannot read the signing key {key_path}: {error}") from error
        _publish_once(cert_path, self_signed_certificate(key, f"{name} instance key", name), 0o644)
    return key_path, cert_path


def instance_signer() -> PdfSealer:
    """The instance's key, which signs audit-chain checkpoints (loaded once per process)."""
    key_path, cert_path = ensure_signing_identity(_instance_dir())
    return _cached(("instance", str(key_path)), lambda: PdfSealer.from_pem_files(key_path, cert_path))
