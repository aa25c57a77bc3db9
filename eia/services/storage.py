"""Write-once storage for archived PDFs: in the database (the embedded default) or on disk.

Both are content-addressed by SHA-256. The database backend stores the bytes in the archive row,
so they commit or roll back with the sign-off. The filesystem backend writes a temporary file,
fsyncs it, renames it into place and fsyncs the folder; a sign-off that then rolls back leaves at
most an unreferenced file, which `eia archive verify` reports.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol

from eia.models import ArchivedRecord


def fsync_directory(path: Path) -> None:
    """Make a rename or link in ``path`` durable: without it a crash can lose the new name."""
    directory = os.open(path, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class StorageError(Exception):
    """The archive could not store or read a file. The message is for operators."""


class ArchiveStorage(Protocol):
    name: str

    def put(self, record: ArchivedRecord, sha256: str, content: bytes) -> str: ...

    def get(self, record: ArchivedRecord) -> bytes: ...


class DatabaseStorage:
    name = "database"

    def put(self, record: ArchivedRecord, sha256: str, content: bytes) -> str:
        record.content = content
        return sha256

    def get(self, record: ArchivedRecord) -> bytes:
        if record.content is None:
            raise StorageError(f"archive record {record.id} has no stored content")
        return record.content


class FilesystemStorage:
    name = "filesystem"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise StorageError(f"invalid storage key {key!r}")
        return self.root / key[:2] / f"{key}.pdf"

    def put(self, record: ArchivedRecord, sha256: str, content: bytes) -> str:
        target = self.path_for(sha256)
        if target.exists():
            if target.read_bytes() != content:
                raise StorageError(f"{target} exists with different content: refusing to overwrite an archived file")
            return sha256
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(content)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(temporary, 0o444)  # write-once: read-only from the moment it exists
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            fsync_directory(target.parent)
        except OSError as error:
            raise StorageError(
                f"could not write the archived PDF to {target.parent}: {error.strerror or error}"
            ) from error
        return sha256

    def keys(self) -> set[str]:
        """Every stored file's key (its SHA-256)."""
        return {path.stem for path in self.root.glob("??/*.pdf")} if self.root.is_dir() else set()

    def get(self, record: ArchivedRecord) -> bytes:
        try:
            return self.path_for(record.storage_key).read_bytes()
        except OSError as error:
            raise StorageError(
                f"could not read archived PDF {record.storage_key}: {error.strerror or error}"
            ) from error


def storage_for(backend: str, archive_dir: Path) -> ArchiveStorage:
    if backend == "database":
        return DatabaseStorage()
    if backend == "filesystem":
        return FilesystemStorage(archive_dir)
    raise ValueError(f"unknown archive backend {backend!r} (use database or filesystem)")
