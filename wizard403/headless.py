"""One analysis pass (checks, then diagnosis) and the headless `check` command built on it.

The wizard runs the same `analyse` in a worker, so the CLI and the TUI can never disagree about a diagnosis.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from wizard403.checks.registry import unanswered_text
from wizard403.checks.runner import EventHandler, run_checks, run_without_loop
from wizard403.errors import EXIT_GRANTED, EXIT_REFUSED, EXIT_UNREACHABLE
from wizard403.model import CheckResult, Exchange, ProbeOptions, Session
from wizard403.scrub import Scrubber
from wizard403.textsafe import one_line

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
    from wizard403.diagnose.catalogue import catalogue_for

    if content is not None:
        # Build the signature catalogue (TOML and a few hundred regular expressions, 0.2 s of CPU) before any
        # request is in flight: built inside a check, it stalled the event loop while exchanges were timed, and on
        # a loaded machine an exchange ran out of time while its answer sat unread.
        catalogue_for(content)
    await run_checks(session, options, content, on_event=on_event, only=only, live=live)
    diagnose(session, content)
    return session


def exit_code_for(session: Session) -> int:
    """0 granted, 3 refused and diagnosed, 4 unreachable (DESIGN.md §4)."""
    base = _baseline(session)
    if base is not None and base.status is None and (base.error_kind or "other") in UNREACHABLE_KINDS + ("other", "protocol"):
        return EXIT_UNREACHABLE
    if session.verdict.reproduced:
        return EXIT_REFUSED
    if session.verdict.reproduced is None and base is not None and base.status in (401, 403):
        return EXIT_REFUSED
    return EXIT_GRANTED


def _baseline(session: Session) -> Exchange | None:
    return next((e for e in session.exchanges if e.check in ("baseline", "recorded") and e.route == "normal"), None)


def progress_line(result: CheckResult, scrubber: Scrubber) -> str:
    """One line of `check`'s progress on stderr: the session's secrets scrubbed, no control character left."""
    return f"  step {result.step}  {MARKS.get(result.status, '?')} {one_line(scrubber.scrub(result.id))}: {one_line(scrubber.scrub(result.summary))}"


def verdict_line(session: Session, code: int, output: str | None) -> str:
    """The last line on stderr: refused, not refused or unreachable, with the most likely cause (scrubbed, visible)."""
    top = session.causes[0] if session.causes else None
    verdict = {EXIT_GRANTED: "not refused", EXIT_REFUSED: "refused", EXIT_UNREACHABLE: "unreachable"}[code]
    line = f"wizard403: {verdict}"
    if code == EXIT_UNREACHABLE:
        base = _baseline(session)
        line += f": {unanswered_text(base)}" if base is not None else ": the server could not be reached"
    elif code != EXIT_GRANTED and top is not None:
        line += f"; most likely: {top.title} ({top.likelihood})"
    if output:
        line += f"; report written to {output}"
    return one_line(Scrubber.for_session(session).scrub(line))


def _progress_printer(stream, session: Session) -> EventHandler:
    def on_event(kind: str, check_id: str, result: CheckResult | None) -> None:
        if kind == "finished" and result is not None:
            stream.write(progress_line(result, Scrubber.for_session(session)) + "\n")
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
        say(f"wizard403: {session.target.method} {_safe_url(session.target.url)} ({how})", session)
    if live:
        import asyncio

        asyncio.run(analyse(session, options, content, live=live, on_event=progress))
    else:  # nothing is sent, nothing waits: no event loop (and no asyncio to import)
        run_without_loop(analyse(session, options, content, live=live, on_event=progress))
    text = render(session, fmt, content)
    if output:
        write_atomic(Path(output), text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    code = exit_code_for(session)
    if not quiet:
        say(verdict_line(session, code, output), session)
    return code


def say(line: str, session: Session | None = None, stream=None) -> None:
    """One line on stderr, as every line `check` prints there: secrets scrubbed, control characters visible."""
    stream = stream or sys.stderr
    stream.write(one_line(Scrubber.for_session(session).scrub(line)) + "\n")
    stream.flush()


def _safe_url(url: str) -> str:
    scrubber = Scrubber()
    scrubber.add_url(url)
    return scrubber.url(url)
