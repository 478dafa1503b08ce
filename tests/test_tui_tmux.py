"""The wizard in a real terminal (tmux) on a hostile session: the escape sequences a server sent cannot set the
terminal's title or write the clipboard (tmux turns both into state a test can read: the pane title and the paste
buffers). A control run shows that the same bytes printed raw do change both, so the test can fail."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile import CLIPBOARD_OSC, TITLE_OSC, hostile_session
from wizard403.report import render

ROOT = Path(__file__).resolve().parents[1]
TITLE = "wizard403-test-title"



class Tmux:
    """A private tmux server (its own socket, no user config) with one pane running one command."""

    def __init__(self, folder: Path) -> None:
        self.socket = str(folder / "tmux.sock")
        self.go = folder / "go"

    def __call__(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["tmux", "-S", self.socket, "-f", "/dev/null", *args], capture_output=True, text=True, timeout=20)
        if check and out.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)}: {out.stderr}")
        return out.stdout

    def start(self, command: str, env: dict[str, str]) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        wait = f"while [ ! -e {shlex.quote(str(self.go))} ]; do sleep 0.05; done"
        self("new-session", "-d", "-x", "100", "-y", "30", "-s", "t", f"{wait}; env {exports} {command}; sleep 30")
        self("set-option", "-g", "set-clipboard", "on")  # an application's OSC 52 would become a paste buffer
        self("set-option", "-g", "allow-rename", "on")
        self("select-pane", "-t", "t", "-T", TITLE)
        assert self.title() == TITLE
        self.go.touch()  # only now does the command run

    def title(self) -> str:
        return self("display-message", "-p", "-t", "t", "#{pane_title}").strip()

    def buffers(self) -> str:
        return self("list-buffers", check=False).strip()

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 60) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared:\n{self.screen()}")

    def stop(self) -> None:
        self("kill-server", check=False)


@pytest.fixture
def tmux(tmp_path):
    assert shutil.which("tmux"), "these tests need tmux in the test environment: apt-get install -y tmux"
    server = Tmux(tmp_path)
    yield server
    server.stop()


def test_control_raw_escapes_do_change_the_title_and_the_clipboard(tmux, tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text(f"{TITLE_OSC}{CLIPBOARD_OSC}printed\n", encoding="utf-8")
    tmux.start(f"cat {shlex.quote(str(raw))}", {})
    tmux.wait_for("printed")
    time.sleep(0.3)
    assert tmux.title() == "pwned"
    assert tmux.buffers(), "OSC 52 did not reach a paste buffer: the wizard test below would prove nothing"


def test_a_hostile_session_changes_neither_the_title_nor_the_clipboard(tmux, tmp_path):
    saved = tmp_path / "hostile.toml"
    saved.write_text(render(hostile_session(), "toml"), encoding="utf-8")
    env = {
        "WIZARD403_STATE_DIR": str(tmp_path / "state"),
        "WIZARD403_CONFIG_DIR": str(tmp_path / "config"),
        "TERM": "xterm-256color",
        "PYTHONPATH": str(ROOT),
        "PATH": os.environ.get("PATH", ""),
    }
    command = f"{shlex.quote(sys.executable)} -m wizard403 --resume {shlex.quote(str(saved))}; echo wizard-exit=$?"
    tmux.start(command, env)
    tmux.wait_for("Step 1 of 6")
    assert tmux.title() == TITLE
    for key in ("F4", "C-n", "F4", "C-n", "C-n", "C-n", "C-n", "F3", "F6", "Escape", "C-s"):
        tmux("send-keys", "-t", "t", key)
        time.sleep(0.4)
        assert tmux.title() == TITLE, f"after {key}"
    tmux.wait_for("Exactly what will be shared")
    tmux("send-keys", "-t", "t", "C-q")
    shown = tmux.wait_for("wizard-exit=")
    assert "wizard-exit=0" in shown, shown
    assert tmux.title() == TITLE
    assert tmux.buffers() == "", "something wrote the clipboard"
