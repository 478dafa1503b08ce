"""The compiled signature catalogue kept on disk between runs, so that a run does not redo what the last one did.

Reading, validating and compiling the ~80 signature files (TOML, ~800 regular expressions, their required literals)
took 0.15 s of every `check`, longer than the rest of the start-up together, and gave the same result each time.
So a validated catalogue is written to the cache folder (files.cache_dir) as plain data, keyed by everything it
was built from: the bytes and names of the signature files, wizard403's version and Python's. A run whose files
hash to the same key reads it back and compiles each regex only when a matcher first runs it (`LazyPattern`):
matching one exchange runs a few dozen of them. Anything wrong with the cache (missing, stale, corrupt, written by
another version, a folder that cannot be written) means the catalogue is built from the files as before; the cache
never decides what matches, and the data is decoded by msgspec into fixed types (no pickle, no code).
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType

import msgspec

from wizard403 import __version__
from wizard403.diagnose.catalogue import Catalogue, Matcher, Producer, Signature
from wizard403.files import cache_dir, private_dir, write_private

FORMAT = 1  # bump when the shape below or the meaning of a field changes


class LazyPattern:
    """A regular expression compiled the first time it is used; its pattern, flags and named groups are known
    before (they were checked when the cache was written). Stands in for `re.Pattern` wherever a matcher's regex
    is read."""

    __slots__ = ("pattern", "flags", "groupindex", "_compiled")

    def __init__(self, pattern: str, flags: int, groupindex: dict[str, int]):
        self.pattern = pattern
        self.flags = flags
        self.groupindex = MappingProxyType(groupindex)
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled

    def search(self, *args, **kwargs):
        return self.compiled().search(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.compiled(), name)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self.flags})"


# -- the data written: plain values, tuples as arrays -------------------------------------------------------------


class _Pattern(msgspec.Struct, array_like=True):
    pattern: str
    flags: int
    groups: dict[str, int]


class _Matcher(msgspec.Struct, array_like=True):
    kind: str
    name: str | None
    regex: int  # index into _Cached.patterns, -1 for none
    values: list[int | str] | None
    key: str
    anchors: list[list[str]] | None
    slot: int


class _Signature(msgspec.Struct, array_like=True):
    id: str
    proves: str
    line: str
    layer: str
    lookup: str
    status: list[int] | None
    all: list[_Matcher]
    any: list[_Matcher]
    none: list[_Matcher]
    extract: list[_Matcher]
    causes: dict[str, float]
    refs: dict[str, str]
    anywhere: bool


class _Producer(msgspec.Struct, array_like=True):
    id: str
    name: str
    layer: str
    lookup: str
    extract: list[_Matcher]
    refs: dict[str, str]
    signatures: list[_Signature]
    source: str
    markers: list[_Matcher]
    foreign: list[_Matcher]


class _Cached(msgspec.Struct):
    key: str
    patterns: list[_Pattern]
    producers: list[_Producer]
    files: list[str]


_DECODER = msgspec.msgpack.Decoder(_Cached)


def cache_key(files: Sequence[tuple[Path, str, bytes]]) -> str:
    """What a catalogue depends on: each file's directory as given, its name and bytes, and the code reading them."""
    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0{sys.version}\0".encode())
    resolved: dict[Path, str] = {}
    for directory, name, data in files:
        if directory not in resolved:
            resolved[directory] = str(Path(directory).resolve())
        for part in (str(directory), resolved[directory], name, str(len(data))):
            digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(data)
    return digest.hexdigest()


def _path(dirs: Sequence[Path]) -> Path:
    """One cache file per list of content folders: a changed file replaces its folder's entry, not adds one."""
    where = hashlib.sha256("\0".join(str(Path(d).resolve()) for d in dirs).encode("utf-8", "surrogateescape"))
    return cache_dir() / f"catalogue-{where.hexdigest()[:16]}.msgpack"


def load(dirs: Sequence[Path], key: str) -> Catalogue | None:
    """The cached catalogue built from exactly these files, or None (no cache, another key, unreadable data)."""
    try:
        cached = _DECODER.decode(_path(dirs).read_bytes())
        if cached.key != key:
            return None
        return _thaw(cached)
    except Exception:  # noqa: BLE001 - whatever is wrong with a cache, the files are read instead
        return None


def store(dirs: Sequence[Path], key: str, catalogue: Catalogue) -> None:
    """Keep a freshly built catalogue for the next run; a folder that cannot be written is no error."""
    try:
        data = msgspec.msgpack.encode(_freeze(catalogue, key))
        private_dir(cache_dir())
        write_private(_path(dirs), data)
    except (OSError, ValueError, TypeError, msgspec.EncodeError):
        pass


def _freeze(catalogue: Catalogue, key: str) -> _Cached:
    patterns: list[_Pattern] = []
    index: dict[int, int] = {}  # id(regex) -> position: matchers sharing a regex share it again when read back

    def regex(pattern) -> int:
        if pattern is None:
            return -1
        if id(pattern) not in index:
            index[id(pattern)] = len(patterns)
            patterns.append(_Pattern(pattern.pattern, pattern.flags, dict(pattern.groupindex)))
        return index[id(pattern)]

    def matchers(items: tuple[Matcher, ...]) -> list[_Matcher]:
        return [
            _Matcher(m.kind, m.name, regex(m.regex), None if m.values is None else sorted(m.values, key=str), m.key,
                     None if m.anchors is None else [list(group) for group in m.anchors], m.slot)
            for m in items
        ]

    producers = [
        _Producer(
            p.id, p.name, p.layer, p.lookup, matchers(p.extract), dict(p.refs),
            [_Signature(s.id, s.proves, s.line, s.layer, s.lookup, None if s.status is None else sorted(s.status),
                        matchers(s.all), matchers(s.any), matchers(s.none), matchers(s.extract), dict(s.causes),
                        dict(s.refs), s.anywhere)
             for s in p.signatures],
            p.source, matchers(p.markers), matchers(p.foreign),
        )
        for p in catalogue.producers
    ]  # fmt: skip
    return _Cached(key, patterns, producers, list(catalogue.files))


def _thaw(cached: _Cached) -> Catalogue:
    patterns = [LazyPattern(p.pattern, p.flags, p.groups) for p in cached.patterns]

    def matchers(items: list[_Matcher]) -> tuple[Matcher, ...]:
        return tuple(
            Matcher(m.kind, m.name, None if m.regex < 0 else patterns[m.regex],
                    None if m.values is None else frozenset(m.values), m.key,
                    None if m.anchors is None else tuple(tuple(group) for group in m.anchors), m.slot)
            for m in items
        )  # fmt: skip

    producers = tuple(
        Producer(
            p.id, p.name, p.layer, p.lookup, matchers(p.extract), MappingProxyType(p.refs),
            tuple(Signature(s.id, s.proves, s.line, s.layer, s.lookup, None if s.status is None else frozenset(s.status),
                            matchers(s.all), matchers(s.any), matchers(s.none), matchers(s.extract),
                            MappingProxyType(s.causes), MappingProxyType(s.refs), s.anywhere)
                  for s in p.signatures),
            p.source, matchers(p.markers), matchers(p.foreign),
        )
        for p in cached.producers
    )  # fmt: skip
    return Catalogue(producers, tuple(cached.files))
