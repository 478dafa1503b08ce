"""The wizard driven as a user drives it, against the running lab: start, six steps, summary, change, export, resume."""

from __future__ import annotations

import tomllib

from textual.widgets import Input, OptionList, RadioButton, RadioSet

from wizard403 import autosave
from wizard403.lab import SCENARIOS
from wizard403.report import load_session
from wizard403.tui.app import make_app
from wizard403.tui.screens.change import ChangeScreen
from wizard403.tui.screens.export import ExportScreen
from wizard403.tui.screens.start import StartScreen
from wizard403.tui.screens.step import StepScreen
from wizard403.tui.screens.summary import SummaryScreen
from wizard403.tui.widgets import CheckRow, QuestionBlock

SIZE = (120, 40)


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def choose_scenario(app, pilot, scenario_id: str) -> None:
    assert isinstance(app.screen, StartScreen)
    options = app.screen.query_one("#scenarios", OptionList)
    options.focus()
    options.highlighted = [s.id for s in SCENARIOS].index(scenario_id)
    await pilot.press("enter")
    await settle(app, pilot)


async def answer_step(app, pilot, choice_index: int = 0) -> dict[str, str]:
    """Answer every question on the current step by clicking, as a user would; returns what was answered."""
    given = {}
    for block in app.screen.query(QuestionBlock):
        question = block.question
        if question.kind == "text":
            field = block.query_one(Input)
            field.focus()
            await pilot.press(*"nginx says access forbidden by rule")
            given[question.id] = "nginx says access forbidden by rule"
            continue
        buttons = list(block.query(RadioButton))
        button = buttons[min(choice_index, len(buttons) - 1)]
        button.scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click(button)
        given[question.id] = button.name
    await pilot.pause()
    return given


async def test_whole_session_against_the_lab(lab, tmp_path):
    app = make_app(lab=lab)
    given: dict[str, str] = {}
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await choose_scenario(app, pilot, "insufficient-scope")
        assert isinstance(app.screen, StepScreen) and app.screen.number == 1
        baseline = app.session.check("baseline")
        assert baseline is not None and baseline.status == "fail"
        # the live results are on screen, with their summaries
        row = app.screen.query_one("#check-baseline", CheckRow)
        assert "403" in str(row.query_one(".check-line").render())
        for number in range(1, 7):
            assert app.screen.number == number
            given |= await answer_step(app, pilot, choice_index=number % 2)
            await pilot.press("ctrl+n")
            await settle(app, pilot)
        assert isinstance(app.screen, SummaryScreen)
        assert app.session.causes, "the summary ranks causes"
        text = app.screen.query_one("#summary-text").source
        assert app.session.causes[0].title in text
        assert "Do not work around the block" in text

        # did it fix it? record a change and re-run every check
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, ChangeScreen)
        await pilot.press(*"admin granted the admin scope")
        await pilot.press("enter")
        await settle(app, pilot)
        assert [c.note for c in app.session.changes] == ["admin granted the admin scope"]
        # the lab still refuses the read-only token: the wizard must say the change did not fix it
        assert app.session.changes[0].result.startswith("Still refused (403")
        comparison = str(app.screen.query_one("#comparison").render())
        assert "did not fix it" in comparison and "Answer from the server: 403 Forbidden → 403 Forbidden" in comparison
        await pilot.press("escape")
        await pilot.pause()

        # export TOML
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#export-tabs").active = "tab-toml"
        await pilot.pause()
        path_input = app.screen.query_one("#export-path", Input)
        target = tmp_path / "session.toml"
        path_input.value = str(target)
        await pilot.click("#save")
        await pilot.pause()
    assert target.exists()
    data = tomllib.loads(target.read_text())
    assert data["changes"][0]["note"] == "admin granted the admin scope"
    saved = {a["question"]: a["answer"] for a in data["answers"]}
    assert saved == given

    # the exported TOML opens in the wizard again with every answer in place
    loaded = load_session(target)
    app2 = make_app(session=loaded, live=False, use_autosave=False)
    async with app2.run_test(size=SIZE) as pilot:
        await settle(app2, pilot)
        for number in range(1, 7):
            app2.goto_step(number)
            await settle(app2, pilot)
            for block in app2.screen.query(QuestionBlock):
                if block.question.kind == "text":
                    assert block.query_one(Input).value == given[block.question.id]
                else:
                    pressed = block.query_one(RadioSet).pressed_button
                    assert pressed is not None and pressed.name == given[block.question.id]


async def test_killed_session_is_offered_for_resume_with_answers_kept(lab):
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await choose_scenario(app, pilot, "ip-allowlist")
        given = await answer_step(app, pilot)
        # no export, no clean exit of the session: the process "dies" here
    assert autosave.autosave_path().exists()

    app2 = make_app(lab=lab)
    async with app2.run_test(size=SIZE) as pilot:
        await settle(app2, pilot)
        assert "Resume" in str(app2.screen.query_one("#yes").label)
        await pilot.click("#yes")
        await settle(app2, pilot)
        assert isinstance(app2.screen, StepScreen)
        assert {a.question: a.answer for a in app2.session.answers} == given


async def test_secrets_never_reach_the_autosave(lab):
    from wizard403.lab import mint_token

    token = mint_token("read-only")
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await choose_scenario(app, pilot, "insufficient-scope")
        await answer_step(app, pilot)
        assert app.session.target.bearer_token  # the lab scenario sends a token
        token = app.session.target.bearer_token
    text = autosave.autosave_path().read_text()
    assert token not in text and token.rsplit(".", 1)[1] not in text
    assert "[redacted sha256:" in text


async def test_mode_switch_is_part_of_the_session(lab):
    app = make_app(lab=lab, scenario="waf")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.session.mode == "plain"
        await pilot.press("f2")
        await pilot.pause()
        assert app.session.mode == "expert" and app.expert
        details = app.screen.query_one("#check-baseline .check-details")
        assert details.collapsed is False, "expert mode shows the details up front"
