"""The Textual wizard: the only package that imports textual. Entry points stay import-light for the CLI."""

from __future__ import annotations

import sys
from typing import Any

DEMO_PORT = 8403  # a stable port lets a resumed demo session re-run its checks


def run_wizard(session=None, options=None, content=None, live: bool = True, expert: bool = False) -> int:
    """Open the wizard on a session (or on the start screen) and return the process exit code."""
    from wizard403.tui.app import make_app

    app = make_app(session=session, options=options, content=content, live=live, expert=expert)
    app.run()
    return exit_code(app)


def exit_code(app: Any) -> int:
    """The app's exit code; after a crash, the one sentence saying where the crash report is (code 1)."""
    if app.crash_sentence:
        print(app.crash_sentence, file=sys.stderr)
        return 1
    return int(app.return_code or 0)


def run_demo(scenario_id: str | None, content: Any = None, port: int = 0, expert: bool = False) -> int:
    """Start the lab on loopback, open the wizard on the chosen scenario (or let the user pick one)."""
    from wizard403.lab import start_lab
    from wizard403.tui.app import make_app

    from wizard403.errors import InputError

    try:
        lab = start_lab(port=port or DEMO_PORT)
    except InputError:
        if port:
            raise
        lab = start_lab(port=0)  # the usual port is taken: any free one will do
    with lab:
        app = make_app(content=content, lab=lab, scenario=scenario_id, expert=expert)
        app.run()
    return exit_code(app)
