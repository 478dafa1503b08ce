"""The keys a user needs are visible at 80x24 on every screen, f6 works wherever the README says, and on recorded
evidence it says what re-testing needs instead of comparing nothing with nothing; the summary reads in paragraphs."""

from __future__ import annotations

import pytest

from tests.hostile import painted_text
from tests.test_tui_snapshots import NOW, app_for
from wizard403.tui.screens.change import NOT_RETESTED, ChangeScreen
from wizard403.tui.screens.export import ExportScreen
from wizard403.tui.screens.step import StepScreen
from wizard403.tui.screens.summary import SummaryScreen

SMALL = (80, 24)


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("keys, screen", [((), StepScreen), (("f3",), SummaryScreen), (("ctrl+s",), ExportScreen), (("f6",), ChangeScreen)])
async def test_help_mode_and_quit_are_visible_at_80x24(keys, screen):
    app = app_for("plain")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        for key in keys:
            await pilot.press(key)
            await settle(app, pilot)
        assert isinstance(app.screen, screen)
        footer = painted_text(app).splitlines()[-1]
        for shown in ("f1 Help", "f2 Mode", "^q Quit", "^p palette"):
            assert shown in footer, f"{screen.__name__}: {shown!r} not in {footer!r}"
        assert "palettep" not in footer and not footer.rstrip().endswith("p palette p")


@pytest.mark.parametrize("step", [1, 4, 6])
async def test_f6_opens_the_change_dialog_from_a_step(step):
    app = app_for("plain")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        app.goto_step(step)
        await settle(app, pilot)
        await pilot.press("f6")
        await settle(app, pilot)
        assert isinstance(app.screen, ChangeScreen)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, StepScreen) and app.screen.number == step


async def test_f6_on_recorded_evidence_says_what_re_testing_needs():
    app = app_for("plain")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await pilot.press("f3", "f6")
        await settle(app, pilot)
        assert isinstance(app.screen, ChangeScreen)
        said = app.screen.query_one("#comparison").render().plain
        assert "new recording" in said and "--live" in said
        await pilot.press(*"admin removed the WAF rule", "enter")
        await settle(app, pilot)
        said = app.screen.query_one("#comparison").render().plain
    assert [c.note for c in app.session.changes] == ["admin removed the WAF rule"]
    assert app.session.changes[0].result == NOT_RETESTED and app.session.changes[0].at == NOW
    assert "no answer (was no answer)" not in said and "Noted: admin removed the WAF rule" in said


async def test_the_summary_opens_with_separate_paragraphs():
    app = app_for("plain")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        await settle(app, pilot)
        paragraphs = [p.render().plain.strip() for p in app.screen.query("MarkdownParagraph")]
    assert paragraphs[0] == "The recorded response is a refusal (analysed offline, nothing was sent)."
    assert paragraphs[1].startswith("Who said no:")
