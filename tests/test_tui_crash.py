"""Crash safety: an unforeseen error is one sentence, a crash report without locals or secrets, the autosave kept,
exit code 1; a saved session or recent list that cannot be read or shown is moved aside and the wizard starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile import AT, CLICK, SECRETS, TOKEN, hostile_session
from wizard403 import autosave
from wizard403.model import ProbeOptions
from wizard403.tui.app import make_app
from wizard403.tui.screens.dialogs import ConfirmScreen
from wizard403.tui.screens.start import StartScreen
from wizard403.tui.screens.step import StepScreen

SIZE = (100, 30)
LOCAL_VALUE = "local-variable-value-9d1e"
ORIGINAL_TARGET_LINE = StepScreen._target_line
ROOT = Path(__file__).resolve().parents[1]


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def crash_files() -> list[Path]:
    return sorted(autosave.state_dir().glob("crash-*.txt"))


async def test_an_error_in_a_screen_is_a_sentence_and_a_report_without_secrets(monkeypatch):
    app = make_app(session=hostile_session(), options=ProbeOptions(), live=False, now=AT)

    def broken(self):
        secret_local = LOCAL_VALUE  # noqa: F841 - Textual's dump would print it; the report must not
        raise RuntimeError(f"odd evidence with Bearer {TOKEN} and {CLICK}")

    with pytest.raises(RuntimeError):
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            app.set_answer(1, app.content.step(1).questions[0].id, "yes")
            monkeypatch.setattr(StepScreen, "_target_line", broken)
            app.goto_step(2)
            await settle(app, pilot)
    assert app.return_code == 1
    assert app._exit_renderables == [], "Textual's traceback dump would be printed"
    [report] = crash_files()
    text = report.read_text(encoding="utf-8")
    assert "RuntimeError: odd evidence" in text and "Traceback" in text and "_target_line" in text
    assert TOKEN not in text and LOCAL_VALUE not in text and "\x1b" not in text
    assert str(report) in app.crash_sentence and "\n" not in app.crash_sentence
    assert oct(report.stat().st_mode & 0o777) == "0o600"
    # the answers survive the crash, and the next start says the last run stopped after the save
    saved = autosave.load()
    assert saved is not None and saved.answers and saved.answers[0].answer == "yes"
    monkeypatch.setattr(StepScreen, "_target_line", ORIGINAL_TARGET_LINE)
    again = make_app()
    async with again.run_test(size=SIZE, notifications=True) as pilot:
        await settle(again, pilot)
        assert isinstance(again.screen, ConfirmScreen), [n.message for n in again._notifications]
        offer = again.screen.query_one(".dialog-text").render().plain
        assert "stopped on an internal error" in offer and "start afresh" in offer


def test_the_cli_prints_one_sentence_and_exits_1(tmp_path):
    """`python -m wizard403 --response FILE` with a crash forced in a screen: no traceback, no secret, exit 1."""
    response = tmp_path / "response.txt"
    response.write_bytes(
        b"HTTP/1.1 403 Forbidden [ @click=app.quit]\r\nContent-Type: text/plain\r\nSet-Cookie: sid=" + SECRETS[1].encode()
        + b"\r\n\r\nno\r\n"
    )
    state = tmp_path / "state"
    hook = (
        "import runpy, sys\n"
        "from wizard403.tui.app import WizardApp\n"
        "from wizard403.tui.screens.step import StepScreen\n"
        "run = WizardApp.run\n"
        "WizardApp.run = lambda self, **kw: run(self, headless=True, size=(100, 30))\n"
        "def broken(self):\n"
        f"    secret_local = {LOCAL_VALUE!r}\n"
        f"    raise RuntimeError('cannot show Bearer {TOKEN}')\n"
        "StepScreen._target_line = broken\n"
        "sys.argv = ['wizard403'] + sys.argv[1:]\n"
        "runpy.run_module('wizard403', run_name='__main__')\n"
    )
    env = dict(os.environ, WIZARD403_STATE_DIR=str(state), WIZARD403_CONFIG_DIR=str(tmp_path / "config"))
    env.pop("WIZARD403_DEBUG", None)
    out = subprocess.run(
        [sys.executable, "-c", hook, "--response", str(response), "-H", f"Authorization: Bearer {TOKEN}"],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
    )
    assert out.returncode == 1, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("wizard403: the wizard stopped on an internal error"), out.stderr
    assert "Traceback" not in out.stderr and LOCAL_VALUE not in out.stderr and TOKEN not in out.stderr
    assert "\x1b" not in out.stderr
    [report] = state.glob("crash-*.txt")
    assert str(report) in lines[0]
    text = report.read_text(encoding="utf-8")
    assert "RuntimeError: cannot show [redacted sha256:" in text
    assert TOKEN not in text and SECRETS[1] not in text and LOCAL_VALUE not in text


async def test_a_broken_autosave_is_moved_aside_and_the_wizard_starts():
    path = autosave.autosave_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"[target\nurl = \xff\xfe")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, StartScreen)
        said = [n.message for n in app._notifications]
    assert not path.exists()
    [aside] = path.parent.glob("autosave.broken-*.toml")
    assert aside.read_bytes().startswith(b"[target")
    assert any("autosaved session could not be read" in s and str(aside) in s for s in said), said


async def test_a_hostile_url_in_the_autosave_and_the_recent_list_never_stops_a_start():
    """The URL that used to be remembered just before the crash, and then crashed every later start."""
    url = "http://127.0.0.1:1/?q=['a=b']&x=[ @click=app.quit]"
    session = hostile_session()
    session.target.url = url
    session.set_answer(1, "signed-in", "yes")
    autosave.save(session)
    autosave.remember_target(url, "GET")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert url in app.screen.query_one(".dialog-text").render().plain
        await pilot.click("#no")
        await settle(app, pilot)
        assert isinstance(app.screen, StartScreen)
        recent = app.screen.query_one("#recent")
        assert any(url in str(o.prompt.plain) for o in recent.options)
        assert app.return_code is None


async def test_an_unreadable_recent_list_is_moved_aside():
    path = autosave.recent_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"GET http://a.example/\xff\xfe\n")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, StartScreen)
        said = [n.message for n in app._notifications]
    assert not path.exists() and list(path.parent.glob("recent.broken-*.txt"))
    assert any("recent targets could not be read" in s for s in said), said
