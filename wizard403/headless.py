"""One analysis pass (checks, then diagnosis) and the headless `check` command built on it.

The wizard runs the same `analyse` in a worker, so the CLI and the TUI can never disagree about a diagnosis.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from wizard403.checks.runner import EventHandler, run_checks
from wizard403.errors import EXIT_GRANTED, EXIT_REFUSED, EXIT_UNREACHABLE
from wizard403.model import CheckResult, ProbeOptions, Session

UNREACHABLE_KINDS = ("dns", "connect", "tls", "timeout", "redirect-loop")
MARKS = {"pass": "✔", "fail": "✘", "warn": "!", "info": "·", "skipped": "–", "error": "⚠"}


async def analyse(
    session: Session,
    options: ProbeOptions,
    content: Any,
    live: bool = True,
    on_event: EventHandler | None = None,
    only: list[str] | None = None,
) -> Session:
    """Run the checks (live, or passive ones on recorded evidence) and rank the causes."""
    from wizard403.diagnose import diagnose

    await run_checks(session, options, content, on_event=on_event, only=only, live=live)
    diagnose(session, content)
    return session


def exit_code_for(session: Session) -> int:
    """0 granted, 3 refused and diagnosed, 4 unreachable (DESIGN.md §4)."""
    base = next((e for e in session.exchanges if e.check in ("baseline", "recorded") and e.route == "normal"), None)
    if base is not None and base.status is None and (base.error_kind or "other") in UNREACHABLE_KINDS + ("other", "protocol"):
        return EXIT_UNREACHABLE
    if session.verdict.reproduced:
        return EXIT_REFUSED
    if session.verdict.reproduced is None and base is not None and base.status in (401, 403):
        return EXIT_REFUSED
    return EXIT_GRANTED


def _progress_printer(stream, session: Session) -> EventHandler:
    from wizard403.scrub import Scrubber

    def on_event(kind: str, check_id: str, result: CheckResult | None) -> None:
        if kind == "finished" and result is not None:
            # A summary may quote the server (which may quote a token): the session's scrubber sees it first.
            summary = Scrubber.for_session(session).shown(result.summary)
            stream.write(f"  step {result.step}  {MARKS.get(result.status, '?')} {check_id}: {summary}\n")
            stream.flush()

    return on_event


def run_headless(
    session: Session,
    options: ProbeOptions,
    content: Any,
    live: bool,
    fmt: str,
    output: str | None,
    quiet: bool = False,
) -> int:
    """`wizard403 check`: analyse, print progress on stderr, write the report, return the exit code."""
    from wizard403.report import render, write_atomic

    progress = None if quiet else _progress_printer(sys.stderr, session)
    if not quiet:
        how = "probing live" if live else "analysing the recorded evidence offline"
        sys.stderr.write(f"wizard403: {session.target.method} {_safe_url(session.target.url)} ({how})\n")
    asyncio.run(analyse(session, options, content, live=live, on_event=progress))
    text = render(session, fmt, content)
    if output:
        write_atomic(Path(output), text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    code = exit_code_for(session)
    if not quiet:
        top = session.causes[0] if session.causes else None
        verdict = {EXIT_GRANTED: "not refused", EXIT_REFUSED: "refused", EXIT_UNREACHABLE: "unreachable"}[code]
        line = f"wizard403: {verdict}"
        if code != EXIT_GRANTED and top is not None:
            line += f"; most likely: {top.title} ({top.likelihood})"
        line = _scrubbed(line, session)
        if output:
            line += f"; report written to {output}"
        sys.stderr.write(line + "\n")
    return code


def _safe_url(url: str) -> str:
    from wizard403.scrub import Scrubber

    scrubber = Scrubber()
    scrubber.add_url(url)
    return scrubber.url(url)


def _scrubbed(line: str, session: Session) -> str:
    from wizard403.scrub import Scrubber

    return Scrubber.for_session(session).shown(line)
