"""Seal keys held in a PKCS#11 token: a hardware security module, a managed key store that offers a
PKCS#11 library, or SoftHSM2 (tests and trials). The private key never leaves the token; the token
signs each seal's SHA-256 digest (ECDSA) or the signed attributes (RSA PKCS#1 v1.5).
"""

from __future__ import annotations

import hashlib
import threading

from asn1crypto.algos import DSASignature
from cryptography import x509

from eia.domain.signing import SigningKeyError

_libraries: dict[str, object] = {}
_libraries_lock = threading.Lock()


def _library(module: str):
    """One loaded PKCS#11 library per path and process (a library is initialised once)."""
    import pkcs11

    with _libraries_lock:
        if module not in _libraries:
            _libraries[module] = pkcs11.lib(module)
        return _libraries[module]


class TokenKey:
    """A private key on a PKCS#11 token, and the certificate stored beside it under the same label."""

    def __init__(self, module: str, token_label: str, pin: str | None, key_label: str) -> None:
        self._where = f"key {key_label!r} on PKCS#11 token {token_label!r}"
        self._module, self._token_label, self._pin, self._key_label = module, token_label, pin, key_label
        self._lock = threading.Lock()
        self._session = self._key = None
        self._open()

    def _open(self) -> None:
        import pkcs11
        from pkcs11 import Attribute, KeyType, ObjectClass

        try:
            token = _library(self._module).get_token(token_label=self._token_label)
            try:
                self._session = token.open(user_pin=self._pin)
            except pkcs11.exceptions.UserAlreadyLoggedIn:
                # PKCS#11 logs in a whole process: another organisation's key on this token already did.
                self._session = token.open()
            self._key = self._session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=self._key_label)
            stored = list(
                self._session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: self._key_label})
            )
        except (pkcs11.exceptions.PinIncorrect, pkcs11.exceptions.PinInvalid, pkcs11.exceptions.PinLenRange):
            raise SigningKeyError(f"the PIN for the PKCS#11 token {self._token_label!r} is wrong") from None
        except (pkcs11.exceptions.NoSuchToken, pkcs11.exceptions.TokenNotPresent):
            raise SigningKeyError(f"the PKCS#11 token {self._token_label!r} is not present") from None
        except pkcs11.exceptions.NoSuchKey:
            raise SigningKeyError(f"there is no {self._where}") from None
        except pkcs11.PKCS11Error as error:
            raise SigningKeyError(f"cannot use the {self._where}: {_reason(error)}") from None
        if not stored:
            raise SigningKeyError(
                f"the PKCS#11 token {self._token_label!r} has no certificate labelled "
                f"{self._key_label!r} beside the key"
            )
        self._is_ec = self._key.key_type == KeyType.EC
        self.certificate = x509.load_der_x509_certificate(stored[0][Attribute.VALUE])

    def sign_sha256(self, body: bytes) -> bytes:
        """ECDSA (DER) or RSA PKCS#1 v1.5 over SHA-256, made by the token; one retry on a fresh session."""
        import pkcs11
        from pkcs11 import Mechanism

        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._is_ec:
                        raw = self._key.sign(hashlib.sha256(body).digest(), mechanism=Mechanism.ECDSA)
                        return DSASignature.from_p1363(raw).dump()
                    return self._key.sign(body, mechanism=Mechanism.SHA256_RSA_PKCS)
                except pkcs11.PKCS11Error as error:
                    if attempt == 2:
                        raise SigningKeyError(f"the {self._where} could not sign: {_reason(error)}") from None
                    self.close()
                    self._open()  # the token was reset or reconnected: a new session, once
        raise AssertionError("unreachable")

    def close(self) -> None:
        """End the session (the process is logged out of the token when its last session ends)."""
        if self._session is not None:
            try:
                self._session.close()
            except Exception:  # noqa: BLE001  a token already gone has no session to end
                pass
            self._session = self._key = None


def _reason(error: Exception) -> str:
    """The library's message, or its error's name in words (PKCS#11 errors often carry no message)."""
    import re

    return str(error) or re.sub(r"(?<!^)(?=[A-Z])", " ", type(error).__name__).lower()
