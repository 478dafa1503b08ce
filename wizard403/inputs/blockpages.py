"""Block pages and challenges that arrive with a status other than 401/403, so a HAR listing does not miss them.

A short, data-only list used to pick entries out of a recording; the real recognition of vendors and causes is
done later by the diagnosis. Sources: ../shared/research/403-signatures.md §4 and §8.
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard403.model import Headers


@dataclass(frozen=True)
class BlockMarker:
    """One tell-tale: a header (with a value fragment, or "" for any value) or a fragment of an HTML body."""

    label: str
    header: str = ""
    value: str = ""
    body: str = ""


BLOCK_MARKERS: tuple[BlockMarker, ...] = (
    BlockMarker("Cloudflare challenge (cf-mitigated: challenge)", header="cf-mitigated", value="challenge"),
    BlockMarker("AWS WAF action (x-amzn-waf-action)", header="x-amzn-waf-action"),
    BlockMarker("Vercel security checkpoint (x-vercel-mitigated)", header="x-vercel-mitigated"),
    BlockMarker("Imperva (Incapsula) block or challenge page", body="_Incapsula_Resource"),
    BlockMarker("Cloudflare challenge page", body="<title>Just a moment...</title>"),
    BlockMarker("Cloudflare block page", body="Attention Required! | Cloudflare"),
    BlockMarker("Anubis proof-of-work wall", body="anubis_challenge"),
)

# Only the start of a body is searched: block pages are small, and a recording may hold huge bodies.
BODY_SCAN_LIMIT = 64 * 1024


def header_marker(headers: Headers | list[tuple[str, str]]) -> str:
    """The label of the first header marker present, or ""."""
    for marker in BLOCK_MARKERS:
        if not marker.header:
            continue
        for name, value in headers:
            if name.lower() == marker.header and marker.value in value.lower():
                return marker.label
    return ""


def body_marker(text: str) -> str:
    """The label of the first body marker found in the start of an HTML body, or ""."""
    head = text[:BODY_SCAN_LIMIT]
    for marker in BLOCK_MARKERS:
        if marker.body and marker.body in head:
            return marker.label
    return ""
