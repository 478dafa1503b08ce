"""JSON from a server, parsed without trusting it: a document that is not JSON, or nests deeper than Python's
parser can follow (a hostile 5,000-level error document), is simply not a JSON document, never a crash."""

from __future__ import annotations

import json
from typing import Any


def parse_json(text: str) -> Any | None:
    """The parsed document, or None when `text` is not JSON or cannot be parsed (too deep, too odd)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
