"""The wizard's comparison: from the start screen with two files, and from step 5 of a live session, where "Find the
culprit" replays the pair against the lab within the budget and the summary's ranking follows what it found.

Asserted is what a person sees (the screen's text, the table's rows), what reached the lab, and the ranking.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from textual.widgets import DataTable, Input, OptionList, TextArea

from tests.hostile import TITLE_OSC, actions_in, contents_of, painted_text
from tests.screen import screen_prose, screen_text
from tests.test_tui_flow import own_lab, settle  # noqa: F401 - a lab of the test's own, and waiting for its workers
from wizard403.cli import main
from wizard403.tui.app import make_app
from wizard403.tui.screens.compare import CompareScreen
from wizard403.tui.screens.compare_form import CompareFormScreen
from wizard403.tui.screens.start import StartScreen
from wizard403.tui.screens.step import StepScreen
from wizard403.tui.screens.summary import SummaryScreen

SIZE = (110, 40)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
# A real-looking bearer token (a JWT) and session cookie: what a colleague's HAR export holds.
TOKEN = ("eyJhbGciOiJSUzI1NiIsImtpZCI6InByb2QtMjAyNiJ9.eyJzdWIiOiJhbGljZUBjb3JwLmV4YW1wbGUiLCJzY29wZSI6Im9yZGVyczpy"
         "ZWFkIn0.Q2FtZWxDYXNlU2lnbmF0dXJlVGhhdElzTG9uZ0Vub3VnaEZvclJTMjU2")
OTHER_TOKEN = TOKEN[:-12] + "T3RoZXJTaWdu"
COOKIE = "7f3a9c2e51d04b8e9a6f0c1d2b3e4f5a"
SECRETS = (TOKEN, TOKEN.rsplit(".", 1)[1], OTHER_TOKEN, COOKIE)
SHOP = "https://shop.example.com/api/v2/orders"


def har_file(path: Path, entries: list[tuple[str, str, int, list[tuple[str, str]]]]) -> Path:
    """A HAR as a browser exports it: each entry (method, url, status, request headers)."""
    rows = []
    for i, (method, url, status, headers) in enumerate(entries):
        rows.append({
            "startedDateTime": f"2026-11-22T09:1{i}:00.000Z", "time": 12,
            "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1", "cookies": [], "queryString": [],
                        "headers": [{"name": k, "value": v} for k, v in headers], "headersSize": -1, "bodySize": 0},
            "response": {"status": status, "statusText": "OK" if status == 200 else "Forbidden", "httpVersion": "HTTP/1.1",
                         "headers": [{"name": "Content-Type", "value": "application/json"}], "cookies": [],
                         "content": {"size": 2, "mimeType": "application/json", "text": "{}"}, "redirectURL": "",
                         "headersSize": -1, "bodySize": 2},
            "cache": {}, "timings": {"send": 1, "wait": 10, "receive": 1},
        })
    path.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": rows}}))
    return path


def curl_file(path: Path, url: str, headers: list[tuple[str, str]], agent: str = BROWSER) -> Path:
    words = ["curl", url] + [w for name, value in headers for w in ("-H", f"{name}: {value}")] + ["-A", agent]
    path.write_text(shlex.join(words) + "\n")
    return path


def working_headers(token: str = TOKEN) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {token}"), ("Cookie", f"sessionid={COOKIE}; _ga=GA1.1.111"),
            ("X-Client-Release", "2"), ("Accept-Language", "en-GB"), ("traceparent", "00-aaaa-01"),
            ("User-Agent", BROWSER)]


def refused_headers(token: str = TOKEN) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {token}"), ("Cookie", f"sessionid={COOKIE}; _ga=GA1.1.222"),
            ("Accept-Language", "de-DE"), ("traceparent", "00-bbbb-01"), ("User-Agent", BROWSER)]


def table_rows(screen) -> list[list[str]]:
    table = screen.query_one("#differences", DataTable)
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


def everything_shown(app) -> str:
    """The viewport as painted, every Content of the screen (scrolled away too) and every cell of the table."""
    rows = table_rows(app.screen) if app.screen.query("#differences") else []
    return "\n".join([screen_text(app), painted_text(app), *(c.plain for c in contents_of(app.screen)),
                      *("\t".join(r) for r in rows)])


async def open_form(app, pilot) -> None:
    assert isinstance(app.screen, StartScreen)
    sources = app.screen.query_one("#sources", OptionList)
    sources.focus()
    sources.highlighted = [o.id for o in sources.options].index("source-compare")
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, CompareFormScreen)


async def compare_files(app, pilot, working: Path, refused: Path) -> None:
    await open_form(app, pilot)
    app.screen.query_one("#working-path", Input).value = str(working)
    app.screen.query_one("#refused-path", Input).value = str(refused)
    await pilot.press("ctrl+n")
    await settle(app, pilot)


# ------------------------------------------------------------------------------------------------ from the start


async def test_from_the_start_screen_two_files_rank_the_header_that_matters_first(tmp_path):
    working = har_file(tmp_path / "colleague.har", [
        ("GET", "https://shop.example.com/static/app.js", 200, [("User-Agent", BROWSER)]),
        ("GET", f"{SHOP}?_=1733212800000", 200, working_headers()),
    ])
    refused = har_file(tmp_path / "mine.har", [("GET", f"{SHOP}?_=1733299200000", 403, refused_headers())])
    app = make_app(use_autosave=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_form(app, pilot)
        app.screen.query_one("#refused-path", Input).value = str(refused)
        # keyboard: Enter in the path lists the HAR's requests with the refused one's twin highlighted, Enter picks it
        field = app.screen.query_one("#working-path", Input)
        field.value = str(working)
        field.focus()
        await pilot.press("enter")
        await pilot.pause()
        entries = app.screen.query_one("#working-entries", OptionList)
        assert entries.display and entries.option_count == 2
        await pilot.press("enter")
        await pilot.pause()
        assert "✓ GET https://shop.example.com/api/v2/orders?_=1733212800000 (answered 200) from entry 2 of colleague.har" in screen_prose(app)
        await pilot.click("#compare")
        await settle(app, pilot)
        assert isinstance(app.screen, CompareScreen)
        rows = table_rows(app.screen)
        assert rows[0][1:4] == ["header", "X-Client-Release", "2"] and rows[0][4] == "(not sent)"
        prose = screen_prose(app)
        assert "the most likely is the header X-Client-Release" in prose
        assert "Working: GET https://shop.example.com/api/v2/orders?_=1733212800000 (answered 200)" in prose
        assert "Refused: GET https://shop.example.com/api/v2/orders?_=1733299200000 (answered 403)" in prose
        assert prose.index("Noise") > prose.index("X-Client-Release") and "traceparent" in prose.split("Noise", 1)[1]
        shown = everything_shown(app)
        assert not any(secret in shown for secret in SECRETS)
        # the comparison feeds the diagnosis as --working does: the wizard opens on the refused request
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert isinstance(app.screen, StepScreen)
        check = app.session.check("working-comparison")
        assert app.session.target.working is not None and "X-Client-Release" in check.summary
        # within a session, f7 asks only for the working request: the refused one is the session's, here recorded
        # evidence analysed offline, so the comparison offers no live search
        await pilot.press("f7")
        await pilot.pause()
        assert isinstance(app.screen, CompareFormScreen) and not app.screen.query("#refused-path")
        assert "The refused request: GET https://shop.example.com/api/v2/orders?_=1733299200000" in screen_prose(app)
        app.screen.query_one("#working-path", Input).value = str(working)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert isinstance(app.screen, CompareScreen) and app.screen.query_one("#find").disabled
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        assert app.screen.narrowed is None and "analysed offline, so nothing is replayed" in screen_prose(app)
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, StepScreen)


async def test_a_bad_file_gives_the_sentence_the_command_line_gives(tmp_path, capsys):
    good = curl_file(tmp_path / "good.txt", SHOP, [])
    text = tmp_path / "notes.txt"
    text.write_text("it works on my colleague's laptop\n")
    missing = tmp_path / "missing.har"
    said = {}
    for bad in (missing, text):
        assert main(["compare", str(bad), str(good), "--quiet"]) == 2
        said[bad] = capsys.readouterr().err.strip().removeprefix("wizard403: ")
    assert "does not exist." in said[missing] and "holds no curl command" in said[text]
    app = make_app(use_autosave=False)
    async with app.run_test(size=SIZE) as pilot:
        for bad, sentence in said.items():
            await compare_files(app, pilot, bad, good)
            assert isinstance(app.screen, CompareFormScreen)
            assert sentence in screen_prose(app)
            await pilot.press("escape")
            await pilot.pause()
        await open_form(app, pilot)
        app.screen.query_one("#working-curl", TextArea).text = "wget https://shop.example.com/"
        app.screen.query_one("#refused-path", Input).value = str(good)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert "this is not a curl command: it starts with “wget”" in screen_prose(app)


async def test_a_token_in_the_working_file_never_reaches_the_screen(tmp_path):
    working = har_file(tmp_path / "colleague.har", [("GET", SHOP, 200, working_headers(TOKEN))])
    refused = curl_file(tmp_path / "mine.txt", SHOP, [("Authorization", f"Bearer {OTHER_TOKEN}")])
    app = make_app(use_autosave=False)
    async with app.run_test(size=SIZE) as pilot:
        await compare_files(app, pilot, working, refused)
        assert isinstance(app.screen, CompareScreen)
        rows = table_rows(app.screen)
        by_name = {r[2]: r for r in rows}
        assert "[redacted" in by_name["Authorization"][3] and "[redacted" in by_name["sessionid"][3]
        seen = []
        for _ in rows:  # every row's full detail, as the cursor shows it
            seen.append(everything_shown(app))
            await pilot.press("down")
            await pilot.pause()
    for secret in SECRETS:
        assert not any(secret in text for text in seen), "a secret from the HAR is on screen"


async def test_hostile_values_show_inert(tmp_path):
    note = f"[ @click=app.quit]quit[/] {TITLE_OSC} [b]bold[/b]"
    working = curl_file(tmp_path / "w.txt", SHOP, [("X-Note", note), ("X-Client-Release", "2")])
    refused = curl_file(tmp_path / "r.txt", SHOP, [])
    app = make_app(use_autosave=False)
    async with app.run_test(size=SIZE) as pilot:
        await compare_files(app, pilot, working, refused)
        assert isinstance(app.screen, CompareScreen)
        for _ in range(3):
            await pilot.press("down", "enter")
        await pilot.pause()
        shown = everything_shown(app)
        assert "[ @click=app.quit]quit[/]" in shown and "␛]0;pwned" in shown and "[b]bold[/b]" in shown
        assert "\x1b" not in shown and "\x07" not in painted_text(app)
        table = app.screen.query_one("#differences", DataTable)
        cells = [cell for i in range(table.row_count) for cell in table.get_row_at(i)]
        assert not any("@click" in str(span.style) for cell in cells for span in cell.spans)
        assert actions_in(app.screen) == []
        assert app.title == "wizard403" and app.return_code is None


async def test_two_identical_requests_say_the_difference_is_elsewhere(tmp_path):
    same = curl_file(tmp_path / "same.txt", SHOP, [("X-Client-Release", "2")])
    app = make_app(use_autosave=False)
    async with app.run_test(size=SIZE) as pilot:
        await compare_files(app, pilot, same, same)
        assert isinstance(app.screen, CompareScreen)
        assert not app.screen.query_one("#differences", DataTable).display
        prose = screen_prose(app)
    assert "The two requests are the same: the difference is elsewhere" in prose and "Nothing to rank" in prose


# ------------------------------------------------------------------------------------------------ step 5, live


async def test_step_5_finds_the_release_header_within_the_budget_and_the_ranking_follows(own_lab, tmp_path):
    url = own_lab.url("client-release")
    working = curl_file(tmp_path / "colleague.txt", f"{url}?_=1733212800000",
                        [h for h in working_headers() if h[0] != "User-Agent"] + [("X-Client-Name", "portal")])
    app = make_app(lab=own_lab, scenario="client-release", use_autosave=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.goto_step(5)
        await settle(app, pilot)
        button = app.screen.query_one("#compare")
        button.scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click(button)  # the mouse
        await pilot.pause()
        assert isinstance(app.screen, CompareFormScreen)
        assert not app.screen.query("#refused-path"), "the refused request is the session's"
        assert "The refused request: GET http://127.0.0.1" in screen_prose(app)
        app.screen.query_one("#working-path", Input).value = str(working)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert isinstance(app.screen, CompareScreen)
        offline_top = app.session.causes[0].id
        assert offline_top != "app-rule", "offline, the token the colleague sends looks most telling"
        before = len(own_lab.requests)
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        sent = own_lab.requests[before:]
        rows = table_rows(app.screen)
        assert rows[0][0] == "◆ culprit" and rows[0][2] == "X-Client-Release"
        prose = screen_prose(app)
        assert "Taking over header X-Client-Release from the working request turns the refusal into a success" in prose
        assert 2 <= len(sent) <= 12 and f"Done: {len(sent)} of at most 12 requests sent" in prose
        assert all(r.method == "GET" and r.path.startswith("/api/v2/orders") for r in sent)
        assert app.session.causes[0].id == "app-rule"
        assert "X-Client-Release" in app.session.check("working-comparison").summary
        await pilot.press("f3")
        await settle(app, pilot)
        assert isinstance(app.screen, SummaryScreen)
        summary = screen_prose(app)
    title = app.content.causes["app-rule"].title
    assert title in summary
    assert not any(secret in summary for secret in SECRETS)


def test_snapshot_of_the_comparison(snap_compare, tmp_path, monkeypatch):
    monkeypatch.setenv("WIZARD403_FINGERPRINT_KEY", "wizard403-snapshot-key")
    working = har_file(tmp_path / "colleague.har", [("GET", f"{SHOP}?_=1733212800000", 200, working_headers())])
    refused = curl_file(tmp_path / "mine.txt", f"{SHOP}?_=1733299200000",
                        [("Authorization", f"Bearer {OTHER_TOKEN}"), ("Accept-Language", "de-DE")], agent="curl/8.5.0")

    async def run_before(pilot) -> None:
        await compare_files(pilot.app, pilot, working, refused)

    assert snap_compare(make_app(use_autosave=False), terminal_size=(110, 34), run_before=run_before)
