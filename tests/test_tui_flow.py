"""The wizard driven as a user drives it, against the lab: one promise per test, so each fails on its own.

What is asserted is what a person sees (the screen's text, via tests/screen.py), what reached the lab, and what was
written to disk; never how a widget builds its text.
"""

from __future__ import annotations

import json
import tomllib

import pytest
from textual.widgets import Input, OptionList, RadioButton, RadioSet

from tests.screen import screen_prose
from wizard403 import autosave
from wizard403.lab import SCENARIOS, start_lab
from wizard403.report import load_session
from wizard403.tui.app import make_app
from wizard403.tui.screens.change import ChangeScreen
from wizard403.tui.screens.export import ExportScreen
from wizard403.tui.screens.start import StartScreen
from wizard403.tui.screens.step import StepScreen
from wizard403.tui.screens.summary import SummaryScreen
from wizard403.tui.widgets import QuestionBlock

pytestmark = pytest.mark.heavy
SIZE = (120, 40)
TALL = (120, 80)


@pytest.fixture
def own_lab():
    """A lab of the test's own, so its request log holds only what this test's wizard sent."""
    with start_lab() as running:
        yield running


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


async def export_as(app, pilot, fmt: str, target) -> str:
    """Open the export screen, pick the format's tab, save to `target`; returns the path the screen proposed."""
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert isinstance(app.screen, ExportScreen)
    app.screen.query_one("#export-tabs").active = f"tab-{fmt}"
    await pilot.pause()
    path_input = app.screen.query_one("#export-path", Input)
    proposed = path_input.value
    path_input.value = str(target)
    await pilot.click("#save")
    await pilot.pause()
    return proposed


async def test_live_results_are_on_screen(lab):
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await choose_scenario(app, pilot, "insufficient-scope")
        assert isinstance(app.screen, StepScreen) and app.screen.number == 1
        text = screen_prose(app)
        assert "Step 1 of 6" in text
        assert "refused with 403 Forbidden: the problem reproduces" in text
        assert "Without credentials the server answers 401, with yours 403" in text


async def test_ctrl_n_walks_the_six_steps_to_the_summary(lab):
    app = make_app(lab=lab)
    async with app.run_test(size=TALL) as pilot:
        await settle(app, pilot)
        await choose_scenario(app, pilot, "insufficient-scope")
        for number in range(1, 7):
            assert f"Step {number} of 6" in screen_prose(app)
            await pilot.press("ctrl+n")
            await settle(app, pilot)
        assert isinstance(app.screen, SummaryScreen)
        text = screen_prose(app)
        assert "Who said no: the identity and permission system" in text
        assert app.session.causes and f"1. {app.session.causes[0].title}" in text, text


async def test_a_change_is_recorded_and_really_retested(own_lab):
    app = make_app(lab=own_lab)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await choose_scenario(app, pilot, "insufficient-scope")
        await pilot.press("f3")
        await settle(app, pilot)
        sent_before = len(own_lab.requests)
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, ChangeScreen)
        await pilot.press(*"admin granted the admin scope")
        await pilot.press("enter")
        await settle(app, pilot)
        assert len(own_lab.requests) > sent_before, "re-testing after a change sends the requests again"
        assert [r.path for r in own_lab.requests[sent_before:]].count("/api/admin/users") >= 2
        text = screen_prose(app)
        # the lab still refuses the read-only token: the wizard must say the change did not fix it
        assert "did not fix it" in text and "Answer from the server: 403 Forbidden → 403 Forbidden" in text
    assert [c.note for c in app.session.changes] == ["admin granted the admin scope"]
    assert app.session.changes[0].result.startswith("Still refused (403")


@pytest.mark.parametrize("fmt", ["toml", "json", "md"])
async def test_export_writes_the_format_of_the_chosen_tab(lab, tmp_path, fmt):
    app = make_app(lab=lab, scenario="waf")
    target = tmp_path / f"report.{fmt}"
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        proposed = await export_as(app, pilot, fmt, target)
    assert proposed.endswith(f".{fmt}"), "the proposed file name follows the chosen format"
    text = target.read_text()
    if fmt == "toml":
        assert tomllib.loads(text)["schema"] == "wizard403/1"
    elif fmt == "json":
        assert json.loads(text)["schema"] == "wizard403/1"
    else:
        assert text.startswith("# 403 report: GET") and "Who said no" in text


async def test_answers_are_kept_in_the_exported_toml_and_reopen_in_place(lab, tmp_path):
    app = make_app(lab=lab)
    given: dict[str, str] = {}
    target = tmp_path / "session.toml"
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await choose_scenario(app, pilot, "insufficient-scope")
        for number in range(1, 7):
            given |= await answer_step(app, pilot, choice_index=number % 2)
            await pilot.press("ctrl+n")
            await settle(app, pilot)
        await export_as(app, pilot, "toml", target)
    assert len(given) >= 6
    saved = {a["question"]: a["answer"] for a in tomllib.loads(target.read_text())["answers"]}
    assert saved == given

    # the exported TOML opens in the wizard again with every answer in place
    app2 = make_app(session=load_session(target), live=False, use_autosave=False)
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
    assert given and autosave.autosave_path().exists()

    app2 = make_app(lab=lab)
    async with app2.run_test(size=SIZE) as pilot:
        await settle(app2, pilot)
        assert "Resume" in screen_prose(app2)
        await pilot.click("#yes")
        await settle(app2, pilot)
        assert isinstance(app2.screen, StepScreen)
        assert {a.question: a.answer for a in app2.session.answers} == given


async def test_secrets_never_reach_the_autosave(lab):
    app = make_app(lab=lab)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await choose_scenario(app, pilot, "insufficient-scope")
        await answer_step(app, pilot)
        token = app.session.target.bearer_token
        assert token  # the lab scenario sends a token
    text = autosave.autosave_path().read_text()
    assert token not in text and token.rsplit(".", 1)[1] not in text
    assert "[redacted sha256:" in text


async def test_mode_switch_is_part_of_the_session(lab):
    app = make_app(lab=lab, scenario="waf")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.session.mode == "plain"
        assert "← 403 Forbidden" not in screen_prose(app), "plain mode folds the exchanges away"
        await pilot.press("f2")
        await settle(app, pilot)
        assert app.session.mode == "expert" and app.expert
        assert "← 403 Forbidden" in screen_prose(app), "expert mode shows the exchanges up front"


async def test_no_screen_shows_the_credential_only_its_fingerprint(lab):
    from tests.screen import screen_text

    app = make_app(lab=lab, scenario="insufficient-scope", expert=True, use_autosave=False)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(app, pilot)
        token = app.session.target.bearer_token
        shown = []
        for number in range(1, 7):
            app.goto_step(number)
            await settle(app, pilot)
            shown.append(screen_text(app))
        await pilot.press("f3")
        await settle(app, pilot)
        shown.append(screen_text(app))
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        shown.append(screen_text(app))
    everything = "\n".join(shown)
    assert token and token not in everything and token.rsplit(".", 1)[1] not in everything
    assert "Authorization: Bearer [redacted sha256:" in everything


async def test_a_live_404_summary_says_nobody_refused(lab):
    """A 404 is not the 403 coming back: the summary says what the server answered, not that a layer refused."""
    from wizard403.model import Session, Target

    session = Session(target=Target(url=lab.base_url + "/no-such-page-here"))
    app = make_app(session=session, live=True, use_autosave=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.show_summary()
        await settle(app, pilot)
        shown = screen_prose(app)
        assert "The server answered 404 Not Found: neither a refusal nor access" in shown, shown
        assert "Who said no: nobody refused: the answer was 404 Not Found" in shown


async def test_a_pasted_program_error_opens_the_wizard_with_the_status_it_states():
    """A user pastes what their script printed (no status line, no status typed): the wizard starts on a 403, says
    where that status came from, and analyses the text offline."""
    from textual.widgets import TextArea

    from wizard403.tui.screens.start import SourceScreen

    app = make_app(use_autosave=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        app.push_screen(SourceScreen("response"))
        await settle(app, pilot)
        app.screen.query_one("#response-text", TextArea).text = (
            "requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: https://api.example.com/v1/reports"
        )
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert isinstance(app.screen, StepScreen), screen_prose(app)
        assert app.session.exchanges[0].status == 403
        assert app.session.target.url == "https://api.example.com/v1/reports"
        assert any("the text states the status 403" in n.message for n in app._notifications), "the user is told"
