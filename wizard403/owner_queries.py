"""The queries a site owner pastes to find one refused request in their logs: content/queries.toml, filled in.

A report gives the owner reference ids (a Ray ID, a request id, an audit id, the UTC time). This module turns each
into the exact text to run: a Cloudflare GraphQL query, an Athena SQL statement, a KQL query, a jq filter, a shell
command. Templates live in content (an organisation's overlay adds its own, for its SIEM); every value from a
response is quoted for the query's language on the way in, so a hostile id arrives as one inert literal.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from wizard403.content import read_toml
from wizard403.errors import ContentError
from wizard403.model import OwnerQuery, Reference, Session
from wizard403.quoting import LANGUAGES, PLACEHOLDER_RE, fill, substitute
from wizard403.textsafe import one_line

if TYPE_CHECKING:
    from wizard403.content import Content

WINDOW = dt.timedelta(minutes=5)
QUERY_KEYS = ("id", "kinds", "source", "unless", "tool", "language", "text", "look_for", "fallback")
NUMERIC = frozenset({"start_s", "end_s", "status"})  # our own numbers, written bare
TIME_KIND = "utc-time"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class QueryTemplate:
    id: str
    kinds: tuple[str, ...]
    source: re.Pattern[str] | None
    unless: re.Pattern[str] | None  # skipped when who answered matches (a cloud edge refused: no nginx log saw it)
    tool: str
    language: str
    text: str
    look_for: str
    fallback: bool
    fields: tuple[str, ...]  # the placeholders the text uses, in order


# ---------------------------------------------------------------------------------------------------- loading


def _fail(src: str, key: str, problem: str) -> ContentError:
    return ContentError(f"{src}: {key} {problem}")


def _parse(src: str, data: dict) -> list[QueryTemplate]:
    rows = data.get("query", [])
    if not isinstance(rows, list):
        raise _fail(src, "query", "must be an array of tables ([[query]])")
    unknown = set(data) - {"query"}
    if unknown:
        raise _fail(src, sorted(unknown)[0], "is not a known key (only [[query]] tables belong here)")
    out = []
    for n, raw in enumerate(rows, 1):
        key = f"query[{n}]"
        if not isinstance(raw, dict):
            raise _fail(src, key, "must be a table")
        for name in raw:
            if name not in QUERY_KEYS:
                raise _fail(src, f"{key}.{name}", f"is not a known key (known: {', '.join(QUERY_KEYS)})")
        for name in ("id", "tool", "language", "text", "look_for"):
            if not isinstance(raw.get(name), str) or not raw[name].strip():
                raise _fail(src, f"{key}.{name}", "must be a non-empty string")
        kinds = raw.get("kinds")
        if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) and k for k in kinds):
            raise _fail(src, f"{key}.kinds", "must be a non-empty list of reference kinds")
        if raw["language"] not in LANGUAGES:
            raise _fail(src, f"{key}.language", f"must be one of: {', '.join(LANGUAGES)}")
        source, unless = (_regex(src, f"{key}.{name}", raw.get(name)) for name in ("source", "unless"))
        fields = _placeholders(src, f"{key}.text", raw["text"])
        for field in _placeholders(src, f"{key}.tool", raw["tool"]):
            if field.startswith("query:"):
                raise _fail(src, f"{key}.tool", "cannot hold another query; only values such as {{start}}")
        out.append(
            QueryTemplate(
                raw["id"], tuple(kinds), source, unless, raw["tool"].strip(), raw["language"], raw["text"].strip("\n"),
                raw["look_for"].strip(), bool(raw.get("fallback", False)), fields,
            )
        )
    ids = [q.id for q in out]
    for qid in ids:
        if ids.count(qid) > 1:
            raise _fail(src, "query", f"id '{qid}' is used twice")
    known = set(ids)
    for n, q in enumerate(out, 1):
        for field in q.fields:
            if field.startswith("query:") and field[6:] not in known:
                raise _fail(src, f"query[{n}].text", f"refers to {{{field}}}, but no query in this file has that id")
    return out


def _regex(src: str, key: str, value: object) -> re.Pattern[str] | None:
    if value is None:
        return None
    try:
        return re.compile(str(value), re.I)
    except re.error as err:
        raise _fail(src, key, f"is not a valid regular expression ({err})") from None


def _placeholders(src: str, key: str, text: str) -> tuple[str, ...]:
    fields = tuple(m.group(1) for m in PLACEHOLDER_RE.finditer(text))
    for field in fields:
        if field not in PLACEHOLDERS and not field.startswith("query:"):
            raise _fail(src, key, f"uses the unknown placeholder {{{{{field}}}}}")
    return fields


_CACHE: dict[tuple[Path, ...], tuple[QueryTemplate, ...]] = {}


def load_queries(dirs: tuple[Path, ...]) -> tuple[QueryTemplate, ...]:
    """Every query of the shipped content and the overlay (an overlay query with a shipped id replaces it)."""
    cached = _CACHE.get(dirs)
    if cached is not None:
        return cached
    by_id: dict[str, QueryTemplate] = {}
    for directory in dirs:
        path = Path(directory) / "queries.toml"
        if path.exists():
            for template in _parse(str(path), read_toml(path)):
                by_id[template.id] = template
    result = tuple(by_id.values())
    _CACHE[dirs] = result
    return result


# ---------------------------------------------------------------------------------------------------- filling


def _minutes(at: dt.datetime) -> list[dt.datetime]:
    first = (at - WINDOW).replace(second=0, microsecond=0)
    return [first + dt.timedelta(minutes=i) for i in range(int(2 * WINDOW.total_seconds() // 60) + 1)]


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _refused(session: Session):
    return next((ex for ex in session.exchanges if ex.check in ("baseline", "recorded") and ex.status is not None), None)


def time_window(ref: Reference, session: Session) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """(when the refused request was sent, the start and the end of the window its queries search), all in UTC."""
    refused = _refused(session)
    at = ref.at or (refused.at if refused is not None else None) or session.created
    at = (at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)).astimezone(dt.timezone.utc)
    return at, at - WINDOW, at + WINDOW


def _values(ref: Reference, session: Session) -> dict[str, Any]:
    """The raw (unquoted) value of every placeholder that this reference and session can fill."""
    refused = _refused(session)
    url = (refused.url if refused is not None else "") or session.target.url
    parts = urlsplit(url)
    at, start, end = time_window(ref, session)
    method = refused.method if refused is not None else session.target.method
    # An id is matched literally: one line, controls made visible (no real id has a newline; one that does must not
    # turn `grep -F` into two patterns). A Cloudflare Ray ID is searched without its data-centre suffix.
    ident = one_line(ref.value)
    if ref.kind == "cf-ray" and re.fullmatch(r"[0-9a-f]{16}-[A-Z]{3}", ident):
        ident = ident.split("-", 1)[0]
    values: dict[str, Any] = {
        "id": ident,
        "method": method,
        "start": _iso(start),
        "end": _iso(end),
        "date": at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d"),
        "start_s": int(start.timestamp()),
        "end_s": int(end.timestamp()),
        "journal_start": start.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "journal_end": end.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    if url:  # an answer read from a file without its URL: no path to search for
        values |= {"path": one_line(parts.path or "/"), "host": parts.hostname or "",
                   "request_start": one_line(f'"{method} {parts.path or "/"}')}
    minutes = [m.astimezone(dt.timezone.utc) for m in _minutes(at)]
    values["access_minutes"] = "|".join(m.strftime(f"%d/{_MONTHS[m.month - 1]}/%Y:%H:%M:") for m in minutes)
    values["nginx_error_minutes"] = "|".join(m.strftime("^%Y/%m/%d %H:%M:") for m in minutes)
    values["apache_error_minutes"] = "|".join(m.strftime(f"{_MONTHS[m.month - 1]} %d %H:%M:") for m in minutes)
    if refused is not None and refused.status is not None:
        values["status"] = int(refused.status)
    if refused is not None and refused.local_address:
        host = refused.local_address.rsplit(":", 1)[0].strip("[]")
        if host and not host.startswith("127.") and host != "::1":
            values["client_ip"] = host
    return values


PLACEHOLDERS = (
    "id", "path", "method", "host", "start", "end", "date", "start_s", "end_s", "journal_start", "journal_end",
    "request_start", "access_minutes", "nginx_error_minutes", "apache_error_minutes", "status", "client_ip",
)


def _fill(template: QueryTemplate, values: dict[str, Any], by_id: dict[str, QueryTemplate], depth: int = 0) -> str | None:
    """The template filled; a {{query:ID}} placeholder takes the other query's filled text (quoted as one value)."""
    values = dict(values)
    for field in template.fields:
        if field.startswith("query:"):
            inner = by_id.get(field[6:])
            values[field] = _fill(inner, values, by_id, depth + 1) if inner is not None and depth < 3 else None
    return fill(template.text, template.language, values, bare=NUMERIC)


def _context(ref: Reference, session: Session) -> str:
    """What a query's `source` pattern is matched against: who produced this reference, and who else answered."""
    words = [ref.source] + [r.source for r in session.references]
    for ex in session.exchanges[:3]:
        words += ex.response_headers.get_all("server") + ex.response_headers.get_all("via")
    return " | ".join(w for w in words if w)


def queries_for(ref: Reference, session: Session, templates: tuple[QueryTemplate, ...]) -> list[OwnerQuery]:
    """The filled queries for one reference, in content order; the fallbacks when no query names its kind."""
    by_id = {t.id: t for t in templates}
    own_source = ref.source
    context = _context(ref, session)

    def applies(t: QueryTemplate) -> bool:
        if ref.kind not in t.kinds:
            return False
        if t.unless is not None and t.unless.search(context):
            return False
        if t.source is None:
            return True
        subject = context if ref.kind == TIME_KIND else own_source
        return bool(t.source.search(subject or ""))

    chosen = [t for t in templates if applies(t)]
    if not chosen and ref.kind != TIME_KIND:
        chosen = [t for t in templates if t.fallback]
    values = _values(ref, session)
    out = []
    for template in chosen:
        text = _fill(template, values, by_id)
        if text is not None:
            out.append(OwnerQuery(_tool(template, values), template.language, text, template.look_for))
    return out


def _tool(template: QueryTemplate, values: dict[str, Any]) -> str:
    """The tool's name, with any placeholder in it filled as plain one-line text (it is read, not run)."""
    fields = [m.group(1) for m in PLACEHOLDER_RE.finditer(template.tool)]
    if not fields or not all(f in values for f in fields):
        return template.tool
    return substitute(template.tool, {f: one_line(str(values[f])) for f in fields})


def attach_queries(session: Session, content: Content) -> None:
    """Fill every reference of the session with its owner's queries (called after the references are collected)."""
    templates = load_queries(tuple(content.dirs))
    for ref in session.references:
        ref.queries = queries_for(ref, session, templates)
