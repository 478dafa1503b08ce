"""One pass over a long text tells which of many words it can hold: the prefilter of the fast redaction path.

Scrubbing a 100 MB HAR ran a dozen regular expressions and a search for every registered secret over every body,
and almost none of them matched. Python's regex engine tries a pattern at every position of a text, so the cost
was the size of the text times the number of rules. Here a text is lowered, its separators (`-`, `_`, `.`, the
characters that names lose when they are compared, `secret_name_key`) are dropped, and one Aho-Corasick automaton
finds in that *normalised* text every word the rules and the registry could need: the secret names, the token
prefixes, the scheme words, the registered secrets. A word that is absent from the normalised text is absent from
the text in every spelling a rule or a secret search can match, so that rule cannot change the text and is not
run; only the rules whose words are there run, and only around those words (redact.py, scrub.py).

Each rule's fast version gives exactly the result of the plain one (tests/test_fast_redaction.py compares them
on generated texts, tests/test_sanitize_golden.py on whole files); anything it cannot be sure of (a character that
matches an ASCII letter only case-insensitively, a lone surrogate) goes the plain way.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterable

try:  # the automaton is a compiled extension; without it every text takes the plain path
    import ahocorasick_rs as _ac
except ImportError:  # pragma: no cover
    _ac = None

# Texts shorter than this take the plain path: a regex scan of them costs less than preparing the fast one.
FAST_MIN = 128
SEPARATORS = b"-_."
_SEPARATOR_CHARS = SEPARATORS.decode("ascii")
_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
# Characters that Python's case-insensitive matching or str.lower() equates with ASCII letters (İ ı ſ K): a text
# holding one is treated the plain way, since lowering bytes would not see them.
SPECIAL = tuple(ch.encode("utf-8") for ch in "\u0130\u0131\u017f\u212a")


def available() -> bool:
    return _ac is not None


def normalise(text: str) -> bytes | None:
    """`text` as UTF-8, ASCII letters lowered, separators dropped; None when it cannot be encoded."""
    try:
        data = text.encode("utf-8", "surrogatepass") if not text.isascii() else text.encode("ascii")
    except UnicodeEncodeError:
        return None
    return data.translate(_LOWER, SEPARATORS)


def norm_word(word: str) -> bytes:
    """A word as it shows in a normalised text."""
    return word.encode("utf-8", "surrogatepass").translate(_LOWER, SEPARATORS)


class Words:
    """Words (normalised bytes), each with one or more tags; `scan(normalised)` tells which tags are present and,
    for the tags in `spanned`, where."""

    def __init__(self, tagged: Iterable[tuple[bytes, Hashable]], spanned=lambda tag: False):
        by_word: dict[bytes, list[Hashable]] = {}
        for word, tag in tagged:
            if word:
                by_word.setdefault(bytes(word), []).append(tag)
        self.words = list(by_word)
        self.tags = [tuple(by_word[w]) for w in self.words]
        self._spanned = frozenset(i for i, tags in enumerate(self.tags) if any(spanned(t) for t in tags))
        self.longest = max((len(w) for w in self.words), default=0)
        self._automaton = (
            _ac.BytesAhoCorasick(self.words, implementation=_ac.Implementation.DFA) if self.words and _ac else None
        )

    def scan(self, normalised: bytes) -> dict[Hashable, list[tuple[int, int]]]:
        """tag -> the (start, end) of every occurrence (overlapping ones too) of its words in `normalised` (an
        empty list for tags whose places are not kept)."""
        return self.found_of(self.hits(normalised))

    def hits(self, normalised: bytes) -> list[tuple[int, int, int]]:
        """(word index, start, end) of every occurrence (overlapping ones too) of the words in `normalised`."""
        if self._automaton is None:
            return []
        return self._automaton.find_matches_as_indexes(normalised, overlapping=True)

    def found_of(self, hits: list[tuple[int, int, int]]) -> dict[Hashable, list[tuple[int, int]]]:
        """`scan`'s answer from the occurrences `hits` gave (in any order)."""
        found: dict[Hashable, list[tuple[int, int]]] = {}
        if not hits:
            return found
        tags, spanned = self.tags, self._spanned
        for index in {hit[0] for hit in hits}:
            for tag in tags[index]:
                found.setdefault(tag, [])
        if spanned:
            for index, start, end in hits:
                if index in spanned:
                    for tag in tags[index]:
                        found[tag].append((start, end))
        return found


    def edited(
        self, text: str, normalised: bytes, hits: list[tuple[int, int, int]], edits: list[tuple[int, int, str]]
    ) -> tuple[bytes, list[tuple[int, int, int]]] | None:
        """(normalised, hits) of `text` with `edits` made ((start, end, replacement) of `text`, in order, apart),
        from those of `text`: a rule that changed a few places of a long text costs a search of those places, not
        of the whole text again. The occurrences away from the edits are those of before, moved; the others are
        looked for around each edit. None for a text that is not ASCII (its character positions are not its
        bytes'): the caller scans the edited text whole."""
        if self._automaton is None or not text.isascii():
            return None
        reach = max(self.longest - 1, 0)
        parts: list[bytes] = []
        old_ends: list[int] = []  # per edit: where it ends in the old normalised text
        old_starts: list[int] = []
        shifts: list[int] = []  # per edit: how far what follows it moved
        new_spans: list[tuple[int, int]] = []
        dropped = last_raw = last_norm = shift = 0
        for start, end, replacement in edits:
            if not replacement.isascii() or start < last_raw or end < start:
                return None
            dropped += _separators(text, last_raw, start)
            old_start = start - dropped
            dropped += _separators(text, start, end)
            old_end = end - dropped
            new = replacement.encode("ascii").translate(_LOWER, SEPARATORS)
            parts += [normalised[last_norm:old_start], new]
            new_spans.append((old_start + shift, old_start + shift + len(new)))
            shift += len(new) - (old_end - old_start)
            old_starts.append(old_start)
            old_ends.append(old_end)
            shifts.append(shift)
            last_raw, last_norm = end, old_end
        parts.append(normalised[last_norm:])
        edited = b"".join(parts)
        kept = []
        for index, start, end in hits:  # an occurrence that no edit touched stays, moved
            k = bisect.bisect_right(old_ends, start)
            if k == len(old_ends) or end <= old_starts[k]:
                kept.append((index, start + shifts[k - 1], end + shifts[k - 1]) if k else (index, start, end))
        new_starts = [a for a, _ in new_spans]
        new_ends = [b for _, b in new_spans]
        windows: list[list[int]] = []
        for a, b in new_spans:
            lo, hi = max(0, a - reach), min(len(edited), b + reach)
            if windows and lo <= windows[-1][1]:
                windows[-1][1] = max(windows[-1][1], hi)
            else:
                windows.append([lo, hi])
        for lo, hi in windows:  # the occurrences an edit made (or a change next to one)
            for index, start, end in self._automaton.find_matches_as_indexes(edited[lo:hi], overlapping=True):
                start, end = start + lo, end + lo
                k = bisect.bisect_right(new_ends, start)
                if k < len(new_ends) and end > new_starts[k]:
                    kept.append((index, start, end))
        return edited, kept


def _separators(text: str, start: int, end: int) -> int:
    """How many characters of text[start:end] the normalisation drops."""
    return sum(text.count(ch, start, end) for ch in _SEPARATOR_CHARS)


def exact_words(words: list[str]):
    """An automaton that finds `words` exactly (case and all) in a str, giving character positions."""
    return _ac.AhoCorasick([w for w in words if w], implementation=_ac.Implementation.DFA)


def exact_bytes(words: list[str]):
    """The same for the UTF-8 bytes of a text."""
    return _ac.BytesAhoCorasick([w.encode("utf-8", "surrogatepass") for w in words if w], implementation=_ac.Implementation.DFA)


def finds(text: str, literal: str) -> list[int]:
    """Every position of `literal` in `text`, overlapping ones too."""
    out = []
    i = text.find(literal)
    while i >= 0:
        out.append(i)
        i = text.find(literal, i + 1)
    return out
