"""Private files: everything wizard403 writes is 0600, written whole or not at all, and never through a symlink.

A report or an autosave holds a diagnosis of someone's access problem (redacted, but still private), and the state
folder holds the key that makes fingerprints unguessable. So: the state folder is 0700; a file is written to a
temporary file in the same folder (created 0600) and renamed over the target, which replaces a symlink at that
name instead of writing through it; a crash never leaves half a file.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

STATE_DIR_ENV = "WIZARD403_STATE_DIR"
CACHE_DIR_ENV = "WIZARD403_CACHE_DIR"
DIR_MODE = 0o700
FILE_MODE = 0o600


def state_dir() -> Path:
    """Where autosaves, recent targets and the fingerprint key live: $WIZARD403_STATE_DIR, else
    $XDG_STATE_HOME/wizard403, else ~/.local/state/wizard403."""
    explicit = os.environ.get(STATE_DIR_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "wizard403"


def cache_dir() -> Path:
    """Where what can be rebuilt at any time is kept between runs (the compiled signature catalogue):
    $WIZARD403_CACHE_DIR, else $XDG_CACHE_HOME/wizard403, else ~/.cache/wizard403."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "wizard403"


def private_dir(path: Path | None = None) -> Path:
    """The folder (the state folder by default), created if needed and made 0700 (only ours to read)."""
    path = Path(path) if path is not None else state_dir()
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    try:
        if path.stat().st_uid == os.getuid() and (path.stat().st_mode & 0o777) != DIR_MODE:
            os.chmod(path, DIR_MODE)
    except OSError:
        pass
    return path


def write_private(path: Path | str, data: str | bytes) -> Path:
    """Write `data` to `path` as a 0600 file, atomically; a symlink at `path` is replaced, never followed.

    Raises OSError (IsADirectoryError for a folder, FileNotFoundError when the folder is missing)."""
    path = Path(path).expanduser()
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir() and not path.is_symlink():
        raise IsADirectoryError(21, "it is a folder; give a file name", str(path))
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(raw)
        os.replace(tmp, path)  # rename() replaces a symlink itself: nothing is written where it pointed
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_state(name: str, data: str | bytes) -> Path:
    """Write one file of the state folder (made 0700 first)."""
    return write_private(private_dir() / name, data)


def read_state(name: str) -> str | None:
    """One file of the state folder as text, or None if it is missing, unreadable or a symlink."""
    path = state_dir() / name
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def state_secret(name: str, nbytes: int = 32) -> bytes:
    """A random secret kept in the state folder (0600), created on first use; every process reads the same one.

    Created by linking a complete temporary file into place, so two processes starting at once agree on one key."""
    existing = read_state(name)
    if existing and existing.strip():
        return bytes.fromhex(existing.strip()) if _is_hex(existing.strip()) else existing.strip().encode()
    directory = private_dir()
    value = secrets.token_hex(nbytes)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(value + "\n")
        try:
            os.link(tmp, directory / name)
        except FileExistsError:
            pass  # another process won: use its key
    finally:
        Path(tmp).unlink(missing_ok=True)
    again = read_state(name)
    if again and _is_hex(again.strip()):
        return bytes.fromhex(again.strip())
    return bytes.fromhex(value)


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return len(text) >= 32
