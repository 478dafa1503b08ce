"""The one scrubber every output passes through: a session's known secrets, then the name and pattern rules.

A `Scrubber` holds every secret value the session knows (registered as it enters: credential headers, cookies,
passwords in URLs, secrets the server handed out). `scrub(text)` replaces each of them, then applies the free-text
rules of `redact` that catch secrets nobody registered. Screens, stderr, error sentences, reports, the autosave and
`sanitize` all call it; `shown()` adds `textsafe.visible` for what a terminal displays.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from wizard403 import redact
from wizard403.textsafe import visible

if TYPE_CHECKING:
    from wizard403.model import Session


class Scrubber:
    """The secrets one session knows, and the function that removes them from any text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: set[str] = set()
        for value in secrets:
            self.add(value)

    def add(self, value: str, kind: str = "value") -> None:
        """Register one secret value (`kind` says where it came from: header, cookie, url, body, ...)."""
        if value and len(value) >= redact.MIN_SECRET_LEN and not redact.FINGERPRINT_RE.fullmatch(value):
            self.secrets.add(value)

    def update(self, values: Iterable[str]) -> None:
        for value in values:
            self.add(value)

    def scrub(self, text: str) -> str:
        """`text` with every registered secret and every secret-shaped value replaced by its fingerprint."""
        return redact.redact_text(text, self.secrets) if text else text

    def shown(self, text: str) -> str:
        """What a terminal may display: scrubbed, then every control character made visible."""
        return visible(self.scrub(text))

    @classmethod
    def for_session(cls, session: Session | None, extra: Iterable[str] = ()) -> Scrubber:
        scrubber = cls(extra)
        if session is not None:
            scrubber.update(session_secrets(session))
        return scrubber


def session_secrets(session: Session, extra: Iterable[str] = ()) -> set[str]:
    """Every secret value the session knows, whole and in parts, for scrubbing free text."""
    target = session.target
    found = set(extra)
    found |= redact.secrets_of_headers(target.headers)
    found |= redact.secrets_of_url(target.url)
    if target.body:
        found |= redact.secrets_of_body(target.body.decode("utf-8", "replace"))
    for ex in session.exchanges:
        found |= redact.secrets_of_headers(ex.request_headers)
        found |= redact.secrets_of_headers(ex.response_headers)  # Set-Cookie: sessions the server handed out
        found |= redact.secrets_of_url(ex.url)
        found |= redact.secrets_of_url(ex.route)
        for hop in ex.redirects:
            found |= redact.secrets_of_url(hop)
    return found


def shown(text: str, session: Session | None = None) -> str:
    """One call for a screen or stderr line: the session's secrets scrubbed, controls made visible."""
    return Scrubber.for_session(session).shown(text)
