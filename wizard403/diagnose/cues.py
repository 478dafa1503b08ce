"""The language layer: cue phrases per cause (content/cues.toml), read in the message a person reads.

Vendor signatures know their producer's exact words; users bring refusals from thousands of services that no
signature was written for. A person still reads "Daily Limit Exceeded" as a quota and "Blocked host" as a host
check; the cues encode such readings as word sequences, weighed as hints. They are matched on words (letters and
digits, case and accents folded), so `ip-not-allowed`, `IP not allowed` and `ipNotAllowed` (split by message.py)
read alike, in JSON, XML, HTML and plain text. An IP address, a host name and a file system path each read as one
word (shown as <address>, <host>, <path> in a quote), a possessive as its word ("organization's" = "organization"),
and Chinese and Japanese text as one word per character, so phrases in those scripts match inside sentences.

File format (validated on load, errors name file and key):

    [settings]
    damping = 0.0                  # cue weights are multiplied by this when a vendor signature already names a cause
    language_producers = ["api-error-words"]       # signature files that are word lists: one reading with the cues
    generic_producers = ["http-status"]            # signature files of standards, not of a producer that knows
    min_status = 400               # responses below this status are not read for cues
    stock_phrases = ["you don t have permission to access"]   # a server's stock page sentence: it restates the
                                   # status, so where it is found only cues of weight >= 0.5 still count

    [[cues]]
    id = "quota-words"             # kebab-case, unique
    cause = "rate-limit"           # a cause id of DESIGN.md §3 (not unknown)
    weight = 0.6                   # 0 < weight <= 0.95
    against = { permissions = -0.3 }   # optional: causes this reading argues against (-0.95..0)
    when = ["signed-url"]          # optional: context facts that must hold (context.py)
    unless = ["signed-url"]        # optional: context facts that must not hold
    damp = false                   # optional (default true): false when context, not the producer, decides
    status = [403, 429]            # optional: only on these statuses
    not_status = [401]             # optional: never on these statuses
    phrases = ["rate limit", "quota exceed*", "too many ~ requests"]
                                   # words separated by spaces; "word*" matches by prefix, "~" any one word

A context cue's `line` may quote values of the request's context, each with the fact it comes with: {link_expires}
(when = ["link-expired"]), {link_starts} (when = ["link-not-yet-valid"]), {server_date} (either); context.py VALUES.

`yields = true` marks words that restate that a refusal happened ("blocked", "not allowed", "unauthorized"): they
count only where no cue of another cause (one that does not yield) read the message, so that "the upload was
blocked: the file is locked" reads as the lock, not as a firewall or a permission.

A cue without phrases is a reading of the context alone: it needs `when` (the facts it rests on) and `line` (the
evidence sentence, since no words of the message are quoted), and usually `bare = true`: it counts only where the
message itself names no cause (no phrase cue is left once a stock page's hints are set aside). A browser's POST
refused with nothing said is a CSRF check's way; a refusal that names nothing on a signed link points at the link.

    [[cues]]
    id = "browser-form-refused"
    cause = "csrf"
    weight = 0.45
    when = ["state-changing", "browser-origin"]
    bare = true
    status = [400, 403, 419]
    line = "a browser's state-changing request was refused without a reason"
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import msgspec

from wizard403.content import Content, read_toml, shipped_content_dir
from wizard403.errors import ContentError
from wizard403.model import CAUSE_IDS

MAX_CUE_WEIGHT = 0.95
MAX_TOKENS = 1500  # words of a message read for cues (what a refusal says, it says early)
MAX_PHRASE_WORDS = 16  # Chinese and Japanese phrases count a word per character
MAX_SPANS = 200  # phrase occurrences collected per message (a page repeating one word cannot make the work grow)
ANY_WORD = "~"
FIELD_BREAK = "\x00"  # between two fields of a JSON or XML message: no word, prefix or "~" matches it
FACTS = ("signed-url", "signed-request", "credentials-sent", "no-credentials", "request-known", "state-changing",
         "browser-origin", "csrf-token-sent", "directory-path", "dot-path", "api-path",
         "script-page", "stock-page", "link-expired", "link-not-yet-valid", "csrf-token-offered",
         "script-client")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_WORD = re.compile(r"[^\W_]+")
_SETTINGS_KEYS = ("damping", "language_producers", "generic_producers", "min_status", "stock_phrases")
STOCK = "stock-page"  # the pseudo cue of settings.stock_phrases
STOCK_KEEPS = 0.5  # on a stock page, only cues at least this strong still count
_CUE_KEYS = ("id", "cause", "weight", "against", "when", "unless", "damp", "status", "not_status", "phrases", "bare",
             "line", "yields")
# IPv4 addresses, and the masked forms people quote ("x.x.x.x", "xx.yy.zz.aa", "*.*.*.*"), read as one word: a
# refusal that names an address speaks of the caller's address, whatever the digits. A file system path likewise
# (/var/www/..., C:\inetpub\...): "permission denied" on a path is the server's file, not the caller's role.
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}|x{1,3}|\*{1,3}|[a-z]{2})(?:\.(?:\d{1,3}|x{1,3}|\*{1,3}|[a-z]{2})){3}"
                   r"(?!\w|\.\w)", re.IGNORECASE)
_FILE_PATH = re.compile(r"(?<![\w/.:~-])(?:/(?:var|home|srv|usr|etc|opt|tmp|data|mnt|www|root|run|Users|Library)"
                        r"(?:/[\w.@~+-]{1,80}){1,30}/?|[A-Za-z]:\\(?:[\w.@~+-]{1,80}\\?){1,30})")
# A host name (shop.example.com, my-app.web.app) likewise: "host ~ is not allowed" holds whatever the name.
_HOST = re.compile(r"(?<![\w.@/-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,6}"
                   r"(?:com|net|org|io|app|dev|ai|co|me|info|biz|cloud|site|online|xyz|local|localhost|internal|lan|"
                   r"test|example|invalid|de|uk|fr|es|it|nl|pl|ru|jp|cn|kr|br|in|au|ca|us|eu|ch|at|se|no|dk|fi|be|"
                   r"cz|tr|gov|edu)(?::\d{1,5})?(?![\w-]|\.\w)", re.IGNORECASE)
# A possessive is the word it belongs to: "the organization's policy" reads as "organization policy".
_POSSESSIVE = re.compile(r"(?<=\w)['\u2019]s\b")
# Chinese and Japanese write without spaces: each such character is read as a word, so that a phrase written in them
# matches inside a sentence (Korean separates its words with spaces and reads as words).
_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
IP_WORD = "ipaddress"
PATH_WORD = "filepath"
HOST_WORD = "hostname"
_SHOWN = {IP_WORD: "<address>", PATH_WORD: "<path>", HOST_WORD: "<host>"}


def fold(text: str) -> str:
    """Lower case without accents: "Accès refusé" -> "acces refuse" (both sides of a match are folded alike)."""
    text = text.casefold()
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


# Spelling variants read as one word, on both sides of a match (the message and the phrases): British -ise/-isation
# as -ize/-ization ("unauthorised" = "unauthorized"), and plurals as their singular ("permissions" = "permission",
# "policies" = "policy"), so that a phrase written once matches the forms services use.
_BRITISH = (("isations", "izations"), ("isation", "ization"), ("ising", "izing"), ("ised", "ized"), ("ises", "izes"),
            ("iser", "izer"), ("ise", "ize"))
_SAME_WORD = {"licence": "license", "licences": "license", "defence": "defense", "cancelled": "canceled",
              "caches": "cache", "niches": "niche", "axes": "axis"}
_ES_PLURAL = ("sses", "shes", "ches", "xes")  # addresses, pushes, branches, prefixes: the plural adds -es
_KEEP_S = ("ss", "us", "is", "ous")


@lru_cache(maxsize=1 << 15)
def variant(word: str) -> str:
    """One spelling of a word: -ise as -ize, plural as singular ("policies" -> "policy", "tokens" -> "token")."""
    same = _SAME_WORD.get(word)
    if same:
        return same
    if len(word) >= 5 and word.isalpha():
        for british, american in _BRITISH:
            if word.endswith(british) and len(word) - len(british) >= 3:
                word = word[: -len(british)] + american
                break
        if word.endswith("ies") and len(word) >= 6:
            return word[:-3] + "y"
        if word.endswith(_ES_PLURAL):
            return word[:-2]
        if word.endswith("s") and not word.endswith(_KEEP_S):
            return word[:-1]
    return word


def words_of(text: str) -> list[str]:
    if "'" in text or "\u2019" in text:
        text = _POSSESSIVE.sub("", text)
    if "." in text:
        text = _HOST.sub(" " + HOST_WORD + " ", _IPV4.sub(" " + IP_WORD + " ", text))
    if "/" in text or "\\" in text:
        text = _FILE_PATH.sub(" " + PATH_WORD + " ", text)
    text = fold(text)
    if not text.isascii():
        text = _CJK.sub(r" \1 ", text)
    return [variant(w) for w in _WORD.findall(text)]


def shown(tokens: list[str]) -> str:
    """Matched words as a quote: an address or a path read as one word is shown as what it stands for."""
    return " ".join(_SHOWN.get(t, t) for t in tokens)


@dataclass(frozen=True)
class Cue:
    id: str
    cause: str
    weight: float
    against: Mapping[str, float]
    when: frozenset[str]
    unless: frozenset[str]
    damp: bool
    status: frozenset[int] | None
    phrases: tuple[str, ...]
    source: str
    not_status: frozenset[int] = frozenset()
    bare: bool = False  # counts only where no phrase cue read the message
    yields: bool = False  # a word that restates a refusal: silent where a reading of another cause was found
    line: str = ""  # the evidence sentence of a context cue (one without phrases)


@dataclass
class CueHit:
    cue: Cue
    phrase: str  # the phrase as written in content
    quote: str  # the words of the message that matched

    @property
    def name(self) -> str:
        return f"cues/{self.cue.id}"


@dataclass(frozen=True)
class Cuebook:
    cues: tuple[Cue, ...]
    damping: float = 0.5
    generic_producers: frozenset[str] = frozenset()  # includes the language producers
    language_producers: frozenset[str] = frozenset()
    min_status: int = 400
    # first word -> [(pattern words, cue index, phrase)]; first-word prefixes indexed by their first 3 letters
    exact: Mapping[str, tuple] = field(default_factory=dict, hash=False)
    prefixed: Mapping[str, tuple] = field(default_factory=dict, hash=False)
    context: tuple[int, ...] = ()  # indexes of the cues without phrases (readings of the context alone)

    def match(self, text: str, status: int | None, facts: frozenset[str] | set[str]) -> list[CueHit]:
        """Every cue whose phrase occurs in `text` and whose conditions hold; one hit per cue (its first phrase)."""
        return self.read(text, status, facts)[0]

    def read(self, text: str, status: int | None, facts: frozenset[str] | set[str],
             page: bool = True) -> tuple[list[CueHit], bool]:
        """match(), and whether the text is a server's stock page (settings.stock_phrases). `page` is False for a
        message an API wrote in JSON or XML: a stock page's sentence there is the API's own wording, not a page."""
        if status is None or status < self.min_status:
            return [], False
        if page:
            tokens = words_of(text)[:MAX_TOKENS]
        else:  # an API's fields are separate strings: no phrase runs from one into the next
            tokens = []
            for field_text in text.split("\n"):
                tokens.extend(words_of(field_text))
                tokens.append(FIELD_BREAK)
            tokens = tokens[:MAX_TOKENS]
        active = [self._active(c, status, facts) for c in self.cues]
        n = len(tokens)
        exact, prefixed = self.exact, self.prefixed
        starts = [i for i, tok in enumerate(tokens) if tok in exact or tok[:3] in prefixed]
        spans: list[tuple[int, int, int, str]] = []  # (start, end, cue index, phrase) of every occurrence
        for i in starts:
            tok = tokens[i]
            candidates = exact.get(tok, ())
            if len(tok) >= 3 and tok[:3] in prefixed:
                candidates = candidates + prefixed[tok[:3]]
            for pattern, index, phrase in candidates:
                end = i + len(pattern)
                if end > n or not active[index]:
                    continue
                for k, p in enumerate(pattern):  # this loop is the language layer's hot path
                    t = tokens[i + k]
                    if p != t and (p != ANY_WORD or t is FIELD_BREAK) and not (p[-1] == "*" and t.startswith(p[:-1])):
                        break
                else:
                    spans.append((i, end, index, phrase))
                    if len(spans) >= MAX_SPANS:
                        break
        # The longest reading wins over a shorter one for another cause inside it: "row level security policy" is
        # not a firewall's "security policy".
        found: dict[int, CueHit] = {}
        cues = self.cues
        longer = [span for span in spans if span[1] - span[0] > 1]  # only a phrase of 2+ words can hold another
        for start, end, index, phrase in spans:
            if index in found:
                continue
            cause = cues[index].cause
            # a reading of words against the request's context (`when`) is another kind of reading: it stands
            inside = not cues[index].when and any(
                s <= start and end <= e and (e - s) > (end - start) and cues[other].cause != cause
                for s, e, other, _ in longer
            )
            if not inside:
                found[index] = CueHit(self.cues[index], phrase, shown(tokens[start:end]))
        hits = [found[i] for i in sorted(found)]
        stock = page and any(h.cue.id == STOCK for h in hits)
        if not page:
            hits = [h for h in hits if h.cue.id != STOCK]
        if stock:
            hits = [h for h in hits if h.cue.id != STOCK and h.cue.weight >= STOCK_KEEPS]
        if any(h.cue.yields for h in hits):
            specific = {h.cue.cause for h in hits if not h.cue.yields}
            hits = [h for h in hits if not h.cue.yields or not specific - {h.cue.cause}]
        said = bool(hits)
        page_facts = frozenset(facts) | {STOCK} if stock else facts  # a stock page is a fact about the response
        for index in self.context:
            cue = cues[index]
            if self._active(cue, status, page_facts) and not (cue.bare and said):
                hits.append(CueHit(cue, "", ""))
        return hits, stock

    @staticmethod
    def _active(cue: Cue, status: int, facts) -> bool:
        if (cue.status is not None and status not in cue.status) or status in cue.not_status:
            return False
        return cue.when <= facts and not (cue.unless & facts)


# ---------------------------------------------------------------------------------------------------------------
# Loading


def _got(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value if len(value) <= 40 else value[:37] + "..."}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "a table" if isinstance(value, dict) else "a list" if isinstance(value, list) else type(value).__name__


def _display(path: Path) -> str:
    try:
        return "content/" + Path(path).resolve().relative_to(shipped_content_dir().resolve()).as_posix()
    except ValueError:
        return str(path)


def _weight(src: str, key: str, value: Any, low: float, high: float, zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ContentError(f"{src}: {key} must be a number between {low} and {high} (got {_got(value)})")
    if not low <= value <= high or (value == 0 and not zero):
        raise ContentError(f"{src}: {key} must be between {low} and {high} and not 0 (got {value!r})")
    return float(value)


def _strings(src: str, key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ContentError(f"{src}: {key} must be a list of non-empty strings (got {_got(value)})")
    return [" ".join(v.split()) for v in value]


def _facts(src: str, key: str, value: Any) -> frozenset[str]:
    out = _strings(src, key, value)
    for i, fact in enumerate(out, 1):
        if fact not in FACTS:
            raise ContentError(f"{src}: {key}[{i}] must be one of {', '.join(FACTS)} (got {_got(fact)})")
    return frozenset(out)


def _phrase_words(src: str, key: str, phrase: str) -> tuple[str, ...]:
    words = []
    for part in phrase.split():
        if part == ANY_WORD:
            words.append(part)
            continue
        star = part.endswith("*")
        core = words_of(part[:-1] if star else part)
        if not core or (star and len(core[-1]) < 3):
            raise ContentError(
                f"{src}: {key} has a word that reads as nothing or as a prefix shorter than 3 letters ({_got(part)})"
            )
        if star:
            core[-1] += "*"
        words.extend(core)
    if words[0] == ANY_WORD or words[-1] == ANY_WORD or len(words) > MAX_PHRASE_WORDS:
        raise ContentError(
            f"{src}: {key} must start and end with a word and have at most {MAX_PHRASE_WORDS} words (got {_got(phrase)})"
        )
    return tuple(words)


def _cue(src: str, key: str, raw: Any, words: Any = _phrase_words) -> Cue:
    if not isinstance(raw, dict):
        raise ContentError(f"{src}: {key} must be a table")
    for name in raw:
        if name not in _CUE_KEYS:
            raise ContentError(f"{src}: {key}.{name} is not a known key (expected one of {', '.join(_CUE_KEYS)})")
    for required in ("id", "cause", "weight"):
        if required not in raw:
            raise ContentError(f"{src}: {key}.{required} is missing")
    cid = raw["id"]
    if not isinstance(cid, str) or not _ID.match(cid):
        raise ContentError(f"{src}: {key}.id must be kebab-case (got {_got(cid)})")
    cause = raw["cause"]
    if cause not in CAUSE_IDS or cause == "unknown":
        raise ContentError(f"{src}: {key}.cause is not a cause id a cue can support (got {_got(cause)})")
    weight = _weight(src, f"{key}.weight", raw["weight"], 0.0, MAX_CUE_WEIGHT)
    against_raw = raw.get("against", {})
    if not isinstance(against_raw, dict):
        raise ContentError(f"{src}: {key}.against must be a table of cause id = negative weight")
    against = {}
    for other, w in against_raw.items():
        if other not in CAUSE_IDS or other == "unknown" or other == cause:
            raise ContentError(f"{src}: {key}.against.{other} is not another cause id")
        against[other] = _weight(src, f"{key}.against.{other}", w, -MAX_CUE_WEIGHT, 0.0)
    damp = raw.get("damp", True)
    if not isinstance(damp, bool):
        raise ContentError(f"{src}: {key}.damp must be true or false (got {_got(damp)})")
    statuses: dict[str, frozenset[int] | None] = {"status": None, "not_status": frozenset()}
    for name in statuses:
        if name not in raw:
            continue
        codes = raw[name]
        if not isinstance(codes, list) or not codes or not all(
            isinstance(c, int) and not isinstance(c, bool) and 100 <= c <= 999 for c in codes
        ):
            raise ContentError(f"{src}: {key}.{name} must be a non-empty list of status codes (got {_got(codes)})")
        statuses[name] = frozenset(codes)
    status = statuses["status"]
    when = _facts(src, f"{key}.when", raw.get("when", []))
    bare = raw.get("bare", False)
    if not isinstance(bare, bool):
        raise ContentError(f"{src}: {key}.bare must be true or false (got {_got(bare)})")
    yields = raw.get("yields", False)
    if not isinstance(yields, bool):
        raise ContentError(f"{src}: {key}.yields must be true or false (got {_got(yields)})")
    line = raw.get("line", "")
    if not isinstance(line, str):
        raise ContentError(f"{src}: {key}.line must be a sentence (got {_got(line)})")
    line = " ".join(line.split())
    for name in re.findall(r"\{([^{}]*)\}", line):  # values the line quotes come with the facts it rests on
        from wizard403.diagnose.context import VALUES

        if name not in VALUES:
            raise ContentError(f"{src}: {key}.line quotes {{{name}}}, which is not a value the context gives "
                               f"(known: {', '.join('{' + v + '}' for v in VALUES)})")
        if not set(VALUES[name]) & set(when):
            raise ContentError(f"{src}: {key}.line quotes {{{name}}}, which needs one of the facts "
                               f"{', '.join(VALUES[name])} in its when")
    if "phrases" in raw:
        phrases = _strings(src, f"{key}.phrases", raw["phrases"])
        if not phrases:
            raise ContentError(f"{src}: {key}.phrases must not be empty")
        for i, phrase in enumerate(phrases, 1):
            words(src, f"{key}.phrases[{i}]", phrase)
    elif not when or not line:
        raise ContentError(f"{src}: {key}.phrases is missing (a cue without phrases reads the context: it needs "
                           "when and line)")
    else:
        phrases = []
    return Cue(
        id=cid, cause=cause, weight=weight, against=MappingProxyType(against),
        when=when, unless=_facts(src, f"{key}.unless", raw.get("unless", [])),
        damp=damp, status=status, phrases=tuple(phrases), source=src, not_status=statuses["not_status"],
        bare=bare, line=line, yields=yields,
    )


class PhraseWords:
    """_phrase_words with a memory kept in the cache folder: reading ~2,500 phrases into words was a tenth of a
    `check`'s start-up, with the same result each run.

    The words of a phrase depend only on the phrase and on this module's code, so the cache file is named by the
    content folders and holds a key made of wizard403's and Python's versions and this module's source bytes; its
    phrases are only those that read well (an invalid one raises before anything is kept). Anything wrong with the
    file (missing, another key, damaged, not the expected shape, a folder that cannot be written) means the words
    are read from the phrases as before: the cache never decides what a phrase matches."""

    FORMAT = 1  # bump when what is kept changes meaning

    def __init__(self, dirs: tuple[Path, ...] | list[Path]):
        self._path: Path | None = None
        self._key = ""
        self._known: dict[str, tuple[str, ...]] = {}
        self._used: dict[str, tuple[str, ...]] = {}  # what is kept: the phrases of this time only
        try:
            from wizard403 import __version__
            from wizard403.files import cache_dir

            code = Path(__file__).read_bytes()
            where = hashlib.sha256("\0".join(str(Path(d).resolve()) for d in dirs).encode("utf-8", "surrogateescape"))
            self._path = cache_dir() / f"cue-words-{where.hexdigest()[:16]}.msgpack"
            self._key = hashlib.sha256(f"{self.FORMAT}\0{__version__}\0{sys.version}\0".encode() + code).hexdigest()
            key, known = msgspec.msgpack.decode(self._path.read_bytes(), type=tuple[str, dict[str, tuple[str, ...]]])
            if key == self._key and all(known.values()):
                self._known = known
        except Exception:  # noqa: BLE001 - whatever is wrong with a cache, the phrases are read instead
            self._known = {}
        self._cached = frozenset(self._known)

    def __call__(self, src: str, key: str, phrase: str) -> tuple[str, ...]:
        words = self._known.get(phrase)
        if words is None:
            words = self._known[phrase] = _phrase_words(src, key, phrase)
        self._used[phrase] = words
        return words

    def keep(self) -> None:
        """Keep this time's phrases for the next run when they differ from the file's; failing to is no error."""
        if self._path is None or self._used.keys() == self._cached:
            return
        try:
            from wizard403.files import private_dir, write_private

            data = msgspec.msgpack.encode((self._key, {p: list(w) for p, w in self._used.items()}))
            private_dir(self._path.parent)
            write_private(self._path, data)
        except (OSError, ValueError, TypeError, msgspec.EncodeError):
            pass


def load_cuebook(dirs: tuple[Path, ...] | list[Path]) -> Cuebook:
    """`<dir>/cues.toml` of each content dir in order; a later file's cue with the same id replaces the earlier one,
    and its [settings] keys replace the earlier ones. Each phrase's words are read back from the cache folder
    when the same phrases were read by the same code before (PhraseWords)."""
    words = PhraseWords(dirs)
    by_id: dict[str, Cue] = {}
    settings: dict[str, Any] = {"damping": 0.0, "generic_producers": frozenset(), "language_producers": frozenset(),
                                "min_status": 400, "stock_phrases": ()}
    for directory in dirs:
        path = Path(directory) / "cues.toml"
        if not path.is_file():
            continue
        src = _display(path)
        data = read_toml(path)
        for name in data:
            if name not in ("settings", "cues"):
                raise ContentError(f"{src}: {name} is not a known key (expected settings or cues)")
        raw_settings = data.get("settings", {})
        if not isinstance(raw_settings, dict):
            raise ContentError(f"{src}: [settings] must be a table")
        for name, value in raw_settings.items():
            if name not in _SETTINGS_KEYS:
                raise ContentError(f"{src}: settings.{name} is not a known key (expected one of {', '.join(_SETTINGS_KEYS)})")
            if name == "damping":
                settings[name] = _weight(src, "settings.damping", value, 0.0, 1.0, zero=True)
            elif name in ("generic_producers", "language_producers"):
                settings[name] = frozenset(_strings(src, f"settings.{name}", value))
            elif name == "stock_phrases":
                phrases = _strings(src, "settings.stock_phrases", value)
                for i, phrase in enumerate(phrases, 1):
                    words(src, f"settings.stock_phrases[{i}]", phrase)
                settings[name] = tuple(phrases)
            elif isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 999:
                raise ContentError(f"{src}: settings.min_status must be a status code (got {_got(value)})")
            else:
                settings[name] = value
        raw_cues = data.get("cues", [])
        if not isinstance(raw_cues, list):
            raise ContentError(f"{src}: cues must be one or more [[cues]] tables")
        seen: set[str] = set()
        for i, raw in enumerate(raw_cues, 1):
            cue = _cue(src, f"cues[{i}]", raw, words)
            if cue.id in seen:
                raise ContentError(f'{src}: cues[{i}].id repeats "{cue.id}" (cue ids are unique in a file)')
            seen.add(cue.id)
            by_id[cue.id] = cue
    cues = tuple(by_id.values())
    if settings["stock_phrases"]:
        cues += (Cue(STOCK, "unknown", 0.0, MappingProxyType({}), frozenset(), frozenset(), True, None,
                     settings["stock_phrases"], "settings"),)
    exact: dict[str, list] = {}
    prefixed: dict[str, list] = {}
    for index, cue in enumerate(cues):
        for i, phrase in enumerate(cue.phrases, 1):
            pattern = words(cue.source, f"cues[{cue.id}].phrases[{i}]", phrase)
            first = pattern[0]
            if first.endswith("*"):
                prefixed.setdefault(first[:3], []).append((pattern, index, phrase))
            else:
                exact.setdefault(first, []).append((pattern, index, phrase))
    words.keep()
    return Cuebook(
        cues, settings["damping"], settings["generic_producers"] | settings["language_producers"],
        settings["language_producers"], settings["min_status"],
        MappingProxyType({k: tuple(v) for k, v in exact.items()}),
        MappingProxyType({k: tuple(v) for k, v in prefixed.items()}),
        tuple(i for i, cue in enumerate(cues) if not cue.phrases),
    )


_CACHE: dict[int, tuple[Content, Cuebook]] = {}


def cuebook_for(content: Content) -> Cuebook:
    """The compiled cues of one Content (compiled once per Content object, like the signature catalogue)."""
    cached = _CACHE.get(id(content))
    if cached is not None and cached[0] is content:
        return cached[1]
    book = load_cuebook(content.dirs)
    if len(_CACHE) >= 16:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(content)] = (content, book)
    return book
