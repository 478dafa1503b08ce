"""Property: a secret of any alphabet and length, put in every vector a session has, is in none of its reports.

Hypothesis draws the secret (any Unicode but lone surrogates, 6 to 80 characters); the test puts it, in the form
each vector can carry, into a Bearer token, a cookie, an API-key header, the URL's password and a query
parameter (percent-encoded), a JSON body field, and a server's 403 body that echoes it as is, JSON-escaped,
HTML-escaped and base64. The three report formats must hold none of the secret's forms. A secret that is part of
the report's own wording (say "orbidden") cannot be told apart from it, so such draws are set aside.
"""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote

import tomli_w
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wizard403.model import Exchange, Headers, Session, Target
from wizard403.report import render
from wizard403.scrub import TRIVIAL

SECRETS = st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=6, max_size=80)


def session_with(secret: str, cookie_ok: bool, header_ok: bool) -> Session:
    url = f"https://alice:{quote(secret, safe='')}@api.example/v1/items?token={quote(secret, safe='')}&page=2"
    headers = [("Authorization", f"Bearer {secret}")] if header_ok else []
    if header_ok:
        headers.append(("X-Api-Key", secret))
    if cookie_ok:
        headers.append(("Cookie", f"sid={secret}; theme=dark"))
    headers.append(("Content-Type", "application/json"))
    body = json.dumps({"user": "bob", "profile": {"password": secret}}).encode()
    target = Target(url=url, method="POST", headers=Headers(headers), body=body)
    echo = (
        f"<html><body><p>Token {html.escape(secret)} refused</p><pre>{json.dumps(secret)}</pre>"
        f"<code>{base64.b64encode(secret.encode()).decode()}</code><p>{secret}</p></body></html>"
    )
    exchange = Exchange(
        check="baseline",
        method="POST",
        url=url,
        status=403,
        reason="Forbidden",
        request_headers=Headers(headers),
        response_headers=Headers([("Content-Type", "text/html")]),
        body=echo.encode("utf-8"),
    )
    session = Session(target=target)
    session.exchanges.append(exchange)
    return session


def forms(secret: str) -> set[str]:
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        tomli_w.dumps({"a": secret}).split("=", 1)[1].strip()[1:-1],
        html.escape(secret),
        quote(secret, safe=""),
        base64.b64encode(secret.encode()).decode(),
    }


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=SECRETS)
def test_a_secret_of_any_alphabet_is_in_no_report(secret):
    assume(secret == secret.strip() and secret.lower() not in TRIVIAL)  # "undefined" is a placeholder, not a secret
    # what a header or a cookie cannot carry, those vectors leave out (the other vectors still carry it)
    header_ok = not any(c in secret for c in "\r\n\x00") and secret.isprintable()
    cookie_ok = header_ok and not any(c in secret for c in ';, "=')
    baseline = "".join(render(session_with("placeholder-value", cookie_ok, header_ok), fmt) for fmt in ("toml", "json", "md"))
    assume(not any(form in baseline for form in forms(secret)))
    session = session_with(secret, cookie_ok, header_ok)
    for fmt in ("toml", "json", "md"):
        out = render(session, fmt)
        leaked = [form for form in forms(secret) if len(form) >= 6 and form in out]
        assert not leaked, f"{fmt}: {leaked[0]!r} of {secret!r}"


def har_with(secret: str, header_ok: bool, cookie_ok: bool) -> dict:
    headers = [{"name": "X-Functions-Key", "value": secret}] if header_ok else []
    if cookie_ok:
        headers.append({"name": "Cookie", "value": f"sid={secret}"})
    echo = f"<p>{html.escape(secret)}</p><pre>{json.dumps(secret)}</pre><i>{quote(secret, safe='')}</i>"
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "property", "version": "1"},
            "entries": [
                {
                    "startedDateTime": "2026-12-03T07:00:00Z",
                    "time": 1,
                    "comment": f"seen {secret}",
                    "request": {
                        "method": "POST",
                        "url": f"https://api.example/p?sig={quote(secret, safe='')}&page=2",
                        "httpVersion": "HTTP/1.1",
                        "headers": headers,
                        "queryString": [{"name": "sig", "value": secret}],
                        "cookies": [{"name": "sid", "value": secret}] if cookie_ok else [],
                        "postData": {"mimeType": "application/json", "text": json.dumps({"a": {"passphrase": secret}})},
                    },
                    "response": {
                        "status": 403,
                        "statusText": "Forbidden",
                        "headers": [{"name": "Content-Type", "value": "text/html"}],
                        "content": {"size": len(echo), "mimeType": "text/html", "text": echo},
                    },
                }
            ],
        }
    }


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=SECRETS)
def test_a_secret_of_any_alphabet_is_not_in_a_sanitized_har(secret, tmp_path):
    from wizard403.inputs.sanitize import sanitize_har

    assume(secret == secret.strip() and secret.lower() not in TRIVIAL)  # "undefined" is a placeholder, not a secret
    header_ok = not any(c in secret for c in "\r\n\x00") and secret.isprintable()
    cookie_ok = header_ok and not any(c in secret for c in ';, "=')
    src, dst = tmp_path / "in.har", tmp_path / "out.har"
    src.write_text(json.dumps(har_with("placeholder-value", header_ok, cookie_ok)))
    sanitize_har(src, dst)
    baseline = dst.read_text()
    assume(not any(form in baseline for form in forms(secret)))
    src.write_text(json.dumps(har_with(secret, header_ok, cookie_ok)))
    sanitize_har(src, dst)
    out = dst.read_text()
    leaked = [form for form in forms(secret) if len(form) >= 6 and form in out]
    assert not leaked, f"{leaked[0]!r} of {secret!r}"
