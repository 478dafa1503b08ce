"""Reports: one redacted tree, three views (TOML, JSON, Markdown), and reading a saved session back."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from wizard403.errors import InputError, SessionFileError
from wizard403.model import Session
from wizard403.report.markdown import render_markdown
from wizard403.report.tree import session_from_tree, session_to_tree
from wizard403.textsafe import escape_serialised

FORMATS = ("toml", "md", "json")
MAX_SESSION_BYTES = 32 * 1024 * 1024


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"cannot write {type(value).__name__}")


def reproduction_for(session: Session) -> str:
    """The redacted curl command that reproduces the refused request (empty if no builder is available)."""
    if session.reproduction:
        return session.reproduction
    try:
        from wizard403.reproduce import to_curl
    except ImportError:
        return ""
    return to_curl(session.target, redact=True)


def to_json(tree: dict) -> str:
    """A tree as JSON: readable Unicode, but nothing that a terminal acts on or reorders (textsafe.escape_serialised)."""
    return escape_serialised(json.dumps(tree, indent=2, ensure_ascii=False, default=_json_default)) + "\n"


def to_toml(tree: dict) -> str:
    """A tree as TOML, with the same escaping as to_json."""
    return escape_serialised(tomli_w.dumps(tree))


def render(session: Session, fmt: str, content: Any = None) -> str:
    """The report in one of FORMATS; everything goes through the redacting tree."""
    tree = session_to_tree(session, reproduction=reproduction_for(session))
    if fmt == "toml":
        return to_toml(tree)
    if fmt == "json":
        return to_json(tree)
    if fmt == "md":
        return render_markdown(tree, content)
    raise InputError(f"unknown report format '{fmt}'; choose one of: {', '.join(FORMATS)}.")


def write_atomic(path: Path, text: str) -> None:
    """Write a private (0600) file through a temporary file and rename, so a crash never leaves half a report or
    session and a symlink at the path is replaced, never written through (files.write_private)."""
    from wizard403.files import write_private

    path = Path(path).expanduser()
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"cannot write {path}: the folder {directory} does not exist.")
    if path.is_dir() and not path.is_symlink():
        raise InputError(f"cannot write {path}: it is a folder; give a file name.")
    try:
        write_private(path, text)
    except OSError as err:
        raise InputError(f"cannot write {path}: {err.strerror or err}.") from None


def format_for_path(path: str | Path, default: str = "toml") -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    return {"md": "md", "markdown": "md", "json": "json", "toml": "toml"}.get(suffix, default)


def load_session(path: str | Path) -> Session:
    """A saved session or TOML/JSON report read back; every failure is one SessionFileError sentence."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise SessionFileError(f"{path}: no such file.") from None
    except OSError as err:
        raise SessionFileError(f"{path}: cannot be read ({err.strerror}).") from None
    if size > MAX_SESSION_BYTES:
        raise SessionFileError(f"{path}: {size // (1024 * 1024)} MB is too large for a session file.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SessionFileError(f"{path}: not a text file, so not a wizard403 session.") from None
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise SessionFileError(f"{path}: not valid JSON (line {err.lineno}: {err.msg}).") from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise SessionFileError(f"{path}: not valid TOML ({err}).") from None
    return session_from_tree(data, where=str(path))


__all__ = ["FORMATS", "render", "write_atomic", "load_session", "format_for_path", "session_to_tree", "session_from_tree"]
