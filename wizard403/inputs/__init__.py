"""Evidence the user brings instead of (or before) a live probe: a curl command, a HAR recording, a raw response.

Every parser here turns untrusted, secret-laden input into the shared model (Target, Exchange) and reports
problems as one-sentence InputErrors; `sanitize_har` writes a copy of a HAR that is safe to hand on.
"""

from wizard403.inputs.curl import CurlImport, parse_curl
from wizard403.inputs.har import DEFAULT_MAX_HAR_BYTES, HarArchive, HarEntry, open_har
from wizard403.inputs.raw import parse_raw_response
from wizard403.inputs.sanitize import SanitizeReport, sanitize_har

__all__ = [
    "DEFAULT_MAX_HAR_BYTES",
    "CurlImport",
    "HarArchive",
    "HarEntry",
    "SanitizeReport",
    "open_har",
    "parse_curl",
    "parse_raw_response",
    "sanitize_har",
]
