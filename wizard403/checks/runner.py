"""Runs the registered checks with asyncio: independent ones at once, dependent ones as soon as their inputs exist.

Live runs go in two phases. The baseline goes first (while the host's published addresses are looked up), because
what it shows decides which probes can tell anything: no cache headers, no no-cache retry; one credential, no
credential isolation. Then the request budget is shared out in priority order (most telling probes first) and
every other check starts at once. Which checks get requests depends only on the baseline, never on timing.

Offline runs (recorded evidence: a HAR, a raw response) send nothing, and their checks only read what is there, so
they run one after another in the registry's order (the order asyncio ran them in: none of them ever waits) and need
no event loop: `check --har` drives them with `run_without_loop` and never imports asyncio.

Results stream out through `on_event` as they finish (the TUI shows them live, `check` prints them). A check that
cannot run is recorded as `skipped` with the reason; a check that crashes is recorded as `error` with one sentence,
never a traceback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import Any

from wizard403.checks.client import BudgetSpent, Prober, UnsafeMethod, normal_route_uses_proxy, published_addresses
from wizard403.checks.registry import ALL_PROBES, CheckContext, CheckSpec, PlanFacts, Skip, all_checks, baseline_of
from wizard403.model import CheckResult, ProbeOptions, Session

# on_event(kind, check_id, result): kind is "started" or "finished" (result set on "finished").
EventHandler = Callable[[str, str, CheckResult | None], Any]

# Who gets requests first when the budget is short: the comparisons that separate causes most sharply.
PRIORITY = (
    "baseline",
    "anonymous-retry",
    "alt-route",
    "incognito-retry",
    "no-cache-retry",
    "credential-isolation",
    "parent-resource",
    "user-agent-compare",
    "whoami",
    "head-vs-get",
    "options-allow",
)
CANCELLED_REASON = "stopped before it finished, so it has no result: run the checks again to get one"
OFFLINE_REASON = "this check sends requests, and the evidence is being analysed offline (add --live to probe)"


class _Finished:
    """asyncio.Event as the runner uses it, for an offline run: a check's inputs have finished before it starts, so
    nothing ever waits (and waiting would need an event loop the run does not have)."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set

    async def wait(self) -> bool:
        if not self._set:
            raise RuntimeError("an offline check waited for a check that runs after it")
        return True


def run_without_loop(coro: Any) -> Any:
    """Run a coroutine that never waits (an offline analysis) to its end without an event loop."""
    try:
        coro.send(None)
    except StopIteration as end:
        return end.value
    coro.close()
    raise RuntimeError("the offline analysis waited for something: it needs an event loop")


def _by_priority(specs: list[CheckSpec]) -> list[CheckSpec]:
    rank = {cid: i for i, cid in enumerate(PRIORITY)}
    return sorted(specs, key=lambda s: rank.get(s.id, len(PRIORITY)))


def plan(specs: list[CheckSpec], facts: PlanFacts, left: int) -> tuple[dict[str, int], dict[str, str]]:
    """(requests granted per runnable check, reason per check that will not run), in priority order; `left` is the
    part of the budget not spent yet."""
    granted: dict[str, int] = {}
    skipped: dict[str, str] = {}
    budget = facts.options.budget
    for spec in _by_priority(specs):
        if not facts.live and spec.live:
            skipped[spec.id] = OFFLINE_REASON
            continue
        try:
            need = spec.need(facts)
        except Exception as err:  # noqa: BLE001 - a broken planner is reported on its check, not a crash
            skipped[spec.id] = f"the check could not plan its requests: {type(err).__name__}: {err}"
            continue
        if isinstance(need, str):
            skipped[spec.id] = need
            continue
        need = need if facts.live else 0
        if need > left and not (spec.partial and left > 0):
            skipped[spec.id] = (
                f"not sent: the limit of {budget} requests per run went to more telling checks first "
                "(raise it with --budget)"
            )
            continue
        granted[spec.id] = min(need, left)
        left -= granted[spec.id]
        if granted[spec.id]:
            facts.planned.add(spec.id)
    return granted, skipped


def _wanted(specs: list[CheckSpec], only: Iterable[str] | None) -> list[CheckSpec]:
    if only is None:
        return specs
    wanted = set(only)
    if any(ALL_PROBES in s.after for s in specs if s.id in wanted):
        wanted.add("baseline")
    grow = True
    while grow:
        deps = {d for s in specs if s.id in wanted for d in s.after if d != ALL_PROBES}
        grow = not deps <= wanted
        wanted |= deps
    return [s for s in specs if s.id in wanted]


async def run_checks(
    session: Session,
    options: ProbeOptions,
    content: Any = None,
    on_event: EventHandler | None = None,
    only: Iterable[str] | None = None,
    live: bool = True,
    concurrency: int | None = None,
) -> Session:
    """Run the checks (all, or `only` these ids and what they depend on) and store their results on the session.

    `concurrency=1` runs one check at a time (the benchmark's sequential reference); None runs all that can.
    Offline (`live=False`) the checks run one after another without touching asyncio (see the module docstring).
    """
    if live:
        import asyncio

    everything = all_checks()
    specs = _wanted(everything, only)
    keep = {s.id for s in specs}
    session.checks = [c for c in session.checks if c.id not in keep]
    if live:
        session.exchanges = [e for e in session.exchanges if e.check not in keep or e.check == "recorded"]

    # The report's order: the content's (checks.toml), else the registry's.
    listed = list(getattr(content, "checks", None) or []) + [s.id for s in everything]
    order = {cid: i for i, cid in reversed(list(enumerate(listed)))}
    by_id = {s.id: s for s in specs}
    results: dict[str, CheckResult | None] = {}
    done: dict[str, Any] = {s.id: asyncio.Event() if live else _Finished() for s in specs}
    gate = asyncio.Semaphore(concurrency) if concurrency and live else None
    cancelled = asyncio.CancelledError if live else ()  # offline nothing waits, so nothing can be cancelled

    def emit(kind: str, check_id: str, result: CheckResult | None) -> None:
        if on_event is not None:
            try:
                on_event(kind, check_id, result)
            except Exception:  # noqa: BLE001 - a display problem must not stop the checks
                pass

    def finish(spec: CheckSpec, result: CheckResult) -> None:
        info = getattr(content, "checks", {}).get(spec.id) if content is not None else None
        if info is not None and not result.title:
            result.title = info.title
        results[spec.id] = result
        session.checks.append(result)
        done[spec.id].set()
        emit("finished", spec.id, result)

    prober = Prober(session, options) if live else None

    live_ids = [s.id for s in specs if s.live]

    async def run_one(spec: CheckSpec, granted: int) -> None:
        deps = [d for dep in spec.after for d in (live_ids if dep == ALL_PROBES else [dep]) if d != spec.id]
        for dep in deps:
            if dep in done:
                await done[dep].wait()
        async with gate if gate is not None else contextlib.nullcontext():
            emit("started", spec.id, None)
            ctx = CheckContext(spec, session, options, prober, content, results, granted, done, gate)
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
            except cancelled:
                finish(spec, CheckResult(spec.id, spec.step, "skipped", CANCELLED_REASON))
                raise
            except Exception as err:  # noqa: BLE001 - one central handler: a broken check is a result, not a crash
                result = CheckResult(spec.id, spec.step, "error", f"the check failed unexpectedly: {type(err).__name__}: {err}")
        finish(spec, result)

    try:
        first = by_id.get("baseline") if live else None
        addresses: list[str] = []
        if first is not None:
            if prober is not None:
                prober.grant("baseline", 1)
            lookup = None
            if "alt-route" in by_id and not normal_route_uses_proxy(options, session.target.url):
                lookup = asyncio.ensure_future(published_addresses(session.target.url, options.timeout))
            await run_one(first, 1)
            if lookup is not None:
                addresses = await lookup
        if prober is not None:
            prober.addresses = addresses
        rest = [s for s in specs if s is not first]
        used = 1 if first is not None else 0
        facts = PlanFacts(options, session, baseline_of(session), live, addresses, {"baseline"} if first else set())
        granted, skipped = plan(rest, facts, max(0, options.budget - used))
        if prober is not None:
            for check_id, count in granted.items():
                prober.grant(check_id, count)
        for spec in rest:
            if spec.id in skipped:
                finish(spec, CheckResult(spec.id, spec.step, "skipped", skipped[spec.id]))
        if live:
            await asyncio.gather(*(run_one(s, granted[s.id]) for s in rest if s.id in granted))
        else:
            for spec in rest:
                if spec.id in granted:
                    await run_one(spec, granted[spec.id])
    finally:
        if prober is not None:
            await prober.aclose()
        session.checks.sort(key=lambda c: (c.step, order.get(c.id, 999)))
        session.exchanges.sort(key=lambda e: e.at)
    return session
