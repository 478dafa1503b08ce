"""A curl command that reproduces the refused request, for a ticket or for the site owner to try.

By default every secret is replaced with its fingerprint (the same ones the reports carry); with placeholders
the secrets become shell variables (`$TOKEN`, `$COOKIE_SESSION`) the reader fills in before running it. Browser
noise (client hints, fetch metadata, language, encodings) is left out so the command stays short; anything that
can change the server's decision (credentials, content type, user agent, origin, referer, custom headers) stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from wizard403.model import Target
from wizard403.redact import (
    FINGERPRINT_RE,
    JWT_RE,
    KEYVALUE_RE,
    SECRET_PARAM_RE,
    fingerprint,
    is_secret_header,
    redact_form,
    redact_header,
    redact_text,
    redact_url,
    secrets_of_body,
    secrets_of_headers,
    secrets_of_url,
)

# Headers a browser adds that do not decide access, or that curl computes itself.
NOISE_HEADERS = frozenset(
    {
        "accept-encoding",
        "accept-language",
        "connection",
        "content-length",
        "host",
        "keep-alive",
        "pragma",
        "priority",
        "te",
        "upgrade-insecure-requests",
        "dnt",
        "sec-gpc",
        "purpose",
        "x-client-data",
        "if-none-match",
        "if-modified-since",
    }
)
_NOISE_PREFIXES = ("sec-ch-", "sec-fetch-", ":")
_URL_HEADERS = frozenset({"referer", "origin", "location", "content-location"})
_BARE_RE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")
MAX_INLINE_BODY = 8 * 1024
_CONTINUATION = " \\\n  "


@dataclass(frozen=True)
class _Var:
    """A shell variable standing in for a secret."""

    name: str


Segment = str | _Var


def to_curl(target: Target, redact: bool = True, placeholders: bool = False, all_headers: bool = False) -> str:
    """A POSIX-quoted curl command for `target`: secrets as fingerprints (redact), as `$VARS` (placeholders),
    or as they are (redact=False, for the user's own terminal only). `all_headers` keeps the browser noise too."""
    vars_ = _Placeholders() if placeholders else None
    hide = redact or placeholders
    secrets = _secrets(target) if hide else set()

    args: list[list[Segment]] = []
    method = target.method.upper()
    body = None if method == "HEAD" and not target.body else target.body  # -I and an empty -d cannot go together
    if method == "HEAD" and not body:
        args.append(["-I"])
    elif method != "GET" or body:
        if not (method == "POST" and body):
            args += [["-X"], [method]]

    url = _url(target.url, hide, vars_, secrets)
    for name, value in target.headers:
        lname = name.lower()
        if not all_headers and (lname in NOISE_HEADERS or lname.startswith(_NOISE_PREFIXES)):
            continue
        if value == "":
            args += [["-H"], [f"{name};"]]  # curl's way to send a header with an empty value
        else:
            args += [["-H"], [f"{name}: "] + _header_value(name, value, hide, vars_, secrets)]
    comment = ""
    if body is not None:
        if body and not target.headers.has("content-type"):
            args += [["-H"], ["Content-Type:"]]  # curl would otherwise add a form content type of its own
        if len(body) > MAX_INLINE_BODY or b"\0" in body:
            # A shell argument cannot hold a NUL byte, and a huge body does not belong in a ticket.
            comment = f"# The {_size(len(body))} request body is not included: save it as request-body.bin first.\n"
            args += [["--data-binary"], ["@request-body.bin"]]
        else:
            args += [["--data-raw"], _body(body, target, hide, vars_, secrets)]

    if any(isinstance(seg, str) and ("[" in seg or "{" in seg) for seg in url):
        args.insert(0, ["-g"])  # fingerprints contain brackets, which curl would otherwise read as a URL range
    words = ["curl", _quote(url)] + [_quote(a) for a in args]
    return comment + _layout(words)


def _size(n: int) -> str:
    return f"{n // 1024} KB" if n >= 1024 else f"{n}-byte"


def _layout(words: list[str]) -> str:
    """One line when short; otherwise one option per line with backslash continuations."""
    line = " ".join(words)
    if len(line) <= 100 and "\n" not in line:
        return line
    lines = [f"{words[0]} {words[1]}"]
    i = 2
    while i < len(words):
        if words[i].startswith("-") and i + 1 < len(words) and words[i] not in ("-I", "-g"):
            lines.append(f"{words[i]} {words[i + 1]}")
            i += 2
        else:
            lines.append(words[i])
            i += 1
    return _CONTINUATION.join(lines)


# -- secrets --------------------------------------------------------------------------------------------------------


def _secrets(target: Target) -> set[str]:
    found = secrets_of_headers(target.headers) | secrets_of_url(target.url)
    if target.body:
        found |= secrets_of_body(target.body.decode("utf-8", "replace"))
    return found


class _Placeholders:
    """Names each distinct secret once: the same value always gets the same variable."""

    def __init__(self) -> None:
        self.by_value: dict[str, str] = {}
        self.used: set[str] = set()

    def var(self, value: str, hint: str) -> _Var:
        if value in self.by_value:
            return _Var(self.by_value[value])
        base = re.sub(r"[^A-Za-z0-9]+", "_", hint).strip("_").upper() or "SECRET"
        if base[0].isdigit():
            base = "V_" + base
        name, n = base, 2
        while name in self.used:
            name, n = f"{base}_{n}", n + 1
        self.used.add(name)
        self.by_value[value] = name
        return _Var(name)


def _text(value: str, hide: bool, vars_: _Placeholders | None, secrets: set[str]) -> list[Segment]:
    """Free text with known secrets replaced (by variables when we have them, by fingerprints otherwise)."""
    if not hide:
        return [value]
    if vars_ is None:
        return [redact_text(value, secrets)]
    segments: list[Segment] = [value]
    for secret in sorted(secrets, key=len, reverse=True):
        if any(isinstance(s, str) and secret in s for s in segments):
            segments = _split_on(segments, secret, vars_.var(secret, "SECRET"))
    return [redact_text(s) if isinstance(s, str) else s for s in segments]


def _split_on(segments: list[Segment], needle: str, var: _Var) -> list[Segment]:
    out: list[Segment] = []
    for seg in segments:
        if isinstance(seg, _Var) or needle not in seg:
            out.append(seg)
            continue
        pieces = seg.split(needle)
        for i, piece in enumerate(pieces):
            if i:
                out.append(var)
            if piece:
                out.append(piece)
    return out


# -- the parts of the command ---------------------------------------------------------------------------------------


def _url(url: str, hide: bool, vars_: _Placeholders | None, secrets: set[str]) -> list[Segment]:
    if not hide:
        return [url]
    if vars_ is None:
        return [redact_url(url)]
    parts = urlsplit(url)
    segments: list[Segment] = [f"{parts.scheme}://"]
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, password = userinfo.partition(":")
        segments.append(user)
        if colon:
            segments += [":", vars_.var(unquote(password), "PASSWORD")]
        segments.append(f"@{hostport}")
    else:
        segments.append(netloc)
    segments += _text(parts.path, hide, vars_, secrets)
    if parts.query:
        segments.append("?")
        for i, raw in enumerate(parts.query.split("&")):
            if i:
                segments.append("&")
            name, eq, value = raw.partition("=")
            if eq and value and SECRET_PARAM_RE.match(unquote(name)):
                segments += [f"{name}=", vars_.var(unquote(value), unquote(name))]
            else:
                segments += _text(raw, hide, vars_, secrets)
    if parts.fragment:
        segments.append("#" + parts.fragment)
    return segments


def _header_value(
    name: str, value: str, hide: bool, vars_: _Placeholders | None, secrets: set[str]
) -> list[Segment]:
    lname = name.lower()
    if not hide:
        return [value]
    if vars_ is None:
        if lname in _URL_HEADERS:
            return [redact_text(redact_url(value), secrets)]
        if is_secret_header(name):
            return [redact_header(name, value)]
        return [redact_text(value, secrets)]
    if lname in ("authorization", "proxy-authorization"):
        scheme, sp, cred = value.strip().partition(" ")
        hint = {"bearer": "TOKEN", "basic": "BASIC_AUTH"}.get(scheme.lower(), "AUTH")
        if lname == "proxy-authorization":
            hint = "PROXY_AUTH"
        if sp and cred and scheme.isalpha():
            return [f"{scheme} ", vars_.var(cred.strip(), hint)]
        return [vars_.var(value, hint)]
    if lname == "cookie":
        segments: list[Segment] = []
        for i, part in enumerate(p.strip() for p in value.split(";") if p.strip()):
            if i:
                segments.append("; ")
            cname, eq, cvalue = part.partition("=")
            if eq and cvalue and not FINGERPRINT_RE.fullmatch(cvalue):
                segments += [f"{cname}=", vars_.var(cvalue, f"COOKIE_{cname}")]
            else:
                segments.append(part)
        return segments
    if is_secret_header(name):
        return [vars_.var(value, name)] if value else [value]
    if lname in _URL_HEADERS:
        return _url(value, hide, vars_, secrets) if "://" in value else _text(value, hide, vars_, secrets)
    return _text(value, hide, vars_, secrets)


def _body(body: bytes, target: Target, hide: bool, vars_: _Placeholders | None, secrets: set[str]) -> list[Segment]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        # Binary: shown byte for byte; secrets (if any are spelled out in it) as fingerprints.
        return [body.decode("utf-8", "surrogateescape")] if not hide else [_redact_bytes(body, secrets)]
    if not hide:
        return [text]
    form = "x-www-form-urlencoded" in (target.headers.get("content-type") or "").lower()
    if vars_ is None:
        return [redact_text(redact_form(text) if form else text, secrets)]
    if form:
        segments: list[Segment] = []
        for i, raw in enumerate(text.split("&")):
            if i:
                segments.append("&")
            name, eq, value = raw.partition("=")
            if eq and value and SECRET_PARAM_RE.match(unquote(name)):
                segments += [f"{name}=", vars_.var(unquote(value.replace("+", " ")), unquote(name))]
            else:
                segments += _text(raw, hide, vars_, secrets)
        return segments
    for match in KEYVALUE_RE.finditer(text):
        key = re.sub(r"[\"'\s:=]", "", match.group(1))
        vars_.var(match.group(2), key)
    for match in JWT_RE.finditer(text):
        vars_.var(match.group(0), "TOKEN")
    return _text(text, hide, vars_, secrets | set(vars_.by_value))


def _redact_bytes(body: bytes, secrets: set[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        raw = secret.encode("utf-8", "surrogateescape")
        if raw in body:
            body = body.replace(raw, fingerprint(secret).encode())
    return body.decode("utf-8", "surrogateescape")


# -- POSIX quoting --------------------------------------------------------------------------------------------------


def _quote(segments: list[Segment]) -> str:
    if any(isinstance(s, _Var) for s in segments):
        return _double_quote(segments)
    text = "".join(segments)  # type: ignore[arg-type]
    if _BARE_RE.match(text):
        return text
    if any(_needs_ansi(c) for c in text):
        return _ansi_c(text)
    return "'" + text.replace("'", "'\\''") + "'"


def _needs_ansi(c: str) -> bool:
    """A character that must not appear raw in a command someone pastes: controls (C0, DEL, C1, which a terminal
    may act on), bidirectional overrides (which reorder what the reader sees), and raw bytes that are not UTF-8."""
    code = ord(c)
    return (
        (code < 0x20 and c != "\t")
        or 0x7F <= code <= 0x9F
        or 0x202A <= code <= 0x202E
        or 0x2066 <= code <= 0x2069
        or 0xDC80 <= code <= 0xDCFF
    )


def _ansi_c(text: str) -> str:
    out = []
    for c in text:
        code = ord(c)
        if c == "\\":
            out.append("\\\\")
        elif c == "'":
            out.append("\\'")
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")  # a raw byte that is not UTF-8
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif _needs_ansi(c):  # C1 or a bidi control: its UTF-8 bytes, so the shell rebuilds the exact text
            out.append("".join(f"\\x{byte:02x}" for byte in c.encode("utf-8")))
        else:
            out.append(c)
    return "$'" + "".join(out) + "'"


def _double_quote(segments: list[Segment]) -> str:
    out = ['"']
    for i, seg in enumerate(segments):
        if isinstance(seg, _Var):
            nxt = segments[i + 1] if i + 1 < len(segments) else ""
            joined = isinstance(nxt, str) and nxt[:1].isalnum() or (isinstance(nxt, str) and nxt[:1] == "_")
            out.append(f"${{{seg.name}}}" if joined else f"${seg.name}")
        elif any(_needs_ansi(c) for c in seg):
            out.append('"' + _ansi_c(seg) + '"')  # close the double quotes, $'...' for the controls, reopen
        else:
            out.append(re.sub(r'([\\"$`])', r"\\\1", seg))
    out.append('"')
    return "".join(out)
