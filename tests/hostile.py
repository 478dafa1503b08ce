"""Hostile outside text for the wizard's tests, and the helpers that read back what a screen really shows.

Every string here is something a server, a HAR file or a saved session can carry: Textual/Rich markup and
actions, list reprs that fool `escape`, terminal escape sequences (title, clipboard, clear screen), a bidi
override, broken UTF-8, a Latin-1 reason phrase, Markdown links, raw HTML and `<script>`, huge and numerous
headers, deeply nested JSON. `hostile_session` puts them in every header, the reason phrase, the URL and the body.
"""

from __future__ import annotations

import datetime as dt
import json

from textual.content import Content

from wizard403.model import Exchange, Headers, Session, Target

AT = dt.datetime(2026, 11, 22, 9, 15, tzinfo=dt.timezone.utc)

CLICK = "[ @click=app.quit]quit[/]"
MARKUP = [
    CLICK,
    "[@click=app.screenshot('/tmp/x.svg')]shot[/]",
    "[b]bold[/b]",
    "['a=b']",
    "[link=http://evil.example]link[/link]",
    "\\[/]",
    "$name",
]
TITLE_OSC = "\x1b]0;pwned\x07"
CLIPBOARD_OSC = "\x1b]52;c;cHduZWQ=\x07"
CLEAR = "\x1b[2J"
ESCAPES = [TITLE_OSC, CLIPBOARD_OSC, CLEAR, "\x1b[31mred\x1b[0m", "\x9b31m", "bell\x07", "cr\rover"]
BIDI = "\u202egnp.exe"
BROKEN_UTF8 = b"caf\xc3\xa9 \xff\xfe\xc3".decode("utf-8", "replace")
LATIN1_REASON = b"Verboten f\xfcr Sie".decode("latin-1")
MARKDOWN = "[click me](http://evil.example/) <script>alert(1)</script> <b>raw</b> # not a heading **bold** `code` | cell |"
EVERYTHING = " ".join(MARKUP + ESCAPES + [BIDI, BROKEN_UTF8, MARKDOWN])

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJob3N0aWxlIn0.c2VjcmV0LXNpZ25hdHVyZS1ob3N0aWxl"
COOKIE_SECRET = "s3ss10n-v4lue-7f9c2ab1d0e4"
SECRETS = (TOKEN, COOKIE_SECRET)

HOSTILE_URL = "http://127.0.0.1:1/search?q=['a=b']&r=[ @click=app.quit]&s=%1b]0;pwned"


def nested_json(depth: int = 120) -> bytes:
    value: object = {"message": EVERYTHING, "md": MARKDOWN}
    for level in range(depth):
        value = {"error": {"level": level, "detail": value, "list": ["[b]x[/b]", CLICK]}}
    return json.dumps(value).encode()


def hostile_headers(count: int = 200) -> Headers:
    pairs = [("Content-Type", "application/json; charset=utf-8"), ("Server", CLICK), ("CF-RAY", "['a=b']-FRA")]
    pairs += [("WWW-Authenticate", 'Bearer realm="[ @click=app.quit]", error="insufficient_scope", scope="a=b"')]
    pairs += [("Via", "1.1 ['a=b'], 1.1 [b]proxy[/b]"), ("X-Request-Id", "abc123==")]
    pairs += [("X-Title", TITLE_OSC), ("X-Clip", CLIPBOARD_OSC), ("X-Clear", CLEAR), ("X-Bidi", BIDI)]
    pairs += [("X-Broken", BROKEN_UTF8), ("X-Markdown", MARKDOWN), ("X-Big", "A" * 16 * 1024)]
    pairs += [("Set-Cookie", f"sid={COOKIE_SECRET}; Path=/; HttpOnly")]
    while len(pairs) < count:
        n = len(pairs)
        pairs.append((f"X-Hostile-{n}", MARKUP[n % len(MARKUP)] + ESCAPES[n % len(ESCAPES)]))
    return Headers(pairs)


def hostile_exchange(check: str = "recorded", body: bytes | None = None, reason: str | None = None) -> Exchange:
    request = Headers(
        [
            ("Authorization", f"Bearer {TOKEN}"),
            ("Cookie", f"sessionid={COOKIE_SECRET}"),
            ("User-Agent", CLICK + TITLE_OSC),
            ("X-Note", EVERYTHING),
        ]
    )
    return Exchange(
        check=check,
        method="GET",
        url=HOSTILE_URL,
        status=403,
        reason=reason if reason is not None else f"{LATIN1_REASON} {CLICK} {TITLE_OSC} {BIDI}",
        http_version="HTTP/1.1",
        request_headers=request,
        response_headers=hostile_headers(),
        body=nested_json() if body is None else body,
        at=AT,
    )


def hostile_session(body: bytes | None = None, mode: str = "plain") -> Session:
    """A recorded 403 (offline) whose every field is hostile; analysed by the wizard when it opens."""
    exchange = hostile_exchange(body=body)
    target = Target(url=HOSTILE_URL, method="GET", headers=exchange.request_headers, source="response")
    session = Session(target=target, created=AT, mode=mode)
    session.exchanges.append(exchange)
    return session


HTML_BODY = (
    "<html><head><title>[ @click=app.quit] Access denied</title><script>alert(1)</script></head><body>"
    f"<h1>403 [b]Forbidden[/b]</h1><p>{MARKDOWN}</p><p>Ray ID: ['a=b'] {TITLE_OSC}{CLIPBOARD_OSC}</p></body></html>"
).encode()


# ---------------------------------------------------------------------------------------------------------------
# What a screen shows


def contents_of(screen) -> list[Content]:
    """Every piece of Content the screen's widgets render (whether visible in the viewport or scrolled away)."""
    from textual.widgets import OptionList, TextArea

    out: list[Content] = []
    for widget in screen.walk_children(with_self=False):
        if isinstance(widget, TextArea):
            out.append(Content(widget.text))
            continue
        if isinstance(widget, OptionList):
            out += [o.prompt for o in widget.options if isinstance(o.prompt, Content)]
        try:
            rendered = widget.render()
        except Exception:  # noqa: BLE001 - containers and compound widgets render nothing of their own
            continue
        if isinstance(rendered, Content):
            out.append(rendered)
    return out


def screen_text(screen) -> str:
    return "\n".join(c.plain for c in contents_of(screen))


def actions_in(screen) -> list[str]:
    """Styles that would make text clickable or a link: what parsed markup from outside would leave behind."""
    found = []
    for content in contents_of(screen):
        for span in content.spans:
            style = span.style
            text = str(style)
            meta = getattr(style, "meta", None) or {}
            if "@click" in text or "link" in text or "@click" in meta or getattr(style, "link", None):
                found.append(f"{text} on {content.plain[span.start:span.end]!r}")
    return found


def painted_text(app) -> str:
    """The characters actually painted in the viewport, as a terminal would receive them."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
