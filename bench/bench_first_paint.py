"""Wizard first paint as a ratio to a bare Textual app's, both measured in this run (target: at most 1.3).

Each sample is a fresh process, timed from interpreter start to the first completed refresh of the first screen
(headless, 100x30), so imports and start-up are part of it, as a user feels them. Alternating runs, medians.
Usage: python bench/bench_first_paint.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile

BARE = """
import time, sys
from textual.app import App
from textual.widgets import Header, Footer, Static
class Bare(App):
    def compose(self):
        yield Header(); yield Static("hello"); yield Footer()
    def on_mount(self):
        self.call_after_refresh(self.done)
    def done(self):
        print(time.perf_counter() - START); self.exit()
Bare().run(headless=True, size=(100, 30))
"""

WIZARD = """
import time, sys
from wizard403.tui.app import WizardApp
class Timed(WizardApp):
    def on_mount(self):
        super().on_mount()
        self.screen.call_after_refresh(self.done)
    def done(self):
        print(time.perf_counter() - START); self.exit()
Timed(use_autosave=False).run(headless=True, size=(100, 30))
"""


def sample(code: str, state: str) -> float:
    prelude = "import time\nSTART = time.perf_counter()\n"
    env_code = prelude + code
    out = subprocess.run(
        [sys.executable, "-c", env_code],
        capture_output=True,
        text=True,
        check=True,
        env={"WIZARD403_STATE_DIR": state, "WIZARD403_CONFIG_DIR": state, "PATH": "/usr/bin:/bin"},
    )
    # interpreter start-up before START is the same for both; what differs is measured from START
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    bare, wizard = [], []
    with tempfile.TemporaryDirectory() as state:
        sample(BARE, state)  # warm the file cache for both
        sample(WIZARD, state)
        for _ in range(args.runs):
            bare.append(sample(BARE, state))
            wizard.append(sample(WIZARD, state))
    b, w = statistics.median(bare), statistics.median(wizard)
    print(f"bare Textual app first paint: median {b * 1000:.0f} ms over {args.runs} runs")
    print(f"wizard403 first paint:        median {w * 1000:.0f} ms over {args.runs} runs")
    print(f"ratio wizard / bare: {w / b:.2f} (target <= 1.30)")


if __name__ == "__main__":
    main()
