"""The lab's hostile corner: 403s whose every header, reason phrase and body is built to trick the reader.

The wizard exists to read hostile, broken and odd answers, so the lab serves them on purpose: Textual/Rich markup
and click actions, terminal escape sequences (window title, clipboard, clear screen, colours), C1 controls and a
right-to-left override, bytes that are not UTF-8 and a Latin-1 reason phrase, oversized and numerous headers, JSON
nested thousands of levels deep, brackets in the query string, tangled WWW-Authenticate challenges, and Markdown
in a block page. Nothing here attacks anything: it is text that a careless tool would obey instead of showing.
Header values and reason phrases may be bytes, which server.py writes to the wire exactly as given.
"""

from __future__ import annotations

import html
import json

from wizard403.lab.exchange import LabRequest, LabResponse, LabState, random_hex

JSON = "application/json"

# --- the hostile strings, named so tests can look for them in the wizard's output ---------------------------------

QUIT = "[ @click=app.quit]"  # a leading space gets past rich.markup.escape
SCREENSHOT = "[@click=app.screenshot()]"
BOLD = "[b]"
LIST_REPR = "['a=b']"
MARKUP_STRINGS = (QUIT, SCREENSHOT, BOLD, LIST_REPR)
MARKUP = f"{QUIT} {SCREENSHOT} {BOLD}bold{LIST_REPR}"  # one string carrying all four

TITLE = "\x1b]0;pwned\x07"  # OSC 0: set the terminal's window title
CLIPBOARD = "\x1b]52;c;cHduZWQ=\x07"  # OSC 52: write "pwned" to the clipboard
CLEAR = "\x1b[2J\x1b[H"  # CSI: clear the screen, cursor home
RED = "\x1b[31m"  # CSI SGR: red text from here on
C1 = "\u009b31m\u009d0;pwned\u009c"  # the same as 8-bit C1 controls (CSI, OSC, ST), UTF-8 encoded
RLO = "\u202e"  # right-to-left override: 'gnp.exe' reads as 'exe.png'
ESCAPES = f"{TITLE}{CLIPBOARD}{CLEAR}{RED}red{C1} {RLO}gnp.exe"

LATIN1_REASON = "Accès refusé"  # sent as ISO-8859-1 bytes, as old servers do
INVALID_UTF8 = b"\xff\xfe \xc3( \xed\xa0\x80 \xc0\xaf \xe9t\xe9"  # lone bytes, a surrogate, an overlong, Latin-1

HUGE_HEADER_BYTES = 16 * 1024
MANY_HEADERS = 200
NESTING = 5000
QUERY = "q=[@click=app.quit]&tags[]=['a=b']&f=[b]x[/b]"

# Challenges whose quoted strings hold quotes, commas and '=' (and one that never closes its quote).
CHALLENGES = (
    'Bearer realm="the \\"inner\\" realm, with=commas", error="insufficient_scope", '
    'scope="read write=all", error_description="needs \\"admin\\", see=docs"',
    'Basic realm="a=b, c=\\"d\\"", charset="UTF-8"',
    'Digest realm="x,y=z", nonce="abc=,def", qop="auth,auth-int", algorithm=SHA-256',
    'Bearer realm="unterminated, error=invalid_token',
)

MARKDOWN_LINES = (
    "# You are blocked",
    "## Call [support](https://evil.example/phish) now",
    "<script>alert('pwned')</script>",
    "<img src=x onerror=alert(1)> <b>bold</b> <https://evil.example/auto>",
    "| col | umn |",
    "|---|---|",
    "![tracker](https://evil.example/pixel.png)",
    "``` not a fence ``` and ```` four ```` and a lone ` tick",
    "[ref]: https://evil.example/ref",
    "---",
    "* a list item with **emphasis**",
)
MARKDOWN = "\n".join(MARKDOWN_LINES)


def _page(title: str, *paragraphs: str) -> bytes:
    """A small HTML block page; the text is escaped for HTML, so a browser shows it as written (as a reader sees it)."""
    body = "\n".join(f"  <p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n'
        f"  <title>{html.escape(title)}</title>\n</head>\n<body>\n  <h1>{html.escape(title)}</h1>\n{body}\n"
        "</body>\n</html>\n"
    ).encode("utf-8")


def markup(request: LabRequest, state: LabState) -> LabResponse:
    """Markup and click actions in every header, the reason phrase and the body."""
    body = json.dumps(
        {
            "error": QUIT,
            "error_description": f"{BOLD}Access denied{LIST_REPR} {SCREENSHOT}",
            "message": MARKUP,
            "request_id": LIST_REPR,
        }
    ).encode("utf-8")
    headers = [
        ("WWW-Authenticate", f'Bearer realm="{SCREENSHOT}", error="insufficient_scope", scope="{BOLD}admin{LIST_REPR}"'),
        ("X-Request-Id", f"req-{LIST_REPR}="),
        ("Via", f"1.1 {QUIT}, 1.1 {LIST_REPR}"),
        ("CF-RAY", f"{SCREENSHOT}-LAX"),
        ("X-Notice", f"[@click=app.notify('pwned')]{MARKUP}"),
        ("Link", f"<{QUIT}>; rel=help"),
        ("Cache-Control", f"no-store, x={BOLD}"),
    ]
    return LabResponse(
        403, body, f"{JSON}; x=\"{QUIT}\"", headers, server=f"{QUIT}nginx{BOLD}", reason=f"Forbidden {MARKUP}"
    )


def escapes(request: LabRequest, state: LabState) -> LabResponse:
    """Terminal escape sequences, C1 controls and a right-to-left override in headers, reason phrase and body."""
    body = _page(
        f"403 Forbidden{TITLE}",
        f"Access denied.{CLIPBOARD}{CLEAR}",
        f"{RED}Your request was refused.\x1b[0m {C1} {RLO}gnp.exe",
        "A DEL\x7f, a NUL\x00, a bell\x07 and a backspace\x08.",
    )
    headers = [
        ("WWW-Authenticate", f'Bearer realm="{TITLE}", error="invalid_token", error_description="{RED}expired"'),
        ("X-Request-Id", f"req-{RED}42\x1b[0m"),
        ("X-Title", TITLE),
        ("X-Clipboard", CLIPBOARD),
        ("X-Clear", CLEAR),
        ("X-C1", C1),
        ("X-Bidi", f"{RLO}gnp.exe"),
        ("X-Del", "a\x7fb"),
    ]
    return LabResponse(403, body, headers=headers, server=f"nginx{TITLE}", reason=f"Forbidden{TITLE}{CLEAR}{RLO}")


def bytes_(request: LabRequest, state: LabState) -> LabResponse:
    """Bytes that are not UTF-8 in headers and a body that says it is UTF-8, and a Latin-1 reason phrase."""
    body = (
        b'<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"><title>403 Forbidden</title></head>\n<body>\n'
        b"<h1>" + LATIN1_REASON.encode("latin-1") + b"</h1>\n<p>Invalid UTF-8: " + INVALID_UTF8 + b"</p>\n"
        b"</body>\n</html>\n"
    )
    headers = [
        ("X-Broken", INVALID_UTF8),
        ("X-Latin1", "François".encode("latin-1")),
        ("X-Utf8", "café ✓"),
        ("X-Request-Id", b"req-\xff\xfe-" + random_hex(4).encode()),
    ]
    return LabResponse(
        403, body, "text/html; charset=utf-8", headers, server="serveur-\xe9".encode("latin-1"),
        reason=LATIN1_REASON.encode("latin-1"),
    )


def huge_headers(request: LabRequest, state: LabState) -> LabResponse:
    """One 16 KB header and 200 more headers, each with its own name."""
    unit = "[b]x[/b]=" + "a" * 23  # 32 characters, brackets included
    huge = (unit * (HUGE_HEADER_BYTES // len(unit) + 1))[:HUGE_HEADER_BYTES]
    headers = [("X-Huge", huge)]
    headers += [(f"X-Filler-{i:03d}", f"value {i} {LIST_REPR}") for i in range(1, MANY_HEADERS + 1)]
    body = _page("403 Forbidden", "This answer carries a 16 KB header and 200 more.")
    return LabResponse(403, body, headers=headers)


def nested_json(request: LabRequest, state: LabState) -> LabResponse:
    """An error document nested 5,000 levels deep: a parser that recurses without a limit falls over."""
    body = ('{"error":' * NESTING + '"access denied"' + "}" * NESTING).encode("ascii")
    body += b"\n"
    return LabResponse(403, body, JSON)


def bracketed_query(request: LabRequest, state: LabState) -> LabResponse:
    """A search refused for its query string, which holds markup in brackets; the answer echoes it."""
    body = json.dumps({"error": "forbidden", "message": f"Searching for {request.query} is not allowed."})
    return LabResponse(403, body.encode("utf-8"), JSON, [("X-Query", request.query)])


def realm_challenges(request: LabRequest, state: LabState) -> LabResponse:
    """Four WWW-Authenticate challenges whose quoted strings hold quotes, commas and equals signs."""
    body = json.dumps({"error": "insufficient_scope", "error_description": 'needs "admin", see=docs'})
    headers = [("WWW-Authenticate", challenge) for challenge in CHALLENGES]
    return LabResponse(403, body.encode("utf-8"), JSON, headers)


def markdown_page(request: LabRequest, state: LabState) -> LabResponse:
    """A block page whose text is Markdown and HTML: headings, links, a script, a table breaker, backtick runs."""
    body = _page("# Blocked | [click](https://evil.example/) <script>x</script>", *MARKDOWN_LINES)
    headers = [
        ("X-Reason", "[link](https://evil.example/) | # heading | `tick` <b>html</b>"),
        ("X-Request-Id", "``req`42``"),
    ]
    return LabResponse(403, body, headers=headers, reason="Forbidden | # heading | `tick` <b>")


def bare_status(request: LabRequest, state: LabState) -> LabResponse:
    """An HTTP/1.0 answer with no reason phrase at all ('HTTP/1.0 403'), as some embedded servers send."""
    return LabResponse(403, b"Forbidden\n", "text/plain", server=None, reason=b"", http_version="HTTP/1.0")
