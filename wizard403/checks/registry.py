"""The check registry: what each automated check is, which step it belongs to, what it needs and may send.

A check is an async function registered with `@check(...)`. It reads the session through a CheckContext, may send
requests through `ctx.send` (the Prober enforces conduct and the budget), and returns one CheckResult (or calls
`ctx.skip(reason)`). Adding a check is adding a decorated function in a module listed in CHECK_MODULES.

`requests` says how many requests a check needs: a number, or a function of the PlanFacts (what the baseline
showed, the host's addresses, which checks already have their share) that returns a number, or a sentence saying
why the check would learn nothing here. The runner shares the budget out from those answers, in priority order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from wizard403.checks.client import Prober, Route
from wizard403.model import CREDENTIAL_HEADERS, CheckResult, Exchange, Headers, ProbeOptions, Session
from wizard403.redact import redact_url

# The modules that register checks, imported once by `all_checks()`; order here is the report's order.
CHECK_MODULES = (
    "wizard403.checks.identity",
    "wizard403.checks.tokens",
    "wizard403.checks.challenges",
    "wizard403.checks.whoami",
    "wizard403.checks.permissions",
    "wizard403.checks.application",
    "wizard403.checks.network",
    "wizard403.checks.altroute",
    "wizard403.checks.clean",
    "wizard403.checks.context",
    "wizard403.checks.comparison",
    "wizard403.checks.references",
    "wizard403.checks.logscan",
)


@dataclass
class PlanFacts:
    """What the runner knows when it shares out the budget (after the baseline, before anything else is sent)."""

    options: ProbeOptions
    session: Session
    baseline: Exchange | None
    live: bool
    addresses: list[str] = field(default_factory=list)  # published addresses of the host (for alt-route)
    planned: set[str] = field(default_factory=set)  # checks granted their requests so far, in priority order

    @property
    def target(self):
        return self.session.target


# In `after`: wait for every check that sends requests (for readers of the whole run: references, log lines).
ALL_PROBES = "*probes"

Need = int | str  # requests needed, or why the check would learn nothing here


@dataclass(frozen=True)
class CheckSpec:
    id: str
    step: int
    run: Callable[[CheckContext], Awaitable[CheckResult | None]]
    # The most requests it may send, or a function of the PlanFacts (see the module docstring).
    requests: int | Callable[[PlanFacts], Need] = 0
    # Checks whose results it reads; it starts when they are finished.
    after: tuple[str, ...] = ()
    # False: it only reads exchanges already there, so it also runs on recorded evidence (HAR, raw response).
    live: bool = True
    # True: it may run with fewer requests than it asked for (one per alternate route, as many as the budget allows).
    partial: bool = False

    def need(self, facts: PlanFacts) -> Need:
        return self.requests(facts) if callable(self.requests) else self.requests


REGISTRY: dict[str, CheckSpec] = {}


def check(
    id: str,
    step: int,
    *,
    requests: Any = 0,
    after: tuple[str, ...] = (),
    live: bool = True,
    partial: bool = False,
):
    """Register an async check function under `id`."""

    def register(fn):
        REGISTRY[id] = CheckSpec(id=id, step=step, run=fn, requests=requests, after=after, live=live, partial=partial)
        return fn

    return register


def all_checks() -> list[CheckSpec]:
    import importlib

    for name in CHECK_MODULES:
        importlib.import_module(name)
    return list(REGISTRY.values())


class Skip(Exception):
    """Raised by `ctx.skip`: the check cannot run here, and says why."""


@dataclass
class CheckContext:
    """What a check sees: the session, the options, the prober, the content, and other checks' results."""

    spec: CheckSpec
    session: Session
    options: ProbeOptions
    prober: Prober | None
    content: Any = None
    results: dict[str, CheckResult | None] = field(default_factory=dict)
    granted: int = 0  # requests this check may send
    events: dict[str, Any] = field(default_factory=dict)  # check id -> asyncio.Event set when it has finished
    gate: Any = None  # the runner's concurrency limit (an asyncio.Semaphore) this check holds while it runs

    @property
    def target(self):
        return self.session.target

    @property
    def live(self) -> bool:
        return self.prober is not None

    @property
    def baseline(self) -> Exchange | None:
        """The request as the user sends it: the live baseline, else the recorded exchange."""
        return baseline_of(self.session)

    def exchanges_of(self, check_id: str) -> list[Exchange]:
        return [ex for ex in self.session.exchanges if ex.check == check_id]

    def result_of(self, check_id: str) -> CheckResult | None:
        return self.results.get(check_id)

    async def wait_for(self, check_id: str) -> CheckResult | None:
        """Wait until another check of this run has finished (for a dependency only some runs have)."""
        event = self.events.get(check_id)
        if event is not None and not event.is_set():
            if self.gate is not None:  # let the other check run meanwhile (one-at-a-time runs would deadlock)
                self.gate.release()
                try:
                    await event.wait()
                finally:
                    await self.gate.acquire()
            else:
                await event.wait()
        return self.results.get(check_id)

    def alternates(self) -> list[Route]:
        return list(self.prober.alternates) if self.prober else []

    async def send(self, **kwargs) -> Exchange:
        if self.prober is None:
            raise Skip("this check sends requests, and the evidence is being analysed offline (add --live to probe)")
        return await self.prober.send(self.spec.id, **kwargs)

    def skip(self, reason: str) -> None:
        raise Skip(reason)

    def result(
        self,
        status: str,
        summary: str,
        evidence: dict | None = None,
        supports: dict[str, float] | None = None,
        details: str = "",
    ) -> CheckResult:
        return CheckResult(
            id=self.spec.id,
            step=self.spec.step,
            status=status,
            summary=summary,
            evidence={k: v for k, v in (evidence or {}).items() if v is not None},
            supports={k: round(float(v), 3) for k, v in (supports or {}).items() if v},
            details=details,
        )


def baseline_of(session: Session) -> Exchange | None:
    """The live baseline on the normal route if there is one, else the recorded exchange (HAR, raw response)."""
    for kind in ("baseline", "recorded"):
        for ex in session.exchanges:
            if ex.check == kind and ex.route == "normal":
                return ex
    return None


def without_credentials(headers: Headers) -> Headers:
    return headers.without(*CREDENTIAL_HEADERS)


def without_userinfo(url: str) -> str:
    """The URL without its user:password (a credential too: the client would send it as a Basic header)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, parts.query, parts.fragment))


def status_word(ex: Exchange | None) -> str:
    """'403', '200', or the kind of failure, for summaries."""
    if ex is None:
        return "nothing"
    if ex.status is None:
        return ex.error_kind or "no answer"
    return str(ex.status)


def status_text(ex: Exchange) -> str:
    """'403 Forbidden', or '403' alone when the server sent no reason phrase (never '403 :')."""
    return f"{ex.status} {ex.reason.strip()}".strip()


def unanswered_text(ex: Exchange) -> str:
    """Why a request got no answer; after a redirect the first host did answer, so the sentence names both hosts."""
    if ex.redirects:
        first = urlsplit(ex.redirects[0]).netloc.rsplit("@", 1)[-1]
        return f"{first} answered with a redirect to {redact_url(ex.url)}, which could not be reached: {ex.error}"
    return f"the request did not get an answer: {ex.error}"


def is_refused(ex: Exchange | None) -> bool:
    return ex is not None and ex.status in (401, 403)


def is_granted(ex: Exchange | None) -> bool:
    return ex is not None and ex.status is not None and 200 <= ex.status < 400


def needs_refused_baseline(facts: PlanFacts) -> str | None:
    """Why a comparison probe would tell nothing, or None when the baseline is a refusal worth comparing with."""
    base = facts.baseline
    if base is None:
        return "there is no baseline request to compare with"
    if base.status is None:
        return f"the request itself got no answer ({base.error_kind or 'error'}), so there is nothing to compare"
    if not is_refused(base) and base.status not in (404, 405, 406, 429, 451):
        return f"the request is not refused from here (it got {base.status}), so there is nothing to compare"
    return None
