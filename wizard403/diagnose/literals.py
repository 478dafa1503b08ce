"""Required literals of a regex: strings one of which must occur in any text the regex can match.

Running ~300 body regexes over every response is what made matching slow; most of them cannot match most bodies.
Before running a body regex, the matcher checks (once per body, memoised) that one of its required literals is in
the lower-cased body, which is a plain substring search. The analysis is conservative: when in doubt it returns
None and the regex simply runs.
"""

from __future__ import annotations

import re

try:  # the parser is internal to the re package; without it there is no prefilter, only slower matching
    from re import _constants as _c
    from re import _parser as _p
except ImportError:  # pragma: no cover
    _c = _p = None

MIN_LITERAL = 3  # shorter literals filter too little to be worth a search
MAX_ALTERNATIVES = 16

_REPEATS = tuple(getattr(_c, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") if _c and hasattr(_c, name))


def required_literals(regex: re.Pattern[str]) -> tuple[tuple[str, ...], ...] | None:
    """Groups of case-folded ASCII strings: every text `regex` can match contains one string of *each* group (the
    most selective groups first); None when nothing is certainly required."""
    if _p is None:
        return None
    try:
        parsed = _p.parse(regex.pattern, regex.flags & ~re.IGNORECASE)
    except Exception:  # noqa: BLE001 - any surprise in an internal API means: no prefilter
        return None
    if parsed.state.flags & re.VERBOSE:
        return None
    groups = _usable(_candidates(list(parsed)))
    if not groups:
        return None
    return tuple(sorted(set(groups), key=lambda g: (-min(len(x) for x in g), len(g), g)))


def _usable(candidates: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    return [c for c in candidates if c and len(c) <= MAX_ALTERNATIVES and all(len(x) >= MIN_LITERAL for x in c)]


def _best(candidates: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    good = _usable(candidates)
    if not good:
        return None
    return max(good, key=lambda c: (min(len(x) for x in c), -len(c)))


def _sequence(items) -> tuple[str, ...] | None:
    """The single most useful group of a sequence (used inside groups and branches)."""
    return _best(_candidates(items))


def _candidates(items) -> list[tuple[str, ...]]:
    """Every group that a match of this sequence certainly contains one string of."""
    candidates: list[tuple[str, ...]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            text = "".join(run)
            if text.isascii():
                candidates.append((text.casefold(),))
            run.clear()

    for op, av in items:
        if op is _c.LITERAL:
            run.append(chr(av))
            continue
        flush()
        found = None
        if op is _c.SUBPATTERN:
            found = _sequence(av[-1])
        elif op is _c.BRANCH:
            alternatives: list[str] = []
            for branch in av[1]:
                inner = _sequence(branch)
                if inner is None:
                    alternatives = []
                    break
                alternatives.extend(inner)
            found = tuple(sorted(set(alternatives))) if alternatives else None
        elif op in _REPEATS and av[0] >= 1:
            found = _sequence(av[2])
        elif hasattr(_c, "ATOMIC_GROUP") and op is _c.ATOMIC_GROUP:
            found = _sequence(av)
        if found:
            candidates.append(found)
    flush()
    return candidates
