"""EXPERIMENT, NOT WIRED IN (issue 11): a statistical reading of the message's words as a weak hint for the long
tail of wordings that no cue phrase was written for. scripts/fit_word_weights.py fits it and measures it by
installing `hinted_read` over the language layer for the run; the engine never imports this module. Findings:
scripts/word_weights_findings.md.

The cues (cues.py) are readings a person wrote down; a service nobody wrote for says "your plan's monthly allotment
is used up" and no phrase matches. The word weights were fitted offline (scripts/fit_word_weights.py) on labelled
refusals: per cause, the words and word pairs that speak for it, each with a weight. A message's lean is the cause
whose weights, summed over the words it contains, plus the cause's bias, come out highest; its share (a softmax over
the causes) says how clear the lean is. The words are read as the cues read them (cues.words_of: case, accents,
plurals and spelling variants folded), each line of the message on its own, so a pair never runs across two fields.

Weights file format (written by the fitting script; validated on load, errors name file and key):

    [settings]
    min_share = 0.5        # the leading cause's share (0..1) a lean needs to count
    weight = 0.3           # the hint's weight as evidence (0 < weight <= 0.95), like a cue's
    only_unnamed = true    # count only where no cue or word list named a cause in the message
    shown = 3              # words quoted in the evidence line

    [causes.rate-limit]    # a cause id of DESIGN.md §3 ("unknown" too: words that say nothing specific)
    bias = -0.4
    words = { "quota" = 1.2, "per day" = 0.9 }   # a word, or two words separated by one space
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from wizard403.content import read_toml
from wizard403.diagnose.cues import _display, _got, fold, shown, variant, words_of
from wizard403.diagnose.scoring import Contribution
from wizard403.errors import ContentError
from wizard403.model import CAUSE_IDS

FILE = "word_weights.toml"
MAX_TOKENS = 600  # words of a message read (what a refusal says, it says early)
MAX_WORD_WEIGHT = 20.0
_SETTINGS = ("min_share", "weight", "only_unnamed", "shown")
_CAUSE_KEYS = ("bias", "words")
_FEATURE = re.compile(r"^[^\W_]+(?: [^\W_]+)?$")
# English function words: alone they say nothing a person could quote as a reason ("it", "can"), so they are no
# feature by themselves; in a pair with a word that says something ("you must", "per day") they are kept.
STOP = frozenset("""a an the and or but if of to in on at by for from with as is are was were be been being it its
this that these those there here you your we our us i me my he she they them their not no can could will would shall
should may might must do does did done have has had so than then too very just also any all some such into out up down
over under again once s t d ll re ve m o y""".split())


def features(text: str) -> set[str]:
    """The words and adjacent word pairs of a message, each line read on its own. A number (an id, a timestamp, the
    status restated) is no word a person reads as a reason."""
    out: set[str] = set()
    count = 0
    for line in text.split("\n"):
        words = [w for w in words_of(line) if not w.isdigit()]
        if not words:
            continue
        words = words[: MAX_TOKENS - count]
        count += len(words)
        out.update(w for w in words if w not in STOP)
        out.update(f"{a} {b}" for a, b in zip(words, words[1:]) if a not in STOP or b not in STOP)
        if count >= MAX_TOKENS:
            break
    return out


@dataclass(frozen=True)
class Lean:
    cause: str
    share: float
    words: tuple[str, ...]  # the message's words that spoke most for it, strongest first

    def line(self) -> str:
        quoted = ", ".join(f'"{shown(w.split())}"' for w in self.words)
        return f"the message's words lean to {self.cause}: {quoted}"


@dataclass(frozen=True)
class WordModel:
    biases: Mapping[str, float]
    weights: Mapping[str, Mapping[str, float]]  # cause -> feature -> weight
    min_share: float = 0.5
    weight: float = 0.3
    only_unnamed: bool = True
    shown: int = 3

    def lean(self, text: str) -> Lean | None:
        """The cause the message's words lean to, or None when they lean to none clearly (or to unknown)."""
        present = features(text)
        if not present or not self.weights:
            return None
        scores = {}
        for cause, table in self.weights.items():
            scores[cause] = self.biases.get(cause, 0.0) + sum(table[f] for f in present if f in table)
        top = max(scores, key=lambda c: (scores[c], -CAUSE_IDS.index(c)))
        peak = scores[top]
        share = 1.0 / sum(math.exp(s - peak) for s in scores.values())
        if top == "unknown" or share < self.min_share:
            return None
        table = self.weights[top]
        spoke = sorted((f for f in present if table.get(f, 0.0) > 0), key=lambda f: (-table[f], f))
        words: list[str] = []
        for f in spoke:  # a pair says its words: "per day" is quoted, not "per", "per day"
            parts = f.split(" ")
            if any(f in w.split(" ") for w in words):
                continue
            if len(parts) == 2:
                words = [w for w in words if w not in parts]
            words.append(f)
            if len(words) >= self.shown:
                break
        if not words:
            return None
        return Lean(top, round(share, 3), tuple(words))


def _number(src: str, key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ContentError(f"{src}: {key} must be a number between {low} and {high} (got {_got(value)})")
    if not low <= value <= high:
        raise ContentError(f"{src}: {key} must be between {low} and {high} (got {value!r})")
    return float(value)


def _read_as_is(word: str) -> bool:
    """Whether a feature is written as features() reads it (else it could never match): one or two words, folded,
    each its own spelling variant. Cheaper than reading it again with words_of, for ~2,000 features a start-up."""
    if not _FEATURE.match(word) or (fold(word) != word):
        return False
    return all(variant(w) == w for w in word.split(" "))


def parse_word_model(data: dict, src: str) -> WordModel:
    """A WordModel from a parsed word_weights.toml; any wrong key or value raises a ContentError naming it."""
    for name in data:
        if name not in ("settings", "causes"):
            raise ContentError(f"{src}: {name} is not a known key (expected settings or causes)")
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise ContentError(f"{src}: [settings] must be a table")
    for name in settings:
        if name not in _SETTINGS:
            raise ContentError(f"{src}: settings.{name} is not a known key (expected one of {', '.join(_SETTINGS)})")
    kw: dict[str, Any] = {}
    if "min_share" in settings:
        kw["min_share"] = _number(src, "settings.min_share", settings["min_share"], 0.0, 1.0)
    if "weight" in settings:
        kw["weight"] = _number(src, "settings.weight", settings["weight"], 0.0, 0.95)
        if kw["weight"] == 0:
            raise ContentError(f"{src}: settings.weight must be between 0 and 0.95 and not 0 (got 0)")
    if "only_unnamed" in settings:
        value = settings["only_unnamed"]
        if not isinstance(value, bool):
            raise ContentError(f"{src}: settings.only_unnamed must be true or false (got {_got(value)})")
        kw["only_unnamed"] = settings["only_unnamed"]
    if "shown" in settings:
        value = settings["shown"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 8:
            raise ContentError(f"{src}: settings.shown must be a whole number from 1 to 8 (got {_got(value)})")
        kw["shown"] = value
    causes = data.get("causes", {})
    if not isinstance(causes, dict):
        raise ContentError(f"{src}: causes must be a table of [causes.<cause id>] tables")
    biases: dict[str, float] = {}
    weights: dict[str, Mapping[str, float]] = {}
    for cause, raw in causes.items():
        key = f"causes.{cause}"
        if cause not in CAUSE_IDS:
            raise ContentError(f"{src}: {key} is not a cause id (expected one of {', '.join(CAUSE_IDS)})")
        if not isinstance(raw, dict):
            raise ContentError(f"{src}: {key} must be a table")
        for name in raw:
            if name not in _CAUSE_KEYS:
                raise ContentError(f"{src}: {key}.{name} is not a known key (expected bias or words)")
        biases[cause] = _number(src, f"{key}.bias", raw.get("bias", 0.0), -MAX_WORD_WEIGHT, MAX_WORD_WEIGHT)
        words = raw.get("words", {})
        if not isinstance(words, dict):
            raise ContentError(f"{src}: {key}.words must be a table of word = weight")
        table = {}
        for word, value in words.items():
            if not _read_as_is(word):
                raise ContentError(f'{src}: {key}.words."{word[:40]}" must be one word or two words as the cues read '
                                   "them (lower case, singular, separated by one space)")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) <= MAX_WORD_WEIGHT:
                _number(src, f'{key}.words."{word}"', value, -MAX_WORD_WEIGHT, MAX_WORD_WEIGHT)  # raises
            table[word] = float(value)
        weights[cause] = MappingProxyType(table)
    return WordModel(MappingProxyType(biases), MappingProxyType(weights), **kw)


def load_word_model(path: Path) -> WordModel:
    return parse_word_model(read_toml(path), _display(path))


def word_hint(words: WordModel, text: str, read: list, hits: list, book) -> tuple[str, Contribution] | None:
    """The lean of the message's words as one weak contribution in the language group; with `only_unnamed` only
    where neither a cue nor a word-list signature named a cause."""
    if words.only_unnamed and (
        any(c.weight > 0 for _, c in read)
        or any(h.producer in book.language_producers and any(w > 0 for w in h.causes.values()) for h in hits)
    ):
        return None
    lean = words.lean(text)
    if lean is None:
        return None
    return lean.cause, Contribution("word-weights", "cue", lean.line(), words.weight, group="language")


def hinted_read(original, model: WordModel | None):
    """language.read with the word hint added: never where a known producer's signature read the response (its
    reading stands, as for the cues), never on a server's stock page, only on an error status."""
    from wizard403.diagnose.language import producer_reading
    from wizard403.diagnose.message import extract_message

    def read(primary, hits, book):
        out, stock = original(primary, hits, book)
        if model is None or primary is None or primary.status is None or primary.status < 400 or stock:
            return out, stock
        if producer_reading(hits, book) is not None:
            return out, stock
        hint = word_hint(model, extract_message(primary).text, out, hits, book)
        return (out + [hint] if hint else out), stock

    return read


def install(model: WordModel | None) -> None:
    """Put the hint over the language layer for this process (the fitting script's runs only)."""
    from wizard403.diagnose import language

    original = getattr(language, "_unhinted_read", language.read)
    language._unhinted_read = original
    language.read = hinted_read(original, model)
