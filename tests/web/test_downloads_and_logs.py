"""Downloads are named safely (RFC 6266, ASVS 5.4) and secrets stay out of logs and URLs (ASVS 16, 14.2)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from eia.extensions import db
from eia.models import ArchivedRecord, AuditEvent
from eia.services.storage import FilesystemStorage, StorageError
from eia.web.downloads import content_disposition
from tests import factories
from tests.conftest import PASSWORD

SOURCE = Path(__file__).resolve().parents[2] / "eia"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "EIA-2026-0001-v1-signed.pdf",
            "attachment; filename=\"EIA-2026-0001-v1-signed.pdf\"; filename*=UTF-8''EIA-2026-0001-v1-signed.pdf",
        ),
        (
            "Évaluation «draft».pdf",
            "attachment; filename=\"_valuation__draft_.pdf\"; filename*=UTF-8''%C3%89valuation%20%C2%ABdraft%C2%BB.pdf",
        ),
        (
            'a"b\r\nSet-Cookie: x=1.pdf',
            "attachment; filename=\"a_b__Set-Cookie__x_1.pdf\"; filename*=UTF-8''a%22b%0D%0ASet-Cookie%3A%20x%3D1.pdf",
        ),
        ("../../etc/passwd", "attachment; filename=\"passwd\"; filename*=UTF-8''passwd"),
        ("..\\..\\boot.ini", "attachment; filename=\"boot.ini\"; filename*=UTF-8''boot.ini"),
        ("", "attachment; filename=\"download\"; filename*=UTF-8''download"),
    ],
)
def test_content_disposition_is_rfc_6266_and_cannot_inject(name, expected):
    header = content_disposition(name)
    assert header == expected
    assert "\r" not in header and "\n" not in header


def test_the_signed_record_download(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = factories.signed_off(demo)
    response = author.client.get(f"/assessments/{assessment_id}/signed-record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    with demo.app_context():
        record = db.session.scalar(select(ArchivedRecord))
        name = f"{record.reference}-v{record.version_number}-signed.pdf"
    assert response.headers["Content-Disposition"] == content_disposition(name)
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "key", ["../../../etc/passwd", "/etc/passwd", "ab/../../x", "A" * 64, "0" * 63, "0" * 64 + "\n"]
)
def test_storage_keys_cannot_leave_the_archive_folder(tmp_path, key):
    storage = FilesystemStorage(tmp_path)
    with pytest.raises(StorageError):
        storage.path_for(key)
    with pytest.raises(StorageError):
        storage.get(ArchivedRecord(storage_key=key))


def test_no_log_call_can_write_a_secret():
    """Static check: no logging call in the app names a password, token, secret or the raw form body."""
    pattern = re.compile(r"log(?:ger)?\.(?:debug|info|warning|error|exception|critical)\((?P<args>[^)]*)\)", re.S)
    for path in SOURCE.rglob("*.py"):
        for call in pattern.finditer(path.read_text()):
            assert not re.search(
                r"password|token|secret|passphrase|request\.(form|data|get_data|values)", call.group("args"), re.I
            ), f"{path.name}: {call.group(0)}"


def test_secrets_reach_neither_logs_nor_the_audit_log(anonymous, client_for, demo, caplog):
    typed = "hunter2-but-much-longer"
    with caplog.at_level(logging.DEBUG):
        anonymous.submit("/sign-in", {"email": "author@example.org", "password": typed}, status=400)
        author = client_for("author@example.org")
        author.post("/sign-out", {"csrf_token": "forged-token-value"}, status=400)
        author.submit(
            "/account/password", {"current_password": PASSWORD, "new_password": "plum tractor lantern drizzle"}
        )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (typed, PASSWORD, "plum tractor lantern drizzle", "forged-token-value"):
        assert secret not in logged
    with demo.app_context():
        audit = "\n".join(db.session.scalars(select(AuditEvent.canonical)))
    for secret in (typed, PASSWORD, "plum tractor lantern drizzle"):
        assert secret not in audit
    assert "sign_in.failed" in audit and "password.changed" in audit
