"""Every key of the README's key table, pressed as a user presses it, plus keys.toml and the clipboard.

Assertions are on what a person notices: the screen's text (tests/screen.py), the requests the lab received, what
was saved or copied.
"""

from __future__ import annotations

import json
import time

import pytest
from textual.command import CommandPalette

from tests.screen import screen_prose
from tests.test_checks_conduct import raw_server  # noqa: F401 - fixture
from wizard403 import autosave
from wizard403.lab import start_lab
from wizard403.model import Headers, ProbeOptions, Session, Target
from wizard403.tui.app import make_app
from wizard403.tui.keys import config_path
from wizard403.tui.screens.export import ExportScreen
from wizard403.tui.screens.step import StepScreen
from wizard403.tui.screens.summary import SummaryScreen

SIZE = (120, 60)
FOLDED_AWAY = "← 403 Forbidden"  # a line of an exchange's details: shown only when the details are unfolded


@pytest.fixture
def own_lab():
    with start_lab() as running:
        yield running


def write_keys_toml(text: str):
    """The user's keys.toml (in the test's own config folder), as the wizard reads it at start."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_keys_toml_rebinds_the_wizard(own_lab):
    write_keys_toml('[keys]\nnext = "ctrl+t"\nsummary = "f9"\n')
    app = make_app(lab=own_lab, scenario="waf", use_autosave=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "^t Next" in screen_prose(app), "the footer shows the user's own key"
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert "Step 1 of 6" in screen_prose(app), "the default key no longer moves on once it is rebound"
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        assert "Step 2 of 6" in screen_prose(app)
        await pilot.press("f9")
        await settle(app, pilot)
        assert isinstance(app.screen, SummaryScreen)


async def test_a_broken_keys_toml_warns_and_keeps_the_defaults(own_lab):
    path = write_keys_toml("[keys\nnext = ")
    app = make_app(lab=own_lab, scenario="waf", use_autosave=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        # the toast wraps beside the step's own text (where depends on the path's length): read its message, and
        # that a toast is on screen
        from textual.widgets._toast import Toast

        shown = [str(t._notification.message) for t in app.screen.query(Toast) if t.region.area]
        assert any("ignored, it is not valid TOML" in m and str(path) in m for m in shown), shown
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert "Step 2 of 6" in screen_prose(app)


async def test_ctrl_x_stops_a_check_that_hangs(raw_server):  # noqa: F811
    hanging = raw_server(lambda conn, stopped: stopped.wait(30))
    session = Session(Target(url=hanging.url, headers=Headers([("Cookie", "sid=1")])))
    app = make_app(session=session, options=ProbeOptions(timeout=30), live=True, use_autosave=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        deadline = time.monotonic() + 10
        while "baseline" not in app.running and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        assert "baseline" in app.running, "the check must be hanging before it is stopped"
        assert "running…" in screen_prose(app)
        pressed = time.monotonic()
        await pilot.press("ctrl+x")
        while app.running and time.monotonic() - pressed < 20:
            await pilot.pause(0.05)
        stopped_after = time.monotonic() - pressed
        await pilot.pause()
        text = screen_prose(app)
    # half the request timeout: far above a loaded machine's few hundred milliseconds, far below waiting it out
    assert stopped_after < 15, f"ctrl+x took {stopped_after:.1f} s to stop a check with a 30 s timeout"
    assert "Checks stopped" in text and "running…" not in text
    stopped = session.check("baseline")
    assert stopped is not None and stopped.status == "skipped", "a stopped check claims no result"
    assert "stopped before it finished" in text and "run the checks again" in text, "and says what to do"


async def test_f4_folds_and_unfolds_the_check_details(lab):
    app = make_app(lab=lab, scenario="waf", use_autosave=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert FOLDED_AWAY not in screen_prose(app)
        await pilot.press("f4")
        await pilot.pause()
        assert FOLDED_AWAY in screen_prose(app)
        await pilot.press("f4")
        await pilot.pause()
        assert FOLDED_AWAY not in screen_prose(app)


async def test_f5_reruns_this_steps_checks_and_ctrl_r_all_of_them(own_lab):
    app = make_app(lab=own_lab, scenario="insufficient-scope", use_autosave=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        first_run = len(own_lab.requests)
        await pilot.press("f5")
        await settle(app, pilot)
        step_run = len(own_lab.requests) - first_run
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        full_run = len(own_lab.requests) - first_run - step_run
        assert "Step 1 of 6" in screen_prose(app)
    # step 1 sends the request as given and the same one signed out; a full run sends every probe again
    assert step_run == 2, step_run
    assert full_run == first_run > step_run


async def test_ctrl_p_opens_the_command_palette_and_runs_a_command(lab):
    app = make_app(lab=lab, scenario="waf", use_autosave=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Go to step 5")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, StepScreen)
        assert "Step 5 of 6" in screen_prose(app)


async def test_ctrl_q_quits_and_the_session_is_autosaved_redacted(lab):
    app = make_app(lab=lab, scenario="insufficient-scope")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        token = app.session.target.bearer_token
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running, "ctrl+q quits"
    saved = autosave.autosave_path().read_text()
    assert token and token not in saved and token.rsplit(".", 1)[1] not in saved
    assert "[redacted sha256:" in saved and lab.url("insufficient-scope") in saved


async def test_copy_puts_the_previewed_report_on_the_clipboard_redacted(lab):
    app = make_app(lab=lab, scenario="insufficient-scope", use_autosave=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        token = app.session.target.bearer_token
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        await pilot.click("#copy")
        await pilot.pause()
        markdown = app.clipboard
        app.screen.query_one("#export-tabs").active = "tab-json"
        await pilot.pause()
        await pilot.press("ctrl+y")
        await pilot.pause()
        as_json = app.clipboard
        assert "Copied to the clipboard" in screen_prose(app)
    assert markdown.startswith("# 403 report: GET")
    assert json.loads(as_json)["schema"] == "wizard403/1", "the copy is of the chosen format"
    for text in (markdown, as_json):
        assert token not in text and token.rsplit(".", 1)[1] not in text
        assert "[redacted sha256:" in text


async def test_help_lists_the_keys_that_fire_now_in_words(own_lab):
    """After keys.toml moves help and next, the help screen shows the user's keys beside what they do, and the
    user's help key closes it again."""
    from wizard403.tui.screens.help import HelpScreen

    write_keys_toml('[keys]\nnext = "ctrl+t"\nhelp = "f10"\n')
    app = make_app(lab=own_lab, scenario="waf", use_autosave=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f10")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_prose(app)
        assert "ctrl+t" in text and "next step" in text
        assert "re-run this step's checks" in text, "actions are described in words, not by their ids"
        assert "rerun step" not in text
        await pilot.press("f10")
        await settle(app, pilot)
        assert not isinstance(app.screen, HelpScreen), "the user's own help key closes help again"


def test_a_keys_toml_value_that_is_no_key_name_is_refused_with_a_warning(tmp_path):
    """A value with a newline or a terminal escape would end the help's key table or reach the screen raw: it is
    not a key, so the default stays and the warning names the binding (never echoing the value)."""
    from wizard403.tui.keys import load_keymap

    path = tmp_path / "keys.toml"
    path.write_text('[keys]\nnext = "ctrl+n\\n\\n# PWNED"\nmode = "f2\\u001b]0;TITLE\\u0007"\nsummary = "f9"\nhelp = "f1,f10"\n')
    keymap, warning = load_keymap(path)
    assert keymap == {"summary": "f9", "help": "f1,f10"}
    assert warning is not None and "not key names" in warning and "mode, next" in warning
    assert "PWNED" not in warning and "\x1b" not in warning
