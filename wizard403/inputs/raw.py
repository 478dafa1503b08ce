"""Read an HTTP response pasted or saved by the user: `curl -i` or `curl -v` output, a browser's raw headers,
a proxy or server log, or a bare block-page body when the user tells us the status.

What came over the wire is kept as it was; only framing is undone (chunked transfer coding, gzip/deflate
content coding), so the diagnosis sees the page a browser would have shown.
"""

from __future__ import annotations

import re
import zlib
from http import HTTPStatus

from wizard403.errors import InputError
from wizard403.redact import redact_input, secrets_of_headers, secrets_of_url
from wizard403.scrub import remember
from wizard403.model import Exchange, Headers, http_date

RAW_BODY_CAP = 1024 * 1024

_STATUS_LINE_RE = re.compile(
    rb"^[ \t]*(HTTP/[0-9](?:\.[0-9])?)[ \t]+([0-9]{3})(?:[ \t]+([^\r\n]*))?[ \t]*(?:\r?\n|$)", re.I
)
_H2_STATUS_RE = re.compile(rb"^[ \t]*:?status:[ \t]*([0-9]{3})[ \t]*(?:\r?\n|$)", re.I)
_HEADER_NAME_RE = re.compile(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_VERBOSE_LINE_RE = re.compile(rb"^[<>*] ", re.M)
_REQUEST_LINE_RE = re.compile(rb"^([A-Z]+) (\S+) HTTP/[0-9.]+$")


class NoStatusLine(InputError):
    """The text has no status line and no status was given: it may still state one in its own words."""


def parse_raw_response(
    data: bytes | str, status: int | None = None, url: str = "", method: str = "GET"
) -> Exchange:
    """An Exchange from a raw response; with `status`, `data` may be the body alone. InputError when unusable."""
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else bytes(data)
    if status is not None:
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise InputError(f"the status code must be a number from 100 to 599, not “{redact_input(str(status))[:40]}”.")
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    if not raw.strip():
        raise InputError("the response is empty.")

    method = (method or "GET").upper()
    if _looks_verbose(raw):
        raw, seen_method, seen_url = _from_verbose(raw)
        method = seen_method or method
        url = url or seen_url

    start = raw.lstrip(b"\r\n\t ")
    if not (_STATUS_LINE_RE.match(start) or _H2_STATUS_RE.match(start)):
        if status is None:
            if b"\x00" in raw[:512]:
                raise InputError("the response is binary data, not an HTTP response.")
            raise NoStatusLine(
                "the response has no status line (such as “HTTP/1.1 403 Forbidden”); paste it from the status "
                "line on, or give the status code along with the body."
            )
        body, truncated = _cap(raw)
        return Exchange(
            check="recorded",
            method=method,
            url=url,
            status=status,
            reason=_phrase(status),
            body=body,
            body_truncated=truncated,
        )

    redirects: list[str] = []
    rest = start
    while True:
        version, code, reason, headers, rest = _read_head(rest)
        following = rest.lstrip(b"\r\n")
        interim = 100 <= code < 200 or (code == 200 and "connection established" in reason.lower())
        redirected = 300 <= code < 400 and bool(_STATUS_LINE_RE.match(following))
        if (interim or redirected) and _STATUS_LINE_RE.match(following):
            if redirected and headers.get("location"):
                redirects.append(headers.get("location"))
            rest = following
            continue
        break

    body, truncated = _decode_body(rest, headers)
    if status is not None and status != code:
        code, reason = status, _phrase(status)
    exchange = Exchange(
        check="recorded",
        method=method,
        url=url,
        status=code,
        reason=reason or _phrase(code),
        response_headers=headers,
        body=body,
        body_truncated=truncated,
        http_version=version,
        redirects=redirects,
    )
    sent = _date_of(headers.get("date"))
    if sent is not None:
        exchange.at = sent  # when the server answered, not when we read the file: the owner's logs use that time
    return exchange


def _date_of(value: str | None):
    """The response's Date header as an aware UTC datetime, or None when absent or unreadable."""
    import datetime as dt

    when = http_date(value)
    return None if when is None else when.astimezone(dt.timezone.utc).replace(microsecond=0)


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


def _read_head(data: bytes) -> tuple[str, int, str, Headers, bytes]:
    """Parse a status line and headers; returns (version, status, reason, headers, what follows the blank line)."""
    match = _STATUS_LINE_RE.match(data)
    if match:
        version = match.group(1).decode("ascii").upper()
        code = int(match.group(2))
        reason = (match.group(3) or b"").decode("utf-8", "replace").strip()
        pos = match.end()
    else:
        h2 = _H2_STATUS_RE.match(data)
        version, code, reason, pos = "HTTP/2", int(h2.group(1)), "", h2.end()
    if not 100 <= code <= 599:
        raise InputError(f"the response's status {code} is not an HTTP status code.")
    headers = Headers()
    while pos < len(data):
        end = data.find(b"\n", pos)
        line_end = len(data) if end < 0 else end
        line = data[pos:line_end].rstrip(b"\r")
        next_pos = line_end + 1
        if not line.strip():
            return version, code, reason, headers, data[next_pos:]
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip().decode('utf-8', 'replace')}")
        else:
            name, colon, value = line.partition(b":")
            if not colon and line.startswith(b":"):
                name, colon, value = b"", b"", b""
            if not colon or not _HEADER_NAME_RE.match(name.strip()):
                # Not a header: the paste had no blank line, and the body starts here.
                return version, code, reason, headers, data[pos:]
            headers.append((name.strip().decode("ascii"), value.strip().decode("utf-8", "replace")))
        pos = next_pos
    return version, code, reason, headers, b""


def _decode_body(body: bytes, headers: Headers) -> tuple[bytes, bool]:
    truncated = False
    if "chunked" in (headers.get("transfer-encoding") or "").lower():
        dechunked = _dechunk(body)
        if dechunked is not None:
            body, truncated = dechunked
    else:
        length = headers.get("content-length")
        if length and length.strip().isdigit():
            expected = int(length.strip())
            if len(body) > expected and not body[expected:].strip():
                body = body[:expected]  # the trailing newline of a paste
            elif len(body) < expected:
                truncated = True
    coding = (headers.get("content-encoding") or "").lower().strip()
    if coding in ("gzip", "x-gzip", "deflate") and body:
        try:
            wbits = 47 if coding != "deflate" else zlib.MAX_WBITS
            body = zlib.decompressobj(wbits).decompress(body, RAW_BODY_CAP + 1)
        except zlib.error:
            try:
                body = zlib.decompressobj(-zlib.MAX_WBITS).decompress(body, RAW_BODY_CAP + 1)
            except zlib.error:
                pass  # leave it as it came: the user may have pasted it already decoded
    capped, cut = _cap(body)
    return capped, truncated or cut


def _dechunk(body: bytes) -> tuple[bytes, bool] | None:
    """Undo chunked transfer coding; None when the body is not actually chunked (already decoded by a tool)."""
    out = bytearray()
    pos = 0
    while True:
        end = body.find(b"\n", pos)
        if end < 0:
            return (bytes(out), True) if out else None
        size_text = body[pos:end].strip().split(b";")[0]
        try:
            size = int(size_text, 16)
        except ValueError:
            return None if not out else (bytes(out), True)
        if size == 0:
            return bytes(out), False
        chunk_start = end + 1
        chunk = body[chunk_start : chunk_start + size]
        out += chunk
        if len(chunk) < size:
            return bytes(out), True
        pos = chunk_start + size
        if body[pos : pos + 2] == b"\r\n":
            pos += 2
        elif body[pos : pos + 1] == b"\n":
            pos += 1


def _cap(body: bytes) -> tuple[bytes, bool]:
    return (body[:RAW_BODY_CAP], True) if len(body) > RAW_BODY_CAP else (body, False)


def _looks_verbose(raw: bytes) -> bool:
    """`curl -v` output: request lines start with "> ", response lines with "< ", notes with "* "."""
    return bool(re.search(rb"^< HTTP/", raw, re.M)) and len(_VERBOSE_LINE_RE.findall(raw[:8192])) >= 2


def _from_verbose(raw: bytes) -> tuple[bytes, str, str]:
    """Rebuild the plain response from `curl -v` output, and pick up the method and URL from its request lines."""
    head: list[bytes] = []
    body: list[bytes] = []
    method, path, host, port = "", "", "", ""
    sent: list[tuple[str, str]] = []  # the request's headers: not analysed, but their secrets must be known
    in_response = head_done = False
    for line in raw.splitlines(keepends=True):
        if line.rstrip(b"\r\n") in (b"<", b">"):
            line = line[:1] + b" \r\n"
        if line.startswith(b"< "):
            if line.startswith(b"< HTTP/"):
                head, body = [], []  # a later response (after a redirect or 100 Continue) replaces the earlier
                in_response, head_done = True, False
            head.append(line[2:])
            head_done = head_done or not line[2:].strip()
        elif line.startswith(b"> "):
            request = _REQUEST_LINE_RE.match(line[2:].strip())
            if request:
                method, path = request.group(1).decode(), request.group(2).decode("utf-8", "replace")
            elif line[2:].lower().startswith(b"host:"):
                host = line[7:].strip().decode("utf-8", "replace")
            elif b":" in line:
                name, _, value = line[2:].decode("utf-8", "replace").partition(":")
                sent.append((name.strip(), value.strip()))
        elif line.startswith((b"* ", b"{ [", b"} [")):
            connected = re.match(rb"\* Connected to \S+ \(.*?\) port (\d+)", line)
            if connected:
                port = connected.group(1).decode()
        elif in_response:
            if not head_done:
                head.append(b"\r\n")
                head_done = True
            body.append(line)
    if head and not head_done:
        head.append(b"\r\n")
    url = ""
    if host and path:
        url = path if "://" in path else f"{'https' if port == '443' else 'http'}://{host}{path}"
    # The response may quote what the request sent (a token, a cookie): every output of this run must know it.
    remember(secrets_of_headers(sent) | secrets_of_url(url))
    return b"".join(head) + b"".join(body), method, url


# -- a status stated in words -------------------------------------------------------------------------------------
#
# What users paste is often not the response but the error their program printed: "403 Client Error: Forbidden for
# url: …" (requests), "Request failed with status code 403" (axios), "HTTP Error 403: Forbidden" (urllib), "(403)
# Forbidden" (.NET), or a JSON body whose "code" or "status" field is 403. When such text states exactly one refusal
# status, that status is read from it and the user is told so; a text that states two (a stock page's "Forbidden"
# beside "a 404 Not Found error was encountered" while finding its error page) is left to the user. Only the shapes
# programs print count, never a number in prose ("if you see error 404", "401 lines processed"), and only codes
# that have a reason phrase.

_STATED_TEXT_CAP = 64 * 1024
_STATED_RES = (
    re.compile(r"\b([45]\d\d) (?:Client|Server) Error\b(?:[^\r\n]{0,200}? for url: (https?://[^\s'\"<>]+))?", re.I),
    re.compile(r"\b[Rr]equest failed with status(?: code)? ([45]\d\d)\b"),
    re.compile(r"\bHTTP(?: Error| error| status(?: code)?)?[ :]+([45]\d\d)\b"),
    re.compile(r"\bnot indicate success: ([45]\d\d)\b|\breturned an error: \(([45]\d\d)\)", re.I),
    re.compile(r"[\"'](?:status|status_?code|http_?code|http_?status|code|statusCode)[\"']\s*:\s*[\"']?([45]\d\d)\b(?![.\d])",
               re.I),
    re.compile(r"\[status code\] ([45]\d\d)\b"),
    # httpx: Client error '403 Forbidden' for url 'https://…'
    re.compile(r"\b(?:Client|Server) error '([45]\d\d) [^'\r\n]{0,60}' for url '(https?://[^'\s<>]+)'"),
)
# "403 Forbidden", "(429) Too Many Requests", "<-- 401 Unauthorized": a code followed by its own reason phrase
_CODE_PHRASE_RE = re.compile(r"(?<![\d.?&=/])([45]\d\d)[ :()-]{1,3}([A-Za-z][A-Za-z '-]{2,40})")
# a stock page's reason phrase on a line of its own ("Forbidden"), or as a title or heading
_LONE_PHRASE_RE = re.compile(r"^[ \t]*(?:<(?:title|h1|h2)>)?[ \t]*([A-Z][A-Za-z ]{4,30}?)[ \t.]*(?:</(?:title|h1|h2)>)?[ \t]*$",
                             re.M)
_PHRASES = {c.phrase.lower(): c.value for c in HTTPStatus if 400 <= c.value <= 599}


def _statements(data: bytes | str) -> tuple[set[int], str]:
    """Every refusal status the text states, and a URL a program's error message names ("" when none)."""
    text = data if isinstance(data, str) else bytes(data[:_STATED_TEXT_CAP]).decode("utf-8", "replace")
    text = text[:_STATED_TEXT_CAP]
    found: set[int] = set()
    url = ""
    for pattern in _STATED_RES:
        for match in pattern.finditer(text):
            groups = [g for g in match.groups() if g]
            codes = [int(g) for g in groups if g.isdigit() and _phrase(int(g))]
            if codes:
                found.add(codes[0])
            named = [g for g in groups if g.startswith("http")]
            if named and not url:
                url = named[0].rstrip(".,;:)]'\"")
    for match in _CODE_PHRASE_RE.finditer(text):
        code = int(match.group(1))
        phrase = _phrase(code)
        if phrase and match.group(2).lower().startswith(phrase.lower()):
            found.add(code)
    for match in _LONE_PHRASE_RE.finditer(text):
        code = _PHRASES.get(match.group(1).strip().lower())
        if code is not None:
            found.add(code)
    return found, url


def parse_pasted_response(
    data: bytes | str, status: int | None = None, url: str = "", method: str = "GET"
) -> tuple[Exchange, str | None]:
    """parse_raw_response, and where the text has no status line but states one status in words (a program's error
    message, a JSON body's "code": 403), that status: (exchange, a sentence saying where the status came from).
    The sentence quotes nothing of the text, so nothing a secret could hide in reaches it."""
    try:
        return parse_raw_response(data, status=status, url=url, method=method), None
    except NoStatusLine as err:
        found, named_url = _statements(data)
        if len(found) > 1:
            raise InputError(
                "the response has no status line and its text names several statuses "
                f"({', '.join(map(str, sorted(found)))}); give the one you got along with the body."
            ) from None
        if not found:
            raise err from None
    code = next(iter(found))
    from wizard403.request import validate_url

    if named_url and not url:
        try:
            url = validate_url(named_url)
        except InputError:
            url = ""
        else:
            remember(secrets_of_url(url))  # the message quotes the request's address: its secrets too
    exchange = parse_raw_response(data, status=code, url=url, method=method)
    return exchange, (
        f"There was no status line: the text states the status {code} {_phrase(code)} (as a program's error message "
        "or a JSON field does), so that status is analysed. Give the status along with the body if it is not the one "
        "you got."
    )
