"""Runs the registered checks with asyncio: independent ones at once, dependent ones as soon as their inputs exist.

Results stream out through `on_event` as they finish (the TUI shows them live, `check` prints them). A check that
cannot run is recorded as `skipped` with the reason; a check that crashes is recorded as `error` with one sentence,
never a traceback. The request budget is shared out before anything is sent, in registry order, so which checks
run does not depend on timing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from wizard403.checks.client import BudgetSpent, Prober, UnsafeMethod
from wizard403.checks.registry import CheckContext, CheckSpec, Skip, all_checks
from wizard403.model import CheckResult, ProbeOptions, Session

# on_event(kind, check_id, result): kind is "started" or "finished" (result set on "finished").
EventHandler = Callable[[str, str, CheckResult | None], Any]


def plan(specs: list[CheckSpec], options: ProbeOptions, session: Session, live: bool) -> tuple[list[CheckSpec], dict[str, str]]:
    """Which checks run, and why each other one does not (budget, offline)."""
    runnable: list[CheckSpec] = []
    skipped: dict[str, str] = {}
    left = options.budget
    for spec in specs:
        if not live and spec.live:
            skipped[spec.id] = "this check sends requests, and the evidence is being analysed offline (add --live to probe)"
            continue
        need = spec.max_requests(options, session) if live else 0
        if need > left:
            skipped[spec.id] = (
                f"the politeness budget of {options.budget} requests per run is spent by the checks before it"
            )
            continue
        left -= need
        runnable.append(spec)
    return runnable, skipped


async def run_checks(
    session: Session,
    options: ProbeOptions,
    content: Any = None,
    on_event: EventHandler | None = None,
    only: Iterable[str] | None = None,
    live: bool = True,
) -> Session:
    """Run the checks (all, or `only` these ids and what they depend on) and store their results on the session."""
    specs = all_checks()
    if only is not None:
        wanted = set(only)
        grow = True
        while grow:
            deps = {d for s in specs if s.id in wanted for d in s.after}
            grow = not deps <= wanted
            wanted |= deps
        specs = [s for s in specs if s.id in wanted]
        keep = {s.id for s in specs}
        session.checks = [c for c in session.checks if c.id not in keep]
        if live:
            session.exchanges = [e for e in session.exchanges if e.check not in keep]
    else:
        session.checks = []
        if live:
            session.exchanges = [e for e in session.exchanges if e.check == "recorded"]

    runnable, skipped = plan(specs, options, session, live)
    order = {s.id: i for i, s in enumerate(all_checks())}
    results: dict[str, CheckResult | None] = {}
    done: dict[str, asyncio.Event] = {s.id: asyncio.Event() for s in specs}

    def emit(kind: str, check_id: str, result: CheckResult | None) -> None:
        if on_event is not None:
            try:
                on_event(kind, check_id, result)
            except Exception:  # noqa: BLE001 - a display problem must not stop the checks
                pass

    def finish(spec: CheckSpec, result: CheckResult) -> None:
        results[spec.id] = result
        session.checks.append(result)
        done[spec.id].set()
        emit("finished", spec.id, result)

    for spec in specs:
        if spec.id in skipped:
            finish(spec, CheckResult(spec.id, spec.step, "skipped", skipped[spec.id]))

    prober = Prober(session, options) if live else None

    async def run_one(spec: CheckSpec) -> None:
        for dep in spec.after:
            if dep in done:
                await done[dep].wait()
        emit("started", spec.id, None)
        ctx = CheckContext(spec, session, options, prober, content, results)
        try:
            result = await spec.run(ctx)
            if result is None:
                result = CheckResult(spec.id, spec.step, "info", "nothing to report")
        except Skip as why:
            result = CheckResult(spec.id, spec.step, "skipped", str(why))
        except BudgetSpent as why:
            result = CheckResult(spec.id, spec.step, "skipped", f"not sent: {why}")
        except UnsafeMethod as why:
            result = CheckResult(spec.id, spec.step, "skipped", f"not sent: {why} (it could change data on the server)")
        except asyncio.CancelledError:
            finish(spec, CheckResult(spec.id, spec.step, "skipped", "cancelled"))
            raise
        except Exception as err:  # noqa: BLE001 - one central handler: a broken check is a result, not a crash
            result = CheckResult(spec.id, spec.step, "error", f"the check failed unexpectedly: {type(err).__name__}: {err}")
        finish(spec, result)

    try:
        await asyncio.gather(*(run_one(s) for s in runnable))
    finally:
        if prober is not None:
            await prober.aclose()
        session.checks.sort(key=lambda c: (c.step, order.get(c.id, 999)))
        session.exchanges.sort(key=lambda e: e.at)
    return session
