"""Write a copy of a HAR file that can be shared: every secret replaced by the same fingerprints the reports use.

A HAR handed to support holds live sessions, so nothing that can act as a credential may survive: header and
cookie values, secret query and form parameters, JWT signatures, and any of those values echoed elsewhere in the
file (response bodies, redirect URLs, vendor fields). The structure stays a valid HAR that any viewer, and
`open_har`, still reads; bodies are kept so the block pages can still be diagnosed.

Big files are handled in two passes over the lazily read file (`harfile`): the first decodes one entry at a time to
register its secrets with the session scrubber (a secret in entry 50 can be echoed in entry 3), leaving out the
response bodies the registry never reads; the second decodes, scrubs and writes one entry at a time, so neither the
document nor its copy is ever held in memory whole. Long bodies go through the fast path of the rules and of the
registry (prefilter.py), which gives the same copy byte for byte (tests/test_sanitize_golden.py); short texts that
repeat (headers, cookies, URLs) are scrubbed once per copy.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote

import msgspec
from msgspec import UNSET, UnsetType

from wizard403.errors import InputError
from wizard403.inputs.harfile import HarSource, Progress, decode, decode_view, read_har, string_head
from wizard403.redact import (
    FINGERPRINT_RE,
    SECRET_PARAM_RE,
    fingerprint,
    is_secret_header,
    is_url_header,
    pinned_key,
    redact_form,
    redact_header,
    secrets_of_json,
)
from wizard403.scrub import HarSecrets, Scrubber, pairs_key

# Headers whose value is (or holds) a URL: their query strings can carry tokens.
_URL_HEADERS = frozenset({"referer", "location", "origin", "content-location", "link", ":path", "refresh"})
_TEXTUAL_MIME = ("text/", "json", "xml", "javascript", "ecmascript", "html", "x-www-form-urlencoded", "csv", "svg")
# Texts up to this length are remembered with their scrubbed form, up to this many of them.
_MEMO_MAX = 512
_MEMO_ENTRIES = 50_000
# Above this size the copy is written compactly; below it, indented for people who want to read it.
_INDENT_LIMIT = 20 * 1024 * 1024


@dataclass
class SanitizeReport:
    """How many values of each kind were replaced in the shareable copy."""

    entries: int = 0
    headers: int = 0
    cookies: int = 0
    query_params: int = 0
    post_data: int = 0
    urls: int = 0
    bodies: int = 0
    other_fields: int = 0
    secrets: int = 0  # distinct secret values hunted for across the file

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self) if f.name not in ("entries", "secrets"))

    def summary(self) -> str:
        parts = [
            f"{self.headers} header values",
            f"{self.cookies} cookies",
            f"{self.query_params} query parameters",
            f"{self.post_data} form or body fields",
            f"{self.urls} URLs",
            f"{self.bodies} response bodies",
        ]
        if self.other_fields:
            parts.append(f"{self.other_fields} other fields")
        return f"Redacted in {self.entries} entries: " + ", ".join(parts) + "."

    def __str__(self) -> str:
        return self.summary()


def sanitize_har(
    src: Path | str, dst: Path | str, max_bytes: int | None = None, progress: Progress | None = None
) -> SanitizeReport:
    """Write a redacted copy of `src` to `dst` and say what was replaced; InputError on unusable input.
    `max_bytes` and `progress` are those of `open_har`."""
    src, dst = Path(src), Path(dst)
    if dst.exists() and dst.resolve() == src.resolve():
        raise InputError("the sanitised copy must go to a different file from the original.")
    source = read_har(src, max_bytes, progress)
    report = SanitizeReport()
    with pinned_key():  # one key for the whole copy
        registry = _registry(source.entries)
        report.secrets = len(registry)
        scrubber = _Scrubber(registry, report)
        _write(dst, lambda out: _stream(source, scrubber, out, indent=2 if source.size < _INDENT_LIMIT else None))
    return report


# -- finding the secrets ------------------------------------------------------------------------------------------


class _RegistryContent(msgspec.Struct):
    text: msgspec.Raw | UnsetType = UNSET
    encoding: Any = UNSET


class _RegistryRequest(msgspec.Struct):
    url: Any = UNSET
    # Each name/value object a raw slice: the registry reads each distinct one once (HarSecrets.add_listed).
    headers: list[msgspec.Raw] | UnsetType = UNSET
    cookies: list[msgspec.Raw] | UnsetType = UNSET
    queryString: list[msgspec.Raw] | UnsetType = UNSET
    postData: Any = UNSET


class _RegistryResponse(msgspec.Struct):
    headers: list[msgspec.Raw] | UnsetType = UNSET
    cookies: list[msgspec.Raw] | UnsetType = UNSET
    redirectURL: Any = UNSET
    content: _RegistryContent | UnsetType = UNSET


class _RegistryEntry(msgspec.Struct):
    request: _RegistryRequest | UnsetType = UNSET
    response: _RegistryResponse | UnsetType = UNSET


_REGISTRY_VIEW = msgspec.json.Decoder(_RegistryEntry)
_NO_REQUEST = _RegistryRequest()
_NO_RESPONSE = _RegistryResponse()


def _registry(entries: list[Any]) -> Scrubber:
    """Scrubber.for_har of the entries, read through a view that leaves out the response bodies the registry
    never reads and keeps each header, cookie and parameter object raw, so that the objects entries repeat are
    decoded once (HarSecrets.add_listed); an entry the view does not fit is decoded in full."""
    reader = HarSecrets(Scrubber())
    scrubber = reader.scrubber
    for item in entries:
        view = decode_view(item, _REGISTRY_VIEW) if isinstance(item, msgspec.Raw) else None
        if view is None:
            reader.add(decode(item))
            continue
        resp = _NO_RESPONSE if view.response is UNSET else view.response
        reader.add_listed(_NO_REQUEST if view.request is UNSET else view.request, resp, decode)
        # add()'s last step: the token fields of a JSON answer (a body with an encoding is never read).
        content = resp.content
        if content is UNSET or content.text is UNSET or content.encoding:
            continue
        head = string_head(content.text, 64)
        if head is None or not (head.lstrip()[:1] in ("{", "[") or (not head.strip() and len(head) >= 64)):
            continue  # not a string, or one that does not start as JSON
        text = decode(content.text)
        if text and len(text) < 1_000_000 and text.lstrip()[:1] in ("{", "["):
            scrubber.update(secrets_of_json(text.lstrip()))
    return scrubber


def _pairs(items: Any) -> list[tuple[str, str]]:
    return [
        (str(h.get("name")), str(h.get("value", "")))
        for h in (items if isinstance(items, list) else [])
        if isinstance(h, dict) and h.get("name")
    ]


def _split_set_cookies(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for name, value in pairs:
        if name.lower() == "set-cookie" and "\n" in value:
            out.extend((name, part) for part in value.split("\n") if part)
        else:
            out.append((name, value))
    return out


# -- replacing them -----------------------------------------------------------------------------------------------


def _remembered(memo: dict, key: Any, value: str, make: Any) -> str:
    """make(value), remembered under `key` for short values (a bounded number of them)."""
    if len(value) > _MEMO_MAX:
        return make(value)
    done = memo.get(key)
    if done is None:
        if len(memo) > _MEMO_ENTRIES:
            memo.clear()
        done = memo[key] = make(value)
    return done


def _utf8_length(text: str) -> int:
    """The length of `text` in UTF-8 (lone surrogates as three bytes), without encoding an ASCII text."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


class _Scrubber:
    """Applies the redaction rules to each part of an entry and counts what changed."""

    def __init__(self, registry: Scrubber, report: SanitizeReport):
        self.registry = registry
        self.report = report
        # Headers, cookies and URLs repeat across entries: each short text is scrubbed once per copy.
        self._texts: dict[str, str] = {}
        self._urls: dict[str, str] = {}
        self._headers: dict[tuple[str, str], str] = {}
        self._lists: dict[tuple, list[str | None]] = {}  # a header list's (name, value) pairs -> its new values

    def text(self, value: str) -> str:
        return _remembered(self._texts, value, value, self.registry.scrub)

    def data(self, value: bytes) -> bytes:
        return self.registry.scrub_bytes(value)

    def url(self, value: str) -> str:
        return _remembered(self._urls, value, value, self.registry.url)

    def header(self, name: str, value: str) -> str:
        return _remembered(self._headers, (name, value), value, lambda _: self._header(name, value))

    def _header(self, name: str, value: str) -> str:
        lname = name.lower()
        if lname == "set-cookie" and "\n" in value:
            return "\n".join(redact_header(name, part) for part in value.split("\n"))
        if lname in _URL_HEADERS or is_url_header(name):
            return self.url(value)
        if is_secret_header(name) or lname in ("cookie", "set-cookie"):
            return self.text(redact_header(name, value))
        return self.text(value)

    def headers(self, items: Any) -> None:
        if not isinstance(items, list) or not items:
            return
        # Entries repeat whole header lists: the values a list gets are worked out once per distinct list.
        key = pairs_key(items)
        done = self._lists.get(key) if key is not None else None
        if done is None:
            done = []
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("value"), str):
                    new = self.header(str(item.get("name", "")), item["value"])
                    done.append(new if new != item["value"] else None)
                else:
                    done.append(None)
            if key is not None:
                if len(self._lists) > _MEMO_ENTRIES:
                    self._lists.clear()
                self._lists[key] = done
        for item, new in zip(items, done):
            if new is not None:
                item["value"] = new
                self.report.headers += 1

    def cookies(self, items: Any) -> None:
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            value = item.get("value")
            if isinstance(value, str) and value and not FINGERPRINT_RE.fullmatch(value):
                item["value"] = fingerprint(value)
                self.report.cookies += 1
            for key in list(item):
                if key not in ("name", "value") and isinstance(item[key], str):
                    item[key] = self.text(item[key])

    def params(self, items: Any, counter: str) -> None:
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("value"), str):
                continue
            name, value = str(item.get("name", "")), item["value"]
            if value and SECRET_PARAM_RE.match(name) and not FINGERPRINT_RE.fullmatch(value):
                new = fingerprint(unquote(value))
            else:
                new = self.text(value)
            if new != value:
                item["value"] = new
                setattr(self.report, counter, getattr(self.report, counter) + 1)

    def entry(self, entry: dict) -> None:
        req = entry.get("request")
        if isinstance(req, dict):
            self.request(req)
        resp = entry.get("response")
        if isinstance(resp, dict):
            self.response(resp)
        for key in list(entry):
            if key not in ("request", "response", "startedDateTime", "time", "timings", "serverIPAddress"):
                entry[key] = self.anything(entry[key])

    def request(self, req: dict) -> None:
        if isinstance(req.get("url"), str):
            new = self.url(req["url"])
            if new != req["url"]:
                req["url"] = new
                self.report.urls += 1
        self.headers(req.get("headers"))
        self.cookies(req.get("cookies"))
        self.params(req.get("queryString"), "query_params")
        post = req.get("postData")
        if isinstance(post, dict):
            text = post.get("text")
            if isinstance(text, str) and text:
                new = text
                if "x-www-form-urlencoded" in str(post.get("mimeType") or "").lower():
                    new = redact_form(new)
                new = self.text(new)
                if new != text:
                    post["text"] = new
                    self.report.post_data += 1
            self.params(post.get("params"), "post_data")
        self._rest(req, ("url", "headers", "cookies", "queryString", "postData"))

    def response(self, resp: dict) -> None:
        self.headers(resp.get("headers"))
        self.cookies(resp.get("cookies"))
        if isinstance(resp.get("redirectURL"), str) and resp["redirectURL"]:
            new = self.url(resp["redirectURL"])
            if new != resp["redirectURL"]:
                resp["redirectURL"] = new
                self.report.urls += 1
        content = resp.get("content")
        if isinstance(content, dict):
            self.content(content)
        self._rest(resp, ("headers", "cookies", "redirectURL", "content"))

    def content(self, content: dict) -> None:
        text = content.get("text")
        if not isinstance(text, str) or not text:
            return
        mime = str(content.get("mimeType") or "").lower()
        textual = not mime or any(t in mime for t in _TEXTUAL_MIME)
        old_length = new_length = None
        measure = False  # a plain text body: its lengths are worked out only if it changed
        if str(content.get("encoding") or "").lower() == "base64":
            try:
                body = base64.b64decode(text)
            except (binascii.Error, ValueError):
                new_text = self.text(text)
            else:
                if textual:
                    new_body = self.text(body.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
                else:
                    new_body = self.data(body)
                new_text = base64.b64encode(new_body).decode("ascii") if new_body != body else text
                old_length, new_length = len(body), len(new_body)
        else:
            new_text = self.text(text)
            measure = True
        if new_text != text:
            if measure:
                old_length, new_length = _utf8_length(text), _utf8_length(new_text)
            content["text"] = new_text
            self.report.bodies += 1
            size = content.get("size")
            # Keep "size" honest for complete bodies, so the copy does not look truncated.
            if isinstance(size, int) and old_length is not None and abs(size - old_length) <= 16:
                content["size"] = new_length
        for key in list(content):
            if key not in ("text", "size", "mimeType", "encoding", "compression") and isinstance(content[key], str):
                content[key] = self.text(content[key])

    def _rest(self, obj: dict, handled: tuple[str, ...]) -> None:
        for key in list(obj):
            if key not in handled:
                obj[key] = self.anything(obj[key])

    def anything(self, value: Any) -> Any:
        """Vendor fields, comments, page titles: every string scrubbed, URLs as URLs."""
        if isinstance(value, str):
            new = self.url(value) if value.startswith(("http://", "https://", "wss://", "ws://")) else self.text(value)
            if new != value:
                self.report.other_fields += 1
            return new
        if isinstance(value, list):
            return [self.anything(v) for v in value]
        if isinstance(value, dict):
            return {k: self.anything(v) for k, v in value.items()}
        return value


_MSGSPEC = msgspec.json.Decoder()
_ENCODER = msgspec.json.Encoder()


class _Layout:
    """json.dump's layout of a document written piece by piece: indented (2) or compact."""

    def __init__(self, out: BinaryIO, indent: int | None):
        self.out = out
        self.indent = indent

    def value(self, value: Any, level: int, fast: bool = False) -> None:
        """One value at nesting `level`; `fast` (msgspec's encoder) only for compact output of plain JSON values."""
        if fast and self.indent is None:
            try:
                self.out.write(_ENCODER.encode(value))
                return
            except (UnicodeEncodeError, TypeError, OverflowError, msgspec.EncodeError):
                pass
        if self.indent is None:
            dump = lambda ascii: json.dumps(value, ensure_ascii=ascii, separators=(",", ":"))  # noqa: E731
        else:
            dump = lambda ascii: json.dumps(value, ensure_ascii=ascii, indent=self.indent).replace(  # noqa: E731
                "\n", "\n" + " " * (self.indent * level)
            )
        try:
            self.out.write(dump(False).encode("utf-8"))
        except UnicodeEncodeError:
            # A lone surrogate from a \\udXXX escape cannot be written as UTF-8: escape this value instead.
            self.out.write(dump(True).encode("ascii"))

    def open(self, bracket: str) -> None:
        self.out.write(bracket.encode())

    def member(self, key: str, first: bool, level: int) -> None:
        self.item(first, level)
        sep = ":" if self.indent is None else ": "
        try:
            self.out.write((json.dumps(key, ensure_ascii=False) + sep).encode("utf-8"))
        except UnicodeEncodeError:
            self.out.write((json.dumps(key) + sep).encode("ascii"))

    def item(self, first: bool, level: int) -> None:
        comma = b"" if first else b","
        if self.indent is None:
            self.out.write(comma)
        else:
            self.out.write(comma + b"\n" + b" " * (self.indent * level))

    def close(self, bracket: str, empty: bool, level: int) -> None:
        if self.indent is not None and not empty:
            self.out.write(b"\n" + b" " * (self.indent * level))
        self.out.write(bracket.encode())


def _stream(source: HarSource, scrubber: _Scrubber, out: BinaryIO, indent: int | None) -> None:
    """The scrubbed document: top-level members as they are, the log's members scrubbed, entries one by one."""
    layout = _Layout(out, indent)
    top, log = source.members()
    layout.open("{")
    for n, (key, value) in enumerate(top.items()):
        layout.member(key, n == 0, 1)
        if key != "log":
            layout.value(decode(value), 1)
            continue
        layout.open("{")
        for m, (lkey, lvalue) in enumerate(log.items()):
            layout.member(lkey, m == 0, 2)
            if lkey == "entries":
                _stream_entries(source.entries, scrubber, layout)
            elif lkey in ("version", "creator", "browser"):
                layout.value(decode(lvalue), 2)
            else:
                layout.value(scrubber.anything(decode(lvalue)), 2)
        layout.close("}", not log, 1)
    layout.close("}", not top, 0)
    out.write(b"\n")


def _stream_entries(entries: list[Any], scrubber: _Scrubber, layout: _Layout) -> None:
    layout.open("[")
    for n, item in enumerate(entries):
        fast = isinstance(item, msgspec.Raw)
        try:
            entry = _MSGSPEC.decode(item) if fast else item
        except msgspec.DecodeError:
            entry, fast = decode(item), False
        if isinstance(entry, dict):
            scrubber.entry(entry)
            scrubber.report.entries += 1
        layout.item(n == 0, 3)
        layout.value(entry, 3, fast)
    layout.close("]", not entries, 2)


def _write(dst: Path, write: Any) -> None:
    """Call write(binary file) on a temporary file beside dst, then move it into place."""
    directory = dst.parent if str(dst.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".wizard403-", suffix=".har", dir=directory)
    except OSError as err:
        raise InputError(f"cannot write {dst}: {err.strerror or err}.") from None
    try:
        with os.fdopen(fd, "wb", buffering=1024 * 1024) as fh:
            write(fh)
        os.replace(tmp, dst)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write {dst}: {err.strerror or err}.") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
