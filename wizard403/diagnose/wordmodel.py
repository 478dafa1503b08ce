"""A statistical reading of the message's words (content/word_weights.toml): a weak hint for the long tail of
wordings that no cue phrase was written for.

The cues (cues.py) are readings a person wrote down; a service nobody wrote for says "your plan's monthly allotment
is used up" and no phrase matches. The word weights were fitted offline (scripts/fit_word_weights.py) on labelled
refusals: per cause, the words and word pairs that speak for it, each with a weight. A message's lean is the cause
whose weights, summed over the words it contains, plus the cause's bias, come out highest; its share (a softmax over
the causes) says how clear the lean is. The words are read as the cues read them (cues.words_of: case, accents,
plurals and spelling variants folded), each line of the message on its own, so a pair never runs across two fields.

File format (validated on load, errors name file and key):

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

from wizard403.content import Content, read_toml
from wizard403.diagnose.cues import _display, _got, shown, words_of
from wizard403.errors import ContentError
from wizard403.model import CAUSE_IDS

FILE = "word_weights.toml"
MAX_TOKENS = 600  # words of a message read (what a refusal says, it says early)
MAX_WORD_WEIGHT = 20.0
_SETTINGS = ("min_share", "weight", "only_unnamed", "shown")
_CAUSE_KEYS = ("bias", "words")
_FEATURE = re.compile(r"^[^\W_]+(?: [^\W_]+)?$")


def features(text: str) -> set[str]:
    """The words and adjacent word pairs of a message, each line read on its own. A long number (an id, a
    timestamp) is no word a person reads as a reason; a status-like number of up to 3 digits is kept."""
    out: set[str] = set()
    count = 0
    for line in text.split("\n"):
        words = [w for w in words_of(line) if not (w.isdigit() and len(w) > 3)]
        if not words:
            continue
        words = words[: MAX_TOKENS - count]
        count += len(words)
        out.update(words)
        out.update(f"{a} {b}" for a, b in zip(words, words[1:]))
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
        for f in spoke:  # a pair already quoted says its words: "per day" rather than "per day", "day"
            if any(f in w.split() for w in words):
                continue
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
        if not isinstance(settings["only_unnamed"], bool):
            raise ContentError(f"{src}: settings.only_unnamed must be true or false (got {_got(settings['only_unnamed'])})")
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
            if not _FEATURE.match(word) or words_of(word) != word.split():
                raise ContentError(f'{src}: {key}.words."{word[:40]}" must be one word or two words as the cues read '
                                   "them (lower case, singular, separated by one space)")
            table[word] = _number(src, f'{key}.words."{word}"', value, -MAX_WORD_WEIGHT, MAX_WORD_WEIGHT)
        weights[cause] = MappingProxyType(table)
    return WordModel(MappingProxyType(biases), MappingProxyType(weights), **kw)


def load_word_model(dirs: tuple[Path, ...] | list[Path]) -> WordModel | None:
    """The last content dir's word_weights.toml (a later file replaces an earlier one whole: a fitted model is one
    piece), or None when no dir has one."""
    model = None
    for directory in dirs:
        path = Path(directory) / FILE
        if path.is_file():
            model = parse_word_model(read_toml(path), _display(path))
    return model


_CACHE: dict[int, tuple[Content, WordModel | None]] = {}


def word_model_for(content: Content) -> WordModel | None:
    """The word model of one Content (read once per Content object, like the cues)."""
    cached = _CACHE.get(id(content))
    if cached is not None and cached[0] is content:
        return cached[1]
    model = load_word_model(content.dirs)
    if len(_CACHE) >= 16:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(content)] = (content, model)
    return model
