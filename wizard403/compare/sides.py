"""The two sides of a comparison, read from a HAR file or a file holding a curl command (bash or Windows form)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wizard403.errors import InputError
from wizard403.model import Exchange, Target

MAX_CURL_FILE = 1024 * 1024


@dataclass
class Side:
    """One request of the comparison, as the user (or the colleague) sent it, and what it got when recorded."""

    role: str  # "working" or "refused"
    target: Target
    label: str  # where it came from, for people: "entry 12 of a.har", "the curl command in b.txt"
    exchange: Exchange | None = None  # the recorded answer, when the side comes from a HAR
    recorded_at: _dt.datetime | None = None
    proxy: str | None = None  # the proxy a curl command sends through (-x), honoured by a live replay
    narrowed: Any = None  # on the working side: what a live replay in the wizard found (narrow.Narrowed)

    @property
    def path(self) -> str:
        return urlsplit(self.target.url).path or "/"

    @property
    def status(self) -> int | None:
        return self.exchange.status if self.exchange is not None else None


def is_har(path: Path) -> bool:
    """Whether the file is a HAR (JSON) rather than a curl command; InputError with a sentence when unreadable."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    except FileNotFoundError:
        raise InputError(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder; give a HAR file or a file holding a curl command.") from None
    except OSError as err:
        raise InputError(f"{path} cannot be read ({err.strerror}).") from None
    return head.startswith(b"{")


def _curl_side(path: Path, role: str) -> Side:
    if path.stat().st_size > MAX_CURL_FILE:
        raise InputError(f"{path} is larger than 1 MB; a curl command is much smaller.")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is neither a HAR file nor UTF-8 text holding a curl command.") from None
    if "curl" not in text:
        raise InputError(f"{path} holds no curl command and is not a HAR file (a HAR starts with '{{').")
    return curl_side(text, role, f"the curl command in {path.name}")


def curl_side(text: str, role: str, label: str = "the pasted curl command") -> Side:
    """One side from the text of a curl command (a file's, or one pasted in the wizard); InputError otherwise."""
    from wizard403.inputs.curl import parse_curl

    imported = parse_curl(text)
    return Side(role, imported.target, label, proxy=imported.proxy)


def session_side(target: Target, baseline: Exchange | None, label: str = "the refused request") -> Side:
    """The refused side of a comparison made within a session: its request, and the answer it got."""
    return Side("refused", target, label, baseline, baseline.at if baseline is not None else None)


def _har_side(path: Path, role: str, entry: int | None, refused: Side | None) -> Side:
    from wizard403.inputs.har import open_har

    archive = open_har(path)
    if entry is None:
        entry = default_entry(archive, role, refused, path)
    archive.entry(entry)  # an entry that does not exist: one sentence naming the range
    target = archive.target(entry)
    exchange = archive.exchange(entry)
    return Side(role, target, f"entry {entry} of {path.name}", exchange, exchange.at)


def default_entry(archive, role: str, refused: Side | None, path: Path) -> int:
    """The refused side: its first refused entry. The working side: the refused request's twin that worked."""
    if role == "refused":
        first = archive.first_refused()
        if first is None:
            raise InputError(f"{path} has no refused request (401, 403 or a block page); name one with --refused-entry N.")
        return first.index
    successes = [e for e in archive.entries if not e.refused and e.status and 200 <= e.status < 400]
    if refused is not None:
        want = urlsplit(refused.target.url)
        same_host = [e for e in successes if (urlsplit(e.url).hostname or "") == (want.hostname or "")]
        for pick in (
            [e for e in same_host if e.method == refused.target.method and urlsplit(e.url).path == want.path],
            [e for e in same_host if urlsplit(e.url).path == want.path],
            same_host,
        ):
            if pick:
                return pick[0].index
    if successes:
        return successes[0].index
    raise InputError(f"{path} has no request that worked (2xx or 3xx); name one with --working-entry N.")


def load_side(path: str | Path, role: str, entry: int | None = None, refused: Side | None = None) -> Side:
    """One side from a HAR (entry N, or the default pick) or a curl file; InputError with a sentence otherwise."""
    path = Path(path).expanduser()
    if is_har(path):
        return _har_side(path, role, entry, refused)
    if entry is not None:
        raise InputError(f"--{role}-entry applies to a HAR file, but {path.name} holds a curl command.")
    return _curl_side(path, role)


def load_pair(working: str | Path, refused: str | Path, working_entry: int | None = None,
              refused_entry: int | None = None) -> tuple[Side, Side]:
    """Both sides; the refused one first, because the working side's default entry is chosen to match it."""
    refused_side = load_side(refused, "refused", refused_entry)
    working_side = load_side(working, "working", working_entry, refused_side)
    return working_side, refused_side
