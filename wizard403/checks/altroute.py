"""Step 4: the alternate-route probe, the strongest evidence there is for an IP or network-location rule.

The same request is repeated over every other route the user really has: each --alt-proxy (HTTP, HTTPS, SOCKS5),
each --alt-source address, and, when the host publishes several addresses (for example both IPv4 and IPv6), to each
of them directly with the Host header and TLS server name kept. A status that changes with the route means the
refusal depends on where the request comes from. Every other check keeps the normal route.
"""

from __future__ import annotations

from typing import Any

from wizard403.checks.client import Route, address_routes, routes_for
from wizard403.checks.registry import CheckContext, PlanFacts, check, is_granted, is_refused, status_word
from wizard403.model import Exchange

NO_ROUTE = (
    "no alternate route given: run with --alt-proxy URL (a proxy on another network, or a VPN's proxy) or "
    "--alt-source IP (a second local address) to compare from another network"
)


def _routes(facts_or_ctx) -> list[Route]:
    """The alternate routes in the order they are tried: the user's own first, then the host's other addresses."""
    _, alternates = routes_for(facts_or_ctx.options)
    addresses = facts_or_ctx.addresses if isinstance(facts_or_ctx, PlanFacts) else (facts_or_ctx.prober.addresses if facts_or_ctx.prober else [])
    return alternates + address_routes(list(addresses))


def _need(facts: PlanFacts) -> int | str:
    routes = _routes(facts)
    if not routes:
        return NO_ROUTE
    base = facts.baseline
    if base is None:
        return "there is no baseline request to compare with"
    if base.status is not None and not is_refused(base) and base.status < 400:
        return f"the request is not refused from here (it got {base.status}), so another route cannot show anything more"
    return len(routes)


def _word(ex: Exchange) -> Any:
    return ex.status if ex.status is not None else ex.error_kind or "error"


@check("alt-route", step=4, requests=_need, after=("baseline",), partial=True)
async def alt_route(ctx: CheckContext):
    """Repeat the baseline over each alternate route (as many as the budget allows) and compare the statuses."""
    import asyncio  # here, not at the top: offline runs never import it

    base = ctx.baseline
    routes = _routes(ctx)
    tried, untried = routes[: ctx.granted], routes[ctx.granted:]
    exchanges = await asyncio.gather(*(ctx.send(route=route) for route in tried))
    per_route: dict[str, Any] = {"normal": _word(base)}
    for route, ex in zip(tried, exchanges):
        per_route[route.name] = _word(ex)
    evidence: dict[str, Any] = {"routes": per_route}
    if untried:
        evidence["not_tried"] = [r.name for r in untried]
    granted = [(r, ex) for r, ex in zip(tried, exchanges) if is_granted(ex)]
    answered = [(r, ex) for r, ex in zip(tried, exchanges) if ex.status is not None]
    failed = [(r, ex) for r, ex in zip(tried, exchanges) if ex.status is None]
    listing = "; ".join(f"{name}: {word}" for name, word in per_route.items())
    uses_proxy = bool(ctx.options.proxy)
    if granted and (is_refused(base) or base.status is None or (base.status or 0) >= 400):
        route, ex = granted[0]
        normal = status_word(base)
        # Only the route changed: whatever depends on the resource or the credentials cannot explain it.
        supports = {"ip-block": 0.45, "permissions": -0.2, "credentials": -0.2, "stale-session": -0.1, "app-rule": -0.1,
                    "directory-listing": -0.4, "file-permissions": -0.4, "not-found": -0.3, "csrf": -0.2}
        if uses_proxy:
            supports["client-network"] = 0.2
        if base.status is None:
            supports = {"ip-block": 0.35, "client-network": 0.2, "permissions": -0.1}
        return ctx.result(
            "fail",
            f"Through {route.name} the same request is answered {ex.status}, through your normal route {normal}: "
            "the refusal depends on where the request comes from (an IP allowlist or blocklist, a geo or network rule).",
            evidence,
            supports,
            details=listing,
        )
    if answered and all(ex.status == base.status for _r, ex in answered) and is_refused(base):
        return ctx.result(
            "pass",
            f"Every other route gets the same {base.status} ({len(answered)} tried): where the request comes from is not what matters.",
            evidence,
            supports={"ip-block": -0.3, "client-network": -0.15},
            details=listing,
        )
    if not answered and failed:
        route, ex = failed[0]
        return ctx.result(
            "error",
            f"No alternate route got an answer ({route.name}: {ex.error}), so the comparison could not be made.",
            evidence,
            details=listing,
        )
    return ctx.result("info", f"The answer differs by route: {listing}.", evidence, details=listing)
