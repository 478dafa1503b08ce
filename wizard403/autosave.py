"""Autosave and resume of the session being worked on, so no answer is lost to a crash or Ctrl+C.

The file is the same redacted TOML as an exported report (secrets never reach the disk); it is rewritten
atomically after every change, and removed only when the user chooses to start afresh at the resume offer.
A saved session or recent list that cannot be read is moved aside (never deleted, never fatal) with one sentence
saying where it went, and the wizard starts as if there were none.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from wizard403.errors import SessionFileError
from wizard403.model import Session


def state_dir() -> Path:
    """Where autosaves and recent targets live (see files.state_dir)."""
    from wizard403.files import state_dir as _state_dir

    return _state_dir()


def autosave_path() -> Path:
    return state_dir() / "autosave.toml"


def save(session: Session, path: Path | None = None) -> Path:
    from wizard403.files import private_dir
    from wizard403.report import render, write_atomic

    path = path or autosave_path()
    private_dir(path.parent)
    write_atomic(path, render(session, "toml"))
    return path


def set_aside(path: Path) -> Path | None:
    """Move a file that cannot be used out of the way (kept for a bug report); where it went, or None."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.stem}.broken-{stamp}{path.suffix}")
    try:
        path.replace(aside)
    except OSError:
        try:
            path.unlink()
        except OSError:
            pass
        return None
    return aside


def _moved(what: str, why: str, aside: Path | None) -> str:
    where = f"it was moved to {aside}" if aside else "it was removed"
    return f"{what} could not be {why}, so {where} and the wizard starts afresh."


def load_saved(path: Path | None = None) -> tuple[Session | None, str | None]:
    """(the autosaved session or None, a sentence when a broken one was moved aside)."""
    from wizard403.report import load_session
    from wizard403.textsafe import one_line

    path = path or autosave_path()
    if not path.exists():
        return None, None
    try:
        return load_session(path), None
    except SessionFileError as err:
        why = f"read ({one_line(str(err)).rstrip('.')})"
    except Exception as err:  # noqa: BLE001 - an odd file must never stop the wizard from starting
        why = f"read ({type(err).__name__})"
    return None, _moved("The autosaved session", why, set_aside(path))


def load(path: Path | None = None) -> Session | None:
    """The autosaved session, or None if there is none or it cannot be read (a broken autosave is set aside)."""
    return load_saved(path)[0]


def unusable_session(reason: str, path: Path | None = None) -> str:
    """The autosave loaded but cannot be shown or resumed: move it aside; the sentence to tell the user."""
    return _moved("The autosaved session", reason, set_aside(path or autosave_path()))


def discard(path: Path | None = None) -> None:
    path = path or autosave_path()
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def remember_target(url: str, method: str, limit: int = 10) -> None:
    """Keep the last few targets (URL and method only, redacted) for the start screen."""
    from wizard403.files import read_state, write_state
    from wizard403.scrub import Scrubber
    from wizard403.textsafe import one_line

    scrubber = Scrubber()
    scrubber.add_url(url)
    line = one_line(f"{method} {scrubber.url(url)}")
    try:
        old = [l for l in (read_state("recent.txt") or "").splitlines() if l and l != line]
        write_state("recent.txt", "\n".join([line] + old[: limit - 1]) + "\n")
    except OSError:
        pass


def load_recent() -> tuple[list[tuple[str, str]], str | None]:
    """(recent (method, url) pairs, a sentence when an unreadable list was moved aside)."""
    path = state_dir() / "recent.txt"
    try:
        lines = path.read_bytes().decode("utf-8").splitlines()
    except FileNotFoundError:
        return [], None
    except (OSError, UnicodeDecodeError) as err:
        return [], _moved("The list of recent targets", f"read ({type(err).__name__})", set_aside(path))
    from wizard403.textsafe import has_controls

    out = []
    for line in lines:
        method, _, url = line.partition(" ")
        if url and not has_controls(line):  # a hand-edited line with escapes is not a target anyone typed
            out.append((method, url))
    return out, None


def recent_targets() -> list[tuple[str, str]]:
    return load_recent()[0]


def recent_path() -> Path:
    return state_dir() / "recent.txt"


def unusable_recent(reason: str) -> str:
    """The recent list read but cannot be shown: move it aside; the sentence to tell the user."""
    return _moved("The list of recent targets", reason, set_aside(recent_path()))
