"""Matching one exchange against the signature catalogue: which producers left marks on it, and what they prove.

A hit says who produced the mark, whether it proves a refusal ("block") or only that the producer was on the path
("presence": a CDN header on a response it merely passed along), which causes it speaks for or against, and the ids
and facts it pulled out of the response.
"""

from __future__ import annotations

import datetime as _dt
import html
import re
from dataclasses import dataclass, field

from wizard403.content import Content, load_content
from wizard403.diagnose.catalogue import Catalogue, Matcher, Producer, Signature, catalogue_for
from wizard403.model import Exchange

BODY_LIMIT = 256 * 1024  # bodies are matched on their first 256 KiB
MAX_VALUE_LEN = 300  # an extracted value longer than this is cut (it is shown in reports)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SPACES = re.compile(r"\s+")


@dataclass
class Hit:
    producer: str  # producer id
    signature: str  # signature id, unique within the producer
    proves: str  # "block" | "presence"
    layer: str
    causes: dict[str, float]
    extracted: dict[str, str] = field(default_factory=dict)
    references: list[tuple[str, str]] = field(default_factory=list)
    line: str = ""
    producer_name: str = ""
    lookup: str = ""

    @property
    def name(self) -> str:
        """`producer/signature`, how evidence lines name the signature."""
        return f"{self.producer}/{self.signature}"


def sniffed_type(body: bytes | None) -> str:
    """The media type a body without a Content-Type header shows (a refusal quoted without its headers, a server that
    sent none), read the way a person or a browser would: JSON, HTML, XML, else plain text."""
    head = (body or b"")[:512].lstrip()
    if not head:
        return ""
    if head[:1] in (b"{", b"["):
        return "application/json"
    low = head.lower()
    if b"<html" in low or b"<!doctype html" in low or b"<body" in low or b"<head" in low or b"<title" in low:
        return "text/html"
    if head[:1] == b"<":
        return "application/xml"
    return "text/plain"


class ExchangeView:
    """The parts of one exchange that matchers read, prepared once; regex results are memoised per view."""

    __slots__ = ("status", "method", "url", "reason", "content_type", "headers", "request_headers", "cookies",
                 "_body", "_lower", "_exchange", "memo", "seen")

    def __init__(self, exchange: Exchange):
        self._exchange = exchange
        self.status = exchange.status
        self.method = (exchange.method or "").upper()
        self.url = exchange.url or ""
        self.reason = exchange.reason or ""
        self.content_type = exchange.content_type or sniffed_type(exchange.body)
        self.headers: dict[str, list[str]] = {}
        for name, value in exchange.response_headers:
            self.headers.setdefault(name.lower(), []).append(value)
        self.request_headers: dict[str, list[str]] = {}
        for name, value in exchange.request_headers:
            self.request_headers.setdefault(name.lower(), []).append(value)
        names = []
        for raw in self.headers.get("set-cookie", ()):
            names.append(raw.split("=", 1)[0].strip())
        for raw in self.request_headers.get("cookie", ()):
            names.extend(part.split("=", 1)[0].strip() for part in raw.split(";") if "=" in part)
        self.cookies = [n for n in names if n]
        self._body: str | None = None
        self._lower: str | None = None
        self.seen: dict[str, bool] = {}  # required literal -> is it in the lower-cased body
        self.memo: dict[int, tuple[bool, dict[str, str]]] = {}

    @property
    def body(self) -> str:
        if self._body is None:
            ex = self._exchange
            raw = ex.body[:BODY_LIMIT] if ex.body else b""
            charset = "utf-8"
            for param in (ex.response_headers.get("content-type") or "").split(";")[1:]:
                key, _, value = param.strip().partition("=")
                if key.lower() == "charset" and value:
                    charset = value.strip("\"' ")
            try:
                self._body = raw.decode(charset, errors="replace")
            except LookupError:
                self._body = raw.decode("utf-8", errors="replace")
        return self._body


    def contains_any(self, literals: tuple[str, ...]) -> bool:
        """Whether the lower-cased body contains one of `literals` (each answer memoised per body)."""
        if self._lower is None:
            self._lower = self.body.casefold()
        for literal in literals:
            found = self.seen.get(literal)
            if found is None:
                found = self.seen[literal] = literal in self._lower
            if found:
                return True
        return False


def _search(regex: re.Pattern[str], values) -> tuple[bool, dict[str, str]]:
    for value in values:
        found = regex.search(value)
        if found:
            return True, {k: v for k, v in found.groupdict().items() if v}
    return False, {}


_NO_GROUPS: dict[str, str] = {}
_MISS = (False, _NO_GROUPS)


def test(matcher: Matcher, view: ExchangeView) -> tuple[bool, dict[str, str]]:
    """Whether one matcher holds on the exchange, and the named groups it captured."""
    kind = matcher.kind
    if kind == "status":
        return view.status in matcher.values, _NO_GROUPS
    if kind == "method":
        return view.method in matcher.values, _NO_GROUPS
    # Same pattern on the same part of the exchange: the answer is the same, whatever signature asks.
    cached = view.memo.get(matcher.slot)
    if cached is not None:
        return cached
    regex = matcher.regex
    if kind == "header" or kind == "request_header":
        values = (view.headers if kind == "header" else view.request_headers).get(matcher.name)
        if not values:
            result = _MISS
        elif regex is None:
            result = (True, _NO_GROUPS)
        else:
            result = _search(regex, values)
    elif kind == "body":
        if matcher.anchors is not None and not all(view.contains_any(group) for group in matcher.anchors):
            result = _MISS
        else:
            result = _search(regex, (view.body,))
    elif kind == "cookie":
        result = _search(regex, view.cookies)
    elif kind == "url":
        result = _search(regex, (view.url,))
    elif kind == "reason":
        result = _search(regex, (view.reason,))
    else:  # content_type
        result = _search(regex, (view.content_type,))
    view.memo[matcher.slot] = result
    return result


def evaluate(signature: Signature, producer: Producer, view: ExchangeView) -> Hit | None:
    """The hit of one signature on one exchange, or None when it does not match."""
    if signature.status is not None and view.status not in signature.status:
        return None
    groups: dict[str, str] = {}
    for matcher in signature.all:
        ok, found = test(matcher, view)
        if not ok:
            return None
        groups.update(found)
    for matcher in signature.none:
        if test(matcher, view)[0]:
            return None
    if signature.any:
        matched = False
        for matcher in signature.any:
            ok, found = test(matcher, view)
            if ok:
                matched = True
                for key, value in found.items():
                    groups.setdefault(key, value)
        if not matched:
            return None
    for matcher in signature.extract + producer.extract:
        ok, found = test(matcher, view)
        if ok:
            for key, value in found.items():
                groups.setdefault(key, value)
    return _hit(signature, producer, groups)


def _clean(name: str, value: str) -> str:
    value = _SPACES.sub(" ", html.unescape(value)).strip().replace('\\"', '"')
    if name == "reset_time" and value.isdigit() and 9 <= len(value) <= 10:
        stamp = _dt.datetime.fromtimestamp(int(value), _dt.timezone.utc)
        value = stamp.strftime("%Y-%m-%d %H:%M:%S UTC")
    if len(value) > MAX_VALUE_LEN:
        value = value[: MAX_VALUE_LEN - 3] + "..."
    return value


_ASIDE = re.compile(r" ?\(([^()]*\{\w+\}[^()]*)\)")


def _filled(line: str, values: dict[str, str]) -> str:
    """A signature's line with the values it quotes. An aside that quotes only values the response did not give
    ("(missing: {missing_permission})") is left out, part by part ("required: x; granted: {y}" keeps "required: x"),
    so the sentence never shows a blank; a value missing anywhere else reads "(not shown)"."""

    def aside(match: re.Match) -> str:
        parts = [p for p in match.group(1).split("; ") if not _PLACEHOLDER.search(p)
                 or any(values.get(name) for name in _PLACEHOLDER.findall(p))]
        if not parts:
            return ""
        return match.group(0)[: match.start(1) - match.start(0)] + "; ".join(parts) + ")"

    line = _ASIDE.sub(aside, line)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or "(not shown)", line)


def _hit(signature: Signature, producer: Producer, groups: dict[str, str]) -> Hit:
    extracted: dict[str, str] = {}
    references: list[tuple[str, str]] = []
    for group, value in groups.items():
        value = _clean(group, value)
        if not value:
            continue
        kind = signature.refs.get(group) or producer.refs.get(group)
        if kind:
            if (kind, value) not in references:
                references.append((kind, value))
        else:
            extracted[group] = value
    values = {g: _clean(g, v) for g, v in groups.items()}
    line = _filled(signature.line, values)
    return Hit(
        producer=producer.id,
        signature=signature.id,
        proves=signature.proves,
        layer=signature.layer,
        causes=dict(signature.causes),
        extracted=extracted,
        references=references,
        line=line,
        producer_name=producer.name,
        lookup=signature.lookup,
    )


def in_scope(producer: Producer, view: ExchangeView) -> bool | None:
    """Whether this answer can come from the producer: False when another producer's mark is on it, None when the
    producer has markers and none holds (only its `anywhere` signatures may fire), else True."""
    if any(test(m, view)[0] for m in producer.foreign):
        return False
    if producer.markers and not any(test(m, view)[0] for m in producer.markers):
        return None
    return True


def match_with(catalogue: Catalogue, exchange: Exchange) -> list[Hit]:
    """Every signature hit on one exchange, in catalogue order (producer id, then file order)."""
    if exchange.error is not None or exchange.status is None:
        return []
    view = ExchangeView(exchange)
    hits = []
    for producer in catalogue.producers:
        scope = in_scope(producer, view) if producer.markers or producer.foreign else True
        if scope is False:
            continue
        for signature in producer.signatures:
            if scope is None and not signature.anywhere:
                continue
            hit = evaluate(signature, producer, view)
            if hit is not None:
                hits.append(hit)
    return hits


def match_exchange(exchange: Exchange, content: Content | None = None) -> list[Hit]:
    """Match one exchange against the shipped (or given) content's signatures; the catalogue is compiled once."""
    return match_with(catalogue_for(content if content is not None else load_content()), exchange)
