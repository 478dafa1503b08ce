"""Snapshots of every screen in both modes at a fixed size, from a recorded exchange (no network, fixed clock),
so they are the same on every run. Regenerate with `pytest tests/test_tui_snapshots.py --snapshot-update`."""

from __future__ import annotations

import datetime as dt
import re

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


def test_step_6_with_its_first_query_focused(snap_compare):
    async def run_before(pilot) -> None:
        await _goto(6)(pilot)
        from wizard403.tui.owner import first_copy_block

        first_copy_block(pilot.app.screen).focus()
        await _settle(pilot)

    assert snap_compare(app_for("plain"), terminal_size=SIZE, run_before=run_before)


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


# ---------------------------------------------------------------- live sessions against the lab
# The checks really run against the lab (a scenario whose credential is a fixed session cookie, so its fingerprint
# is the same on every run). What varies from run to run and says nothing about the wizard (the lab's port, Date
# headers, timings, this machine's ports) is frozen on the finished session, then the screen is drawn afresh.

LIVE_PORT = 8403
FROZEN_DATE = "Sun, 22 Nov 2026 09:15:00 GMT"


STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")  # the UTC times quoted to the site owner


def _frozen(text: str, port: int) -> str:
    return STAMP.sub(NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), text.replace(f"127.0.0.1:{port}", f"127.0.0.1:{LIVE_PORT}"))


def freeze(session: Session, port: int) -> None:
    from wizard403.model import Headers as H

    def headers(found: H) -> H:
        return H([(k, FROZEN_DATE if k.lower() == "date" else _frozen(v, port)) for k, v in found])

    session.target.url = _frozen(session.target.url, port)
    session.target.headers = headers(session.target.headers)
    for ex in session.exchanges:
        ex.url = _frozen(ex.url, port)
        ex.redirects = [_frozen(u, port) for u in ex.redirects]
        ex.request_headers, ex.response_headers = headers(ex.request_headers), headers(ex.response_headers)
        ex.body = _frozen(ex.body.decode("latin-1"), port).encode("latin-1")
        ex.elapsed_ms, ex.at = 3, NOW
        ex.local_address, ex.remote_address = "127.0.0.1:40000", f"127.0.0.1:{LIVE_PORT}"
    for ref in session.references:
        ref.value, ref.at = _frozen(ref.value, port), NOW
    for check in session.checks:
        check.summary, check.details = _frozen(check.summary, port), _frozen(check.details, port)
        check.evidence = {k: _frozen(v, port) if isinstance(v, str) else v for k, v in check.evidence.items()}
        check.evidence = {k: [_frozen(i, port) for i in v] if isinstance(v, list) else v for k, v in check.evidence.items()}


def _live(step: int | None):
    async def run_before(pilot) -> None:
        app = pilot.app
        await _settle(pilot)
        assert app.session.check("baseline").status == "fail", "the live run reached the lab"
        freeze(app.session, app.lab.port)
        from wizard403.diagnose import diagnose

        diagnose(app.session, app.content)
        if step is None:
            await pilot.press("f3")
        else:
            app.goto_step(step)
        await _settle(pilot)

    return run_before


@pytest.mark.parametrize("mode", ["plain", "expert"])
def test_live_step_1_shows_results_and_the_redacted_cookie(snap_compare, mode):
    from wizard403.lab import start_lab

    with start_lab() as lab:
        app = make_app(lab=lab, scenario="stale-cookie", use_autosave=False, now=NOW, expert=mode == "expert")
        assert snap_compare(app, terminal_size=(100, 44), run_before=_live(1))


def test_live_summary(snap_compare):
    from wizard403.lab import start_lab

    with start_lab() as lab:
        app = make_app(lab=lab, scenario="stale-cookie", use_autosave=False, now=NOW)
        assert snap_compare(app, terminal_size=SIZE, run_before=_live(None))


def test_live_export_preview(snap_compare):
    from wizard403.lab import start_lab

    async def run_before(pilot) -> None:
        await _live(1)(pilot)
        await pilot.press("ctrl+s")
        await _settle(pilot)

    with start_lab() as lab:
        app = make_app(lab=lab, scenario="stale-cookie", use_autosave=False, now=NOW, expert=True)
        assert snap_compare(app, terminal_size=(100, 44), run_before=run_before)
