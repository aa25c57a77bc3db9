"""What a sealed record's PDF itself states about its identity and the audit log it was made from.

Pure: bytes in, facts out. The integrity checks compare these with the archive row and the audit log,
so that swapping one genuine sealed PDF for another, or rewriting the log, cannot pass unnoticed.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from pypdf import PdfReader

# Written by eia.domain.pdf: the subject "<reference> version <n>: <decision>" and, on the last page,
# "the last event was number <seq>, with hash <sha-256>".
_SUBJECT = re.compile(r"^(?P<reference>\S+) version (?P<version>\d+):")
_CHAIN_HEAD = re.compile(r"thelasteventwasnumber(?P<seq>\d+),withhash(?P<hash>[0-9a-f]{64})")


@dataclass(frozen=True)
class RecordFacts:
    reference: str | None
    version: int | None
    chain_head: tuple[int, str] | None  # None: the record was the log's first entry, or does not say


def read_record_facts(content: bytes) -> RecordFacts:
    """The reference, version and audit chain head printed in a record; raises ValueError if unreadable."""
    try:
        reader = PdfReader(io.BytesIO(content))
        metadata = reader.metadata
        subject = str(metadata.get("/Subject") or "") if metadata is not None else ""
        # The integrity statement is kept together on the last page; whitespace is removed because
        # text extraction may break the 64-character hash across lines.
        last_page = "".join(reader.pages[-1].extract_text().split())
    except Exception as error:
        raise ValueError("the file's text cannot be read") from error
    identity = _SUBJECT.match(subject)
    head = _CHAIN_HEAD.search(last_page)
    return RecordFacts(
        reference=identity["reference"] if identity else None,
        version=int(identity["version"]) if identity else None,
        chain_head=(int(head["seq"]), head["hash"]) if head else None,
    )
