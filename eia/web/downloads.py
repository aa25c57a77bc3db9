"""File downloads: the one way to name a file in a response."""

from __future__ import annotations

import re
from urllib.parse import quote

_UNSAFE_IN_FALLBACK = re.compile(r"[^A-Za-z0-9._-]")


def content_disposition(filename: str) -> str:
    """An RFC 6266 attachment header: a plain ASCII ``filename`` for old clients and the exact name,
    percent-encoded, in ``filename*``. No quote, CR/LF, slash or path survives into either."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    fallback = _UNSAFE_IN_FALLBACK.sub("_", name).lstrip(".") or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='') or 'download'}"
