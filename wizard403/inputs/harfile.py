"""A HAR file read lazily: its bytes in memory once, each entry a raw slice of them, decoded only when needed.

HAR files run to hundreds of megabytes, nearly all of it response bodies. Building Python objects for all of it
(as `json.load` does) takes two to five times the file's size in memory and most of the time; a listing needs a few fields
of each entry and the analysis one or two entries in full. So the file is read once into a buffer (its own size in
memory, with progress for big files), checked to be UTF-8, and parsed in one pass by msgspec, which validates the
whole JSON but keeps `log.entries` as raw slices of the buffer. A regular file is mapped (mmap) rather than copied:
its pages come straight from the system's file cache, which halves the time to hold a big file (copying it into fresh
memory cost more than parsing it). A file that is cut shorter by another program while it is mapped can stop the
process (SIGBUS); files that cannot be mapped, and UTF-16 or BOM-prefixed ones, are copied as before. Callers decode a slice with a typed view that skips
the bodies (`decode_view`) or in full (`decode`). Every problem is one InputError sentence; a file msgspec refuses
but Python's own parser accepts (NaN, lone surrogates) is read the slow way, so nothing that opened before fails now.
"""

from __future__ import annotations

import codecs
import json
import mmap
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import msgspec

from wizard403.errors import InputError
from wizard403.textsafe import visible

# The limit: a HAR is held in memory about once (the buffer), plus a little per entry and one entry decoded.
MEMORY_PER_FILE_BYTE = 1.5
# When the memory available cannot be found out (not Linux), files up to this size are read.
DEFAULT_MAX_HAR_BYTES = 512 * 1024 * 1024
MAX_HAR_ENV = "WIZARD403_MAX_HAR_MB"
# Reading goes in chunks of this size, each one reported to the progress callback.
READ_CHUNK = 8 * 1024 * 1024
# The encoding is checked in pieces of this size (each decoded into a string that is thrown away at once).
UTF8_PIECE = 1024 * 1024
# Files over this size show their progress on stderr in `check` and `sanitize`.
PROGRESS_MIN_BYTES = 20 * 1024 * 1024

Progress = Callable[[int, int], None]
"""Called as progress(bytes_read, total_bytes) after each chunk read, from the reading thread."""

_TOP = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ANY = msgspec.json.Decoder()


class _LogOutline(msgspec.Struct):
    entries: list[msgspec.Raw]
    creator: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b"null"))


class _Outline(msgspec.Struct):
    log: _LogOutline


_OUTLINE = msgspec.json.Decoder(_Outline)


@dataclass
class HarSource:
    """The parsed outline of a HAR file: `entries` holds its log entries in file order, each a `msgspec.Raw` slice
    of the file (a typed record when read_har was given `records`, a decoded value when the file was read the slow
    way); `creator` likewise."""

    name: str
    size: int
    entries: list[Any]
    creator: Any = None
    buffer: Any = field(default=None, repr=False)  # the bytes the slices point into
    document: Any = field(default=None, repr=False)  # the decoded document, when read the slow way

    @classmethod
    def from_document(cls, document: Any, name: str, size: int = 0) -> HarSource:
        """The outline of an already decoded document, checked like a file (InputError when it is not a HAR)."""
        log = document.get("log") if isinstance(document, dict) else None
        if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
            raise InputError(f"{name} is not a HAR file: it has no log.entries list.")
        if not log["entries"]:
            raise InputError(f"{name} holds no requests: its log.entries list is empty.")
        return cls(name, size, log["entries"], log.get("creator"), document=document)

    def members(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The document's top-level members and the log's, in file order (raw slices, or decoded values): what a
        copy of the whole file needs. One more pass over the file."""
        if self.document is not None:
            return dict(self.document), dict(self.document["log"])
        top = _TOP.decode(self.buffer)
        return top, _TOP.decode(top["log"])


def decode(value: Any) -> Any:
    """A raw slice in full, as Python's json module would give it; any other value as it is."""
    if not isinstance(value, msgspec.Raw):
        return value
    try:
        return _ANY.decode(value)
    except msgspec.DecodeError:
        # Numbers out of range, lone surrogates: valid for Python's parser, which read them before.
        return json.loads(bytes(value).decode("utf-8"))


def decode_view(value: Any, decoder: msgspec.json.Decoder) -> Any:
    """A raw slice through a typed view (a Struct that leaves out the bodies); None when it does not fit the view,
    so the caller decodes it in full instead."""
    try:
        return decoder.decode(value)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


def string_head(value: Any, chars: int) -> str | None:
    """At least the first `chars` characters of a JSON string (all of it when shorter), without decoding the rest of
    a long body; None when the value is not a string."""
    if not isinstance(value, msgspec.Raw):
        return value if isinstance(value, str) else None
    raw = memoryview(value)
    if not len(raw) or raw[0] != ord('"'):
        return None
    cut = 12 * chars + 16  # one character is at most 12 bytes of JSON (an escaped surrogate pair)
    if len(raw) <= cut:
        return decode(value)
    head = bytes(raw[:cut])
    for trim in range(16):  # drop a partial escape or UTF-8 sequence at the cut
        try:
            return _ANY.decode(head[: cut - trim] + b'"')
        except msgspec.DecodeError:
            continue
    return decode(value)


# -- the size limit ----------------------------------------------------------------------------------------------


def available_memory() -> int | None:
    """Bytes of memory the system can give this process now (Linux MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def har_size_limit(max_bytes: int | None = None) -> int:
    """The largest HAR file read, in bytes: `max_bytes` when given, else WIZARD403_MAX_HAR_MB when set, else what
    the available memory can hold (DEFAULT_MAX_HAR_BYTES when that is unknown)."""
    if max_bytes is not None:
        return max_bytes
    raw = os.environ.get(MAX_HAR_ENV, "").strip()
    if raw:
        try:
            megabytes = float(raw)
        except ValueError:
            megabytes = -1.0
        if not megabytes > 0:
            raise InputError(f"{MAX_HAR_ENV} must be a positive number of megabytes, not “{raw[:20]}”.")
        return int(megabytes * 1024 * 1024)
    free = available_memory()
    return DEFAULT_MAX_HAR_BYTES if free is None else int(free / MEMORY_PER_FILE_BYTE)


def human_size(n: int | float) -> str:
    """Sizes as people say them: 1.2 GB, 700 MB, 8.5 MB, 12 KB, 300 bytes."""
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GB"
    if n >= 10 * 1024 * 1024:
        return f"{n / 1024 / 1024:.0f} MB"
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{int(n)} bytes"


def _check_size(size: int, name: str, max_bytes: int | None) -> None:
    limit = har_size_limit(max_bytes)
    if size <= limit:
        return
    if max_bytes is None and not os.environ.get(MAX_HAR_ENV, "").strip() and available_memory() is not None:
        raise InputError(
            f"{name} is {human_size(size)}; reading it needs about {human_size(size * MEMORY_PER_FILE_BYTE)} of "
            f"memory and {human_size(limit * MEMORY_PER_FILE_BYTE)} is available: free some memory, or set "
            f"{MAX_HAR_ENV} to try anyway."
        )
    raise InputError(f"{name} is {human_size(size)}, over the {human_size(limit)} limit; set {MAX_HAR_ENV} to raise it.")


# -- reading -----------------------------------------------------------------------------------------------------


def read_har(
    path: str | Path, max_bytes: int | None = None, progress: Progress | None = None, records: Any = None
) -> HarSource:
    """Read and outline a HAR file; InputError with one sentence for anything that is not a readable HAR.

    `records`, when given, is a decoder of the whole document into typed entries (`.log.entries`, `.log.creator`):
    the entries are then those, read in the same one pass, unless some entry does not fit them (or the JSON is
    broken), in which case the file is outlined into raw slices as without it."""
    p = Path(path)
    name = p.name or str(p)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError(f"{path} does not exist.") from None
    except OSError as err:
        raise InputError(f"{path} cannot be read: {err.strerror or err}.") from None
    if p.is_dir():
        raise InputError(f"{path} is a directory, not a HAR file.")
    _check_size(st.st_size, name, max_bytes)
    if st.st_size == 0:
        raise InputError(f"{name} is empty, not a HAR file.")
    try:
        with open(p, "rb", buffering=0) as fh:
            data = _mapped(fh, name, progress)
            if data is None:
                data = _read_all(fh, st.st_size, name, progress)
    except OSError as err:
        raise InputError(f"{path} cannot be read: {err.strerror or err}.") from None
    return _outline(data, name, records)


def _mapped(fh, name: str, progress: Progress | None) -> mmap.mmap | None:
    """The file mapped read-only, its encoding checked chunk by chunk (which is when its pages are read, so that is
    what progress reports); None when it cannot be mapped or needs converting (UTF-16, a byte order mark)."""
    try:
        data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, OverflowError):  # not a regular file, empty by now, a platform without mmap
        return None
    head = data[:4096]
    _sniff(head, name)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:3] == b"\xef\xbb\xbf":
        data.close()
        return None
    with memoryview(data) as view:
        _check_utf8_chunks(view, name, progress)
    return data


def _check_utf8_chunks(view: memoryview, name: str, progress: Progress | None) -> None:
    """The buffer is UTF-8 (InputError otherwise), checked a piece at a time, progress told after each chunk.

    Each piece is decoded straight from the buffer (no copy) and thrown away; a character cut at a piece's end is
    left for the next piece, which starts there. A copy of each chunk (as before) cost twice the time, the
    incremental decoder fifteen times."""
    piece = max(16, min(READ_CHUNK, UTF8_PIECE))
    total = len(view)
    at = shown = 0
    try:
        while at < total:
            stop = min(at + piece, total)
            at += codecs.utf_8_decode(view[at:stop], "strict", stop == total)[1]
            if progress is not None and (at - shown >= READ_CHUNK or at == total):
                shown = at
                progress(at, total)
    except UnicodeDecodeError:
        raise InputError(f"{name} is not a HAR file: it is not UTF-8 text.") from None


def _read_all(fh, size: int, name: str, progress: Progress | None) -> bytearray:
    """The whole file in one buffer, its encoding checked on the way (UTF-16 is converted to UTF-8)."""
    head = fh.read(4096)
    _sniff(head, name)
    buffer = bytearray(max(size, len(head)))
    buffer[: len(head)] = head
    done = len(head)
    with memoryview(buffer) as view:
        while done < len(buffer):
            got = fh.readinto(view[done : done + READ_CHUNK])
            if not got:
                break
            done += got
            if progress is not None:
                progress(done, len(buffer))
    del buffer[done:]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return bytearray(buffer.decode("utf-16").encode("utf-8", "surrogatepass"))
        except UnicodeError:
            raise InputError(f"{name} is not a HAR file: it is not UTF-16 text.") from None
    if head[:3] == b"\xef\xbb\xbf":
        del buffer[:3]
    _check_utf8(buffer, name)
    return buffer


def _sniff(head: bytes, name: str) -> None:
    if head[:2] == b"\x1f\x8b":
        raise InputError(f"{name} is gzip-compressed; unpack it first (gunzip) and open the .har inside.")
    if head[:4] == b"PK\x03\x04":
        raise InputError(f"{name} is a zip archive; unpack it first and open the .har inside.")
    if head[:2] not in (b"\xff\xfe", b"\xfe\xff") and b"\x00" in head[:1024]:
        raise InputError(f"{name} is not a HAR file: it holds binary data, not JSON text.")


def _check_utf8(buffer: bytearray, name: str) -> None:
    with memoryview(buffer) as view:
        _check_utf8_chunks(view, name, None)


def _outline(data: bytearray | mmap.mmap, name: str, records: Any = None) -> HarSource:
    start = _SPACE_BYTES_RE.match(data).end()
    first = data[start : start + 1]
    if first != b"{":
        kind = "a JSON list" if first == b"[" else "text that is not JSON"
        raise InputError(f"{name} is not a HAR file: it holds {kind}, not a HAR log object.")
    if records is not None:
        try:
            typed = records.decode(data)
        except (msgspec.ValidationError, msgspec.DecodeError):
            typed = None  # outlined below, which says what is wrong if anything is
        if typed is not None and typed.log.entries:
            return HarSource(name, len(data), typed.log.entries, typed.log.creator, buffer=data)
    try:
        outline = _OUTLINE.decode(data)
    except msgspec.ValidationError:
        try:  # broken JSON is told first, as Python's parser would (the type check can stop before the break)
            _TOP.decode(data)
        except msgspec.DecodeError:
            return _outline_slowly(data, name)
        except msgspec.ValidationError:
            pass
        raise InputError(f"{name} is not a HAR file: it has no log.entries list.") from None
    except msgspec.DecodeError:
        return _outline_slowly(data, name)
    if not outline.log.entries:
        raise InputError(f"{name} holds no requests: its log.entries list is empty.")
    return HarSource(name, len(data), outline.log.entries, outline.log.creator, buffer=data)


def _outline_slowly(data: bytearray | mmap.mmap, name: str) -> HarSource:
    """msgspec refused the JSON: let Python's parser say where it is broken, or read what only it accepts."""
    text = str(data, "utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        entry = _entry_at(text, err.pos)
        where = f" of entry {entry}" if entry else ""
        if err.pos >= len(text.rstrip()) - 1 or err.msg.startswith("Unterminated string"):
            raise InputError(
                f"{name} is not a complete HAR file: its JSON stops in the middle{where} (was it cut off while saving?)."
            ) from None
        inside = f" in entry {entry}" if entry else ""
        raise InputError(
            f"{name} is not a HAR file: its JSON is broken at line {err.lineno}, column {err.colno}{inside} ({err.msg})."
        ) from None
    except RecursionError:
        raise InputError(f"{name} is not a HAR file: its JSON is nested too deeply.") from None
    return HarSource.from_document(document, name, len(data))


_SPACE_RE = re.compile(r"[ \t\r\n]*")
_SPACE_BYTES_RE = re.compile(rb"[ \t\r\n]*")


def _entry_at(text: str, pos: int) -> int | None:
    """The number (from 1) of the log entry holding character `pos` of a broken document, when it can be told."""
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        return _SPACE_RE.match(text, i).end()

    def member(i: int, wanted: str) -> int | None:
        """Where the value of member `wanted` starts in the object at i."""
        i = skip(i)
        if text[i : i + 1] != "{":
            return None
        i = skip(i + 1)
        while text[i : i + 1] == '"':
            key, i = decoder.raw_decode(text, i)
            i = skip(i)
            if text[i : i + 1] != ":":
                return None
            i = skip(i + 1)
            if key == wanted:
                return i
            i = skip(decoder.raw_decode(text, i)[1])
            if text[i : i + 1] != ",":
                return None
            i = skip(i + 1)
        return None

    try:
        log = member(0, "log")
        i = member(log, "entries") if log is not None else None
        if i is None or text[i : i + 1] != "[":
            return None
        number = 0
        i = skip(i + 1)
        while i <= pos:
            number += 1
            try:
                i = skip(decoder.raw_decode(text, i)[1])
            except ValueError:
                return number
            if text[i : i + 1] != ",":
                return None
            i = skip(i + 1)
    except (ValueError, IndexError, RecursionError):
        return None
    return None


# -- progress on stderr ------------------------------------------------------------------------------------------


def stderr_progress(path: str | Path, stream: TextIO | None = None) -> Progress | None:
    """A progress callback telling how far reading a big file has gone, or None for a file under 20 MB (or one
    that cannot be read, which read_har will say): one updating line on a terminal, a line per tenth otherwise."""
    try:
        if os.stat(path).st_size <= PROGRESS_MIN_BYTES:
            return None
    except (OSError, ValueError):
        return None
    out = stream or sys.stderr
    tty = out.isatty() if hasattr(out, "isatty") else False
    name = visible(Path(path).name or str(path))
    shown = [-1]

    def report(done: int, total: int) -> None:
        tenth = done * 10 // max(total, 1)
        if not tty and tenth == shown[0]:
            return
        shown[0] = tenth
        line = f"wizard403: reading {name}: {human_size(done)} of {human_size(total)}"
        if tty:
            out.write("\r" + line + ("\n" if done >= total else ""))
        else:
            out.write(line + "\n")
        out.flush()

    return report
