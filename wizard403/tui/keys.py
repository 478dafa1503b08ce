"""Key bindings that can be changed in a config file, so they never have to clash with tmux or a terminal.

`$WIZARD403_CONFIG_DIR/keys.toml` (default `~/.config/wizard403/keys.toml`) maps binding ids to keys:

    [keys]
    next = "ctrl+n"
    back = "escape"

The defaults avoid ctrl+b (tmux's prefix) and ctrl+a (screen's).
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

DEFAULT_KEYS = {
    "next": "ctrl+n",
    "back": "escape",
    "help": "f1",
    "mode": "f2",
    "summary": "f3",
    "export": "ctrl+s",
    "rerun-step": "f5",
    "rerun-all": "ctrl+r",
    "change": "f6",
    "details": "f4",
    "cancel": "ctrl+x",
    "compare": "f7",
    "find-culprit": "ctrl+f",
    "copy-item": "c",  # on a focused query or command (Enter too)
    "log-queries": "f8",  # on the summary: the owner's log queries in step 6
}


# What each binding does, in the words the help screen shows beside its key (the ids are what keys.toml uses).
KEY_ACTIONS = {
    "next": "next step (on the start screen: start)",
    "back": "back",
    "help": "this help and the FAQ",
    "mode": "switch plain / expert mode",
    "summary": "summary of causes and evidence",
    "export": "export the report (TOML, Markdown, JSON)",
    "rerun-step": "re-run this step's checks",
    "rerun-all": "re-run all checks",
    "change": "record a change and re-test",
    "details": "fold or unfold check details",
    "cancel": "stop running checks",
    "compare": "compare with a request that works",
    "find-culprit": "on the comparison: find the difference that matters",
    "copy-item": "copy the focused query or command",
    "log-queries": "on the summary: the owner's log queries",
}


def effective_keys(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Every binding id with the key that fires it now: the defaults, changed by keys.toml."""
    return {**DEFAULT_KEYS, **(overrides or {})}


# A key as Textual names it ("ctrl+n", "f9", "escape", "question_mark", "ctrl+shift+a"), or several separated by
# commas: anything else (spaces, newlines, escape sequences) is not a key and is refused with a warning.
_KEY_TEXT = re.compile(r"[A-Za-z0-9_+-]{1,40}(?:,[A-Za-z0-9_+-]{1,40}){0,3}")


def config_path() -> Path:
    base = os.environ.get("WIZARD403_CONFIG_DIR") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config"), "wizard403"
    )
    return Path(base) / "keys.toml"


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], str | None]:
    """(keymap overrides, a warning sentence or None): a broken file never stops the wizard."""
    path = path or config_path()
    if not path.exists():
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        return {}, f"{path}: ignored, it is not valid TOML ({err})."
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        return {}, f"{path}: ignored, [keys] must be a table of binding = key."
    unknown = sorted(str(k) for k in set(keys) - set(DEFAULT_KEYS))
    known = {k: v for k, v in keys.items() if k in DEFAULT_KEYS}
    good = {k: v for k, v in known.items() if isinstance(v, str) and _KEY_TEXT.fullmatch(v)}
    bad = sorted(set(known) - set(good))
    problems = []
    if unknown:
        problems.append(f"unknown binding ids ignored: {', '.join(unknown)}")
    if bad:
        problems.append(f"keys that are not key names (such as ctrl+n or f9) ignored for: {', '.join(bad)}")
    return good, (f"{path}: {'; '.join(problems)}." if problems else None)


def key(binding_id: str) -> str:
    return DEFAULT_KEYS[binding_id]
