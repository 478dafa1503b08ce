"""Regenerate screenshots/ from the real app against the built-in lab: SVG from Textual, PNG with rsvg-convert.

Run with `make screenshots`. It also proves that no secret the lab scenario sends appears in any image.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os

os.environ.setdefault("WIZARD403_FINGERPRINT_KEY", "wizard403-screenshots")  # the same fingerprints on every machine
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "screenshots"
SIZE = (110, 34)
NOW = dt.datetime(2026, 11, 22, 9, 15, tzinfo=dt.timezone.utc)


async def capture() -> list[Path]:
    from textual.widgets import Input, OptionList

    from wizard403.lab import SCENARIOS, start_lab
    from wizard403.tui.app import make_app

    shots: list[Path] = []
    with start_lab(port=8403) if _port_free(8403) else start_lab() as lab:
        app = make_app(lab=lab, use_autosave=False, now=NOW)
        secrets: list[str] = []

        async def shot(pilot, name: str) -> None:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)
            path = OUT / f"{name}.svg"
            app.save_screenshot(filename=path.name, path=str(OUT))
            shots.append(path)

        async with app.run_test(size=SIZE) as pilot:
            await shot(pilot, "01-start")
            options = app.screen.query_one("#scenarios", OptionList)
            options.focus()
            options.highlighted = [s.id for s in SCENARIOS].index("ip-allowlist")
            await pilot.press("enter")
            await shot(pilot, "02-step-identity")
            app.goto_step(4)
            await shot(pilot, "03-step-network")
            await pilot.press("f2")
            await shot(pilot, "04-step-network-expert")
            await pilot.press("f2")
            await pilot.press("f3")
            await shot(pilot, "05-summary")
            await pilot.press("ctrl+s")
            await shot(pilot, "06-export")
            secrets += [v for k, v in app.session.target.headers if k.lower() in ("authorization", "cookie")]
        # the token scenario: its bearer token must never show
        app = make_app(lab=lab, scenario="insufficient-scope", use_autosave=False, now=NOW)
        async with app.run_test(size=SIZE) as pilot:
            await shot(pilot, "07-step-token")
            secrets.append(app.session.target.bearer_token or "")
        # the comparison: a colleague's request works, ours is refused; "Find the culprit" replays the pair
        working, working_secrets = _colleague_request(lab)
        secrets += working_secrets
        app = make_app(lab=lab, scenario="client-release", use_autosave=False, now=NOW)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            app.goto_step(5)
            await pilot.pause()
            await pilot.press("f7")
            await pilot.pause()
            app.screen.query_one("#working-path", Input).value = str(working)
            await pilot.press("ctrl+n")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.press("ctrl+f")
            await shot(pilot, "08-compare")
    for path in shots:
        text = path.read_text()
        for secret in filter(None, secrets):
            token_part = secret.split(" ", 1)[-1]
            if token_part in text or token_part.rsplit(".", 1)[-1] in text:
                raise SystemExit(f"screenshots: a secret shows in {path.name}; not writing images")
    return shots


def _colleague_request(lab) -> tuple[Path, list[str]]:
    """A colleague's "Copy as cURL" of the lab's orders API: it works (X-Client-Release: 2) and differs from ours in
    several other ways, among them a bearer token and a session cookie that must never show."""
    import shlex

    from wizard403.lab.tokens import mint_token

    token, cookie = mint_token("valid", lab.host), "sessionid=5c1e0a7d93b24f6e8a0d7c4b1f2e9a36"
    browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
    words = ["curl", f"{lab.url('client-release')}?_=1763802900000", "-H", "X-Client-Release: 2",
             "-H", f"Authorization: Bearer {token}", "-H", "Accept-Language: en-GB", "-H", "X-Client-Name: portal",
             "-H", "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "-b", f"{cookie}; _ga=GA1.1.5",
             "-A", browser]
    path = Path(tempfile.mkdtemp(prefix="wizard403-shots-")) / "colleague.txt"
    path.write_text(shlex.join(words) + "\n")
    return path, [f"Bearer {token}", cookie.split("=", 1)[1]]


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main() -> int:
    OUT.mkdir(exist_ok=True)
    os.environ.setdefault("WIZARD403_STATE_DIR", tempfile.mkdtemp(prefix="wizard403-shots-"))
    os.environ.setdefault("WIZARD403_CONFIG_DIR", os.environ["WIZARD403_STATE_DIR"])
    shots = asyncio.run(capture())
    converter = shutil.which("rsvg-convert")
    if converter is None:
        print("screenshots: rsvg-convert is missing (apt-get install librsvg2-bin); SVGs only", file=sys.stderr)
        return 1
    for svg in shots:
        subprocess.run([converter, "--zoom", "1", "-o", str(svg.with_suffix(".png")), str(svg)], check=True)
        print(f"screenshots: {svg.relative_to(ROOT)} and .png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
