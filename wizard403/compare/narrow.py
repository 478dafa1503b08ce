"""`compare --live`: replay the refused request with the working one's values taken over, and narrow down (halves
first, then single differences) to the smallest set that turns the refusal into a success.

Every request goes through the one Prober (checks/client.py), so the politeness budget, safe methods, no spoofed
headers and credentials only to their own origin hold here as in every check. The working request's credentials are
the user's own (they gave us both requests), so taking them over is allowed, within the same origin only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from wizard403.checks.client import BudgetSpent, Prober, UnsafeMethod
from wizard403.checks.registry import is_refused
from wizard403.compare.differences import Difference, apply_edits
from wizard403.compare.sides import Side
from wizard403.model import Exchange, ProbeOptions, Session, Target

CHECK = "compare"
Edit = tuple[str, str]


@dataclass
class Narrowed:
    """What the live replay found: the culprit edits (smallest set found), and how sure that is."""

    culprits: list[Edit] = field(default_factory=list)
    complete: bool = False  # True: the set was narrowed to the end within the budget
    route: str = ""  # the alternate route that turned the refusal into a success, when the route is the difference
    reproduced: bool | None = None  # was the refused request still refused?
    unreachable: str = ""  # set when the target could not be reached at all
    notes: list[str] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    took_over: list[list[Edit]] = field(default_factory=list)  # per exchange: the differences it took over


def worked(ex: Exchange) -> bool:
    return ex.status is not None and ex.status < 400 and not is_refused(ex)


class _Tester:
    def __init__(self, prober: Prober, refused: Target, working: Target, on_send: Callable[[str], None] | None):
        self.prober, self.refused, self.working, self.on_send = prober, refused, working, on_send
        self.cache: dict[frozenset[Edit], bool] = {}
        self.took_over: list[list[Edit]] = []

    async def test(self, edits: list[Edit], route=None) -> Exchange:
        candidate = apply_edits(self.refused, self.working, edits)
        if self.on_send:
            self.on_send(f"testing {len(edits)} of the differences" if edits else "the refused request as it is")
        self.took_over.append(list(edits))
        return await self.prober.send(CHECK, method=candidate.method, url=candidate.url, headers=candidate.headers,
                                      body=candidate.body, route=route)

    async def succeeds(self, edits: list[Edit]) -> bool:
        key = frozenset(edits)
        if key not in self.cache:
            ex = await self.test(list(edits))
            if ex.status is None:
                raise _Unreachable(ex.error or "no answer")
            self.cache[key] = worked(ex)
        return self.cache[key]


class _Unreachable(Exception):
    pass


async def _narrow(tester: _Tester, base: list[Edit], candidates: list[Edit]) -> list[Edit]:
    """Invariant: refused + base + candidates works, refused + base does not. Returns a small set that is needed."""
    if len(candidates) <= 1:
        return candidates
    half = len(candidates) // 2
    first, second = candidates[:half], candidates[half:]
    if await tester.succeeds(base + first):
        return await _narrow(tester, base, first)
    if await tester.succeeds(base + second):
        return await _narrow(tester, base, second)
    # each half needs something from the other: narrow each with the other one applied
    return await _narrow(tester, base + second, first) + await _narrow(tester, base + first, second)


def replayable_edits(diffs: list[Difference]) -> list[Edit]:
    """The distinct edits that a live test may take over, in the ranked order of their first difference."""
    edits: list[Edit] = []
    for diff in diffs:
        if diff.edit is not None and not diff.not_replayed and diff.edit not in edits:
            edits.append(diff.edit)
    return edits


async def find_culprits(working: Side, refused: Side, diffs: list[Difference], options: ProbeOptions,
                        on_send: Callable[[str], None] | None = None) -> Narrowed:
    """Replay and narrow; every request sent is returned in `exchanges` (redacted when written out)."""
    session = Session(target=refused.target)
    result = Narrowed()
    edits = replayable_edits(diffs)
    async with Prober(session, options) as prober:
        tester = _Tester(prober, refused.target, working.target, on_send)
        try:
            await _run(tester, prober, edits, result)
        except _Unreachable as err:
            result.unreachable = str(err)
        except BudgetSpent:
            result.notes.append(f"The budget of {options.budget} requests ran out before the search ended; the "
                                "culprits listed are what it narrowed down so far.")
        except UnsafeMethod as err:
            result.notes.append(f"Not replayed: {err}.")
    result.exchanges = session.exchanges
    result.took_over = tester.took_over[: len(session.exchanges)]
    return result


async def _run(tester: _Tester, prober: Prober, edits: list[Edit], result: Narrowed) -> None:
    first = await tester.test([])
    if first.status is None:
        raise _Unreachable(first.error or "no answer")
    result.reproduced = not worked(first)
    tester.cache[frozenset()] = worked(first)
    if not result.reproduced:
        result.notes.append("The refused request works now, as it is: nothing to narrow down (the cause may have "
                            "been fixed, or it depends on something that has changed since).")
        return
    if edits and await tester.succeeds(edits):
        result.culprits = edits  # the full set works; narrow it down, keeping the best set found so far
        result.culprits = await _narrow_keeping(tester, edits, result)
        result.complete = True
        return
    # Taking over every difference that can be replayed does not help: the difference is elsewhere.
    for route in prober.alternates:
        ex = await tester.test([], route=route)
        if worked(ex):
            result.route = route.name
            result.complete = True
            result.notes.append(f"The same request works through the alternate route {route.name}: the difference "
                                "is where the request comes from (an IP allowlist, a geo rule or a network filter).")
            return
    if not edits:
        result.notes.append("The requests differ in nothing that can be replayed.")
    result.notes.append("Even with every replayable difference taken over the request is refused: the difference is "
                        "where it comes from (address, network) or in what is not replayed; try --alt-proxy or "
                        "--alt-source with the working side's network.")


async def _narrow_keeping(tester: _Tester, edits: list[Edit], result: Narrowed) -> list[Edit]:
    """Narrow, and if the budget runs out half way, keep the smallest set proven to work so far."""
    best = list(edits)
    original = tester.succeeds

    async def tracking(candidate: list[Edit]) -> bool:
        ok = await original(candidate)
        nonlocal best
        if ok and len(candidate) < len(best):
            best = list(candidate)
        return ok

    tester.succeeds = tracking  # type: ignore[method-assign]
    try:
        return await _narrow(tester, [], edits)
    except BudgetSpent:
        result.culprits = best
        raise
