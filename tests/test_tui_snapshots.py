"""Snapshots of every screen in both modes at a fixed size, from a recorded exchange (no network, fixed clock),
so they are the same on every run. Regenerate with `pytest tests/test_tui_snapshots.py --snapshot-update`."""

from __future__ import annotations

import datetime as dt

import pytest

from wizard403.model import Exchange, Headers, ProbeOptions, Session, Target
from wizard403.tui.app import make_app

NOW = dt.datetime(2026, 11, 22, 9, 15, tzinfo=dt.timezone.utc)
SIZE = (100, 32)
BLOCK_PAGE = b"""<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>
<div id="cf-wrapper"><h1><span data-translate="error">Error</span> <span>1020</span></h1>
<h2 class="cf-subheadline">Access denied</h2>
<p>This website is using a security service to protect itself from online attacks.</p>
<h2 data-translate="blocked_why_headline">Why have I been blocked?</h2>
<p>Cloudflare Ray ID: <strong>8f1c2a3b4d5e6f70</strong></p></div></body></html>"""


@pytest.fixture(autouse=True)
def fixed_fingerprint_key(monkeypatch):
    """Fingerprints are keyed (HMAC): a fixed organisation key keeps them, and the snapshots, the same on every run."""
    monkeypatch.setenv("WIZARD403_FINGERPRINT_KEY", "wizard403-snapshot-key")


def recorded_session(mode: str) -> Session:
    target = Target(
        url="https://shop.example.com/search?q=boots",
        headers=Headers([("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0"), ("Cookie", "cart=abc123456789")]),
        source="response",
    )
    exchange = Exchange(
        check="recorded",
        method="GET",
        url=target.url,
        status=403,
        reason="Forbidden",
        http_version="HTTP/1.1",
        request_headers=target.headers,
        response_headers=Headers(
            [
                ("Date", "Sun, 22 Nov 2026 09:14:58 GMT"),
                ("Content-Type", "text/html; charset=UTF-8"),
                ("Server", "cloudflare"),
                ("CF-RAY", "8f1c2a3b4d5e6f70-FRA"),
            ]
        ),
        body=BLOCK_PAGE,
        at=NOW,
    )
    session = Session(target=target, created=NOW, mode=mode)
    session.exchanges.append(exchange)
    return session


def app_for(mode: str):
    return make_app(session=recorded_session(mode), options=ProbeOptions(), live=False, use_autosave=False, now=NOW, expert=mode == "expert")


async def _settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()


def _goto(step: int):
    async def run_before(pilot) -> None:
        await _settle(pilot)
        pilot.app.goto_step(step)
        await _settle(pilot)

    return run_before


@pytest.mark.parametrize("mode", ["plain", "expert"])
@pytest.mark.parametrize("step", [1, 2, 3, 4, 5, 6])
def test_step_screens(snap_compare, mode, step):
    assert snap_compare(app_for(mode), terminal_size=SIZE, run_before=_goto(step))


@pytest.mark.parametrize("mode", ["plain", "expert"])
def test_summary_screen(snap_compare, mode):
    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("f3")
        await _settle(pilot)

    assert snap_compare(app_for(mode), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("mode", ["plain", "expert"])
def test_export_screen(snap_compare, mode):
    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("ctrl+s")
        await _settle(pilot)

    assert snap_compare(app_for(mode), terminal_size=SIZE, run_before=run_before)


def test_start_screen(snap_compare):
    assert snap_compare(make_app(use_autosave=False, now=NOW), terminal_size=SIZE, run_before=_settle)


def test_step_screen_fits_80x24(snap_compare):
    assert snap_compare(app_for("plain"), terminal_size=(80, 24), run_before=_goto(1))


def test_help_screen(snap_compare):
    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.press("f1")
        await _settle(pilot)

    assert snap_compare(app_for("plain"), terminal_size=SIZE, run_before=run_before)
