"""Parsed TOML kept in the cache folder, by the hash of the file's bytes: content/ is the same from run to run.

Every run parses the same ~20 content files (causes, steps, cues, secret names, fix templates), 0.02 s of a
`check`'s start-up, for the same tables each time. A parsed file is kept as msgpack (plain values only: a table
holding dates or integers msgpack cannot carry is simply not kept) under the SHA-256 of its bytes, so an edited
file is a new entry and never a stale one. Reading or writing the cache never fails a run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import msgspec

from wizard403.files import cache_dir, private_dir, write_private

FOLDER = "toml-1"  # bump when what is kept changes meaning


def parsed(raw: bytes, parse: Callable[[], dict]) -> dict:
    """parse() for a file whose bytes are `raw`, or what it gave last time for the same bytes."""
    digest = hashlib.sha256(raw).hexdigest()
    path = cache_dir() / FOLDER / f"{digest}.msgpack"
    try:
        data = msgspec.msgpack.decode(path.read_bytes())
        if isinstance(data, dict):
            return data
    except Exception:  # noqa: BLE001 - missing, unreadable or damaged: parsed again below
        pass
    table = parse()
    if _plain(table):
        try:
            encoded = msgspec.msgpack.encode(table)
            private_dir(path.parent)
            write_private(path, encoded)
        except (OSError, ValueError, TypeError, OverflowError, msgspec.EncodeError):
            pass
    return table


def _plain(value: Any) -> bool:
    """Only values that come back from msgpack as exactly what TOML gave (no dates, times, huge integers)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**64
    return isinstance(value, (str, float, bool))
