"""The check registry: what each automated check is, which step it belongs to, what it needs and may send.

A check is an async function registered with `@check(...)`. It reads the session through a CheckContext, may send
requests through `ctx.send` (the Prober enforces conduct and the budget), and returns one CheckResult (or calls
`ctx.skip(reason)`). Adding a check is adding a decorated function in a module listed in CHECK_MODULES.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from wizard403.checks.client import Prober, Route
from wizard403.model import CheckResult, Exchange, Headers, ProbeOptions, Session

# The modules that register checks, imported once by `all_checks()`; order here is the report's order.
CHECK_MODULES = (
    "wizard403.checks.identity",
)


@dataclass(frozen=True)
class CheckSpec:
    id: str
    step: int
    run: Callable[[CheckContext], Awaitable[CheckResult | None]]
    # The most requests it may send, or a function of the options (e.g. one per alternate route).
    requests: int | Callable[[ProbeOptions, Session], int] = 0
    # Checks whose results it reads; it starts when they are finished.
    after: tuple[str, ...] = ()
    # False: it only reads exchanges already there, so it also runs on recorded evidence (HAR, raw response).
    live: bool = True

    def max_requests(self, options: ProbeOptions, session: Session) -> int:
        return self.requests(options, session) if callable(self.requests) else self.requests


REGISTRY: dict[str, CheckSpec] = {}


def check(id: str, step: int, *, requests: Any = 0, after: tuple[str, ...] = (), live: bool = True):
    """Register an async check function under `id`."""

    def register(fn):
        REGISTRY[id] = CheckSpec(id=id, step=step, run=fn, requests=requests, after=after, live=live)
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

    @property
    def target(self):
        return self.session.target

    @property
    def live(self) -> bool:
        return self.prober is not None

    @property
    def baseline(self) -> Exchange | None:
        """The request as the user sends it: the live baseline, or the recorded exchange."""
        for ex in self.session.exchanges:
            if ex.check in ("baseline", "recorded") and ex.route == "normal":
                return ex
        return None

    def result_of(self, check_id: str) -> CheckResult | None:
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
            evidence=dict(evidence or {}),
            supports=dict(supports or {}),
            details=details,
        )


def without_credentials(headers: Headers) -> Headers:
    from wizard403.model import CREDENTIAL_HEADERS

    return headers.without(*CREDENTIAL_HEADERS)


def status_word(ex: Exchange | None) -> str:
    """'403', '200', or the kind of failure, for summaries."""
    if ex is None:
        return "nothing"
    if ex.status is None:
        return ex.error_kind or "no answer"
    return str(ex.status)


def is_refused(ex: Exchange | None) -> bool:
    return ex is not None and ex.status in (401, 403)


def is_granted(ex: Exchange | None) -> bool:
    return ex is not None and ex.status is not None and 200 <= ex.status < 400
