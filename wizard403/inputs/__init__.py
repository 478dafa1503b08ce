"""Evidence the user brings instead of (or before) a live probe: a curl command, a HAR recording, a raw response.

Every parser here turns untrusted, secret-laden input into the shared model (Target, Exchange) and reports
problems as one-sentence InputErrors; `sanitize_har` writes a copy of a HAR that is safe to hand on.

The names below are imported on first use, so that `check --har` does not load the curl and raw-response parsers.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "CurlImport": "curl",
    "parse_curl": "curl",
    "DEFAULT_MAX_HAR_BYTES": "har",
    "HarArchive": "har",
    "HarEntry": "har",
    "open_har": "har",
    "parse_raw_response": "raw",
    "SanitizeReport": "sanitize",
    "sanitize_har": "sanitize",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
