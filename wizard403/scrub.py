"""The one scrubber every output passes through: a session's known secrets in every form, then the name rules.

A `Scrubber` is the session's secret registry: every secret value is registered once, as it enters (credential
headers, cookies, user info and secret parameters of URLs, proxy credentials, body fields, path tokens, cookies
and token fields the server handed out, the same from HAR and curl imports). `scrub(text)` replaces each of them
in every form it can take in a page, a log line or an error: as is, percent-encoded (both cases, `+` for space),
base64 (alone, and `user:password` pairs), JSON-escaped, HTML/XML-escaped and Python-repr-escaped; then the name
and pattern rules of `redact` catch what nobody registered (a server echoing a token it issued, a JWT, a
`password=` pair). Screens, stderr, error sentences, reports, the autosave, the recent list, `sanitize` and the
log scan all call it; `shown()` adds `textsafe.visible` for what a terminal displays.

All registered forms are compiled into one trie-shaped regex, so a text is searched once whatever the number of
secrets, and a text without any of them costs one failed search.
"""

from __future__ import annotations

import base64
import functools
import html
import itertools
import json
import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, unquote

from wizard403 import prefilter, redact
from wizard403.textsafe import visible

if TYPE_CHECKING:
    from wizard403.model import Session

# Values too common to hunt for across a whole text (a cookie "lang=true" is not a secret worth garbling pages for).
TRIVIAL = frozenset({"true", "false", "null", "none", "undefined", "yes", "no", "on", "off", "default", "en-us", "bearer", "basic"})
# The forms' automaton (_FastForms) holds their first 16 characters: few candidates, and a few MB of memory.
_AUTOMATON_PREFIX = 16
_PREFIX = 8  # the regex finds the first characters of a form; the whole form is then compared
_FAN = 8  # above this many branches, a trie node dispatches by character class first (fewer tries per position)


@functools.lru_cache(maxsize=65536)
def encodings(secret: str) -> frozenset[str]:
    """Every form one secret takes in outside text (worked out once per secret: a HAR's registry is built again
    for each session scrubber, with the same secrets)."""
    forms = {secret}
    for safe in ("", "/", ":@"):
        encoded = quote(secret, safe=safe)
        forms |= {encoded, re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded)}
    forms.add(quote_plus(secret))
    if "%" in secret:
        forms.add(unquote(secret))
    raw = secret.encode("utf-8", "surrogateescape")
    for b64 in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
        forms |= {b64, b64.rstrip("=")}
    dumped = json.dumps(secret)[1:-1]
    forms |= {dumped, json.dumps(secret, ensure_ascii=False)[1:-1], dumped.replace("/", "\\/")}
    escaped = html.escape(secret, quote=True)
    forms |= {escaped, escaped.replace("&#x27;", "&#39;"), escaped.replace("&#x27;", "&apos;"), html.escape(secret, quote=False)}
    forms |= {repr(secret)[1:-1], repr(raw)[2:-1]}
    return frozenset(f for f in forms if len(f) >= redact.MIN_SECRET_LEN)


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex matching any of `words`, longest first, shaped as a trie (shared prefixes tried once)."""
    return _trie(sorted(set(words)))


def _trie(words: list[str]) -> str:
    # `words` is sorted and distinct; the common prefix of the first and last is common to all.
    if len(words) == 1:
        return re.escape(words[0])
    prefix = os.path.commonprefix([words[0], words[-1]])
    if prefix:
        return re.escape(prefix) + _trie([w[len(prefix):] for w in words])
    optional = words[0] == ""
    groups = [(ch, [w[1:] for w in grp]) for ch, grp in itertools.groupby(words[1:] if optional else words, key=lambda w: w[0])]
    body = _branches(groups)
    return f"(?:{body})?" if optional else body


def _branches(groups: list[tuple[str, list[str]]]) -> str:
    if len(groups) > _FAN:  # dispatch by character class first: fewer alternatives tried at each position
        half = len(groups) // 2
        charset = "[" + "".join(re.escape(ch) for ch, _ in groups[:half]) + "]"
        return f"(?:(?={charset}){_branches(groups[:half])}|{_branches(groups[half:])})"
    alts = [re.escape(ch) + _trie(rest) for ch, rest in groups]
    return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"


class Scrubber:
    """The secrets one session knows (its registry), and the function that removes them from any text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: set[str] = set()
        self._forms: dict[str, str] = {}  # every form of every secret -> the secret's fingerprint
        self._regex: re.Pattern | None = None
        self._buckets: dict[str, list[str]] | None = None
        self._fast: list[_FastForms | None] = [None]  # shared with copies until one of them adds a secret
        self.update(secrets)

    # -- registering

    def add(self, value: str, kind: str = "value") -> None:
        """Register one secret value (`kind` says where it came from: header, cookie, url, body, ...)."""
        if not isinstance(value, str):
            return
        if value != value.strip() and len(value.strip()) >= redact.MIN_SECRET_LEN:
            value = value.strip()  # " token" pasted with a space is found as "token" too
        if (
            len(value) < redact.MIN_SECRET_LEN
            or value in self.secrets
            or value.lower() in TRIVIAL
            or redact.FINGERPRINT_RE.search(value)
        ):
            return
        self.secrets.add(value)
        fp = redact.fingerprint(value)
        for form in encodings(value):
            # A form already owned by a longer secret keeps that owner's fingerprint.
            self._forms.setdefault(form, fp)
        self._regex = None
        self._buckets = None
        self._fast = [None]

    def update(self, values: Iterable[str]) -> None:
        for value in values:
            self.add(value)

    def add_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        self.update(redact.secrets_of_headers(headers))

    def add_url(self, url: str) -> None:
        self.update(redact.secrets_of_url(url))

    def add_body(self, body: bytes | str | None, content_type: str = "") -> None:
        if body:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            self.update(redact.secrets_of_body(text, content_type))

    def add_proxy(self, proxy: str | None) -> None:
        """A proxy URL's credentials (http://user:pw@host:port, or curl's scheme-less user:pw@host:port)."""
        if proxy:
            self.update(redact.secrets_of_url(proxy if "://" in proxy else f"http://{proxy}"))

    def add_response(self, headers: Iterable[tuple[str, str]], body: bytes | str | None = None, content_type: str = "") -> None:
        """What a server handed out: Set-Cookie values, and token fields of a JSON answer."""
        self.add_headers((n, v) for n, v in headers if n.lower() in ("set-cookie",) or redact.is_secret_header(n))
        if body:
            text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
            if text.lstrip()[:1] in ("{", "["):
                self.update(redact.secrets_of_json(text.lstrip()))

    # -- replacing

    def _compiled(self) -> re.Pattern | None:
        # One small regex over the forms' first characters finds candidates; each is confirmed by comparing whole
        # forms (longest first). Compiling prefixes instead of whole forms keeps a HAR with thousands cheap.
        if self._regex is None and self._forms:
            self._regex = re.compile(_trie_pattern(self._bucketed()))
        return self._regex

    def _bucketed(self) -> dict[str, list[str]]:
        """The forms by their first characters, longest first."""
        if self._buckets is None:
            buckets: dict[str, list[str]] = {}
            for form in self._forms:
                buckets.setdefault(form[:_PREFIX], []).append(form)
            for forms in buckets.values():
                forms.sort(key=len, reverse=True)
            self._buckets = buckets
        return self._buckets

    def _at(self, text: str, i: int) -> str | None:
        buckets = self._bucketed()
        for k in range(_PREFIX, redact.MIN_SECRET_LEN - 1, -1):
            for form in buckets.get(text[i : i + k], ()):
                if text.startswith(form, i):
                    return form
        return None

    def known(self, text: str) -> str:
        """`text` with every registered secret (in every form) replaced, and nothing else."""
        if len(text) >= redact.MIN_SECRET_LEN and self._forms and prefilter.available():
            return self._fast_forms().known(self, text)
        return self._known_plain(text)

    def _known_plain(self, text: str) -> str:
        regex = self._compiled() if text and len(text) >= redact.MIN_SECRET_LEN else None
        match = regex.search(text) if regex is not None else None
        if match is None:
            return text
        out: list[str] = []
        last = 0
        while match is not None:
            i = match.start()
            form = self._at(text, i)
            if form is None:
                pos = i + 1
            else:
                out += [text[last:i], self._forms[form]]
                last = pos = i + len(form)
            match = regex.search(text, pos)
        return "".join(out) + text[last:] if out else text

    def scrub(self, text: str) -> str:
        """`text` with every registered secret and every secret-shaped value replaced by its fingerprint."""
        if not text:
            return text
        return redact.apply_rules(self.known(text))

    def _fast_forms(self) -> _FastForms:
        if self._fast[0] is None:
            self._fast[0] = _FastForms(self._forms)
        return self._fast[0]

    def scrub_bytes(self, data: bytes) -> bytes:
        """Binary data with registered (ASCII-spelled) secrets replaced byte for byte; no text rules."""
        if not data or not self._forms:
            return data
        view = data.decode("latin-1")  # one character per byte: positions and untouched bytes survive the trip
        clean = self.known(view)
        return data if clean is view else clean.encode("latin-1", "replace")

    def shown(self, text: str) -> str:
        """What a terminal may display: scrubbed, then every control character made visible."""
        return visible(self.scrub(text))

    def header(self, name: str, value: str) -> str:
        """One header value as a report shows it: by its structure, then scrubbed."""
        return self.scrub(redact.redact_header(name, value))

    def url(self, url: str) -> str:
        return self.scrub(redact.redact_url(url))

    def tree(self, value: Any) -> Any:
        """Every string of a plain tree (dicts, lists), keys too, scrubbed; None values dropped."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {self.known(str(k)): self.tree(v) for k, v in value.items() if v is not None}
        if isinstance(value, (list, tuple)):
            return [self.tree(v) for v in value if v is not None]
        return value

    def __len__(self) -> int:
        return len(self.secrets)

    # -- building

    def copy(self) -> Scrubber:
        """An independent registry with the same secrets (the compiled regex is shared until one adds more)."""
        twin = Scrubber()
        twin.secrets = set(self.secrets)
        twin._forms = dict(self._forms)
        twin._regex, twin._buckets = self._regex, self._buckets
        twin._fast = self._fast  # built at most once for the copies that add nothing
        return twin

    @classmethod
    def for_session(cls, session: Session | None, extra: Iterable[str] = ()) -> Scrubber:
        """The session's registry (compiled once per set of secrets: screens call this for every string)."""
        secrets = frozenset(extra) | frozenset(session_secrets(session) if session is not None else run_secrets())
        return scrubber_for(secrets).copy()

    @classmethod
    def for_har(cls, entries: Iterable[Any]) -> Scrubber:
        """The registry of a HAR's entries: request headers, cookies, URLs (and URL-valued headers), query and
        form parameters, post bodies, the server's Set-Cookie values and token fields, WebSocket protocols."""
        reader = HarSecrets(cls())
        for entry in entries:
            reader.add(entry)
        return reader.scrubber


class HarSecrets:
    """Scrubber.for_har one entry at a time (`add`), for a reader that goes through the entries anyway. Parts
    repeated across entries (the same header, the same URL) are read once: they hold the same secrets."""

    def __init__(self, scrubber: Scrubber | None = None):
        self.scrubber = scrubber if scrubber is not None else Scrubber()
        self._headers: dict[tuple[str, str], set[str]] = {}
        self._urls: dict[str, set[str]] = {}
        self._given_names: dict[str, bool] = {}
        # add_listed: what each distinct raw name/value object holds, per list it came from
        self._items: dict[str, dict[bytes, Any]] = {"headers": {}, "query": {}, "cookies": {}, "given": {}}
        self._passed: set[str] = set()  # values add_listed gave the scrubber (once is enough)
        self._lists: dict[str, set[tuple]] = {"headers": set(), "query": set(), "cookies": set(), "given": set()}

    def _of_headers(self, pairs: list[tuple[str, str]]) -> set[str]:
        found: set[str] = set()
        for pair in pairs:
            got = self._headers.get(pair)
            if got is None:
                got = self._headers[pair] = redact.secrets_of_headers([pair])
            found |= got
        return found

    def _given_before(self, kind: str, items: Any) -> bool:
        """Whether add() read this very `kind` list (the same name/value pairs) before; remembered from now on."""
        key = pairs_key(items) if isinstance(items, list) and items else None
        if key is None:
            return False
        seen = self._lists[kind]
        if key in seen:
            return True
        if len(seen) < 50_000:
            seen.add(key)
        return False

    def _given(self, name: str) -> bool:
        """A response header whose value the server hands out as a credential (Set-Cookie, a token header)."""
        got = self._given_names.get(name)
        if got is None:
            got = self._given_names[name] = name.lower() in ("set-cookie",) or redact.is_secret_header(name)
        return got

    def _of_url(self, value: str) -> set[str]:
        got = self._urls.get(value)
        if got is None:
            got = self._urls[value] = redact.secrets_of_url(value)
        return got

    def add(self, entry: Any) -> None:
        if not isinstance(entry, dict):
            return
        scrubber = self.scrubber
        req = entry.get("request") if isinstance(entry.get("request"), dict) else {}
        resp = entry.get("response") if isinstance(entry.get("response"), dict) else {}
        # A list given whole before (entries repeat them) is left out: its values are registered already, and
        # registering a value again changes nothing.
        items = req.get("headers")
        if not self._given_before("headers", items):
            scrubber.update(self._of_headers(_har_pairs(items)))
        scrubber.update(self._of_url(str(req.get("url") or "")))
        scrubber.update(self._of_url(str(resp.get("redirectURL") or "")))
        items = req.get("queryString")
        if not self._given_before("query", items):
            for name, value in _har_pairs(items):
                if value and redact.is_secret_param(name):
                    scrubber.update({value, unquote(value)})
        for items in (req.get("cookies"), resp.get("cookies")):
            if not self._given_before("cookies", items):
                for cookie in _har_pairs(items):
                    if not redact.inert_cookie_value(cookie[1]):
                        scrubber.add(cookie[1], "cookie")
        post = req.get("postData") if isinstance(req.get("postData"), dict) else {}
        if isinstance(post.get("text"), str):
            scrubber.add_body(post["text"], str(post.get("mimeType") or ""))
        for name, value in _har_pairs(post.get("params")):
            if value and redact.is_secret_param(name):
                scrubber.add(value, "body")
        content = resp.get("content") if isinstance(resp.get("content"), dict) else {}
        text = content.get("text") if isinstance(content.get("text"), str) and not content.get("encoding") else None
        if not self._given_before("given", resp.get("headers")):
            scrubber.update(self._of_headers([(n, v) for n, v in _har_pairs(resp.get("headers")) if self._given(n)]))
        if text and len(text) < 1_000_000 and text.lstrip()[:1] in ("{", "["):
            scrubber.update(redact.secrets_of_json(text.lstrip()))


    def add_listed(self, request: Any, response: Any, decode: Any) -> None:
        """add() for an entry read through a view whose name/value lists (request headers, query string and
        cookies; response headers and cookies) are still raw JSON objects: `request` and `response` have those as
        attributes (lists of raw objects, or None), and `url`, `postData`, `redirectURL` decoded (None when
        absent); `decode(raw)` decodes one object. Each distinct object is read once, however many entries repeat
        it, and gives what add() would take from it; the registrations come in add()'s order, less the values
        already registered (registering a value again changes nothing)."""
        scrubber, passed, item = self.scrubber, self._passed, self._item
        memo = self._items["headers"]
        found: set[str] = set()
        for raw in request.headers or ():
            got = memo.get(bytes(raw))
            found |= item("headers", raw, decode) if got is None else got
        found |= self._of_url(str(request.url or ""))
        found |= self._of_url(str(response.redirectURL or ""))
        if found - passed:
            new = found - passed
            scrubber.update(new)
            passed |= new
        for kind, items in (("query", request.queryString), ("cookies", request.cookies), ("cookies", response.cookies)):
            memo = self._items[kind]
            for raw in items or ():
                got = memo.get(bytes(raw))
                for value in item(kind, raw, decode) if got is None else got:
                    if value not in passed:
                        scrubber.add(value)
                        passed.add(value)
        post = request.postData if isinstance(request.postData, dict) else {}
        if post:
            if isinstance(post.get("text"), str):
                scrubber.add_body(post["text"], str(post.get("mimeType") or ""))
            for name, value in _har_pairs(post.get("params")):
                if value and redact.is_secret_param(name):
                    scrubber.add(value, "body")
        memo = self._items["given"]
        found = set()
        for raw in response.headers or ():
            got = memo.get(bytes(raw))
            if got is None:
                got = item("given", raw, decode)
            if got:
                found |= got
        if found - passed:
            new = found - passed
            scrubber.update(new)
            passed |= new

    def _item(self, kind: str, raw: Any, decode: Any) -> Any:
        """What one raw name/value object of a `kind` list registers (add()'s reading of it), remembered."""
        pairs = _har_pairs([decode(raw)])
        if kind == "headers":
            got: Any = self._of_headers(pairs)
        elif kind == "given":
            got = self._of_headers([(n, v) for n, v in pairs if self._given(n)])
        elif kind == "query":
            got = [x for name, value in pairs if value and redact.is_secret_param(name) for x in (value, unquote(value))]
        else:
            got = [value for _, value in pairs if not redact.inert_cookie_value(value)]
        self._items[kind][bytes(raw)] = got
        return got


class _FastForms:
    """One registry's fast search: an automaton of every registered form, searched in a long text in one pass."""

    def __init__(self, forms: dict[str, str]):
        # The automaton holds the forms' first characters (as the regex does): a full form is then compared where
        # one of them starts (Scrubber._at), and the automaton stays small whatever the number of forms.
        self._forms = sorted({form[:_AUTOMATON_PREFIX] for form in forms})
        self._text: Any = None
        self._bytes = prefilter.exact_bytes(self._forms)

    def starts(self, text: str) -> list[int] | None:
        """Every position where a registered form may start in `text` (sorted): where its first characters are."""
        if text.isascii():  # positions in the bytes are positions in the text
            hits = self._bytes.find_matches_as_indexes(text.encode("ascii"), overlapping=True)
        else:
            try:
                if self._text is None:
                    self._text = prefilter.exact_words(self._forms)
                hits = self._text.find_matches_as_indexes(text, overlapping=True)
            except (UnicodeError, ValueError):  # a lone surrogate (in the text or a secret): the plain way
                return None
        return sorted({start for _, start, _ in hits})

    def known(self, scrubber: Scrubber, text: str) -> str:
        """Scrubber.known(text), looking only where a registered form starts."""
        starts = self.starts(text)
        if starts is None:
            return scrubber._known_plain(text)
        if not starts:
            return text
        out: list[str] = []
        last = 0
        for i in starts:
            if i < last:
                continue
            form = scrubber._at(text, i)
            if form is not None:
                out += [text[last:i], scrubber._forms[form]]
                last = i + len(form)
        return "".join(out) + text[last:] if out else text


def pairs_key(items: list) -> tuple | None:
    """The (name, value) pairs of a list of name/value objects, to know the list again; None unless every one is
    such an object with a string name and value (1 and True are equal keys, yet different texts)."""
    try:
        key = tuple([(item["name"], item["value"]) for item in items])
    except (TypeError, KeyError):
        return None
    for name, value in key:
        if type(name) is not str or type(value) is not str:
            return None
    return key


def _har_pairs(items: Any) -> list[tuple[str, str]]:
    """(name, value) of every name/value object of a HAR list (headers, cookies, parameters); a value holding
    several lines (Set-Cookie) gives one pair a line."""
    if not isinstance(items, list):
        return []
    pairs: list[tuple[str, str]] = []
    append = pairs.append
    for h in items:
        if isinstance(h, dict):
            name = h.get("name")
            if name:
                value = h.get("value", "")
                name, value = (name if type(name) is str else str(name)), (value if type(value) is str else str(value))
                if "\n" in value:
                    pairs += [(name, part) for part in value.split("\n")]
                else:
                    append((name, value))
    return pairs


@functools.lru_cache(maxsize=16)
def scrubber_for(secrets: frozenset[str]) -> Scrubber:
    """A compiled Scrubber for one set of secrets (cached: callers pass the same set for every string)."""
    return Scrubber(secrets)


_RUN_SECRETS: set[str] = set()
PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def remember(values: Iterable[str]) -> None:
    """Secrets this run holds outside the session (proxy credentials and tokens from the command line): every
    session Scrubber of the run knows them too. Never written anywhere."""
    _RUN_SECRETS.update(v for v in values if isinstance(v, str) and len(v) >= redact.MIN_SECRET_LEN)


def run_secrets() -> set[str]:
    """The remembered secrets, and the credentials of the proxies named in the environment."""
    found = set(_RUN_SECRETS)
    for name in PROXY_ENV:
        value = os.environ.get(name)
        if value and "@" in value:
            found |= redact.secrets_of_url(value if "://" in value else f"http://{value}")
    return found


_SESSION_CACHE: dict[int, tuple[tuple, frozenset[str]]] = {}


def _session_key(session: Session) -> tuple:
    """What the secrets of a session depend on, cheaply: it changes whenever a request or an exchange is added."""
    t = session.target
    return (t.url, tuple(t.headers), len(t.body or b""), len(session.exchanges), id(session.exchanges[-1]) if session.exchanges else 0, len(_RUN_SECRETS))


def session_secrets(session: Session, extra: Iterable[str] = ()) -> set[str]:
    """Every secret value the session knows, whole and in parts, for scrubbing free text."""
    key = _session_key(session)
    cached = _SESSION_CACHE.get(id(session))
    if cached is None or cached[0] != key:
        if len(_SESSION_CACHE) > 32:
            _SESSION_CACHE.clear()
        cached = (key, frozenset(_collect_session_secrets(session)))
        _SESSION_CACHE[id(session)] = cached
    return set(cached[1]) | set(extra) | run_secrets()


def _collect_session_secrets(session: Session) -> set[str]:
    target = session.target
    found: set[str] = set()
    found |= redact.secrets_of_headers(target.headers)
    found |= redact.secrets_of_url(target.url)
    if target.body:
        found |= redact.secrets_of_body(target.body.decode("utf-8", "replace"), target.headers.get("content-type") or "")
    for ex in session.exchanges:
        found |= redact.secrets_of_headers(ex.request_headers)
        found |= redact.secrets_of_headers([(n, v) for n, v in ex.response_headers if n.lower() == "set-cookie" or redact.is_secret_header(n)])
        found |= redact.secrets_of_url(ex.url)
        found |= redact.secrets_of_url(ex.route if "://" in ex.route else "")
        for hop in ex.redirects:
            found |= redact.secrets_of_url(hop)
        ctype = (ex.response_headers.get("content-type") or "").lower()
        if ex.body and "json" in ctype and len(ex.body) < 1_000_000:
            found |= redact.secrets_of_json(ex.body.decode("utf-8", "replace"))
    return {s for s in found if s and s.lower() not in TRIVIAL}


def shown(text: str, session: Session | None = None) -> str:
    """One call for a screen or stderr line: the session's secrets scrubbed, controls made visible."""
    secrets = frozenset(session_secrets(session)) if session is not None else frozenset(run_secrets())
    return scrubber_for(secrets).shown(text)
