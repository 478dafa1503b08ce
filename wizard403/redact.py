"""Redaction: every secret becomes `[redacted sha256:XXXXXXXX]` before anything is written or shown.

The fingerprint is the first 8 hex digits of an HMAC-SHA256 of the secret, keyed with a key that never leaves the
machine (created on first use in the state folder, 0600) or with an organisation's key from the environment
variable WIZARD403_FINGERPRINT_KEY (so a support team's reports compare across machines). Two reports made with
the same key show the same fingerprint for the same token, and a token typed in again is recognised; without the
key a fingerprint cannot confirm a guess, not even of a 4-digit PIN.

Which names carry secrets (headers, query parameters, body fields, path shapes) is content: content/secrets.toml,
plus an organisation's overlay (`use_secret_names`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import os
import re
import secrets as _random
from collections.abc import Iterable, Iterator
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from wizard403 import prefilter
from wizard403.content import SecretNames, load_secret_names, secret_name_key
from wizard403.prefilter import FAST_MIN

# The placeholder: the word stays "sha256" (outside scripts match it); the digest is an HMAC-SHA256.
FINGERPRINT_RE = re.compile(r"\[redacted sha256:[0-9a-f]{8}\]")
FINGERPRINT_KEY_ENV = "WIZARD403_FINGERPRINT_KEY"
KEY_FILE = "fingerprint.key"
MIN_SECRET_LEN = 4

# ---------------------------------------------------------------- fingerprints


@functools.lru_cache(maxsize=16)
def _user_key(state: str) -> tuple[bytes, str]:
    from wizard403.files import state_secret

    try:
        return state_secret(KEY_FILE), "user"
    except OSError:
        # No writable state folder: a key for this run only (fingerprints then compare within this run).
        return _RUN_KEY, "run"


_RUN_KEY = _random.token_bytes(32)


def fingerprint_key() -> tuple[bytes, str]:
    """(key, kind): kind is "organisation" (from WIZARD403_FINGERPRINT_KEY), "user" (this machine's key file)
    or "run" (no state folder could be written: this run only)."""
    global _key_memo
    if _pinned is not None:
        return _pinned
    org = os.environ.get(FINGERPRINT_KEY_ENV)
    if org:
        return org.encode("utf-8", "surrogateescape"), "organisation"
    where = (os.environ.get("WIZARD403_STATE_DIR"), os.environ.get("XDG_STATE_HOME"), os.environ.get("HOME"))
    if _key_memo[0] != where:  # the state folder is worked out again only when what it depends on changed
        from wizard403.files import state_dir

        _key_memo = (where, _user_key(str(state_dir())))
    return _key_memo[1]


_key_memo: tuple = (None, None)
_pinned: tuple[bytes, str] | None = None


@contextlib.contextmanager
def pinned_key() -> Iterator[None]:
    """The fingerprint key worked out once for one long job (sanitize calls fingerprint_key for every string, and
    each call read four environment variables): within the block it is the key the block started with."""
    global _pinned
    outer = _pinned
    _pinned = fingerprint_key()
    try:
        yield
    finally:
        _pinned = outer


@functools.lru_cache(maxsize=4096)
def _digest(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:8]


def fingerprint(secret: str | bytes) -> str:
    """The stable placeholder for one secret (stable for one key)."""
    data = secret.encode("utf-8", "surrogateescape") if isinstance(secret, str) else bytes(secret)
    return f"[redacted sha256:{_digest(fingerprint_key()[0], data)}]"


def fingerprint_info() -> dict[str, str]:
    """What a report says about its fingerprints: which kind of key made them, and an id of that key (two reports
    compare only when the ids match; the id reveals nothing about the key)."""
    key, kind = fingerprint_key()
    return {"algorithm": "hmac-sha256", "key": kind, "key_id": _digest(key, b"wizard403 fingerprint key id")}


def is_redacted(value: str) -> bool:
    return bool(FINGERPRINT_RE.fullmatch(value.strip()))


def _fp_unless_done(value: str) -> str:
    return value if FINGERPRINT_RE.search(value) else fingerprint(value)


# ---------------------------------------------------------------- which names are secret (content/secrets.toml)

_names: SecretNames | None = None


def secret_names() -> SecretNames:
    global _names
    if _names is None:
        _names = load_secret_names()
    return _names


def use_secret_names(overlay: str | os.PathLike | None) -> SecretNames:
    """Use the shipped names plus an organisation's overlay (`--content DIR`) from now on."""
    global _names
    _names = load_secret_names(overlay)
    _name_is.cache_clear()
    _name_is_not.cache_clear()
    is_secret_param.cache_clear()
    _rules.cache_clear()
    _paths_re.cache_clear()
    return _names


@functools.lru_cache(maxsize=8192)
def _name_is(section: str, name: str) -> bool:
    names = secret_names()
    key = secret_name_key(name)
    if section != "headers":
        inner = re.fullmatch(r"(.*?)\[([^\[\]]*)\]", name.strip())
        while inner:  # user[password] counts as password, token[] as token
            key = secret_name_key(inner.group(2) or inner.group(1))
            inner = re.fullmatch(r"(.*?)\[([^\[\]]*)\]", inner.group(2) or inner.group(1))
    if not key or key in names.get(f"{section}.not"):
        return False
    return key in names.get(f"{section}.exact") or any(part in key for part in names.get(f"{section}.contains"))


def is_secret_header(name: str) -> bool:
    """A header whose whole value is a secret (or, for Authorization and Cookie, holds one)."""
    return _name_is("headers", name)


def is_url_header(name: str) -> bool:
    """A header whose value is a URL (Referer, Origin, Location, …): redacted as a URL."""
    return secret_name_key(name) in secret_names().get("headers.urls")


# A cookie whose value is only a web address (a "return to" page, a preferred edition: "http%3A%2F%2Fwww.cnn.com"):
# scheme, host and a path of plain words (letters and hyphens) or short numbers, with no query, fragment, user info or
# token-like segment (a share link's "s/a1b2c3" is a capability, so it stays a secret).
_PLAIN_ADDRESS = re.compile(
    r"https?://[a-z0-9.-]+(?::\d{1,5})?(?:/(?:[a-z][a-z-]{0,29}(?:\.[a-z0-9]{1,5})?|\d{1,8})?)*/?", re.I
)


def inert_cookie_value(value: str) -> bool:
    """True for a cookie value that can act as no credential, so it is not hunted elsewhere in a file (its own
    cookie is still replaced): a short number, or a plain web address. Hunting those replaced every mention of the
    site's own address in every page of a HAR."""
    if value.isdigit() and len(value) < 8:
        return True
    text = unquote(value) if "%" in value else value
    return len(text) <= 200 and _PLAIN_ADDRESS.fullmatch(text) is not None


@functools.lru_cache(maxsize=16384)
def is_secret_param(name: str) -> bool:
    """A query-string (or form) parameter whose value is a secret."""
    name = unquote(name)
    if _name_is_not(name):
        return False
    return _name_is("query", name) or _name_is("fields", name)


@functools.lru_cache(maxsize=8192)
def _name_is_not(name: str) -> bool:
    key = secret_name_key(name)
    names = secret_names()
    return key in names.get("query.not") or key in names.get("fields.not")


def is_secret_field(name: str) -> bool:
    """A body field (JSON at any depth, form, multipart part) whose value is a secret."""
    return _name_is("fields", name)


class _ParamNames:
    """`SECRET_PARAM_RE.match(name)` as before, now answered by the content lists."""

    def match(self, name: str) -> bool:
        return is_secret_param(name)

    search = fullmatch = match


SECRET_PARAM_RE = _ParamNames()

# ---------------------------------------------------------------- the pattern rules (secrets nobody registered)

JWT_RE = re.compile(r"\b(eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,})\.([A-Za-z0-9_-]{8,})")
# Well-known token shapes that may appear in free text (bodies, notes, pasted commands).
TOKEN_PATTERNS = (
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}\b"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{20,}\b"),
    re.compile(r"\b(?:sk|rk)_live_[A-Za-z0-9]{16,}\b"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"),
    re.compile(r"\bpypi-[A-Za-z0-9_-]{50,}"),
    re.compile(r"\bya29\.[A-Za-z0-9_-]{20,}"),  # a Google OAuth access token
)
_TOKEN_HINTS = ("_", "xox", "AKIA", "ASIA", "sk-", "AIza", "pypi-", "ya29.")
# All shapes in one pass (a text is scanned once, not once per shape).
TOKENS_RE = re.compile("|".join(f"(?:{p.pattern})" for p in TOKEN_PATTERNS))
# A scheme word followed by something token-shaped (8+ characters with a digit), not by an ordinary word.
BEARER_RE = re.compile(r"(?i)\b(bearer|basic|token|digest)\s+((?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,})")
# `password=…`, `token: …` in free text; unquoted, the value must look like a secret (a digit in it, or 16+
# characters), so that prose such as "token: 'Authorization: Bearer'" stays readable. Kept for callers that
# search with it; the scrubber's own rule reads the name lists.
KEYVALUE_RE = re.compile(
    r"(?i)([\"']?(?:password|passwd|pwd|passphrase|secret|client_secret|token|access_token|refresh_token|id_token|"
    r"api_key|apikey|private_key|csrfmiddlewaretoken|authenticity_token|session(?:id)?)[\"']?\s*[:=]\s*[\"']?)"
    r"((?=[^\"'&\s,;}<\[]*\d)[^\"'&\s,;}<\[]{4,}|[^\"'&\s,;}<\[]{16,})"
)
_NAME = r"[A-Za-z_$@][\w.$@\[\]-]{0,80}"
# "name": "value" (JSON, any value), name=value / name: value (unquoted: secret-looking values only).
_JSON_PAIR_RE = re.compile(r'"(' + _NAME + r')"\s*:\s*"((?:[^"\\]|\\.)*)"')
_BARE_PAIR_RE = re.compile(
    r"(?<![\w%])([\"']?)(" + _NAME + r")\1(\s*[:=]\s*)([\"']?)"
    r"((?=[^\"'&\s,;}<>\[]*\d)[^\"'&\s,;}<>\[]{4,}|[^\"'&\s,;}<>\[]{16,})"
)
# ?name=value / &name=value / ;name=value: a query string inside any text (a log line, a page, a header).
_QUERY_PAIR_RE = re.compile(r"([?&;])([^=&?#\s\"'<>;]{1,80})=([^&#\s\"'<>]+)")
# <name>value</name> (XML errors such as AWS's <SignatureProvided>) and HTML inputs name="x" value="…".
_XML_PAIR_RE = re.compile(r"<([A-Za-z][\w.:-]{0,60})>([^<]{1,4096})</\1>")
_INPUT_RE = re.compile(r"""(?i)name\s*=\s*["']([^"']{1,80})["'][^>]{0,200}?value\s*=\s*["']([^"']*)["']""")
_USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{1,15}://)([^/?#\s@\"'<>]+)@")


@functools.lru_cache(maxsize=1)
def _rules() -> tuple[re.Pattern, ...]:
    return tuple(p.regex for p in secret_names().paths)


@functools.lru_cache(maxsize=1)
def _paths_re() -> re.Pattern | None:
    """Every path pattern in one regex (one scan per text); each pattern's `secret` group renamed secret_N."""
    parts = []
    for i, regex in enumerate(_rules()):
        text = regex.pattern.replace("(?P<secret>", f"(?P<secret_{i}>")
        flags = "i" if regex.flags & re.IGNORECASE else ""
        if text.startswith("(?i)"):
            text, flags = text[4:], "i"
        parts.append(f"(?{flags}:{text})" if flags else f"(?:{text})")
    return re.compile("|".join(parts)) if parts else None


def _sub_paths(text: str) -> str:
    combined = _paths_re()
    if combined is None:
        return text
    out, last = [], 0
    for m in combined.finditer(text):
        name = next((k for k, v in m.groupdict().items() if v), None)
        if name is None:
            continue
        start, end = m.span(name)
        if FINGERPRINT_RE.match(text, start):
            continue
        out += [text[last:start], fingerprint(m.group(name))]
        last = end
    return "".join(out) + text[last:] if out else text


def _value_fp(raw: str, decode=None) -> str:
    if not raw or FINGERPRINT_RE.fullmatch(raw) or raw.startswith("[redacted"):
        return raw
    try:
        secret = decode(raw) if decode else raw
    except (ValueError, UnicodeDecodeError):
        secret = raw
    return fingerprint(secret)


def _json_unescape(raw: str) -> str:
    return json.loads(f'"{raw}"')


def apply_rules(text: str) -> str:
    """The name and pattern rules on free text: JWT signatures, known token shapes, `Bearer x`, secret-named
    pairs (JSON, key=value, query strings, XML, HTML inputs), URL user info and path tokens. Long texts take the
    fast path (`prefilter`), which gives the same result."""
    global _last_rules
    if not text or len(text) < MIN_SECRET_LEN:
        return text
    context = (secret_names(), fingerprint_key()[0])
    last = _last_rules
    if last[0] == text and last[1] is context[0] and last[2] == context[1]:
        return last[3]  # a text is often ruled twice in a row (a URL, then the scrubbed URL)
    if len(text) >= FAST_MIN and prefilter.available():
        done = apply_rules_fast(text, _scan_rules)
    else:
        done = _apply_rules_plain(text)
    _last_rules = (text, context[0], context[1], done)
    return done


_last_rules: tuple = (None, None, None, None)


# The replacements, shared by the plain and the fast path.


def _jwt_repl(m: re.Match) -> str:
    return f"{m.group(1)}.{fingerprint(m.group(0))}"


def _token_repl(m: re.Match) -> str:
    return fingerprint(m.group(0))


def _userinfo_repl(m: re.Match) -> str:
    return m.group(1) + _redact_userinfo(m.group(2)) + "@"


def _bearer_repl(text: str):
    return lambda m: m.group(0) if FINGERPRINT_RE.match(text, m.start(2)) else f"{m.group(1)} {fingerprint(m.group(2))}"


def _json_repl(m: re.Match) -> str:
    if is_secret_field(m.group(1)) and m.group(2):
        return f'"{m.group(1)}": "{_value_fp(m.group(2), _json_unescape)}"'
    return m.group(0)


def _query_repl(m: re.Match) -> str:
    return f"{m.group(1)}{m.group(2)}={_value_fp(m.group(3), unquote)}" if is_secret_param(m.group(2)) else m.group(0)


def _input_repl(m: re.Match) -> str:
    if is_secret_field(m.group(1)) and m.group(2):
        return m.group(0).replace(m.group(2), _value_fp(m.group(2)))
    return m.group(0)


def _bare_repl(m: re.Match) -> str:
    if not is_secret_field(m.group(2)) or m.group(5).startswith("[redacted"):
        return m.group(0)
    return m.group(1) + m.group(2) + m.group(1) + m.group(3) + m.group(4) + fingerprint(m.group(5))


def _xml_repl(m: re.Match) -> str:
    return f"<{m.group(1)}>{_value_fp(m.group(2).strip())}</{m.group(1)}>" if is_secret_field(m.group(1)) else m.group(0)


def _plain_jwt(text: str) -> str:
    return JWT_RE.sub(_jwt_repl, text) if "eyJ" in text else text


def _plain_tokens(text: str) -> str:
    return TOKENS_RE.sub(_token_repl, text) if any(h in text for h in _TOKEN_HINTS) else text


def _plain_userinfo(text: str) -> str:
    return _USERINFO_RE.sub(_userinfo_repl, text) if "://" in text and "@" in text else text


def _plain_bearer(text: str) -> str:
    return BEARER_RE.sub(_bearer_repl(text), text) if " " in text or "\t" in text else text


def _plain_json(text: str) -> str:
    return _JSON_PAIR_RE.sub(_json_repl, text) if '"' in text and ":" in text else text


def _plain_query(text: str) -> str:
    return _QUERY_PAIR_RE.sub(_query_repl, text) if "=" in text else text


def _plain_input(text: str) -> str:
    return _INPUT_RE.sub(_input_repl, text) if "=" in text and "value" in text.lower() else text


def _plain_bare(text: str) -> str:
    return _BARE_PAIR_RE.sub(_bare_repl, text) if "=" in text or ":" in text else text


def _plain_xml(text: str) -> str:
    return _XML_PAIR_RE.sub(_xml_repl, text) if "</" in text else text


# The rules in the order they apply, each on what the one before gave.
_PLAIN_STEPS = (_plain_jwt, _plain_tokens, _sub_paths, _plain_userinfo, _plain_bearer, _plain_json, _plain_query,
                _plain_input, _plain_bare, _plain_xml)  # fmt: skip


def _apply_rules_plain(text: str, first: int = 0) -> str:
    """apply_rules, each rule's regex run over the whole text (from the rule numbered `first` on)."""
    if not text or len(text) < MIN_SECRET_LEN:
        return text
    for rule in _PLAIN_STEPS[first:]:
        text = rule(text)
    return text


# ---------------------------------------------------------------- the fast path for long texts
#
# Each rule below gives what its regex's .sub gives on the whole text. A rule whose words (prefilter) are absent
# from the normalised text has no match that could change anything, so it is skipped. Otherwise the regex runs
# only where a match can be: at the positions where every one of its matches starts (the literal it begins with),
# or, for the pair rules, in the stretch around each secret name, cut at characters that no match of that rule can
# contain (so that the matches found there are the ones the whole-text scan finds).

class _Lazy:
    """A regex compiled when first used: the fast path's patterns cost nothing to a run that never needs them."""

    def __init__(self, pattern: str | bytes):
        self._pattern = pattern

    def __getattr__(self, name: str):
        compiled = re.compile(self._pattern)
        for method in ("match", "search", "fullmatch", "finditer"):
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)


# Every match of each token shape starts with one of these literals (after its leading \b).
_TOKEN_LITERALS = ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xoxa-", "xoxb-", "xoxp-", "xoxo-",
                   "xoxs-", "xoxr-", "xoxe-", "AKIA", "ASIA", "sk_live_", "rk_live_", "glpat-", "AIza", "npm_",
                   "pypi-", "ya29.", "sk-")  # fmt: skip
_SCHEME_WORDS = ("bearer", "basic", "token", "digest")
# Characters no match can contain: the pair rules' matches lie between two of them.
_BARE_STOPS = _Lazy(r"[&,;}<>]")
_QUERY_STOPS = _Lazy(r"[\s\"'<>#]")
_USERINFO_AT = _Lazy(r"://[^/?#\s@\"'<>]+@")
_SK = _Lazy(r"sk-")  # a regex finds a literal faster than str.find in long texts
_JSON_NAME_CHARS = _Lazy(r"[\w.$@\[\]-]*")
_QUERY_NAME_BAD = _Lazy(r"[=&?#\s\"'<>;]")
# A percent escape that can decode to a letter, a digit, a separator or a space (or start one, in UTF-8): only
# those can spell a secret name that the raw text does not show.
_PCT_LETTER = r"%(?:2[0DEde]|3[0-9]|4[1-9A-Fa-f]|5[0-9AFaf]|6[1-9A-Fa-f]|7[0-9Aa]|0[9A-Da-d]|1[C-Fc-f]|[Cc][2-5]|[Ee][1-3])"
_PCT_IN_NAME = _Lazy(_PCT_LETTER + r"[^=&?#\s\"'<>;]*=")
_INPUT_HEADS = _Lazy(r"name\s*=\s*[\"']")
_XML_TAG_CHARS = _Lazy(r"[\w.:-]*")
# What follows a secret name in the normalised text (separators dropped, ASCII lowered; any non-ASCII byte may be
# a letter or a space), for each pair rule: a name without it cannot be one that rule changes.
_N_SPACE = rb"[\s\x1c-\x1f\x80-\xff]*"
_N_AFTER = {
    "json": _Lazy(rb'[\w$@\[\]\x80-\xff]*"' + _N_SPACE + rb":" + _N_SPACE + rb'"'),
    "bare": _Lazy(rb"[\w$@\[\]\x80-\xff]*[\"']?" + _N_SPACE + rb"[:=]"),
    "query": _Lazy(rb"[^=&?#\s\"'<>;]*="),
    "xml": _Lazy(rb"[\w:\x80-\xff]*>"),
}


def _rule_words_for(names: SecretNames) -> tuple[tuple[bytes, object], ...]:
    """(normalised word, tag) for every word a rule's fast path looks for."""
    words: list[tuple[bytes, object]] = [(s, "special") for s in prefilter.SPECIAL]
    words += [(b"eyj", "eyj"), (b"value", "value"), (b"name=", "name=")]
    # "name" then a space (ASCII, or the first byte of a Unicode one): the start of an HTML input's name="..."
    words += [(b"name" + bytes([c]), "name=") for c in _SPACE_STARTS]
    # Percent escapes that can spell a letter, digit, separator or space of a name (_PCT_IN_NAME), lowered.
    words += [(b"%%%02x" % v, "pct") for v in range(256) if re.fullmatch(_PCT_LETTER, "%%%02X" % v)]
    words += [(prefilter.norm_word(lit), ("tok", lit)) for lit in _TOKEN_LITERALS if lit != "sk-"]
    words += [(w.encode(), ("scheme", w)) for w in _SCHEME_WORDS]
    for i, regex in enumerate(tuple(p.regex for p in names.paths)):
        literal = _path_literal(regex)
        words.append((literal, ("path", i)) if literal else (b"", None))
    for section in ("fields", "query"):
        for kind in ("exact", "contains"):
            words += [(w.encode("utf-8", "surrogatepass"), ("name", section, w)) for w in names.get(f"{section}.{kind}")]
    return tuple((w, t) for w, t in words if w)


# The rules' patterns the fast path below was written for (a digest of them): were one changed without the fast
# path, the fast path would stand aside (every text the plain way) rather than guess; tests/test_fast_redaction.py
# fails until both agree again.
FAST_PATH_WRITTEN_FOR = "c2d9b6bd22a05838"


def rules_digest() -> str:
    patterns = (JWT_RE, *TOKEN_PATTERNS, BEARER_RE, _USERINFO_RE, _JSON_PAIR_RE, _QUERY_PAIR_RE, _INPUT_RE, _BARE_PAIR_RE, _XML_PAIR_RE)
    return hashlib.sha256("\n".join(p.pattern for p in patterns).encode()).hexdigest()[:16]


class _FastState:
    """What the fast path derives from one set of secret names, built once."""

    def __init__(self, names: SecretNames):
        self.names = names
        # The normalisation (prefilter.SEPARATORS) must drop what secret_name_key drops, and the rules must be the
        # ones the fast path knows.
        self.usable = rules_digest() == FAST_PATH_WRITTEN_FOR and secret_name_key("A-b_c.d") == "abcd"
        self.words = _rule_words_for(names)
        self.automaton = prefilter.Words(self.words, spanned=is_name_tag)
        self.field_words = tuple(names.get("fields.exact") | names.get("fields.contains"))
        self.exact_only = _exact_only(names)
        # Secret names with a non-ASCII letter: lowering bytes would not see their other cases (plain path then).
        self.ascii_names = all(
            w.isascii() for section in ("fields", "query") for kind in ("exact", "contains") for w in names.get(f"{section}.{kind}")
        )
        self.path_literals = tuple(_path_literal(p.regex) for p in names.paths)
        self.paths_always = any(literal is None for literal in self.path_literals)
        self.input_names: dict[bytes, bool] = {}  # _input_may_change: an input's normalised name -> secret or not


_fast_state: _FastState | None = None


def fast_state() -> _FastState:
    global _fast_state
    names = secret_names()
    if _fast_state is None or _fast_state.names is not names:
        _fast_state = _FastState(names)
    return _fast_state


def rule_words() -> tuple[tuple[bytes, object], ...]:
    return fast_state().words


def is_name_tag(tag: object) -> bool:
    """The tags whose places the fast rules read (secret names, the start of an HTML input's name)."""
    return (type(tag) is tuple and tag[0] == "name") or tag == "name="


def _exact_only(names: SecretNames) -> frozenset[tuple[str, str]]:
    """(section, name) of the names that count only as the whole name (no `contains` fragment is in them)."""
    out = set()
    for section in ("fields", "query"):
        contains = names.get(f"{section}.contains")
        out |= {(section, w) for w in names.get(f"{section}.exact") if not any(c in w for c in contains)}
    return frozenset(out)


# First bytes of every character that `\s` matches, in UTF-8.
_SPACE_STARTS = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\xc2\xe1\xe2\xe3"
# Bytes that can be part of a name's key next to a word (ASCII letters, digits, $ and @): an exact-only name
# followed by one is longer than that name.
_KEY_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789$@")


def _path_literal(regex: re.Pattern) -> bytes | None:
    """A normalised literal that every match of a path pattern contains (the longest of its top level), or None."""
    try:
        from re import _constants, _parser

        parsed = _parser.parse(regex.pattern, regex.flags)
    except Exception:  # noqa: BLE001 - an internal API that changed: no prefilter for this pattern
        return None
    flags = regex.flags | parsed.state.flags
    if flags & re.VERBOSE:
        return None
    best, run = b"", []
    for op, av in [*parsed, (None, None)]:
        if op is _constants.LITERAL:
            run.append(chr(av))
            continue
        piece, run = "".join(run), []
        if piece and (piece.isascii() or not flags & re.IGNORECASE):
            word = prefilter.norm_word(piece)
            best = word if len(word) > len(best) else best
    return best if len(best) >= 3 else None




class Scan:
    """What the prefilter found in one text: its normalised form and tag -> spans (see prefilter.Words.scan)."""

    __slots__ = ("text", "norm", "found", "hits", "_low", "spellings", "relevant", "counts")

    def __init__(self, text: str, norm: bytes | None, found: dict, hits: list | None = None):
        self.text, self.norm, self.found, self._low = text, norm, found, None
        self.hits = hits  # the automaton's (word, start, end) occurrences that `found` was made from
        self.relevant: dict[str, set[str]] | None = None
        self.counts: dict[str, int] = {}  # secret name -> how many times the normalised text holds it
        self.spellings: dict[str, list[tuple[int, int]]] = {}  # secret name -> its spellings' places in the text

    @property
    def plain(self) -> bool:
        """The fast path cannot be sure of this text (lone surrogates, characters like ſ or K)."""
        return self.norm is None or "special" in self.found

    @property
    def low(self) -> str:
        if self._low is None:
            self._low = self.text.lower()  # the same length: texts with İ are plain
        return self._low


def _scan_rules(text: str) -> Scan:
    norm = prefilter.normalise(text)
    if norm is None:
        return Scan(text, norm, {})
    words = fast_state().automaton
    hits = words.hits(norm)
    return Scan(text, norm, words.found_of(hits), hits)


def _edited_scan(scan: Scan, new: str, edits: list[tuple[int, int, str]]) -> Scan:
    """_scan_rules(new), where `new` is scan.text with `edits` made (a rule's replacements): the scan of before
    brought up to date around the edits (prefilter.Words.edited), or a new one when it cannot be."""
    old = scan.text
    if scan.norm is not None and scan.hits is not None and len(new) == len(old) + sum(len(r) - (b - a) for a, b, r in edits):
        words = fast_state().automaton
        done = words.edited(old, scan.norm, scan.hits, edits)
        if done is not None:
            return Scan(new, done[0], words.found_of(done[1]), done[1])
    return _scan_rules(new)


def _sub_at(regex: re.Pattern, text: str, starts: Iterable[int], repl, edits: list | None = None) -> str:
    """regex.sub(repl, text), given a superset of the positions where its matches can start; each replacement
    that changed something is added to `edits` as (start, end, new)."""
    out: list[str] = []
    last = pos = 0
    for start in sorted(set(starts)):
        if start < pos:
            continue
        m = regex.match(text, start)
        if m is None:
            continue
        new = repl(m)
        out += [text[last:start], new]
        last = pos = max(m.end(), start + 1)
        if edits is not None and new != text[start:last]:
            edits.append((start, last, new))
    return "".join(out) + text[last:] if out else text


def _sub_in(regex: re.Pattern, text: str, spans: Iterable[tuple[int, int]], repl, edits: list | None = None) -> str:
    """regex.sub(repl, text), given stretches of text (cut where no match can reach across) outside which no
    match changes anything; edits as for _sub_at."""
    out: list[str] = []
    last = 0
    for a, b in sorted(set(spans)):
        pos = max(a, last)
        while True:
            m = regex.search(text, pos, b)
            if m is None:
                break
            new = repl(m)
            out += [text[last : m.start()], new]
            last = pos = m.end()
            if edits is not None and new != m.group(0):
                edits.append((m.start(), last, new))
    return "".join(out) + text[last:] if out else text


def _stretch(text: str, at: int, stops: re.Pattern, chars: str) -> tuple[int, int]:
    """The stretch around position `at` between two characters of `chars` (matched by `stops`)."""
    start = max(text.rfind(ch, 0, at) for ch in chars) + 1 if chars else 0
    m = stops.search(text, at)
    return start, m.start() if m else len(text)


_RULE_SECTIONS = {"json": ("fields",), "query": ("fields", "query"), "bare": ("fields",), "xml": ("fields",)}


def _relevant_names(scan: Scan) -> dict[str, set[str]]:
    """rule -> the secret names that the normalised text shows followed by what that rule needs after a name. A
    name that counts only whole must also end there (and, except for the key=value rule, whose names may start
    after a `-` or `.`, start there)."""
    norm = scan.norm
    size = len(norm)
    exact = fast_state().exact_only
    out: dict[str, set[str]] = {rule: set() for rule in _RULE_SECTIONS}
    for tag, spans in scan.found.items():
        if type(tag) is not tuple or tag[0] != "name":
            continue
        section, word = tag[1], tag[2]
        scan.counts[word] = len(spans)
        whole = (section, word) in exact
        for rule, sections in _RULE_SECTIONS.items():
            if section not in sections or word in out[rule]:
                continue
            after = _N_AFTER[rule]
            for start, end in spans:
                if whole and (
                    (end < size and norm[end] in _KEY_BYTES) or (rule != "bare" and start and norm[start - 1] in _KEY_BYTES)
                ):
                    continue
                if after.match(norm, end):
                    out[rule].add(word)
                    break
    return out


def _name_positions(scan: Scan, rule: str) -> list[tuple[int, int]]:
    """(start, end) in the text of every spelling (separators inside allowed) of the names `_relevant_names`
    gives for `rule`."""
    if scan.relevant is None:
        scan.relevant = _relevant_names(scan)
    out = []
    for word in scan.relevant[rule]:
        spans = scan.spellings.get(word)
        if spans is None:
            # Each time the text spells the name without separators inside is a time the normalised text holds
            # it: when there are as many of those, there is no other spelling, and finding them is enough (the
            # callers take every start, the overlapping ones too, as places where a match may be).
            plain = prefilter.finds(scan.low, word)
            if len(plain) == scan.counts.get(word):
                spans = [(i, i + len(word)) for i in plain]
            else:
                spans = [m.span() for m in _spelling(word).finditer(scan.low)]
            scan.spellings[word] = spans
        out += spans
    return out


@functools.lru_cache(maxsize=512)
def _spelling(word: str) -> re.Pattern:
    """A lowered secret name with any separators between its letters (how `secret_name_key` sees it)."""
    return re.compile("[-_.]*".join(re.escape(ch) for ch in word))


def _json_free(text: str, c: int) -> bool:
    """True when no JSON pair match can contain the quote at `c` (other than as its first character), so that a
    scan from the start of the text is sure to try a match at `c`."""
    if c > 0 and text[c - 1] == "\\":
        return False  # an escaped quote inside a value
    nxt = text[c + 1 : c + 2]
    if not nxt or nxt.isspace() or nxt == ":":
        return False  # the closing quote of a name
    if _before_non_space(text, c) == ":":
        return False  # the opening quote of a value
    p = text.rfind('"', 0, c)
    if p < 0:
        return True
    if p > 0 and text[p - 1] == "\\":
        return False
    return _before_non_space(text, p) != ":"  # else p would open a value that `c` closes


def _before_non_space(text: str, i: int) -> str:
    i -= 1
    while i >= 0 and text[i].isspace():
        i -= 1
    return text[i] if i >= 0 else ""


def _fast_json(text: str, scan: Scan, edits: list | None = None) -> str:
    starts = set()
    for start, _ in _name_positions(scan, "json"):
        c = text.rfind('"', 0, start)
        if c < 0 or not _JSON_NAME_CHARS.fullmatch(text, c + 1, start):
            continue
        starts.add(c)
    if not starts:
        return text
    if not all(_json_free(text, c) for c in starts):
        return _JSON_PAIR_RE.sub(_json_repl, text)
    return _sub_at(_JSON_PAIR_RE, text, starts, _json_repl, edits)


def _fast_query(text: str, scan: Scan, edits: list | None = None) -> str:
    spans = []
    for start, end in _name_positions(scan, "query"):
        spans.append(_stretch(text, start, _QUERY_STOPS, " \t\n\r\x0b\x0c\"'<>#"))
    if "pct" in scan.found:  # a percent-encoded name: its spelling shows only once decoded
        for m in _PCT_IN_NAME.finditer(text):
            p = m.start()
            j = max(text.rfind(ch, 0, p) for ch in "?&;")
            if j >= 0 and p - j <= 81 and not _QUERY_NAME_BAD.search(text, j + 1, p):
                spans.append(_stretch(text, p, _QUERY_STOPS, " \t\n\r\x0b\x0c\"'<>#"))
    return _sub_in(_QUERY_PAIR_RE, text, spans, _query_repl, edits) if spans else text


def _fast_bare(text: str, scan: Scan, edits: list | None = None) -> str:
    spans = [_stretch(text, start, _BARE_STOPS, "&,;}<>") for start, _ in _name_positions(scan, "bare")]
    return _sub_in(_BARE_PAIR_RE, text, spans, _bare_repl, edits) if spans else text


def _fast_xml(text: str, scan: Scan, edits: list | None = None) -> str:
    starts = []
    for start, _ in _name_positions(scan, "xml"):
        c = text.rfind("<", 0, start)
        if c >= 0 and _XML_TAG_CHARS.fullmatch(text, c + 1, start):
            starts.append(c)
    # A match never starts inside another (its only other "<" is followed by "/"), so only these can change.
    return _sub_at(_XML_PAIR_RE, text, starts, _xml_repl, edits) if starts else text


# An HTML input's name="..." in the normalised text; its value, spaces taken out, is the name's key.
_N_INPUT_HEAD = _Lazy(rb"name" + _N_SPACE + rb"=" + _N_SPACE + rb"[\"']([^\"']*)[\"']")
_SPACES = re.compile(r"\s+")


def _input_may_change(scan: Scan) -> bool:
    """Whether an HTML input in the text can have a secret name (else the input rule changes nothing)."""
    state = fast_state()
    norm, words, seen = scan.norm, state.field_words, state.input_names
    for start, _ in scan.found.get("name=", ()):
        m = _N_INPUT_HEAD.match(norm, start)
        if m:
            raw = m.group(1)
            secret = seen.get(raw)  # pages repeat their inputs' names: each is looked at once
            if secret is None:
                key = _SPACES.sub("", raw.decode("utf-8", "surrogatepass"))
                secret = any(w in key for w in words)
                if len(seen) < 10_000:
                    seen[raw] = secret
            if secret:
                return True
    return False


def apply_rules_fast(text: str, rescan, scan: Scan | None = None) -> str:
    """apply_rules through the prefilter: `rescan(text)` gives the Scan of a text (again after a rule changed it);
    `scan` is the one of `text` when the caller has it already."""
    if not text or len(text) < MIN_SECRET_LEN:
        return text
    state = fast_state()
    if not state.usable or not state.ascii_names:
        return _apply_rules_plain(text)
    scan = scan if scan is not None and scan.text is text else rescan(text)
    if scan.plain:
        return _apply_rules_plain(text)

    def step(new: str, edits: list | None = None) -> bool:
        # After a rule changed the text, the next rules read the scan of what it gave: brought up to date around
        # the rule's edits when the rule told them (`edits`), else made again.
        nonlocal text, scan
        if new == text:
            return False
        scan = _edited_scan(scan, new, edits) if edits and rescan is _scan_rules else rescan(new)
        text = new
        return True

    # Each block below is the fast form of _PLAIN_STEPS[n], in that order. A rule's result holds only characters
    # of its input and ASCII fingerprints, so a text the fast path can read stays one; should it not, the plain
    # rules go on from the next rule.
    if "eyj" in scan.found and "eyJ" in text:
        if step(_sub_at(JWT_RE, text, prefilter.finds(text, "eyJ"), _jwt_repl, edits := []), edits) and scan.plain:
            return _apply_rules_plain(text, 1)
    if any(h in text for h in _TOKEN_HINTS):
        starts = [m.start() for m in _SK.finditer(text)]  # "sk-" has no word of its own in the automaton
        starts += [i for lit in _TOKEN_LITERALS if ("tok", lit) in scan.found for i in prefilter.finds(text, lit)]
        if starts and step(_sub_at(TOKENS_RE, text, starts, _token_repl, edits := []), edits) and scan.plain:
            return _apply_rules_plain(text, 2)
    if _paths_re() is not None:
        if state.paths_always or any(type(t) is tuple and t[0] == "path" for t in scan.found):
            if step(_sub_paths(text)) and scan.plain:
                return _apply_rules_plain(text, 3)
    if "@" in text and "://" in text:
        starts = []
        # Each "://" followed by a user info run and "@" (the run cannot hold a "/", so its "://" is the last one
        # before the "@", and two such never overlap).
        for m in _USERINFO_AT.finditer(text):
            q = m.start()
            starts += range(max(0, q - 16), q - 1)
        if starts and step(_sub_at(_USERINFO_RE, text, starts, _userinfo_repl, edits := []), edits) and scan.plain:
            return _apply_rules_plain(text, 4)
    if " " in text or "\t" in text:
        words = [w for w in _SCHEME_WORDS if ("scheme", w) in scan.found]
        starts = [i for w in words for i in prefilter.finds(scan.low, w)]
        if starts and step(_sub_at(BEARER_RE, text, starts, _bearer_repl(text), edits := []), edits) and scan.plain:
            return _apply_rules_plain(text, 5)
    if '"' in text and ":" in text:
        if step(_fast_json(text, scan, edits := []), edits) and scan.plain:
            return _apply_rules_plain(text, 6)
    if "=" in text:
        if step(_fast_query(text, scan, edits := []), edits) and scan.plain:
            return _apply_rules_plain(text, 7)
        if "value" in scan.found and "name=" in scan.found and _input_may_change(scan) and "value" in scan.low:
            starts = [m.start() for m in _INPUT_HEADS.finditer(scan.low)]
            if starts and step(_sub_at(_INPUT_RE, text, starts, _input_repl, edits := []), edits) and scan.plain:
                return _apply_rules_plain(text, 8)
    if "=" in text or ":" in text:
        if step(_fast_bare(text, scan, edits := []), edits) and scan.plain:
            return _apply_rules_plain(text, 9)
    if "</" in text:
        step(_fast_xml(text, scan, edits := []), edits)
    return text


# ---------------------------------------------------------------- structure: headers, URLs, forms, bodies


def redact_cookie_pairs(value: str) -> str:
    """`a=1; b=2` -> `a=[redacted ...]; b=[redacted ...]`: the names help, the values are the session."""
    parts = []
    for part in value.split(";"):
        name, sep, val = part.strip().partition("=")
        if not sep:
            parts.append(_fp_unless_done(part.strip()) if len(part.strip()) >= MIN_SECRET_LEN else part.strip())
        else:
            parts.append(f"{name}={_fp_unless_done(val)}" if val else f"{name}=")
    return "; ".join(p for p in parts if p)


def redact_set_cookie(value: str) -> str:
    first, sep, attrs = value.partition(";")
    name, eq, val = first.strip().partition("=")
    if not eq:
        return _fp_unless_done(value) if value.strip() else value
    return f"{name}={_fp_unless_done(val) if val else ''}{sep}{attrs}"


def redact_header(name: str, value: str) -> str:
    """The value of one header, with its secret parts replaced."""
    lname = name.lower()
    if not value or FINGERPRINT_RE.fullmatch(value.strip()):
        return value
    if lname in ("authorization", "proxy-authorization", "authentication", "x-authorization"):
        scheme, sp, cred = value.strip().partition(" ")
        if sp and cred and scheme.isalpha():
            return f"{scheme} {_fp_unless_done(cred.strip())}"
        return _fp_unless_done(value)
    if lname == "cookie":
        return redact_cookie_pairs(value)
    if lname == "set-cookie":
        return "\n".join(redact_set_cookie(part) for part in value.split("\n"))
    if is_secret_header(name):
        return _fp_unless_done(value)
    if is_url_header(name):
        return ", ".join(redact_url(part.strip()) if "://" in part or part.strip().startswith("/") else part.strip() for part in _split_urls(value))
    return apply_rules(value)


def _split_urls(value: str) -> list[str]:
    # Link: <a>; rel=x, <b>  and  Refresh: 5; url=…  keep their shape; a plain URL stays one piece.
    return [value] if "<" not in value else value.split(",")


def _redact_userinfo(userinfo: str) -> str:
    if FINGERPRINT_RE.fullmatch(userinfo):
        return userinfo
    user, colon, password = userinfo.partition(":")
    if colon and password:  # a user name with a password names the account (kept); alone, it is the token
        return f"{user}:{_fp_unless_done(unquote(password))}"
    return (_fp_unless_done(unquote(user)) if user and not FINGERPRINT_RE.fullmatch(user) else user) + colon


def _redact_query(query: str, depth: int) -> str:
    pairs = []
    for raw in query.split("&"):
        name, eq, value = raw.partition("=")
        if eq and value and is_secret_param(name) and not FINGERPRINT_RE.fullmatch(unquote(value)):
            pairs.append(f"{name}={fingerprint(unquote(value))}")
        elif eq and value and depth < 3 and ("%3a" in value.lower() or "://" in value or "%3d" in value.lower()):
            pairs.append(f"{name}={_nested(value, depth)}")
        else:
            pairs.append(raw)
    return "&".join(pairs)


def _nested(value: str, depth: int) -> str:
    """A URL-encoded URL (or query) inside a parameter: its secrets replaced where they stand, so the value keeps
    the encoding it came with."""
    inner = unquote(value)
    found = secrets_of_url(inner if "://" in inner else f"?{inner}", depth + 1)
    if not found:
        return value
    from wizard403.scrub import scrubber_for

    return scrubber_for(frozenset(found)).known(value)


def redact_url(url: str) -> str:
    """User info (user name too), secret query parameters (also in a URL nested in a parameter), secret path
    tokens and fragments with tokens are replaced; the rest stays readable. Works on broken URLs too."""
    return _redact_url(url, 0)


def _redact_url(url: str, depth: int) -> str:
    if not url:
        return url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a bad port makes the split untrustworthy: fall back to the patterns
    except ValueError:
        return apply_rules(_redact_broken_url(url))
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{_redact_userinfo(userinfo)}@{hostport}"
    query = _redact_query(parts.query, depth) if parts.query else parts.query
    fragment = parts.fragment
    if fragment and "=" in fragment:  # OAuth implicit flow: #access_token=…
        fragment = _redact_query(fragment, depth)
    if (netloc, query, fragment) == (parts.netloc, parts.query, parts.fragment):
        return apply_rules(url)  # nothing structural to hide: the URL stays exactly as written
    return apply_rules(urlunsplit((parts.scheme, netloc, parts.path, query, fragment)))


def _redact_broken_url(url: str) -> str:
    """A URL urlsplit refuses (a bad port, a stray bracket): user info found by pattern, the query by pairs."""
    m = re.match(r"(?i)^(\s*[a-z][a-z0-9+.-]*://)?([^/?#\s]*@)", url)
    if m:
        url = (m.group(1) or "") + _redact_userinfo(m.group(2)[:-1].rsplit("@", 1)[0]) + "@" + url[m.end():]
    head, q, rest = url.partition("?")
    if q:
        query, h, frag = rest.partition("#")
        url = head + "?" + _redact_query(query, 0) + h + frag
    return url


def redact_form(body: str) -> str:
    """An `a=1&password=x` body with the secret fields replaced."""
    pairs = []
    for name, value in parse_qsl(body, keep_blank_values=True):
        if value and is_secret_param(name):
            value = _fp_unless_done(value)
        pairs.append(f"{quote(name, safe='[]')}={quote(value, safe='[]: ')}")
    return "&".join(pairs)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text: known secret values (in every encoding) then the name and pattern rules."""
    if not text:
        return text
    from wizard403.scrub import scrubber_for

    return scrubber_for(frozenset(secrets)).scrub(text)


def redact_input(text: str) -> str:
    """A piece of user input quoted in an error sentence: as a URL if it is one, else by the free-text rules.

    Header-shaped input (`Authorization Bearer x`, `X-Api-Key x`) loses everything after a secret name."""
    text = str(text)
    stripped = text.strip()
    if re.match(r"(?i)^[a-z][a-z0-9+.-]*://", stripped) or re.match(r"^[^\s/@]+:[^\s/@]*@", stripped):
        return redact_url(stripped) if "://" in stripped else _redact_broken_url(stripped)
    name = re.split(r"[\s:=]", stripped, maxsplit=1)[0]
    if name and name != stripped and (is_secret_header(name) or is_secret_param(name)):
        return f"{name} {fingerprint(stripped[len(name):].lstrip(' :='))}"
    return apply_rules(text)


# ---------------------------------------------------------------- what a request holds (for the registry)


def _cred_parts(value: str) -> Iterator[str]:
    """The secret parts of an Authorization value: the credential, Basic's user:password and each half, the
    values of `k=v` lists (Digest, AWS SigV4)."""
    scheme, _, cred = value.strip().partition(" ")
    cred = cred.strip()
    if not cred:
        return
    yield cred
    if scheme.lower() == "basic":
        import base64
        import binascii

        try:
            pair = base64.b64decode(cred + "=" * (-len(cred) % 4), validate=False).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            pair = ""
        if pair:
            yield pair
            user, _, password = pair.partition(":")
            yield password or user
    elif "=" in cred:
        for item in cred.split(","):
            _, eq, val = item.strip().partition("=")
            if eq:
                yield val.strip().strip('"')


def secrets_of_headers(headers: Iterable[tuple[str, str]]) -> set[str]:
    """Every secret value a list of headers carries, whole and in parts (token alone, each cookie value, Basic's
    decoded user:password and halves, user info and secret parameters of URL headers)."""
    found: set[str] = set()
    for name, value in headers:
        if not value or FINGERPRINT_RE.fullmatch(value.strip()):
            continue
        lname = name.lower()
        if is_url_header(name):
            found |= secrets_of_url(value)
            continue
        if not is_secret_header(name):
            found |= secrets_of_text(value)
            continue
        found.add(value)
        if lname in ("authorization", "proxy-authorization", "authentication", "x-authorization"):
            found.update(_cred_parts(value))
        elif lname in ("cookie", "set-cookie"):
            for line in value.split("\n"):
                src = line if lname == "cookie" else line.split(";", 1)[0]
                for part in src.split(";"):
                    _, eq, val = part.strip().partition("=")
                    if eq and val and not inert_cookie_value(val):
                        found.add(val)
                        if val.startswith('"') and val.endswith('"'):
                            found.add(val[1:-1])
        elif lname == "sec-websocket-protocol":
            found.update(p.strip() for p in value.split(","))
    return {s for s in found if len(s) >= MIN_SECRET_LEN and not FINGERPRINT_RE.search(s)}


def key_secrets(headers: Iterable[tuple[str, str]]) -> set[str]:
    """The secrets a user would recognise (the token, each cookie value, an API key), for fingerprint lists."""
    found: set[str] = set()
    for name, value in headers:
        lname = name.lower()
        if not is_secret_header(name) or not value or FINGERPRINT_RE.search(value):
            continue
        if lname in ("authorization", "proxy-authorization"):
            found.add(value.partition(" ")[2].strip() or value)
        elif lname == "cookie":
            found |= {v for _, eq, v in (p.strip().partition("=") for p in value.split(";")) if eq and v}
        else:
            found.add(value)
    return found


def secrets_of_url(url: str, depth: int = 0) -> set[str]:
    """User name and password, secret query (and fragment) values raw and decoded, path tokens, and the same in
    a URL nested in a parameter."""
    found: set[str] = set()
    if not url:
        return found
    m = _URL_USERINFO_RE.match(url) if "@" in url else None
    if m:
        user, colon, password = m.group(1).partition(":")
        for part in (password, m.group(1)) if password else (user,):
            if part:
                found |= {part, unquote(part)}
        if user and password:
            found.add(f"{unquote(user)}:{unquote(password)}")
    _, _, tail = url.partition("?")
    query, _, fragment = tail.partition("#")
    if not query and "#" in url:
        fragment = url.partition("#")[2]
    for piece in (query, fragment):
        for raw in piece.split("&") if piece else ():
            name, eq, value = raw.partition("=")
            if not (eq and value):
                continue
            if is_secret_param(name):
                found |= {value, unquote(value), unquote(value.replace("+", " "))}
            elif depth < 3 and ("%3" in value or "://" in value):  # a nested URL: %3a (:) or %3d (=) escaped
                low = value.lower()
                if "%3a" in low or "%3d" in low or "://" in value:
                    found |= secrets_of_url(unquote(value), depth + 1)
    for pattern in _rules_for(url):
        for hit in pattern.finditer(url):
            if hit.group("secret"):
                found |= {hit.group("secret"), unquote(hit.group("secret"))}
    if not found:
        return found
    return {s for s in found if len(s) >= MIN_SECRET_LEN and not FINGERPRINT_RE.search(s)}


_URL_USERINFO_RE = re.compile(r"(?i)^\s*(?:[a-z][a-z0-9+.-]*://)?([^/?#\s]*)@")


def _rules_for(text: str) -> tuple[re.Pattern, ...]:
    """The path patterns that can match somewhere in `text`: those whose literal (prefilter) it holds."""
    rules = _rules()
    if not rules or not prefilter.available():
        return rules
    literals = fast_state().path_literals
    norm = prefilter.normalise(text)
    if norm is None:
        return rules
    return tuple([regex for regex, literal in zip(rules, literals) if literal is None or literal in norm])


def _json_secrets(value: object, inside: bool, found: set[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _json_secrets(v, inside or is_secret_field(str(k)), found)
    elif isinstance(value, list):
        for v in value:
            _json_secrets(v, inside, found)
    elif inside and isinstance(value, (str, int, float)) and not isinstance(value, bool) and value != "":
        text = str(value)
        found.add(text)
        escaped = json.dumps(text)[1:-1]
        if escaped != text:
            found.add(escaped)


def secrets_of_json(text: str) -> set[str]:
    """Values of secret-named fields at any depth of a JSON document (numbers too: a PIN may be one)."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        return set()
    found: set[str] = set()
    _json_secrets(doc, False, found)
    return found


def secrets_of_multipart(body: bytes, content_type: str) -> set[str]:
    """Values of secret-named parts of a multipart/form-data body."""
    if "boundary=" not in content_type.lower():
        return set()
    from email.parser import BytesParser
    from email.policy import HTTP

    try:
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body)
    except Exception:  # noqa: BLE001 - a malformed body has no parts to read
        return set()
    found: set[str] = set()
    if not message.is_multipart():
        return found
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition") or ""
        if name and is_secret_field(str(name)):
            payload = part.get_payload(decode=True) or b""
            found.add(payload.decode("utf-8", "replace").strip())
    return found


def secrets_of_text(text: str) -> set[str]:
    """Secret values the free-text rules can see (key=value pairs, JSON pairs, tokens after Bearer)."""
    found: set[str] = set()
    if not text:
        return found
    for m in KEYVALUE_RE.finditer(text):
        found.add(m.group(2))
    for m in _JSON_PAIR_RE.finditer(text):
        if is_secret_field(m.group(1)) and m.group(2):
            found.add(m.group(2))
    for m in _QUERY_PAIR_RE.finditer(text):
        if is_secret_param(m.group(2)):
            found |= {m.group(3), unquote(m.group(3))}
    for m in BEARER_RE.finditer(text):
        found.add(m.group(2))
    for pattern in _rules():
        for hit in pattern.finditer(text):
            found.add(hit.group("secret"))
    return {s for s in found if s and len(s) >= MIN_SECRET_LEN and not s.startswith("[redacted")}


def secrets_of_body(body: str, content_type: str = "") -> set[str]:
    """Secret values of a request body: JSON fields at any depth, form fields, multipart parts, free-text pairs."""
    found = secrets_of_text(body)
    stripped = body.lstrip()
    if stripped[:1] in ("{", "["):
        found |= secrets_of_json(stripped)
    if "multipart/" in content_type.lower():
        found |= secrets_of_multipart(body.encode("utf-8", "surrogateescape"), content_type)
    elif "=" in body and not stripped.startswith(("{", "[", "<")):
        try:
            for name, value in parse_qsl(body, keep_blank_values=True):
                if value and is_secret_param(name):
                    found.add(value)
        except ValueError:
            pass
    return {s for s in found if len(s) >= MIN_SECRET_LEN and not s.startswith("[redacted")}
