"""Offline analysis of one recorded response (from a HAR entry or a raw response file): no request is sent.

The same engine runs on a Session that holds just that exchange, with check "recorded" and no check results, so an
imported response is judged exactly like a live one.
"""

from __future__ import annotations

from wizard403.content import Content
from wizard403.diagnose.engine import diagnose
from wizard403.model import Exchange, Session, Target


def analyse_exchange(exchange: Exchange, target: Target | None = None, content: Content | None = None) -> Session:
    """A diagnosed Session built around one recorded exchange; the target defaults to that exchange's request."""
    if target is None:
        target = Target(
            url=exchange.url,
            method=exchange.method or "GET",
            headers=exchange.request_headers,
            source="response",
        )
    session = Session(target=target, exchanges=[exchange])
    diagnose(session, content)
    return session
