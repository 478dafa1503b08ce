"""Every lab scenario, the hostile sessions and a spread of recorded exchanges walked through every screen of the
wizard as a user would: the six steps with their details unfolded, one answer, the summary, the change dialog
(f6), help and the export preview in all three formats, then quit with exit code 0. Every recorded exchange in
tests/exchanges/ is then shown by one running wizard on all six step screens, the summary and the three export
previews at once (a full walk mounts about ten screens, too slow to repeat for each of 150 files on CI's two
cores). Nothing may crash, exit early or paint a raw control character. One lab for the whole run, a small
terminal and no pauses beyond what the app needs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from textual.widgets import RadioButton, TextArea

from tests.hostile import AT, hostile_session, painted_text, screen_text
from tests.test_diagnose_exchanges import FILES, load_exchange
from wizard403.lab import ALL_SCENARIOS
from wizard403.model import ProbeOptions, Session, Target
from wizard403.tui.app import make_app
from wizard403.tui.screens.change import ChangeScreen
from wizard403.tui.screens.export import FORMATS, ExportScreen
from wizard403.tui.screens.help import HelpScreen
from wizard403.tui.screens.step import StepScreen
from wizard403.tui.screens.summary import SummaryScreen
from wizard403.textsafe import one_line
from wizard403.tui.widgets import QuestionBlock

pytestmark = pytest.mark.heavy
SIZE = (80, 24)
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def assert_fine(app, where: str) -> None:
    assert app.return_code is None, f"{where}: the wizard exited"
    text = screen_text(app.screen) + painted_text(app)
    bad = [c for c in RAW if c in text]
    assert not bad, f"{where}: raw {bad} on screen"
    assert app.title == "wizard403", f"{where}: the title changed to {app.title!r}"


async def walk(app, pilot, name: str) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, StepScreen), f"{name}: no step screen"
    answered = False
    for number in range(1, 7):
        if number > 1:
            await pilot.press("ctrl+n")
            await pilot.pause()
        assert isinstance(app.screen, StepScreen) and app.screen.number == number, name
        if not app.expert:
            await pilot.press("f4")  # unfold every check's details
        if not answered:
            block = app.screen.query(QuestionBlock).first()
            block.query(RadioButton).first().value = True
            await pilot.pause()
            answered = bool(app.session.answers)
            assert answered, f"{name}: the answer was not recorded"
        await pilot.pause()
        assert_fine(app, f"{name} step {number}")
    await pilot.press("ctrl+n")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, SummaryScreen), name
    assert_fine(app, f"{name} summary")
    await pilot.press("f6")
    await pilot.pause()
    assert isinstance(app.screen, ChangeScreen), name
    assert_fine(app, f"{name} change")
    await pilot.press("escape", "f1")
    await pilot.pause()
    assert isinstance(app.screen, HelpScreen), name
    await pilot.press("escape", "ctrl+s")
    await pilot.pause()
    assert isinstance(app.screen, ExportScreen), name
    tabs = app.screen.query_one("#export-tabs")
    for fmt, _ in FORMATS:
        tabs.active = f"tab-{fmt}"
        await pilot.pause()
        assert app.screen.query_one(f"#preview-{fmt}", TextArea).text.strip(), f"{name}: empty {fmt} preview"
        assert_fine(app, f"{name} export {fmt}")
    await pilot.press("ctrl+q")


@pytest.mark.parametrize("scenario_id", [s.id for s in ALL_SCENARIOS])
async def test_walk_a_lab_scenario(lab, scenario_id):
    expert = [s.id for s in ALL_SCENARIOS].index(scenario_id) % 2 == 1  # both modes, half the scenarios each
    app = make_app(lab=lab, scenario=scenario_id, use_autosave=False, now=AT, expert=expert)
    async with app.run_test(size=SIZE) as pilot:
        await walk(app, pilot, scenario_id)
    assert app.return_code == 0 and app.crash_sentence is None


def recorded_session(path: Path) -> Session:
    exchange, _ = load_exchange(path)
    target = Target(url=exchange.url, method=exchange.method, headers=exchange.request_headers, source="response")
    session = Session(target=target, created=AT)
    session.exchanges.append(exchange)
    return session


WALKED = FILES[::50]  # a spread across the cause families (the files are named by cause)


@pytest.mark.parametrize("path", WALKED, ids=[p.stem for p in WALKED])
async def test_walk_a_recorded_exchange(path):
    app = make_app(session=recorded_session(path), options=ProbeOptions(), live=False, use_autosave=False, now=AT)
    async with app.run_test(size=SIZE) as pilot:
        await walk(app, pilot, path.stem)
    assert app.return_code == 0 and app.crash_sentence is None


@pytest.mark.parametrize("mode", ["plain"])  # expert mode on every screen: tests/test_tui_hostile.py
async def test_walk_a_hostile_session(mode):
    app = make_app(session=hostile_session(mode=mode), options=ProbeOptions(), live=False, use_autosave=False, now=AT)
    async with app.run_test(size=SIZE) as pilot:
        await walk(app, pilot, f"hostile {mode}")
    assert app.return_code == 0 and app.crash_sentence is None


async def test_every_recorded_exchange_on_every_screen_at_once():
    """All six step screens (details unfolded) and the export previews stay open while each recorded exchange
    in turn becomes the session: each screen redraws from it. The summary's Markdown is checked as the text the
    summary screen is given (re-mounting that widget 150 times would take minutes; the walks above mount it)."""
    from wizard403.tui.screens.summary import summary_markdown
    from wizard403.tui.text import safe_parser

    app = make_app(session=recorded_session(FILES[0]), options=ProbeOptions(), live=False, use_autosave=False,
                   now=AT, expert=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        for number in range(2, 7):
            app.push_screen(StepScreen(number))
        app.show_export()
        await pilot.pause()
        screens = list(app.screen_stack[1:])
        assert [getattr(s, "number", None) for s in screens] == [1, 2, 3, 4, 5, 6, None]
        for path in FILES:
            app.session = recorded_session(path)
            app.run_analysis()  # offline: every open screen is told, and redraws from the new session
            await app.workers.wait_for_complete()
            await pilot.pause()
            for screen in screens:
                text = screen_text(screen)
                bad = [c for c in RAW if c in text]
                assert not bad, f"{path.stem} on {screen.__class__.__name__} {getattr(screen, 'number', '')}: {bad}"
            shown = "\n".join(screen_text(s) for s in screens[:6])
            for result in app.session.checks:
                if result.status != "skipped" and result.step in range(1, 7):
                    assert one_line(result.summary)[:40] in shown, f"{path.stem}: {result.id} is not shown"
            summary = summary_markdown(app.session, True, False, app.scrubber)
            kinds = {t.type for t in safe_parser().parse(summary)}
            assert not kinds & {"html_block", "code_block"}, path.stem
            assert app.session.causes, f"{path.stem}: nothing ranked"
            host = urlsplit(app.session.target.url).hostname or ""
            assert host in app.screen.query_one("#preview-toml", TextArea).text, f"{path.stem}: a stale export preview"
            assert app.return_code is None, path.stem
        await pilot.press("ctrl+q")
    assert app.return_code == 0
