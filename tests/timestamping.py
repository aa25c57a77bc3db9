"""A local RFC 3161 timestamp authority for tests: a real HTTP server on the loopback address.

The app reaches it exactly as it reaches a real one (EIA_TIMESTAMP_URL / TIMESTAMP_URL, pyHanko's
HTTPTimeStamper). Its tokens are signed by a test TSA certificate issued by a test root made here;
pyHanko's DummyTimeStamper builds the responses. ``failing = True`` makes it answer HTTP 503.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class LocalTimestampAuthority:
    """A test root CA, a TSA certificate it issued, and an HTTP responder signing with it."""

    def __init__(self, name: str = "Test Time Stamping Authority", days: int = 3650) -> None:
        now = datetime.now(UTC)
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA Root")])
        self.root = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=days + 1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # DummyTimeStamper signs RSA
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(
                x509.Name(
                    [
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                        x509.NameAttribute(NameOID.COMMON_NAME, f"{name} TSA 1"),
                    ]
                )
            )
            .issuer_name(root_name)
            .public_key(tsa_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        self._stamper = DummyTimeStamper(
            tsa_cert=_asn1(self.certificate),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                tsa_key.private_bytes(
                    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            ),
            certs_to_embed=[_asn1(self.root)],
        )
        self.name = name
        self.requests: list[tsp.TimeStampReq] = []
        self.failing = False
        self._server: ThreadingHTTPServer | None = None

    def at(self, moment: datetime | None) -> None:
        """Date the tokens at ``moment`` (None: now), as a clock set wrong or a token made long ago."""
        self._stamper.fixed_dt = moment

    @property
    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}/tsa"

    def start(self) -> LocalTimestampAuthority:
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if authority.failing:
                    self.send_error(503, "timestamping unavailable")
                    return
                request = tsp.TimeStampReq.load(body)
                authority.requests.append(request)
                answer = authority._stamper.request_tsa_response(request).dump()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture(scope="module")
def timestamp_authority():
    authority = LocalTimestampAuthority().start()
    try:
        yield authority
    finally:
        authority.stop()


@pytest.fixture
def tsa(timestamp_authority):
    """The module's authority, answering and with its request log cleared."""
    timestamp_authority.failing = False
    timestamp_authority.requests.clear()
    yield timestamp_authority
    timestamp_authority.failing = False
