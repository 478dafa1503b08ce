"""The wizard on hostile evidence: markup, actions, escape sequences, broken bytes and Markdown from a server are
shown as written on every screen, never obeyed, and never reach the terminal; secrets never reach the screen."""

from __future__ import annotations

import re

from textual.content import Content
from textual.widgets import Markdown, Static, TextArea

from tests.hostile import (
    AT,
    BIDI,
    CLICK,
    HTML_BODY,
    SECRETS,
    TITLE_OSC,
    actions_in,
    hostile_session,
    painted_text,
    screen_text,
)
from wizard403.model import ProbeOptions
from wizard403.tui.app import make_app
from wizard403.tui.screens.change import ChangeScreen
from wizard403.tui.screens.export import FORMATS, ExportScreen
from wizard403.tui.screens.help import HelpScreen
from wizard403.tui.screens.summary import SummaryScreen

SIZE = (100, 30)
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e", "\r")


def hostile_app(body: bytes | None = None, mode: str = "plain"):
    return make_app(session=hostile_session(body, mode), options=ProbeOptions(), live=False, use_autosave=False, now=AT)


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def assert_safe(app, where: str) -> str:
    """What the screen shows holds no raw control character, no secret, no action or link; the title is ours."""
    text = screen_text(app.screen)
    painted = painted_text(app)
    for char in RAW_CONTROLS:
        assert char not in text and char not in painted, f"{where}: raw {char!r} on screen"
    for secret in SECRETS:
        assert secret not in text, f"{where}: a secret is on screen"
    assert actions_in(app.screen) == [], f"{where}: outside text became an action or a link"
    assert app.title == "wizard403" and app.sub_title == "why am I getting 403 Forbidden?"
    assert app.return_code is None, f"{where}: the wizard exited"
    return text


def test_the_detector_sees_parsed_markup_and_links():
    """A positive control: what `actions_in` looks for is what markup and a Markdown link leave behind."""
    from textual.app import App

    class Probe(App):
        def compose(self):
            yield Static(Content.from_markup("[@click=app.quit]quit[/]"))
            yield Markdown("[a link](http://evil.example/)")

    async def run():
        app = Probe()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            found = actions_in(app.screen)
            assert any("quit" in f for f in found) and any("a link" in f for f in found), found

    import asyncio

    asyncio.run(run())


async def test_every_screen_shows_hostile_text_as_written():
    app = hostile_app(mode="expert")
    seen = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for number in range(1, 7):
            app.goto_step(number)
            await settle(app, pilot)
            for collapsible in app.screen.query(".check-details"):
                collapsible.collapsed = False
            await pilot.pause()
            seen.append(assert_safe(app, f"step {number}"))
        await pilot.press("f3")
        await settle(app, pilot)
        assert isinstance(app.screen, SummaryScreen)
        seen.append(assert_safe(app, "summary"))
        await pilot.press("f6")
        await settle(app, pilot)
        assert isinstance(app.screen, ChangeScreen)
        seen.append(assert_safe(app, "change"))
        await pilot.press("escape", "f1")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen)
        assert_safe(app, "help")
        await pilot.press("escape", "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ExportScreen)
        for fmt, _ in FORMATS:
            app.screen.query_one("#export-tabs").active = f"tab-{fmt}"
            await pilot.pause()
            preview = app.screen.query_one(f"#preview-{fmt}", TextArea).text
            assert not any(c in preview for c in RAW_CONTROLS) and not any(s in preview for s in SECRETS), fmt
            seen.append(assert_safe(app, f"export {fmt}"))
        await pilot.press("ctrl+q")
    assert app.return_code == 0
    everything = "\n".join(seen)
    # the markup is there, as text: shown, not parsed (and not eaten by a parser either)
    assert CLICK in everything and "['a=b']" in everything and "[b]proxy[/b]" in everything
    assert "␛]0;pwned" in everything and "<U+202E>" in everything


async def test_a_block_page_with_markdown_and_html_reads_as_text():
    app = hostile_app(body=HTML_BODY)
    app.session.exchanges[0].response_headers = app.session.exchanges[0].response_headers.replaced(
        "Content-Type", "text/html"
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        await settle(app, pilot)
        text = assert_safe(app, "summary of a block page")
        source = app.screen.query_one("#summary-text", Markdown).source
        outside_code = re.sub(r"(?ms)^(`{3,}).*?^\1", "", source)
        assert "<script>" not in outside_code.replace("\\<script\\>", ""), "raw HTML outside a code block"
    assert "Who said no" in text


async def test_notifications_are_plain_and_scrubbed():
    app = hostile_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        app.notify(f"{CLICK} {TITLE_OSC} {BIDI} Bearer {SECRETS[0]}", title=CLICK)
        app.screen.notify("[b]from a screen[/b]")
        await pilot.pause()
        notes = list(app._notifications)
        assert notes and all(n.markup is False for n in notes)
        last = [n for n in notes if CLICK in n.message][0]
        assert "\x1b" not in last.message and "\u202e" not in last.message and SECRETS[0] not in last.message
        assert last.title == CLICK
        assert app.return_code is None


async def test_a_details_line_from_http_1_0_without_a_reason_has_no_dangling_colon():
    from wizard403.tui.widgets import exchange_text

    session = hostile_session()
    exchange = session.exchanges[0]
    exchange.reason, exchange.http_version = "", "HTTP/1.0"
    text = exchange_text(exchange)
    assert "← 403  (" in text and "403 :" not in text
    exchange.reason = "[/]"
    assert "← 403 [/]  (" in exchange_text(exchange)


async def test_brackets_in_details_show_without_a_backslash():
    """Details used to show `\\[/]` where the server sent `[/]` (escape() output read by another parser)."""
    from wizard403.model import CheckResult
    from wizard403.tui.widgets import CheckRow

    app = hostile_app(mode="expert")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        result = CheckResult(id="www-authenticate", step=1, status="warn", summary="realm [/] and [b]x[/b]", details="close [/] tag",
                             evidence={"realm": "[/]"})
        app.session.checks = [c for c in app.session.checks if c.id != "www-authenticate"] + [result]
        row = app.screen.query_one("#check-www-authenticate", CheckRow)
        row.show(app.session, False, True, False)
        await pilot.pause()
        line = row.query_one(".check-line").render().plain
        details = row.query_one(".check-details-text").render().plain
        assert "realm [/] and [b]x[/b]" in line and "\\" not in line
        assert "realm = [/]" in details and "close [/] tag" in details and "\\[" not in details
