"""Turn a curl command ("Copy as cURL" from a browser, or typed by hand) into the request wizard403 will examine.

Only the options that change what is sent, or by which route, are interpreted. Options curl knows but that have
no bearing on the diagnosis (output, progress, timeouts) are accepted silently; ones that would change the request
but cannot be reproduced are named in a warning; unknown ones are listed together in a single warning line.
Files named by the command (`-d @body.json`, `-b jar.txt`, `-K config`) are never read.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import re
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from wizard403.errors import InputError
from wizard403.inputs.shell import split_command
from wizard403.model import Headers, Target
from wizard403.scrub import remember
from wizard403.redact import redact_input, redact_text, redact_url, secrets_of_body, secrets_of_headers, secrets_of_url

MULTIPART_BOUNDARY = "------------------------wizard403form"

# Every option wizard403 interprets: alias -> (canonical name, takes an argument).
_INTERPRETED: dict[str, tuple[str, bool]] = {
    "-X": ("request", True), "--request": ("request", True),
    "-H": ("header", True), "--header": ("header", True),
    "-b": ("cookie", True), "--cookie": ("cookie", True),
    "-u": ("user", True), "--user": ("user", True),
    "--oauth2-bearer": ("bearer", True),
    "-d": ("data", True), "--data": ("data", True), "--data-ascii": ("data", True),
    "--data-raw": ("data-raw", True), "--data-binary": ("data-binary", True),
    "--data-urlencode": ("data-urlencode", True), "--json": ("json", True),
    "-F": ("form", True), "--form": ("form", True), "--form-string": ("form-string", True),
    "-A": ("user-agent", True), "--user-agent": ("user-agent", True),
    "-e": ("referer", True), "--referer": ("referer", True),
    "-r": ("range", True), "--range": ("range", True),
    "--url": ("url", True),
    "-x": ("proxy", True), "--proxy": ("proxy", True),
    "-U": ("proxy-user", True), "--proxy-user": ("proxy-user", True),
    "--socks4": ("socks4", True), "--socks4a": ("socks4a", True),
    "--socks5": ("socks5", True), "--socks5-hostname": ("socks5h", True),
    "--interface": ("interface", True), "--resolve": ("resolve", True),
    "-I": ("head", False), "--head": ("head", False),
    "-G": ("get", False), "--get": ("get", False),
    "-k": ("insecure", False), "--insecure": ("insecure", False),
    "-L": ("location", False), "--location": ("location", False), "--location-trusted": ("location", False),
    "--compressed": ("compressed", False),
    "--basic": ("basic", False), "--digest": ("auth-other", False), "--ntlm": ("auth-other", False),
    "--negotiate": ("auth-other", False), "--anyauth": ("auth-other", False), "--aws-sigv4": ("aws-sigv4", True),
    "-T": ("upload-file", True), "--upload-file": ("upload-file", True),
}  # fmt: skip

# Options that would change the request or its route but that wizard403 does not reproduce (named in a warning).
_NOT_APPLIED: dict[str, bool] = {
    "-E": True, "--cert": True, "--key": True, "--cert-type": True, "--key-type": True, "--pass": True,
    "--cacert": True, "--capath": True, "--crlfile": True, "--pinnedpubkey": True,
    "--connect-to": True, "--preproxy": True, "--proxy-header": True, "--proxy-cacert": True,
    "-K": True, "--config": True, "-n": False, "--netrc": False, "--netrc-file": True, "--netrc-optional": False,
    "-z": True, "--time-cond": True, "--request-target": True, "--unix-socket": True, "--abstract-unix-socket": True,
    "--doh-url": True, "--dns-servers": True, "--local-port": True, "--haproxy-protocol": False,
    "--proxy-negotiate": False, "--proxy-ntlm": False, "--proxy-digest": False, "--proxy-basic": False,
    "--proxy-anyauth": False, "--delegation": True, "--service-name": True, "--sasl-ir": False,
    "-j": False, "--junk-session-cookies": False, "--cert-status": False, "--ciphers": True,
}  # fmt: skip

# Options with no bearing on the diagnosis: accepted silently (True when they take an argument).
_SILENT: dict[str, bool] = {
    "-s": False, "--silent": False, "-S": False, "--show-error": False, "-v": False, "--verbose": False,
    "-i": False, "--include": False, "-o": True, "--output": True, "-O": False, "--remote-name": False,
    "--remote-name-all": False, "-J": False, "--remote-header-name": False, "--create-dirs": False,
    "-w": True, "--write-out": True, "-f": False, "--fail": False, "--fail-with-body": False, "--fail-early": False,
    "-0": False, "--http1.0": False, "--http1.1": False, "--http2": False, "--http2-prior-knowledge": False,
    "--http3": False, "--http3-only": False, "-#": False, "--progress-bar": False, "--no-progress-meter": False,
    "-g": False, "--globoff": False, "-N": False, "--no-buffer": False, "-1": False, "--tlsv1": False,
    "--tlsv1.0": False, "--tlsv1.1": False, "--tlsv1.2": False, "--tlsv1.3": False, "--tls-max": True,
    "-4": False, "--ipv4": False, "-6": False, "--ipv6": False, "-Z": False, "--parallel": False,
    "--parallel-max": True, "--raw": False, "-c": True, "--cookie-jar": True, "-D": True, "--dump-header": True,
    "-m": True, "--max-time": True, "--connect-timeout": True, "--retry": True, "--retry-delay": True,
    "--retry-max-time": True, "--retry-connrefused": False, "--retry-all-errors": False, "--max-redirs": True,
    "--limit-rate": True, "--keepalive-time": True, "--no-keepalive": False, "--stderr": True, "--trace": True,
    "--trace-ascii": True, "--trace-time": False, "--trace-config": True, "--path-as-is": False,
    "--ssl-no-revoke": False, "--ssl-revoke-best-effort": False, "--tcp-nodelay": False, "--tcp-fastopen": False,
    "--styled-output": False, "-q": False, "--disable": False, "--post301": False, "--post302": False,
    "--post303": False, "--ignore-content-length": False, "--expect100-timeout": True, "--alt-svc": True,
    "--proto": True, "--proto-redir": True, "--proto-default": True, "--tr-encoding": False,
    "--max-filesize": True, "-y": True, "--speed-time": True, "-Y": True, "--speed-limit": True,
    "--noproxy": True, "--proxy-insecure": False, "--ssl": False, "--ssl-reqd": False, "--false-start": False,
    "--suppress-connect-headers": False, "-l": False, "--list-only": False, "-M": False, "--manual": False,
    "--happy-eyeballs-timeout-ms": True, "--no-sessionid": False, "--no-alpn": False, "--no-npn": False,
    "--variable": True, "--etag-save": True, "--etag-compare": True, "--clobber": False, "--no-clobber": False,
}  # fmt: skip

_BOOLEAN_CANONICAL = {"head", "get", "insecure", "location", "compressed"}
_BROWSER_UA_RE = re.compile(r"^Mozilla/5\.0 \(")
_SHELL_VARIABLE_RE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


@dataclass
class CurlImport:
    """A parsed curl command: the request, plus the route and TLS choices it made."""

    target: Target
    proxy: str | None = None
    insecure: bool = False
    follow: bool = False
    alt_sources: list[str] = field(default_factory=list)
    resolve: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Parsed:
    """What the options asked for, collected before the request is put together."""

    urls: list[str] = field(default_factory=list)
    method: str | None = None
    headers: Headers = field(default_factory=Headers)
    removed: set[str] = field(default_factory=set)  # "-H 'Name:'": headers curl must not add by itself
    cookies: list[str] = field(default_factory=list)
    user: str | None = None
    auth_other: list[str] = field(default_factory=list)
    data: list[tuple[str, str]] = field(default_factory=list)  # (kind, value)
    form: list[tuple[str, str, bool]] = field(default_factory=list)  # (name, value, literal)
    user_agent: str | None = None
    referer: str | None = None
    flags: set[str] = field(default_factory=set)
    proxy: str | None = None
    proxy_user: str | None = None
    alt_sources: list[str] = field(default_factory=list)
    resolve: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _clip(text: str, limit: int) -> str:
    """Input quoted in a sentence: redacted first (a cut must never leave half a secret), then shortened."""
    shown = redact_input(text)
    return shown if len(shown) <= limit + 30 else shown[:limit] + "…"


def parse_curl(command: str) -> CurlImport:
    """Parse one curl command; raises InputError with a sentence when it cannot be understood."""
    if not isinstance(command, str) or not command.strip():
        raise InputError("the curl command is empty.")
    split = split_command(command.strip())
    words = _skip_prefix(split.words)
    if not words:
        raise InputError("the curl command is empty.")
    program = re.split(r"[\\/]", words[0])[-1].lower()
    if program not in ("curl", "curl.exe"):
        raise InputError(f"this is not a curl command: it starts with “{_clip(words[0], 40)}”, not “curl”.")
    parsed = _Parsed()
    _read_options(words[1:], parsed)
    if split.ignored_tail:
        parsed.warnings.append(f"Everything after the curl command itself was ignored: “{_clip(split.ignored_tail, 60)}”.")
    if split.expansions:
        names = ", ".join(split.expansions[:5])
        parsed.warnings.append(f"The command uses shell expansions ({names}); they were kept as written, not expanded.")
    return _build(parsed)


def _skip_prefix(words: list[str]) -> list[str]:
    """Drop a shell prompt, `sudo`, `time` or `VAR=value` assignments in front of curl."""
    i = 0
    while i < len(words) and (
        words[i] in ("$", "%", ">", "#", "PS>", "sudo", "time", "command", "exec", "nohup", "env")
        or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[i])
    ):
        i += 1
    return words[i:]


def _read_options(args: list[str], p: _Parsed) -> None:
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word.startswith("--") and len(word) > 2:
            i = _long_option(word, args, i, p)
        elif word.startswith("-") and len(word) > 1:
            i = _short_options(word, args, i, p)
        else:
            p.urls.append(word)


def _take_argument(name: str, args: list[str], i: int) -> tuple[str, int]:
    if i >= len(args):
        raise InputError(f"the curl option {name} needs a value, but the command ends there.")
    return args[i], i + 1


def _long_option(word: str, args: list[str], i: int, p: _Parsed) -> int:
    name = word
    if name in _INTERPRETED:
        canonical, takes = _INTERPRETED[name]
        value = None
        if takes:
            value, i = _take_argument(name, args, i)
        _apply(canonical, name, value, p)
    elif name in _NOT_APPLIED:
        if _NOT_APPLIED[name]:
            _, i = _take_argument(name, args, i)
        p.not_applied.append(name)
    elif name in _SILENT:
        if _SILENT[name]:
            _, i = _take_argument(name, args, i)
    elif name.startswith("--no-") and ("--" + name[5:]) in _INTERPRETED:
        canonical, takes = _INTERPRETED["--" + name[5:]]
        if canonical in _BOOLEAN_CANONICAL:
            p.flags.discard(canonical)
        else:
            p.unknown.append(name)
    elif name.startswith("--no-") and ("--" + name[5:]) in (_SILENT.keys() | _NOT_APPLIED.keys()):
        pass
    else:
        p.unknown.append(name)
    return i


def _short_options(word: str, args: list[str], i: int, p: _Parsed) -> int:
    pos = 1
    while pos < len(word):
        flag = "-" + word[pos]
        rest = word[pos + 1 :]
        if flag in _INTERPRETED:
            canonical, takes = _INTERPRETED[flag]
            value = None
            if takes:
                if rest:
                    value = rest
                else:
                    value, i = _take_argument(flag, args, i)
                _apply(canonical, flag, value, p)
                return i
            _apply(canonical, flag, None, p)
        elif flag in _NOT_APPLIED or flag in _SILENT:
            takes = _NOT_APPLIED.get(flag, _SILENT.get(flag, False))
            if flag in _NOT_APPLIED:
                p.not_applied.append(flag)
            if takes:
                if not rest:
                    _, i = _take_argument(flag, args, i)
                return i
        else:
            p.unknown.append(flag)
        pos += 1
    return i


def _apply(canonical: str, name: str, value: str | None, p: _Parsed) -> None:
    """Record the effect of one interpreted option."""
    if canonical in _BOOLEAN_CANONICAL:
        p.flags.add(canonical)
    elif canonical == "request":
        p.method = value.strip().upper()
    elif canonical == "header":
        _add_header(value, p)
    elif canonical == "cookie":
        if "=" in value:
            p.cookies.append(value.strip().rstrip(";"))
        else:
            p.warnings.append(f"{name} {value} reads cookies from a file, which was not read.")
    elif canonical == "user":
        p.user = value
    elif canonical == "bearer":
        p.headers.append(("Authorization", f"Bearer {value}"))
    elif canonical == "auth-other":
        p.auth_other.append(name)
    elif canonical == "basic":
        pass
    elif canonical == "aws-sigv4":
        p.auth_other.append(name)
    elif canonical in ("data", "data-raw", "data-binary", "data-urlencode", "json"):
        p.data.append((canonical, value))
    elif canonical in ("form", "form-string"):
        fname, eq, fvalue = value.partition("=")
        if not eq:
            p.warnings.append(f"The form field “{_clip(value, 30)}” has no '=' and was ignored.")
        else:
            p.form.append((fname, fvalue, canonical == "form-string"))
    elif canonical == "user-agent":
        p.user_agent = value
    elif canonical == "referer":
        p.referer = value[:-5] if value.endswith(";auto") else value
    elif canonical == "range":
        p.headers.append(("Range", f"bytes={value}"))
    elif canonical == "url":
        p.urls.append(value)
    elif canonical == "proxy":
        p.proxy = value if "://" in value else f"http://{value}"
    elif canonical in ("socks4", "socks4a", "socks5", "socks5h"):
        p.proxy = f"{canonical}://{value}"
    elif canonical == "proxy-user":
        p.proxy_user = value
    elif canonical == "interface":
        _add_interface(value, p)
    elif canonical == "resolve":
        if value.count(":") < 2:
            p.warnings.append(f"--resolve {value} is not in the form host:port:address and was ignored.")
        else:
            p.resolve.append(value)
    elif canonical == "upload-file":
        p.flags.add("upload")
        p.warnings.append(f"{name} {value} uploads a file, which was not read; the request body is left empty.")


def _add_header(value: str, p: _Parsed) -> None:
    if value.startswith("@"):
        p.warnings.append(f"-H {value} reads headers from a file, which was not read.")
        return
    colon, semi = value.find(":"), value.find(";")
    if colon > 0 and (semi < 0 or colon < semi):
        name, rest = value[:colon].strip(), value[colon + 1 :].strip()
        if rest:
            p.headers.append((name, rest))
        else:
            p.removed.add(name.lower())  # "Name:" only stops curl from adding that header itself
    elif semi > 0 and not value[semi + 1 :].strip():
        p.headers.append((value[:semi].strip(), ""))
    else:
        p.warnings.append(f"The header “{_clip(value, 40)}” has no colon and was ignored.")


def _add_interface(value: str, p: _Parsed) -> None:
    address = value
    for prefix in ("host!", "ifhost!"):
        if value.startswith(prefix):
            address = value.rsplit("!", 1)[-1]
    try:
        ipaddress.ip_address(address)
    except ValueError:
        p.warnings.append(
            f"--interface {value} names a network interface, not an address; give its IP address with --alt-source."
        )
        return
    p.alt_sources.append(address)


def _build(p: _Parsed) -> CurlImport:
    url = _pick_url(p)
    headers = Headers(p.headers)
    body = _body(p, headers)
    if "get" in p.flags and body is not None:
        query = body.decode("utf-8", "surrogateescape")
        url = f"{url}{'&' if '?' in url else '?'}{query}"
        body = None

    if p.method:
        method = p.method
    elif "head" in p.flags:
        method = "HEAD"
    elif "get" in p.flags:
        method = "GET"
    elif "upload" in p.flags:
        method = "PUT"
    elif body is not None:
        method = "POST"
    else:
        method = "GET"

    if p.cookies:
        headers.append(("Cookie", "; ".join(p.cookies)))
    if p.user is not None:
        _add_user(p, headers)
    if p.user_agent and not headers.has("user-agent"):
        headers.append(("User-Agent", p.user_agent))
    if p.referer and not headers.has("referer"):
        headers.append(("Referer", p.referer))

    proxy = p.proxy
    if proxy and p.proxy_user:
        scheme, _, rest = proxy.partition("://")
        user, _, password = p.proxy_user.partition(":")
        proxy = f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{rest}"

    warnings = list(p.warnings)
    if p.not_applied:
        names = ", ".join(dict.fromkeys(p.not_applied))
        warnings.append(f"These curl options change the request, but wizard403 does not apply them: {names}.")
    if p.unknown:
        names = ", ".join(dict.fromkeys(p.unknown))
        warnings.append(f"Unknown curl options were ignored: {names}.")

    # Warnings quote the command (a header without a colon, a second URL): keep its secrets out of them.
    secrets = secrets_of_headers(headers) | secrets_of_url(url) | secrets_of_headers(p.headers)
    if body:
        secrets |= secrets_of_body(body.decode("utf-8", "replace"))
    if p.user:
        secrets |= {p.user, p.user.partition(":")[2]}
    if proxy:
        secrets |= secrets_of_url(proxy if "://" in proxy else f"http://{proxy}")
    secrets = {s for s in secrets if not _SHELL_VARIABLE_RE.fullmatch(s)}  # "$TOKEN" is a name, not a secret
    warnings = [redact_text(w, secrets) for w in warnings]
    remember(secrets)  # the proxy's credentials live in the options, not the session: every output knows them

    ua = headers.get("user-agent")
    target = Target(
        url=url,
        method=method,
        headers=headers,
        body=body,
        source="curl",
        browser_user_agent=ua if ua and _BROWSER_UA_RE.match(ua) else None,
        notes=list(warnings),
    )
    return CurlImport(
        target=target,
        proxy=proxy,
        insecure="insecure" in p.flags,
        follow="location" in p.flags,
        alt_sources=p.alt_sources,
        resolve=p.resolve,
        warnings=warnings,
    )


def _pick_url(p: _Parsed) -> str:
    if not p.urls:
        raise InputError("the curl command has no URL.")
    # Unknown options may take a value, which then looks like a second URL: prefer what looks like a URL.
    candidates = [u for u in p.urls if "://" in u] or [u for u in p.urls if "." in u or u.startswith("localhost")]
    url = (candidates or p.urls)[0].strip()
    others = [u for u in p.urls if u.strip() != url]
    if others:
        shown = ", ".join(redact_url(o)[:60] for o in others[:3])
        p.warnings.append(f"Only the first URL is examined; also given: {shown}.")
    if "://" not in url:
        if not url or url.startswith("-"):
            raise InputError("the curl command has no URL.")
        url = f"http://{url}"
        p.warnings.append("The URL has no scheme; curl would use http://, and so does wizard403.")
    scheme = url.split("://", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise InputError(f"the curl command's URL uses {scheme}://; wizard403 only examines http and https.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InputError(f"the curl command's URL is not valid: {_clip(url, 80)}") from None
    if not parts.hostname:
        raise InputError(f"the curl command's URL has no host name: {_clip(url, 80)}")
    return url


def _body(p: _Parsed, headers: Headers) -> bytes | None:
    if p.form:
        return _multipart(p, headers)
    if not p.data:
        return None
    pieces: list[str] = []
    json_parts: list[str] = []
    skipped = 0
    for kind, value in p.data:
        if kind == "json":
            if value.startswith("@"):
                p.warnings.append(f"--json {value} reads the body from a file, which was not read.")
                skipped += 1
                continue
            json_parts.append(value)
        elif kind in ("data", "data-binary") and value.startswith("@"):
            p.warnings.append(f"--{kind} {value} reads the body from a file, which was not read.")
            skipped += 1
        elif kind == "data-urlencode":
            piece = _urlencode_piece(value, p)
            if piece is None:
                skipped += 1
            else:
                pieces.append(piece)
        else:
            pieces.append(value)
    if json_parts:
        if not headers.has("content-type") and "content-type" not in p.removed:
            headers.append(("Content-Type", "application/json"))
        if not headers.has("accept") and "accept" not in p.removed:
            headers.append(("Accept", "application/json"))
        pieces.append("".join(json_parts))
    elif pieces and not headers.has("content-type") and "content-type" not in p.removed and "get" not in p.flags:
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    if not pieces and skipped == len(p.data):
        return None  # every piece was a file that was not read: the warnings say so
    return "&".join(pieces).encode("utf-8", "surrogateescape")


def _urlencode_piece(value: str, p: _Parsed) -> str | None:
    """curl's --data-urlencode forms: `content`, `=content`, `name=content`, `@file`, `name@file`."""
    eq, at = value.find("="), value.find("@")
    if at >= 0 and (eq < 0 or at < eq):
        p.warnings.append(f"--data-urlencode {value} reads a file, which was not read.")
        return None
    if eq < 0:
        return quote(value, safe="")
    name, content = value[:eq], value[eq + 1 :]
    encoded = quote(content, safe="")
    return f"{name}={encoded}" if name else encoded


def _multipart(p: _Parsed, headers: Headers) -> bytes:
    if p.data:
        p.warnings.append("The command mixes -F with -d; curl refuses that, and only the -F fields were used.")
    out = bytearray()
    for name, value, literal in p.form:
        filename = None
        ctype = None
        if not literal and value[:1] in ("@", "<"):
            path, _, attrs = value[1:].partition(";")
            p.warnings.append(f"The form field {name} reads the file {path}, which was not read; it is sent empty.")
            if value[0] == "@":
                filename = os.path.basename(path)
            value = ""
            for attr in attrs.split(";"):
                key, _, val = attr.partition("=")
                if key.strip() == "type":
                    ctype = val.strip()
                elif key.strip() == "filename":
                    filename = val.strip().strip('"')
        elif not literal:
            match = re.match(r'^"((?:[^"\\]|\\.)*)"(.*)$', value)
            if match:
                value = match.group(1).replace('\\"', '"').replace("\\\\", "\\")
            elif ";type=" in value:
                value, _, ctype = value.partition(";type=")
        out += f"--{MULTIPART_BOUNDARY}\r\n".encode()
        disposition = f'Content-Disposition: form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += disposition.encode("utf-8", "surrogateescape") + b"\r\n"
        if ctype:
            out += f"Content-Type: {ctype}\r\n".encode("utf-8", "surrogateescape")
        out += b"\r\n" + value.encode("utf-8", "surrogateescape") + b"\r\n"
    out += f"--{MULTIPART_BOUNDARY}--\r\n".encode()
    if not headers.has("content-type"):
        headers.append(("Content-Type", f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"))
    return bytes(out)


def _add_user(p: _Parsed, headers: Headers) -> None:
    if p.auth_other:
        schemes = ", ".join(dict.fromkeys(p.auth_other))
        p.warnings.append(
            f"The command asks for {schemes} authentication, which wizard403 cannot replay; -u was not used."
        )
        return
    if headers.has("authorization"):
        return
    user = p.user
    if ":" not in user:
        p.warnings.append("-u gives a user name without a password; curl would prompt for it, so it is left empty.")
        user += ":"
    token = base64.b64encode(user.encode("utf-8", "surrogateescape")).decode("ascii")
    headers.append(("Authorization", f"Basic {token}"))
