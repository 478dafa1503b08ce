"""Read a browser's HAR recording and find the refused requests in it.

HAR files can run to hundreds of megabytes, so the file is read lazily (`harfile`), in one pass, into records of
its entries that keep the bodies as raw slices of the file's bytes: the listing reads each record for its small
`HarEntry` summary, and a body is decoded only when an `Exchange` or `Target` is built for the one entry being
examined. A file with an entry the records cannot hold is outlined into raw slices instead, each decoded through a
view that leaves out the bodies, and in full when examined. `compare` opens its two
recordings with the same reader.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as _dt
import gc
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote_plus, urljoin, urlsplit

import msgspec
from msgspec import UNSET, UnsetType

from wizard403.errors import InputError
from wizard403.inputs.blockpages import BLOCK_MARKERS, BODY_SCAN_LIMIT, body_marker, header_marker
from wizard403.inputs.harfile import (
    DEFAULT_MAX_HAR_BYTES,
    MAX_HAR_ENV,
    HarSource,
    Progress,
    decode,
    decode_view,
    har_size_limit,
    human_size,
    read_har,
    string_head,
)
from wizard403.model import Exchange, Headers, Target, http_date
from wizard403.redact import redact_url

__all__ = [
    "DEFAULT_MAX_HAR_BYTES",
    "MAX_HAR_ENV",
    "HarArchive",
    "HarEntry",
    "har_size_limit",
    "human_size",
    "open_har",
]

# Recorded bodies are cut like live ones (DESIGN.md §6): enough for any error page.
RECORDED_BODY_CAP = 1024 * 1024

_LOGIN_HINT_RE = re.compile(
    r"(log-?in|sign-?in|sign_in|/auth\b|/authorize|oauth|/sso\b|saml|/cas/|session/new|reauth)", re.I
)
# Headers a client computes itself or that only exist inside HTTP/2 framing: not part of "the request as sent".
_NOT_REPLAYED = frozenset({"content-length", "connection", "keep-alive", "transfer-encoding", "proxy-connection"})
_MAX_COOKIE_SENTENCES = 4
# Response headers the analysis of *other* entries needs (redirects and cookies set earlier): kept per entry.
_KEPT_RESPONSE_HEADERS = frozenset({"set-cookie", "location"})
_CREDENTIAL_HEADERS = frozenset({"cookie", "authorization"})
# Response headers the summary looks at: those, and the block-page markers.
_WATCHED_HEADERS = _KEPT_RESPONSE_HEADERS | {m.header for m in BLOCK_MARKERS if m.header}
_ENCODED = {names: tuple(n.encode() for n in names) for names in (_CREDENTIAL_HEADERS, _WATCHED_HEADERS)}


@dataclass(slots=True)
class HarEntry:
    """One request in the recording, summarised. `index` counts from 1 in file order (as `--entry N` does);
    `reason` says why a refused entry was picked out ("status 403", a block-page label), and is empty otherwise."""

    index: int
    method: str
    url: str
    status: int
    size: int
    started: str
    refused: bool
    reason: str


# -- the view of an entry that the listing reads: everything but the bodies --------------------------------------


class _View(msgspec.Struct, gc=False):
    """A part of an entry decoded without its bodies; read with .get() like the dictionary it stands for. Not
    tracked by the cycle collector (gc=False): decoded JSON holds no cycle, and tens of thousands of these made the
    collections that decoding a big file sets off longer."""

    def get(self, key: str, default: Any = None) -> Any:
        value = getattr(self, key, UNSET)
        return default if value is UNSET else value


class _ContentView(_View):
    mimeType: Any = UNSET
    size: Any = UNSET
    encoding: Any = UNSET
    text: msgspec.Raw | UnsetType = UNSET  # the body: kept as a slice, only its start is read (block pages)


class _ResponseView(_View):
    status: Any = UNSET
    headers: msgspec.Raw | UnsetType = UNSET  # read through _named_headers
    cookies: Any = UNSET
    redirectURL: Any = UNSET
    bodySize: Any = UNSET
    content: _ContentView | UnsetType = UNSET


class _RequestView(_View):
    method: Any = UNSET
    url: Any = UNSET
    headers: msgspec.Raw | UnsetType = UNSET  # read through _named_headers
    cookies: Any = UNSET


class _EntryView(_View):
    request: _RequestView | UnsetType = UNSET
    response: _ResponseView | UnsetType = UNSET
    startedDateTime: Any = UNSET


_VIEW = msgspec.json.Decoder(_EntryView)


class _RequestAndSecretsView(_View):
    method: Any = UNSET
    url: Any = UNSET
    # Each name/value object a raw slice: the registry reads each distinct one once (HarSecrets.add_listed).
    headers: list[msgspec.Raw] | UnsetType = UNSET
    cookies: list[msgspec.Raw] | UnsetType = UNSET
    queryString: list[msgspec.Raw] | UnsetType = UNSET
    postData: Any = UNSET


class _ResponseAndSecretsView(_ResponseView):
    headers: list[msgspec.Raw] | UnsetType = UNSET
    cookies: list[msgspec.Raw] | UnsetType = UNSET


class _EntryAndSecretsView(_View):
    """The summary's view, with what the secret registry reads too (the request's lists, URL and form, the
    response's headers, cookies and redirect)."""

    request: _RequestAndSecretsView | UnsetType = UNSET
    response: _ResponseAndSecretsView | UnsetType = UNSET
    startedDateTime: Any = UNSET


_VIEW_AND_SECRETS = msgspec.json.Decoder(_EntryAndSecretsView)
_NO_REQUEST = _RequestAndSecretsView()
_NO_RESPONSE = _ResponseAndSecretsView()


# -- the whole of an entry but its bodies, read in the file's one pass ----------------------------------------------
# open_har reads the file once into these records, every key any reader of an entry looks at (a full decode of the
# entries' raw slices in a second pass cost a third of the listing). A file whose entries do not all fit them is
# outlined into raw slices instead and each entry read on its own, as before.


class _ContentRecord(_ContentView):
    _truncated: Any = UNSET
    truncated: Any = UNSET
    comment: Any = UNSET


class _RequestRecord(_RequestAndSecretsView):
    httpVersion: Any = UNSET


class _ResponseRecord(_ResponseAndSecretsView):
    statusText: Any = UNSET
    httpVersion: Any = UNSET
    _error: Any = UNSET
    content: _ContentRecord | UnsetType = UNSET


class _EntryRecord(_EntryAndSecretsView):
    request: _RequestRecord | UnsetType = UNSET
    response: _ResponseRecord | UnsetType = UNSET
    time: Any = UNSET
    _error: Any = UNSET


class _LogRecords(msgspec.Struct):
    entries: list[_EntryRecord]
    creator: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b"null"))


class _Records(msgspec.Struct):
    log: _LogRecords


_RECORDS = msgspec.json.Decoder(_Records)


def _whole(value: Any) -> Any:
    """An entry (a record, a raw slice, or a dictionary) as the dictionary a full decode gives, as far as its
    readers look: a record's keys, bodies decoded."""
    if isinstance(value, _View):
        fields = msgspec.structs.fields(value)
        return {f.encode_name: _whole(getattr(value, f.name)) for f in fields if getattr(value, f.name) is not UNSET}
    if isinstance(value, list):
        return [_whole(item) for item in value]
    return decode(value)


def _view(item: Any, decoder: msgspec.json.Decoder = _VIEW) -> Any:
    """An entry as the summary reads it: without its bodies when it is still a raw slice."""
    if not isinstance(item, msgspec.Raw):
        return item
    view = decode_view(item, decoder)
    # Not shaped like a HAR entry (a string for a request, a list for its content...): decoded as it is.
    return decode(item) if view is None else view


@contextlib.contextmanager
def _collector_paused():
    """Python's cycle collector paused while a recording is listed: the listing makes tens of thousands of small
    objects and no cycle, and each collection those allocations set off went through every object of the run (the
    content, the catalogue) again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def open_har(
    path: str | Path, max_bytes: int | None = None, progress: Progress | None = None, secrets: SecretsReader | None = None
) -> HarArchive:
    """Open a HAR file (Chrome, Firefox, Safari, Edge, or any HAR 1.2 writer). `max_bytes` caps the file size
    (default: what the available memory holds, or WIZARD403_MAX_HAR_MB); `progress(bytes_read, total)` is called
    while the file is read; `secrets`, when given (a scrub.HarSecrets), is given each entry's secret parts (see
    HarArchive.secret_parts) in the same pass."""
    return HarArchive(read_har(path, max_bytes, progress, records=_RECORDS), secrets=secrets)


class SecretsReader(Protocol):
    """What reads the secrets of the entries as they are listed: scrub.HarSecrets."""

    def add(self, entry: dict[str, Any]) -> None: ...

    def add_listed(self, request: Any, response: Any, decode: Callable[[Any], Any]) -> None: ...


def _add_secrets(secrets: SecretsReader, view: Any) -> None:
    """Give the registry one entry's secret parts, from the view that also made its summary."""
    if isinstance(view, _EntryAndSecretsView):
        request = _NO_REQUEST if view.request is UNSET else view.request
        secrets.add_listed(request, _NO_RESPONSE if view.response is UNSET else view.response, decode)
    elif isinstance(view, dict):  # an entry that did not fit the view, decoded in full
        response = view.get("response") if isinstance(view.get("response"), dict) else {}
        secrets.add({"request": view.get("request"), "response": {k: v for k, v in response.items() if k != "content"}})


class _SecretResponse(msgspec.Struct, frozen=True):
    headers: list = []
    cookies: list = []
    redirectURL: str = ""


class _SecretEntry(msgspec.Struct):
    request: dict = {}
    response: _SecretResponse = _SecretResponse()


_SECRET_PARTS = msgspec.json.Decoder(_SecretEntry)


class HarArchive:
    """A HAR recording: entry summaries up front, exchanges and targets built on demand from the raw entries.

    Built from a `HarSource` (what `open_har` reads) or from an already decoded document."""

    def __init__(self, document: HarSource | dict[str, Any], name: str | None = None, secrets: SecretsReader | None = None):
        source = document if isinstance(document, HarSource) else HarSource.from_document(document, name or "recording.har")
        self.name = name or source.name
        self.source = source
        creator = decode(source.creator)
        creator = creator if isinstance(creator, dict) else {}
        self.creator = " ".join(str(creator.get(k, "")) for k in ("name", "version")).strip()
        self._raw: list[Any] = source.entries
        self.entries: list[HarEntry] = []
        self.warnings: list[str] = []
        self._by_index: dict[int, HarEntry] = {}
        self._kept: dict[int, dict] = {}  # per entry: the response parts other entries' analysis reads
        self._stripped = True
        self._decoded: tuple[int, Any] = (0, None)
        self._related: dict[int, dict[str, list[str]]] = {}
        with _collector_paused():
            skipped = self._list(secrets)
        if not self.entries:
            raise InputError(f"{self.name} is not a HAR file: none of its entries is a request with a URL.")
        if skipped:
            shown = ", ".join(str(i) for i in skipped[:5]) + (" …" if len(skipped) > 5 else "")
            self.warnings.append(f"{len(skipped)} entries have no request URL and were skipped ({shown}).")

    def _list(self, secrets: SecretsReader | None) -> list[int]:
        """Summarise every entry (and give the registry its secrets) from one view of it; the positions of the
        entries that are no request are returned."""
        skipped: list[int] = []
        decoder = _VIEW if secrets is None else _VIEW_AND_SECRETS
        for position, raw in enumerate(self._raw, start=1):
            view = _view(raw, decoder)
            if secrets is not None:
                _add_secrets(secrets, view)
            if self._stripped and _carries_credentials(view):
                self._stripped = False
            watched = _named_headers(_dict(_dict(view).get("response")).get("headers"), _WATCHED_HEADERS)
            entry = _summarise(position, view, watched)
            if entry is None:
                skipped.append(position)
                continue
            self.entries.append(entry)
            self._by_index[position] = entry
            kept = _kept_response(view, watched)
            if kept:
                self._kept[position] = kept
        return skipped

    def __len__(self) -> int:
        return len(self.entries)

    def secret_parts(self):
        """Every entry's request, and its response's headers, cookies and redirect (never a body), as plain dicts:
        what the secret registry needs so that a token sent in one entry and echoed in another is scrubbed too."""
        for raw in self._raw:
            view = decode_view(raw, _SECRET_PARTS) if isinstance(raw, msgspec.Raw) else None
            if view is None:
                whole = _whole(raw)
                if isinstance(whole, dict):
                    response = whole.get("response") if isinstance(whole.get("response"), dict) else {}
                    yield {"request": whole.get("request"), "response": {k: v for k, v in response.items() if k != "content"}}
                continue
            yield {"request": view.request,
                   "response": {"headers": view.response.headers, "cookies": view.response.cookies,
                                "redirectURL": view.response.redirectURL}}

    def refused_entries(self) -> list[HarEntry]:
        """401s, 403s and recognised block pages with other statuses, in file order."""
        return [e for e in self.entries if e.refused]

    def ordered(self) -> list[HarEntry]:
        """Refused entries first, then the rest, each group in file order."""
        return self.refused_entries() + [e for e in self.entries if not e.refused]

    def first_refused(self) -> HarEntry | None:
        for entry in self.entries:
            if entry.refused:
                return entry
        return None

    def entry(self, index: int) -> HarEntry:
        try:
            return self._by_index[index]
        except (KeyError, TypeError):
            raise InputError(
                f"{self.name} has no entry {index}; its entries are numbered 1 to {len(self._raw)}."
            ) from None

    def find(self, method: str | None = None, path: str | None = None, host: str | None = None) -> list[HarEntry]:
        """The entries with this method, URL path and host (each when given; host and method ignore case)."""
        found = []
        for entry in self.entries:
            if method and entry.method != method.upper():
                continue
            if path is not None or host:
                parts = urlsplit(entry.url)
                if path is not None and (parts.path or "/") != (path or "/"):
                    continue
                if host and (parts.hostname or "") != host.lower():
                    continue
            found.append(entry)
        return found

    def _parts(self, index: int) -> tuple[dict, dict, dict]:
        """One entry decoded in full (the last one is kept: exchange, target and related ask for the same)."""
        self.entry(index)
        if self._decoded[0] != index:
            self._decoded = (index, _dict(_whole(self._raw[index - 1])))
        raw = self._decoded[1]
        return raw, _dict(raw.get("request")), _dict(raw.get("response"))

    def exchange(self, index: int) -> Exchange:
        """The recorded request and response of one entry, bodies decoded (base64 too), truncation noted."""
        raw, req, resp = self._parts(index)
        summary = self._by_index[index]
        body, truncated = _response_body(resp)
        error = raw.get("_error") or resp.get("_error")
        elapsed = raw.get("time")
        exchange = Exchange(
            check="recorded",
            method=summary.method,
            url=summary.url,
            status=summary.status or None,
            reason=str(resp.get("statusText") or ""),
            elapsed_ms=int(round(elapsed)) if isinstance(elapsed, (int, float)) and elapsed >= 0 else 0,
            request_headers=Headers(_pairs(req.get("headers"), drop_pseudo=True)),
            response_headers=Headers(_response_header_pairs(resp)),
            body=body,
            body_truncated=truncated,
            http_version=str(resp.get("httpVersion") or req.get("httpVersion") or ""),
            error=str(error) if error and not summary.status else None,
            error_kind="other" if error and not summary.status else None,
            redirects=self._redirect_chain(index),
        )
        when = _parse_time(summary.started)
        if when is not None:
            exchange.at = when
        return exchange

    def target(self, index: int) -> Target:
        """The request of one entry as wizard403 would send it again (source "har")."""
        _, req, _ = self._parts(index)
        summary = self._by_index[index]
        host = (urlsplit(summary.url).hostname or "").lower()
        headers = Headers()
        for name, value in _pairs(req.get("headers"), drop_pseudo=True):
            lname = name.lower()
            if lname in _NOT_REPLAYED or (lname == "host" and value.split(":")[0].lower() == host):
                continue
            headers.append((name, value))
        if not headers.has("cookie"):
            jar = [f"{c.get('name')}={c.get('value', '')}" for c in _list(req.get("cookies")) if _dict(c).get("name")]
            if jar:
                headers.append(("Cookie", "; ".join(jar)))
        ua = headers.get("user-agent")
        notes = [f"HAR entry {index} of {len(self._raw)} in {self.name}."]
        if self.credentials_stripped():
            notes.append(
                "No request in this recording carries a cookie or an Authorization header: the browser may have "
                "removed them on export (a sanitised HAR), so their absence here proves nothing."
            )
        return Target(
            url=summary.url,
            method=summary.method,
            headers=headers,
            body=_request_body(req),
            source="har",
            browser_user_agent=ua or None,
            notes=notes,
        )

    def credentials_stripped(self) -> bool:
        """True when no request anywhere in the file carries a cookie or Authorization header."""
        return self._stripped

    def related_facts(self, index: int) -> dict[str, list[str]]:
        """The same observations as `related`, grouped by kind so the diagnosis can weigh them:
        "sign-in" (sent to a sign-in page, or redirected here just before), "cookies" (cookies set earlier that this
        request did not send, or sent with an older value), "earlier-success" (the same URL worked before)."""
        if index not in self._related:
            _, req, _ = self._parts(index)
            summary = self._by_index[index]
            when = _parse_time(summary.started)
            self._related[index] = {
                "sign-in": self._redirects_before(index, summary, when),
                "cookies": self._cookie_sentences(index, summary, req, when),
                "earlier-success": self._same_url_successes(index, summary, when),
            }
        return {kind: list(lines) for kind, lines in self._related[index].items() if lines}

    def related(self, index: int) -> list[str]:
        """Plain sentences about what happened around one entry: the sign-in redirect before it, cookies set
        earlier that it did not send (or sent with an older value), and successes on the same URL."""
        facts = self.related_facts(index)
        return [line for kind in ("sign-in", "cookies", "earlier-success") for line in facts.get(kind, [])]

    # -- related() helpers -------------------------------------------------------------------------------------

    def _earlier(self, index: int) -> list[HarEntry]:
        return [e for e in self.entries if e.index < index]

    def _redirect_target(self, entry: HarEntry) -> str:
        if not 300 <= entry.status < 400:
            return ""
        resp = self._kept.get(entry.index, {})
        location = str(resp.get("redirectURL") or "") or (Headers(_response_header_pairs(resp)).get("location") or "")
        return urljoin(entry.url, location) if location else ""

    def _redirect_chain(self, index: int) -> list[str]:
        """The URLs the browser was redirected through to reach this entry, oldest first.

        A hop counts only when this entry is the first request to the redirect's target after it, with the method
        a browser would use to follow it (GET after 301/302/303, the same method after 307/308)."""
        chain: list[str] = []
        current = self._by_index[index]
        earlier = self._earlier(index)
        while len(chain) < 10:
            hop = None
            for entry in reversed(earlier):
                if entry.index >= current.index:
                    continue
                if entry.url == current.url and entry.method == current.method:
                    break  # an earlier identical request: whatever redirected before that led there, not here
                if self._redirect_target(entry) == current.url:
                    follow = entry.method if entry.status in (307, 308) else "GET"
                    hop = entry if follow == current.method else None
                    break
            if hop is None:
                break
            chain.insert(0, hop.url)
            current = hop
        return chain

    def _redirects_before(self, index: int, summary: HarEntry, when: _dt.datetime | None) -> list[str]:
        out: list[str] = []
        login_found = here_found = False
        for entry in reversed(self._earlier(index)):
            target = self._redirect_target(entry)
            if not target:
                continue
            parts = urlsplit(target)
            if not login_found and _LOGIN_HINT_RE.search(f"{parts.path}?{parts.query}"):
                out.append(
                    f"Entry {entry.index} ({entry.method} {_shown(entry.url)}) was sent to a sign-in page "
                    f"({_shown(target)}){_ago(entry, when)}: the session had ended or was never established."
                )
                login_found = True
            if not here_found and target == summary.url:
                out.append(
                    f"Entry {entry.index} ({entry.method} {_shown(entry.url)}) redirected to this URL"
                    f"{_ago(entry, when)}."
                )
                here_found = True
            if login_found and here_found:
                break
        return out

    def _cookie_sentences(self, index: int, summary: HarEntry, req: dict, when: _dt.datetime | None) -> list[str]:
        parts = urlsplit(summary.url)
        host, path = (parts.hostname or "").lower(), parts.path or "/"
        live: dict[str, tuple[HarEntry, str, bool]] = {}
        for entry in self._earlier(index):
            setter_host = (urlsplit(entry.url).hostname or "").lower()
            for cookie in _set_cookies(self._kept.get(entry.index, {})):
                if not _cookie_applies(cookie, setter_host, host, path):
                    continue
                if cookie.deleted or (cookie.expires and when and cookie.expires <= when):
                    live.pop(cookie.name, None)
                else:
                    live[cookie.name] = (entry, cookie.value, cookie.secure)
        sent = _sent_cookies(req)
        out: list[str] = []
        missing = [(name, info) for name, info in live.items() if name not in sent]
        for name, (entry, _, secure) in missing[:_MAX_COOKIE_SENTENCES]:
            plain = secure and parts.scheme == "http"
            why = " (it is marked Secure, and this request used plain http)" if plain else ""
            out.append(
                f"Entry {entry.index} ({entry.method} {_shown(entry.url)}) set the cookie {name}"
                f"{_ago(entry, when)}, but this request did not send it{why}."
            )
        if len(missing) > _MAX_COOKIE_SENTENCES:
            rest = ", ".join(name for name, _ in missing[_MAX_COOKIE_SENTENCES:][:8])
            out.append(f"Other cookies set earlier for this site were not sent either: {rest}.")
        for name, (entry, value, _) in live.items():
            if name in sent and sent[name] != value:
                out.append(
                    f"This request sent the cookie {name} with a different value from the one entry {entry.index} "
                    "set: it may carry an old session."
                )
        return out

    def _same_url_successes(self, index: int, summary: HarEntry, when: _dt.datetime | None) -> list[str]:
        out: list[str] = []
        for entry in reversed(self._earlier(index)):
            if entry.url == summary.url and 200 <= entry.status < 300 and not entry.refused:
                how = "" if entry.method == summary.method else f" with {entry.method}"
                out.append(
                    f"Entry {entry.index} got {entry.status} for the same URL{how}{_ago(entry, when)}: "
                    "access worked then."
                )
                break
        for entry in self.entries:
            if entry.index > index and entry.url == summary.url and 200 <= entry.status < 300 and not entry.refused:
                how = "" if entry.method == summary.method else f" with {entry.method}"
                out.append(f"Entry {entry.index} got {entry.status} for the same URL{how} later in the recording.")
                break
        return out


# -- entry parsing ----------------------------------------------------------------------------------------------


def _dict(value: Any) -> dict:
    """An object of the entry (a dictionary, or a view of one), or {} for anything else."""
    return value if isinstance(value, (dict, _View)) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _pairs(headers: Any, drop_pseudo: bool = False) -> list[tuple[str, str]]:
    out = []
    for item in _list(headers):
        if isinstance(item, dict) and item.get("name"):
            name = str(item["name"])
            if drop_pseudo and name.startswith(":"):
                continue
            out.append((name, str(item.get("value", ""))))
    return out


def _response_header_pairs(resp: dict) -> list[tuple[str, str]]:
    """Response headers; Chrome joins repeated Set-Cookie headers with newlines in one value: split them."""
    out = []
    for name, value in _pairs(resp.get("headers"), drop_pseudo=True):
        if "\n" in value and name.lower() == "set-cookie":
            out.extend((name, part) for part in value.split("\n") if part.strip())
        else:
            out.append((name, value))
    return out


def _carries_credentials(raw: Any) -> bool:
    req = _dict(_dict(raw).get("request"))
    if _list(req.get("cookies")):
        return True
    return bool(_pairs(_named_headers(req.get("headers"), _CREDENTIAL_HEADERS)))


def _named_headers(headers: Any, names: frozenset[str]) -> list[dict]:
    """The headers (name/value objects) whose lower-case name is one of `names`. A raw slice is first searched as
    bytes, so that the headers of most entries are never decoded: a name can only hide from that search behind a
    \\u escape or a non-ASCII letter (the Kelvin sign lower-cases to k), and then the slice is decoded."""
    if isinstance(headers, list) and headers and isinstance(headers[0], msgspec.Raw):  # a list of raw objects
        if _cannot_hold(b"".join(headers).lower(), _ENCODED[names]):
            return []
        headers = [decode(h) for h in headers]
    elif isinstance(headers, msgspec.Raw):
        if _cannot_hold(bytes(headers).lower(), _ENCODED[names]):
            return []
        headers = decode(headers)
    return [h for h in _list(headers) if isinstance(h, dict) and h.get("name") and str(h["name"]).lower() in names]


def _cannot_hold(low: bytes, names: tuple[bytes, ...]) -> bool:
    """True when raw headers, lower-cased, cannot hold any of these names (a loop: any() over a generator cost a
    third of this search, run for every entry)."""
    if not low.isascii() or b"\\u" in low:
        return False
    for name in names:
        if name in low:
            return False
    return True


def _kept_response(raw: Any, watched: list[dict]) -> dict:
    """The parts of a response that the analysis of later entries reads: Set-Cookie and Location headers, the
    cookies array and redirectURL (empty for most entries)."""
    resp = _dict(_dict(raw).get("response"))
    kept: dict[str, Any] = {}
    headers = [h for h in watched if str(h["name"]).lower() in _KEPT_RESPONSE_HEADERS]
    if headers:
        kept["headers"] = headers
    if _list(resp.get("cookies")):
        kept["cookies"] = [decode(c) for c in resp.get("cookies")]  # raw objects in the secrets' view
    if resp.get("redirectURL"):
        kept["redirectURL"] = resp.get("redirectURL")
    return kept


def _summarise(position: int, raw: Any, watched: list[dict] | None = None) -> HarEntry | None:
    """The summary of one entry; `watched` are its response headers that can mark a block page (all when None)."""
    if not isinstance(raw, (dict, _View)):
        return None
    req, resp = raw.get("request"), raw.get("response")
    if not isinstance(req, (dict, _View)) or not req.get("url"):
        return None
    resp = _dict(resp)
    status = _int(resp.get("status"))
    content = _dict(resp.get("content"))
    size = _int(content.get("size"), -1)
    if size < 0:
        size = max(_int(resp.get("bodySize"), 0), 0)
    refused, reason = False, ""
    if status in (401, 403):
        refused, reason = True, f"status {status}"
    else:
        label = header_marker(_pairs(resp.get("headers") if watched is None else watched))
        if not label and "html" in str(content.get("mimeType") or "").lower():
            label = body_marker(_content_text(content, BODY_SCAN_LIMIT))
        if label:
            refused, reason = True, label
    return HarEntry(
        index=position,
        method=str(req.get("method") or "GET").upper(),
        url=str(req.get("url")),
        status=status,
        size=size,
        started=str(raw.get("startedDateTime") or ""),
        refused=refused,
        reason=reason,
    )


def _content_text(content: dict, limit: int) -> str:
    """The start of a response body as text, for marker searches (base64 decoded when needed)."""
    base64_chars = (limit * 4 // 3 + 3) // 4 * 4
    text = string_head(content.get("text"), base64_chars)
    if not isinstance(text, str) or not text:
        return ""
    if str(content.get("encoding") or "").lower() == "base64":
        chunk = text[:base64_chars]
        try:
            return base64.b64decode(chunk).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return ""
    return text[:limit]


def _charset(mime: str) -> str:
    for param in mime.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return "utf-8"


def _response_body(resp: dict) -> tuple[bytes, bool]:
    content = _dict(resp.get("content"))
    text = content.get("text")
    declared = _int(content.get("size"), -1)
    flagged = bool(content.get("_truncated") or content.get("truncated")) or "truncat" in str(
        content.get("comment") or ""
    ).lower()
    if not isinstance(text, str) or not text:
        return b"", flagged or declared > 0
    if str(content.get("encoding") or "").lower() == "base64":
        try:
            body = base64.b64decode(text[: (RECORDED_BODY_CAP * 4 // 3 + 8) // 4 * 4])
        except (binascii.Error, ValueError):
            body = text.encode("utf-8", "replace")
    else:
        charset = _charset(str(content.get("mimeType") or ""))
        try:
            body = text.encode(charset)
        except (LookupError, UnicodeEncodeError):
            body = text.encode("utf-8", "surrogatepass")
    full_length = len(body)
    if len(body) > RECORDED_BODY_CAP:
        return body[:RECORDED_BODY_CAP], True
    truncated = flagged or (declared > full_length + max(16, full_length // 100))
    return body, truncated


def _request_body(req: dict) -> bytes | None:
    post = _dict(req.get("postData"))
    if not post:
        return None
    text = post.get("text")
    if isinstance(text, str) and text:
        if str(post.get("encoding") or "").lower() == "base64":
            try:
                return base64.b64decode(text)
            except (binascii.Error, ValueError):
                pass
        return text.encode("utf-8", "surrogatepass")
    params = [p for p in _list(post.get("params")) if isinstance(p, dict) and p.get("name")]
    if params:
        return "&".join(f"{quote_plus(str(p['name']))}={quote_plus(str(p.get('value', '')))}" for p in params).encode()
    return b""


def _parse_time(value: str) -> _dt.datetime | None:
    if not value:
        return None
    try:
        when = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return when.astimezone(_dt.timezone.utc)


def _shown(url: str, limit: int = 100) -> str:
    """A URL fit for a sentence: secrets redacted, long query strings shortened."""
    url = redact_url(url)
    return url if len(url) <= limit else url[: limit - 1] + "…"


def _ago(entry: HarEntry, when: _dt.datetime | None) -> str:
    then = _parse_time(entry.started)
    if then is None or when is None or then > when:
        return ""
    seconds = (when - then).total_seconds()
    if seconds < 1:
        return " just before"
    if seconds < 120:
        return f" {seconds:.0f} s before"
    if seconds < 7200:
        return f" {seconds / 60:.0f} min before"
    return f" {seconds / 3600:.0f} h before"


@dataclass(slots=True)
class _SetCookie:
    name: str
    value: str
    domain: str
    path: str
    secure: bool
    deleted: bool
    expires: _dt.datetime | None


def _set_cookies(resp: dict) -> list[_SetCookie]:
    found: dict[str, _SetCookie] = {}
    for name, value in _response_header_pairs(resp):
        if name.lower() == "set-cookie":
            cookie = _parse_set_cookie(value)
            if cookie:
                found[cookie.name] = cookie
    for item in _list(resp.get("cookies")):
        item = _dict(item)
        cname = str(item.get("name") or "")
        if not cname or cname in found:
            continue
        value = str(item.get("value", ""))
        expires = _parse_time(str(item.get("expires") or ""))
        found[cname] = _SetCookie(
            cname,
            value,
            str(item.get("domain") or "").lower().lstrip("."),
            str(item.get("path") or "/"),
            bool(item.get("secure")),
            value == "",
            expires,
        )
    return list(found.values())


def _parse_set_cookie(header: str) -> _SetCookie | None:
    first, *attrs = header.split(";")
    name, eq, value = first.strip().partition("=")
    if not eq or not name:
        return None
    domain, path, secure, deleted, expires = "", "/", False, value.strip() == "", None
    for attr in attrs:
        key, _, val = attr.strip().partition("=")
        key = key.lower()
        if key == "domain":
            domain = val.strip().lower().lstrip(".")
        elif key == "path" and val.strip():
            path = val.strip()
        elif key == "secure":
            secure = True
        elif key == "max-age":
            if _int(val.strip(), 1) <= 0:
                deleted = True
        elif key == "expires":
            expires = http_date(val)
    return _SetCookie(name.strip(), value.strip(), domain, path, secure, deleted, expires)


def _cookie_applies(cookie: _SetCookie, setter_host: str, host: str, path: str) -> bool:
    if cookie.domain:
        if host != cookie.domain and not host.endswith("." + cookie.domain):
            return False
    elif host != setter_host:
        return False
    base = cookie.path.rstrip("/")
    return not base or path == base or path.startswith(base + "/")


def _sent_cookies(req: dict) -> dict[str, str]:
    sent: dict[str, str] = {}
    for name, value in _pairs(req.get("headers")):
        if name.lower() == "cookie":
            for part in value.split(";"):
                cname, eq, cval = part.strip().partition("=")
                if eq and cname:
                    sent[cname] = cval
    for item in _list(req.get("cookies")):
        item = _dict(item)
        if item.get("name") and str(item["name"]) not in sent:
            sent[str(item["name"])] = str(item.get("value", ""))
    return sent
