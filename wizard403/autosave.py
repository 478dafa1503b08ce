"""Autosave and resume of the session being worked on, so no answer is lost to a crash or Ctrl+C.

The file is the same redacted TOML as an exported report (secrets never reach the disk); it is rewritten
atomically after every change, and removed only when the user chooses to start afresh at the resume offer.
"""

from __future__ import annotations

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


def load(path: Path | None = None) -> Session | None:
    """The autosaved session, or None if there is none or it cannot be read (a broken autosave is set aside)."""
    from wizard403.report import load_session

    path = path or autosave_path()
    if not path.exists():
        return None
    try:
        return load_session(path)
    except SessionFileError:
        path.replace(path.with_suffix(".broken.toml"))
        return None


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


def recent_targets() -> list[tuple[str, str]]:
    path = state_dir() / "recent.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        method, _, url = line.partition(" ")
        if url:
            out.append((method, url))
    return out
