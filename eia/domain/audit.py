"""Hash-chain helpers for the audit log (RFC 6962-style leaf hashing)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_bytes(event: Mapping[str, Any]) -> bytes:
    """Canonical JSON: sorted keys, compact, UTF-8. Floats are refused (their text is not canonical)."""
    _check(event)
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _check(value: object) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"audit event keys must be strings, not {type(key).__name__}")
            _check(item)
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check(item)
        return
    raise TypeError(f"audit events hold only str, int, bool, None, lists and objects, not {type(value).__name__}")


def leaf_hash(canonical: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + canonical).digest()


def chain_hash(prev_hash_hex: str, canonical: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash_hex) + leaf_hash(canonical)).hexdigest()


def verify_chain(
    events: Iterable[tuple[Any, ...]], *, start_hash: str = GENESIS_HASH, start_seq: int = 1
) -> tuple[list[str], int, str, int]:
    """Recompute the chain over ``(seq, canonical, prev_hash, entry_hash)`` rows in sequence order.

    ``canonical`` is the stored text or its UTF-8 bytes. Returns (problems, last sequence, last hash,
    events checked). Each problem names the event and what is wrong; after a broken link the check
    carries on from the stored hash, so one edit is reported once. This loop is most of the cost of
    `eia audit verify`, so it hashes the stored bytes and never re-serialises or parses them.
    """
    problems: list[str] = []
    expected_seq, previous, checked = start_seq, start_hash, 0
    sha256, fromhex = hashlib.sha256, bytes.fromhex
    for seq, canonical, prev_hash, entry_hash in events:
        checked += 1
        if seq != expected_seq:
            missing = f"event {expected_seq}" if seq == expected_seq + 1 else f"events {expected_seq} to {seq - 1}"
            problems.append(f"{missing} missing: the sequence jumps from {expected_seq - 1} to {seq}")
        if prev_hash != previous:
            problems.append(f"event {seq}: its previous-hash does not match the hash of the event before it")
        data = canonical.encode("utf-8") if isinstance(canonical, str) else canonical
        if sha256(fromhex(prev_hash) + sha256(b"\x00" + data).digest()).hexdigest() != entry_hash:
            problems.append(f"event {seq}: its content does not match its hash (the event was altered)")
        expected_seq, previous = seq + 1, entry_hash
    return problems, expected_seq - 1, previous, checked
