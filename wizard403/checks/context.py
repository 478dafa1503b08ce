"""Step 5, from a recording: what happened around the refused request in the same browser session.

A trip to a sign-in page just before, or cookies the site set that the request did not send back, point at a
session that had ended or was never picked up; the same URL working earlier says the resource exists and that
something changed since. Passive: it reads what the import found (Target.related) and sends nothing.
"""

from __future__ import annotations

from wizard403.checks.registry import CheckContext, check

# How much each kind of observation moves the causes (signed weights, as every check's `supports`).
WEIGHTS = {
    "sign-in": {"stale-session": 0.25, "credentials": 0.2, "ip-block": -0.1, "waf": -0.05},
    "cookies": {"stale-session": 0.3, "csrf": 0.1},
    "earlier-success": {"not-found": -0.3, "stale-session": 0.1, "rate-limit": 0.05, "cached-403": 0.05},
}


@check("recorded-context", step=5, live=False)
async def recorded_context(ctx: CheckContext):
    related = ctx.target.related
    if not related and ctx.target.source == "har":
        return ctx.result("info", "The recording shows nothing notable around this request (no sign-in trip, no unsent cookies, no earlier success).")
    if not related:
        ctx.skip("only a browser recording (HAR) shows what happened around the request, and none was given")
    # the most telling kind first: cookies the request failed to send back, then a sign-in trip, then earlier success
    related = {kind: related[kind] for kind in ("cookies", "sign-in", "earlier-success") if kind in related} | related
    supports: dict[str, float] = {}
    for kind, lines in related.items():
        for cause, weight in WEIGHTS.get(kind, {}).items():
            supports[cause] = round(supports.get(cause, 0.0) + weight, 3)
    first = next(iter(related.values()))[0]
    more = sum(len(v) for v in related.values()) - 1
    summary = first + (f" ({more} more observation{'s' if more != 1 else ''} in the details.)" if more else "")
    details = "\n".join(line for lines in related.values() for line in lines)
    status = "warn" if {"sign-in", "cookies"} & set(related) else "info"
    return ctx.result(status, summary, {"kinds": sorted(related)}, supports=supports, details=details)
