"""The signature catalogue: `content/signatures/*.toml` read, validated and compiled once per Content.

The schema is documented in content/signatures/README.md. Every problem in a file is one ContentError sentence naming
the file and the key (`content/signatures/akamai.toml: signatures[2].all[1].body is not a valid regular expression
(...)`), so that an organisation adding its own vendor file gets told exactly what to fix.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from wizard403.content import Content, read_toml, shipped_content_dir
from wizard403.diagnose.literals import required_literals
from wizard403.errors import ContentError
from wizard403.model import CAUSE_IDS, LAYERS

PROVES = ("block", "presence")
MATCHER_KINDS = ("status", "method", "url", "reason", "content_type", "header", "request_header", "cookie", "body")
# Cheap tests first: a signature stops at its first failed matcher, and body regexes are the expensive ones.
_COST = {kind: rank for rank, kind in enumerate(MATCHER_KINDS)}
MAX_WEIGHT = 1.0

# Reference kinds that a named group may produce just by its name (`cf_ray` -> "cf-ray"). Other kinds are declared
# per signature with `refs = { group = "kind" }`.
REFERENCE_KINDS = frozenset(
    {
        "cf-ray",
        "akamai-reference",
        "incident-id",
        "support-id",
        "request-id",
        "amz-request-id",
        "amz-id-2",
        "amz-cf-id",
        "apigw-id",
        "ms-request-id",
        "azure-ref",
        "audit-id",
        "block-id",
        "github-request-id",
        "transaction-id",
        "log-id",
        "vercel-id",
    }
)
# Facts a signature may pull out of a response for the report (not ids to quote).
FIELDS = frozenset(
    {
        "principal",
        "action",
        "resource",
        "policy_layer",
        "missing_scope",
        "missing_permission",
        "granted_scopes",
        "reset_time",
        "retry_after",
        "error_code",
        "error_message",
        "block_reason",
        "title",
        "detail",
        "problem_type",
        "sso_url",
        "server_time",
        "expiry",
        "namespace",
        "server_version",
    }
)

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_PRODUCER_KEYS = ("id", "name", "layer", "lookup", "extract", "markers", "foreign")
_SIGNATURE_KEYS = (
    "id", "proves", "line", "status", "all", "any", "none", "extract", "causes", "layer", "lookup", "refs", "anywhere"
)
_MATCHER_EXTRA_KEYS = ("value", "case_sensitive")


@dataclass(frozen=True, eq=False)
class Matcher:
    """One test on one part of an exchange; `regex` is shared between matchers with the same pattern and flags."""

    kind: str
    name: str | None  # header name (lower case) for header / request_header
    regex: re.Pattern[str] | None
    values: frozenset | None  # status codes or upper-case methods
    key: str  # where it was written, for messages
    # For body matchers: groups of case-folded strings; the body must contain one string of each group for the
    # regex to have a chance (see literals.py).
    anchors: tuple[tuple[str, ...], ...] | None = None
    # Matchers that test the same thing share a slot, so an exchange answers each question once (signatures.py).
    slot: int = -1


@dataclass(frozen=True, eq=False)
class Signature:
    id: str
    proves: str
    line: str
    layer: str
    lookup: str
    status: frozenset[int] | None
    all: tuple[Matcher, ...]
    any: tuple[Matcher, ...]
    none: tuple[Matcher, ...]
    extract: tuple[Matcher, ...]
    causes: Mapping[str, float]
    refs: Mapping[str, str]  # group name -> reference kind, every reference group resolved at load
    anywhere: bool = False  # its own words name the producer: it fires without one of the producer's markers


@dataclass(frozen=True, eq=False)
class Producer:
    id: str
    name: str
    layer: str
    lookup: str
    extract: tuple[Matcher, ...]
    refs: Mapping[str, str]
    signatures: tuple[Signature, ...]
    source: str  # the file it came from, for messages
    # Where an answer can come from this producer: when markers are given, one must hold for its signatures to fire
    # (except `anywhere` ones); when a foreign mark holds (another producer's header, host or envelope), none fires.
    markers: tuple[Matcher, ...] = ()
    foreign: tuple[Matcher, ...] = ()


@dataclass(frozen=True, eq=False)
class Catalogue:
    producers: tuple[Producer, ...]
    files: tuple[str, ...] = field(default=())

    def producer(self, producer_id: str) -> Producer | None:
        for producer in self.producers:
            if producer.id == producer_id:
                return producer
        return None


def display_name(path: Path) -> str:
    """`content/signatures/x.toml` for shipped files, the path as given for an overlay."""
    try:
        rel = Path(path).resolve().relative_to(shipped_content_dir().resolve())
        return "content/" + rel.as_posix()
    except ValueError:
        return str(path)


class _Builder:
    """Validates one file; holds the file name and a pattern pool shared by the whole catalogue."""

    def __init__(self, src: str, pool: dict):
        self.src = src
        self.pool = pool  # (pattern, flags) -> compiled regex; "slots" -> {(kind, name, regex id): slot number}

    def slot(self, kind: str, name: str | None, regex: re.Pattern[str] | None) -> int:
        slots = self.pool.setdefault("slots", {})
        return slots.setdefault((kind, name, id(regex)), len(slots))

    def fail(self, key: str, problem: str) -> ContentError:
        return ContentError(f"{self.src}: {key} {problem}")

    def text(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be a non-empty string (got {_got(value)})")
        return " ".join(value.split())

    def ident(self, key: str, value: Any) -> str:
        text = self.text(key, value)
        if not _ID.match(text):
            raise self.fail(key, f"must be kebab-case: lowercase letters, digits and dashes (got {_got(text)})")
        return text

    def one_of(self, key: str, value: Any, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise self.fail(key, f"must be one of {', '.join(allowed)} (got {_got(value)})")
        return value

    def unknown_keys(self, key: str, table: dict, known: tuple[str, ...]) -> None:
        for name in table:
            if name not in known:
                where = f"{key}.{name}" if key else name
                raise self.fail(where, f"is not a known key (expected one of {', '.join(known)})")

    def regex(self, key: str, value: Any, case_sensitive: bool) -> re.Pattern[str]:
        if not isinstance(value, str) or not value:
            raise self.fail(key, f"must be a non-empty regular expression string (got {_got(value)})")
        flags = 0 if case_sensitive else re.IGNORECASE
        pooled = self.pool.get((value, flags))
        if pooled is not None:
            return pooled
        try:
            compiled = re.compile(value, flags)
        except re.error as err:
            raise self.fail(key, f"is not a valid regular expression ({err})") from None
        self.pool[(value, flags)] = compiled
        return compiled

    def statuses(self, key: str, value: Any) -> frozenset[int]:
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or not value:
            raise self.fail(key, f"must be a non-empty list of status codes (got {_got(value)})")
        for i, code in enumerate(value, 1):
            if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 999:
                raise self.fail(f"{key}[{i}]", f"must be a status code between 100 and 999 (got {_got(code)})")
        return frozenset(value)

    def matcher(self, key: str, raw: Any) -> Matcher:
        if not isinstance(raw, dict):
            raise self.fail(key, f"must be an inline table such as {{ body = '...' }} (got {_got(raw)})")
        self.unknown_keys(key, raw, MATCHER_KINDS + _MATCHER_EXTRA_KEYS)
        kinds = [k for k in raw if k in MATCHER_KINDS]
        if len(kinds) != 1:
            raise self.fail(key, f"must name exactly one of {', '.join(MATCHER_KINDS)} (got {len(kinds)})")
        kind = kinds[0]
        case_sensitive = raw.get("case_sensitive", False)
        if not isinstance(case_sensitive, bool):
            raise self.fail(f"{key}.case_sensitive", f"must be true or false (got {_got(case_sensitive)})")
        if "value" in raw and kind not in ("header", "request_header"):
            raise self.fail(f"{key}.value", f"only goes with header or request_header (this matcher is {kind})")
        where = f"{key}.{kind}"
        if kind == "status":
            return Matcher(kind, None, None, self.statuses(where, raw[kind]), key)
        if kind == "method":
            methods = raw[kind]
            if isinstance(methods, str):
                methods = [methods]
            if not isinstance(methods, list) or not methods or not all(isinstance(m, str) and m for m in methods):
                raise self.fail(where, f"must be a list of HTTP methods (got {_got(raw[kind])})")
            return Matcher(kind, None, None, frozenset(m.upper() for m in methods), key)
        if kind in ("header", "request_header"):
            name = self.text(where, raw[kind]).lower()
            if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9a-z-]+", name):
                raise self.fail(where, f"must be an HTTP header name (got {_got(raw[kind])})")
            regex = self.regex(f"{key}.value", raw["value"], case_sensitive) if "value" in raw else None
            return Matcher(kind, name, regex, None, key, None, self.slot(kind, name, regex))
        regex = self.regex(where, raw[kind], case_sensitive)
        anchors = required_literals(regex) if kind == "body" else None
        return Matcher(kind, None, regex, None, key, anchors, self.slot(kind, None, regex))

    def matchers(self, key: str, value: Any) -> tuple[Matcher, ...]:
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list of matchers, e.g. [{{ body = '...' }}] (got {_got(value)})")
        built = [self.matcher(f"{key}[{i}]", raw) for i, raw in enumerate(value, 1)]
        return tuple(sorted(built, key=lambda m: _COST[m.kind]))

    def refs(self, key: str, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table of group name = reference kind (got {_got(value)})")
        out = {}
        for group, kind in value.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", group):
                raise self.fail(f"{key}.{group}", "is not a regex group name (letters, digits and _)")
            out[group] = self.ident(f"{key}.{group}", kind)
        return out

    def resolve_groups(self, matchers: tuple[Matcher, ...], refs: Mapping[str, str]) -> set[str]:
        """Check that every named group says what it extracts; returns the group names."""
        names: set[str] = set()
        for matcher in matchers:
            if matcher.regex is None:
                continue
            for group in matcher.regex.groupindex:
                if group in FIELDS or group in refs or group.replace("_", "-") in REFERENCE_KINDS:
                    names.add(group)
                    continue
                raise self.fail(
                    matcher.key,
                    f"has a named group ({group}) that is neither a known field ({', '.join(sorted(FIELDS))}), "
                    f"nor a known reference kind with - written as _ ({', '.join(sorted(REFERENCE_KINDS))}), "
                    f"nor declared in refs",
                )
        return names

    def causes(self, key: str, value: Any) -> dict[str, float]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table of cause id = weight (got {_got(value)})")
        out = {}
        for cause_id, weight in value.items():
            where = f"{key}.{cause_id}"
            if cause_id not in CAUSE_IDS or cause_id == "unknown":
                known = ", ".join(c for c in CAUSE_IDS if c != "unknown")
                raise self.fail(where, f"is not a cause id a signature can support (known: {known})")
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or math.isnan(weight):
                raise self.fail(where, f"must be a number between -{MAX_WEIGHT} and {MAX_WEIGHT} (got {_got(weight)})")
            if not -MAX_WEIGHT <= weight <= MAX_WEIGHT or weight == 0:
                raise self.fail(where, f"must be between -{MAX_WEIGHT} and {MAX_WEIGHT} and not 0 (got {weight!r})")
            out[cause_id] = float(weight)
        return out

    def producer(self, data: dict) -> Producer:
        self.unknown_keys("", data, ("producer", "signatures"))
        raw = data.get("producer")
        if not isinstance(raw, dict):
            raise self.fail("[producer]", "is missing (every signature file starts with a [producer] table)")
        self.unknown_keys("producer", raw, _PRODUCER_KEYS)
        for required in ("id", "name", "layer", "lookup"):
            if required not in raw:
                raise self.fail(f"producer.{required}", "is missing")
        pid = self.ident("producer.id", raw["id"])
        name = self.text("producer.name", raw["name"])
        layer = self.one_of("producer.layer", raw["layer"], LAYERS)
        lookup = self.text("producer.lookup", raw["lookup"])
        extract = self.matchers("producer.extract", raw.get("extract", []))
        producer_groups = self.resolve_groups(extract, {})
        scope = {}
        for part in ("markers", "foreign"):
            scope[part] = self.matchers(f"producer.{part}", raw.get(part, []))
            for matcher in scope[part]:
                if matcher.regex is not None and matcher.regex.groupindex:
                    raise self.fail(matcher.key, f"must not have named groups (producer {part} never extract)")

        sigs_raw = data.get("signatures")
        if not isinstance(sigs_raw, list) or not sigs_raw or not all(isinstance(s, dict) for s in sigs_raw):
            raise self.fail("signatures", "must be one or more [[signatures]] tables")
        signatures: list[Signature] = []
        seen: set[str] = set()
        for i, sraw in enumerate(sigs_raw, 1):
            sig = self.signature(f"signatures[{i}]", sraw, layer, lookup, producer_groups)
            if sig.id in seen:
                raise self.fail(f"signatures[{i}].id", f'repeats "{sig.id}" (signature ids are unique in a file)')
            seen.add(sig.id)
            signatures.append(sig)
        refs = {g: g.replace("_", "-") for g in producer_groups if g not in FIELDS}
        if not scope["markers"] and any(sig.anywhere for sig in signatures):
            raise self.fail("producer.markers", "is missing: a signature says anywhere = true, which only means "
                            "something when the producer has markers")
        return Producer(pid, name, layer, lookup, extract, MappingProxyType(refs), tuple(signatures), self.src,
                        scope["markers"], scope["foreign"])

    def signature(self, key: str, raw: dict, layer: str, lookup: str, producer_groups: set[str]) -> Signature:
        self.unknown_keys(key, raw, _SIGNATURE_KEYS)
        for required in ("id", "proves", "line"):
            if required not in raw:
                raise self.fail(f"{key}.{required}", "is missing")
        sid = self.ident(f"{key}.id", raw["id"])
        proves = self.one_of(f"{key}.proves", raw["proves"], PROVES)
        line = self.text(f"{key}.line", raw["line"])
        status = self.statuses(f"{key}.status", raw["status"]) if "status" in raw else None
        all_ = self.matchers(f"{key}.all", raw.get("all", []))
        any_ = self.matchers(f"{key}.any", raw.get("any", []))
        none = self.matchers(f"{key}.none", raw.get("none", []))
        extract = self.matchers(f"{key}.extract", raw.get("extract", []))
        if not (status or all_ or any_):
            raise self.fail(key, "must test something: give status, all or any")
        for matcher in none:
            if matcher.regex is not None and matcher.regex.groupindex:
                raise self.fail(matcher.key, "must not have named groups (a none matcher never extracts)")
        refs = self.refs(f"{key}.refs", raw.get("refs", {}))
        groups = self.resolve_groups(all_ + any_ + extract, refs) | producer_groups
        for group in refs:
            if group not in groups:
                raise self.fail(f"{key}.refs.{group}", "names a group that no pattern of this signature has")
        for placeholder in _PLACEHOLDER.findall(line):
            if placeholder not in groups:
                raise self.fail(f"{key}.line", f"uses {{{placeholder}}}, which no pattern of this signature captures")
        causes = self.causes(f"{key}.causes", raw.get("causes", {}))
        sig_layer = self.one_of(f"{key}.layer", raw["layer"], LAYERS) if "layer" in raw else layer
        sig_lookup = self.text(f"{key}.lookup", raw["lookup"]) if "lookup" in raw else lookup
        resolved = {g: refs.get(g, g.replace("_", "-")) for g in groups if g not in FIELDS or g in refs}
        anywhere = raw.get("anywhere", False)
        if not isinstance(anywhere, bool):
            raise self.fail(f"{key}.anywhere", f"must be true or false (got {_got(anywhere)})")
        return Signature(
            id=sid,
            proves=proves,
            line=line,
            layer=sig_layer,
            lookup=sig_lookup,
            status=status,
            all=all_,
            any=any_,
            none=none,
            extract=extract,
            causes=MappingProxyType(causes),
            refs=MappingProxyType(resolved),
            anywhere=anywhere,
        )


def _got(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value if len(value) <= 40 else value[:37] + "..."}"'
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def load_file(path: Path, pool: dict | None = None) -> Producer:
    """Read, validate and compile one signature file."""
    src = display_name(path)
    return _Builder(src, pool if pool is not None else {}).producer(read_toml(path))


def load_catalogue(dirs: tuple[Path, ...] | list[Path]) -> Catalogue:
    """Every `<dir>/signatures/*.toml`; a later dir's file with the same producer id replaces the earlier one.
    Read back from the cache folder when the same files were compiled before (catalogue_cache)."""
    from wizard403.diagnose import catalogue_cache

    listed = [(Path(d), sorted((Path(d) / "signatures").glob("*.toml"))) for d in dirs if (Path(d) / "signatures").is_dir()]
    try:
        key = catalogue_cache.cache_key([(d, path.name, _read(path)) for d, paths in listed for path in paths])
    except OSError:  # an unreadable file: building says which, in one sentence
        key = None
    cached = catalogue_cache.load(dirs, key) if key else None
    if cached is not None:
        return cached
    catalogue = _build(listed)
    if key:
        catalogue_cache.store(dirs, key, catalogue)
    return catalogue


def _read(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _build(listed: list[tuple[Path, list[Path]]]) -> Catalogue:
    pool: dict = {}
    by_id: dict[str, Producer] = {}
    files: list[str] = []
    for _directory, paths in listed:
        here: dict[str, str] = {}
        for path in paths:
            producer = load_file(path, pool)
            if producer.id in here:
                raise ContentError(
                    f"{producer.source}: producer.id \"{producer.id}\" is already used by {here[producer.id]}"
                )
            here[producer.id] = producer.source
            by_id[producer.id] = producer
            files.append(producer.source)
    producers = tuple(by_id[pid] for pid in sorted(by_id))
    return Catalogue(producers, tuple(files))


# One compiled catalogue per Content object (load_content caches Content, so this compiles once per overlay).
_CACHE: dict[int, tuple[Content, Catalogue]] = {}
_CACHE_SIZE = 16


def catalogue_for(content: Content) -> Catalogue:
    cached = _CACHE.get(id(content))
    if cached is not None and cached[0] is content:
        return cached[1]
    catalogue = load_catalogue(content.dirs)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(content)] = (content, catalogue)
    return catalogue
