"""Regular-expression substitution that only tries where a match can start: the same result as `pattern.sub`.

Python's `re` tries a pattern such as `\\b(bearer|basic|token)\\s+…` at every position of the text, which makes the
free-text redaction rules cost seconds on a HAR's 100 MB of response bodies. Most of those patterns can only match
where one of a few short words stands, so `prefixed(pattern)` works out those words from the compiled pattern itself
(its first literal characters, after zero-width assertions and at most a few optional characters), finds them with
fast substring search, and runs `pattern.match` only there, left to right as `sub` would. The words are derived, not
written down, so a rule changed in `redact` stays right; a pattern whose start cannot be told (or a text holding one
of the few characters that case-insensitive matching folds to ASCII letters) falls back to `pattern.sub`.
"""

from __future__ import annotations

import re
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

try:  # one pass for several words when available (a dependency of sanitize's secret search)
    import ahocorasick_rs
except ImportError:  # pragma: no cover - the plain search below gives the same answer
    ahocorasick_rs = None
_DFA = ahocorasick_rs.Implementation.DFA if ahocorasick_rs is not None else None

# The words found must be at least this long to be worth searching for (and at most this long to be few).
_MIN_WORD, _MAX_WORD, _MAX_WORDS, _MAX_LEAD = 2, 5, 48, 3
# Texts shorter than this that hold one of the words go straight to `pattern.sub`.
SHORT_TEXT = 256
# Characters that IGNORECASE matching equates with an ASCII letter although their lower() is not ASCII (long s,
# dotless i, dotted capital I, Kelvin sign): a text holding one is substituted the slow way.
FOLD_HAZARDS = ("\u017f", "\u0131", "\u0130", "\u212a")
_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", C.MAX_REPEAT))
_ZERO_WIDTH = (C.AT, C.ASSERT, C.ASSERT_NOT)


class _Unknown(Exception):
    """The pattern's start cannot be told as words."""


def _items(data: Any, flags: int) -> list[tuple[Any, Any, int]]:
    """A parsed sequence as (op, argument, flags in force), groups at its head opened up."""
    out = []
    for op, av in data:
        out.append((op, av, flags))
    while out and out[0][0] is C.SUBPATTERN:
        _, (_, add, remove, inner), fl = out.pop(0)
        out[:0] = _items(inner.data if hasattr(inner, "data") else inner, (fl | add) & ~remove)
    return out


def _one_char(op: Any, av: Any) -> bool:
    return op is C.LITERAL or op is C.IN or op is C.ANY or op is C.NOT_LITERAL


def _words(items: list[tuple[Any, Any, int]], need: int) -> tuple[set[tuple[str, bool]], bool]:
    """(word, complete) pairs every match of `items` starts with, and whether any letter was case-insensitive."""
    found: set[tuple[str, bool]] = {("", True)}
    nocase = False
    for op, av, flags in items:
        if all(not complete or len(word) >= need for word, complete in found):
            break
        if op is C.LITERAL:
            char = chr(av)
            if flags & re.IGNORECASE and char.lower() != char.upper():
                nocase = True
            options = {(char, True)}
        elif op is C.IN and all(o is C.LITERAL for o, _ in av) and len(av) <= 8:
            options = {(chr(v), True) for _, v in av}
            nocase = nocase or bool(flags & re.IGNORECASE)
        elif op is C.BRANCH:
            options = set()
            for alternative in av[1]:
                words, case = _words(_items(alternative.data, flags), need)
                options |= words
                nocase = nocase or case
        elif op is C.SUBPATTERN:
            _, add, remove, inner = av
            options, case = _words(_items(inner.data, (flags | add) & ~remove), need)
            nocase = nocase or case
        elif op in _REPEATS and av[0] >= 1:
            words, case = _words(_items(av[2].data, flags), need)
            options = {(word, False) for word, _ in words}  # what follows the first repetition is not known
            nocase = nocase or case
        else:
            options = {("", False)}
        grown = set()
        for word, complete in found:
            if not complete or len(word) >= need:
                grown.add((word[:need], False))
                continue
            for more, more_complete in options:
                joined = word + more
                grown.add((joined[:need], more_complete and len(joined) <= need))
        found = grown
        if len(found) > _MAX_WORDS * 4:
            raise _Unknown
    return found, nocase


def starts_of(pattern: re.Pattern) -> tuple[tuple[str, ...], int, bool] | None:
    """(words, lead, nocase) such that every match of `pattern` starts at most `lead` characters before one of the
    words (lower-cased when `nocase`), or None when the pattern's start cannot be told that way."""
    if not isinstance(pattern.pattern, str):
        return None
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
        items = _items(parsed.data, parsed.state.flags)
        lead = 0
        while items:
            op, av, _ = items[0]
            if op in _ZERO_WIDTH:
                items.pop(0)
            elif op in _REPEATS and av[0] == 0 and av[1] == 1 and len(av[2].data) == 1 and _one_char(*av[2].data[0]):
                items.pop(0)
                lead += 1
            else:
                break
        if lead > _MAX_LEAD:
            return None
        found, nocase = _words(items, _MAX_WORD)
    except (_Unknown, RecursionError, re.error, AttributeError, TypeError, ValueError):
        return None
    words = {word.lower() if nocase else word for word, _ in found}
    if not words or min(len(w) for w in words) < _MIN_WORD or len(words) > _MAX_WORDS:
        return None
    if nocase and not all(w.isascii() for w in words):
        return None  # beyond ASCII, case-insensitive matching equates letters that lower() keeps apart
    return tuple(sorted(words)), lead, nocase


class PrefixedPattern:
    """A compiled pattern whose `sub` only tries where a match can start; everything else is the pattern's own."""

    def __init__(self, pattern: re.Pattern):
        self.pattern_object = pattern
        self.starts = starts_of(pattern)
        self._finder = None
        self._lower_words: tuple[str, ...] = ()
        if self.starts:
            self._lower_words = tuple({word.lower() for word in self.starts[0]})
            _SHARED.add(self._lower_words)
            if ahocorasick_rs is not None and len(self.starts[0]) > 1:
                self._finder = ahocorasick_rs.AhoCorasick(list(self.starts[0]), implementation=_DFA)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pattern_object, name)

    def __repr__(self) -> str:
        return f"prefixed({self.pattern_object!r})"

    def _hits(self, haystack: str) -> set[int]:
        words, _, _ = self.starts  # type: ignore[misc]
        if self._finder is not None:
            try:
                return {start for _, start, _ in self._finder.find_matches_as_indexes(haystack, overlapping=True)}
            except (UnicodeError, ValueError):  # a lone surrogate: the plain search below
                pass
        hits: set[int] = set()
        for word in words:
            i = haystack.find(word)
            while i != -1:
                hits.add(i)
                i = haystack.find(word, i + 1)
        return hits

    def sub(self, repl: Any, string: Any, count: int = 0) -> Any:
        pattern = self.pattern_object
        if self.starts is None or count or type(string) is not str:
            return pattern.sub(repl, string, count)
        shared = _SHARED.hits(string)
        if shared is not None:  # found with the other patterns' words, case ignored: a superset, match decides
            if shared.keys().isdisjoint(self._lower_words):
                return string
            hits = {i for word in self._lower_words for i in shared.get(word, ())}
        else:
            haystack = _lowered(string) if self.starts[2] else string
            if haystack is None:
                return pattern.sub(repl, string)
            hits = self._hits(haystack)
        if not hits:
            return string
        if len(string) < SHORT_TEXT:
            return pattern.sub(repl, string)
        _, lead, _ = self.starts
        candidates = sorted({max(0, h - back) for h in hits for back in range(lead + 1)}) if lead else sorted(hits)
        parts: list[str] = []
        pos = 0
        match = pattern.match
        for start in candidates:
            if start < pos:
                continue
            m = match(string, start)
            if m is None or m.end() == start:
                continue
            parts.append(string[pos:start])
            parts.append(repl(m) if callable(repl) else m.expand(repl))
            pos = m.end()
        if not parts:
            return string
        parts.append(string[pos:])
        return "".join(parts)


class _SharedSearch:
    """The words of every prefixed pattern, found in one pass over a lower-cased text and kept for the last text:
    the free-text rules run one after another on the same string, and only a change makes a new one."""

    def __init__(self) -> None:
        self.words: set[str] = set()
        self._finder: Any = None
        self._last: tuple[Any, Any] = (None, None)

    def add(self, words: tuple[str, ...]) -> None:
        if not set(words) <= self.words:
            self.words |= set(words)
            self._finder = None
            self._last = (None, None)

    def hits(self, string: str) -> dict[str, list[int]] | None:
        """Where each word starts in `string` (case ignored), or None when that cannot be told with positions."""
        last = self._last  # read once: another thread may replace it (a tuple, so never half-written)
        if last[0] is string:
            return last[1]
        found: dict[str, list[int]] | None = None
        low = _lowered(string)
        if low is not None and ahocorasick_rs is not None:
            finder = self._finder
            if finder is None:
                ordered = sorted(self.words)
                finder = self._finder = (
                    ahocorasick_rs.AhoCorasick(ordered, implementation=_DFA),
                    ahocorasick_rs.BytesAhoCorasick([w.encode() for w in ordered], implementation=_DFA),
                    ordered,
                )
            text_finder, bytes_finder, ordered = finder
            try:  # an ASCII text's bytes are at the same positions as its characters, and search quicker
                if low.isascii():
                    matches = bytes_finder.find_matches_as_indexes(low.encode("ascii"), overlapping=True)
                else:
                    matches = text_finder.find_matches_as_indexes(low, overlapping=True)
            except (UnicodeError, ValueError):  # a lone surrogate: each pattern searches on its own
                matches = None
            if matches is not None:
                found = {}
                for index, start, _ in matches:
                    word = ordered[index]
                    if word in found:
                        found[word].append(start)
                    else:
                        found[word] = [start]
        self._last = (string, found)
        return found


_SHARED = _SharedSearch()
_last_lowered: tuple[Any, Any] = (None, None)


def _lowered(string: str) -> str | None:
    """`string` lower-cased with every character in place, or None when case-insensitive matching could see a
    letter there that lower() does not show (kept for the last text: several patterns search the same one)."""
    global _last_lowered
    last = _last_lowered  # read once, as above
    if last[0] is string:
        return last[1]
    if string.isascii():
        low: str | None = string.lower()
    elif any(c in string for c in FOLD_HAZARDS):
        low = None
    else:
        low = string.lower()
        if len(low) != len(string):
            low = None
    _last_lowered = (string, low)
    return low


def prefixed(pattern: re.Pattern) -> PrefixedPattern:
    """`pattern` with a fast, equivalent `sub` (see the module docstring)."""
    return PrefixedPattern(pattern)
