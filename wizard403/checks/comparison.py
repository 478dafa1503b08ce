"""Step 5, when a request that works is given (`--working FILE`): what the refused request does differently.

The same comparison as `wizard403 compare`, offline: the differences ranked by how likely each explains the 403.
The most relevant ones move the ranking: a token claim points at permissions or credentials, a session cookie at
a stale session, a bot-management cookie or another kind of client at bot protection, a route at an IP rule.
"""

from __future__ import annotations

from wizard403.checks.registry import CheckContext, check
from wizard403.compare.differences import (
    ABSENT,
    BOT_COOKIE_RE,
    CSRF_COOKIE_RE,
    CSRF_HEADERS,
    GRANT_CLAIMS,
    IDENTITY_CLAIMS,
    SESSION_COOKIE_RE,
    SIGNED_PARAM_RE,
    Difference,
    differences,
)
from wizard403.compare.sides import session_side
from wizard403.redact import is_secret_header

# What the most relevant differences say about the causes (signed weights, as every check's `supports`).
SUPPORTS = {
    ("token", "grant"): {"permissions": 0.5, "credentials": -0.1},
    ("token", "identity"): {"permissions": 0.3, "credentials": 0.2},
    ("token", "exp"): {"credentials": 0.5, "permissions": -0.15},
    ("token", "missing"): {"credentials": 0.5, "permissions": -0.15},
    ("token", "other"): {"credentials": 0.35},
    ("cookie", "session"): {"stale-session": 0.45, "credentials": 0.1},
    ("cookie", "bot"): {"bot-challenge": 0.45},
    ("cookie", "csrf"): {"csrf": 0.4},
    ("cookie", "other"): {"stale-session": 0.15},
    ("header", "csrf"): {"csrf": 0.45},
    ("header", "secret"): {"credentials": 0.35},
    ("header", "origin"): {"csrf": 0.2, "app-rule": 0.1},
    ("header", "other"): {"app-rule": 0.3},
    ("client", "other"): {"bot-challenge": 0.45, "waf": 0.05, "permissions": -0.1},
    ("query", "signed"): {"signed-url": 0.45},
    ("query", "other"): {"not-found": 0.15, "app-rule": 0.15},
    ("method", "other"): {"app-rule": 0.15, "permissions": 0.15},
    ("url", "other"): {"not-found": 0.2, "permissions": 0.15},
    ("body", "other"): {"app-rule": 0.15, "csrf": 0.05},
    ("route", "other"): {"ip-block": 0.45},
}
# The most relevant difference counts most; the next two add less (a comparison usually has one culprit).
POSITION = (1.0, 0.4, 0.2)
SCALE = {"high": 1.0, "medium": 0.5, "low": 0.0}


def _family(diff: Difference) -> tuple[str, str]:
    """Which row of SUPPORTS one difference belongs to."""
    name = diff.name.lower()
    if diff.kind == "token":
        if diff.refused == ABSENT:
            return ("token", "missing")
        if name == "exp":
            return ("token", "exp")
        if name in GRANT_CLAIMS:
            return ("token", "grant")
        if name in IDENTITY_CLAIMS:
            return ("token", "identity")
    if diff.kind == "cookie":
        for key, pattern in (("bot", BOT_COOKIE_RE), ("csrf", CSRF_COOKIE_RE), ("session", SESSION_COOKIE_RE)):
            if pattern.search(diff.name):
                return ("cookie", key)
    if diff.kind == "header":
        if name in CSRF_HEADERS:
            return ("header", "csrf")
        if name in ("origin", "referer"):
            return ("header", "origin")
        if is_secret_header(diff.name):
            return ("header", "secret")
    if diff.kind == "query" and SIGNED_PARAM_RE.match(diff.name):
        return ("query", "signed")
    return (diff.kind, "other")


def supports_of(diffs: list[Difference], culprits: list[Difference] | None = None) -> dict[str, float]:
    """The ranking's weights from the three most relevant differences that are not noise; when a live replay has
    shown which differences turn the refusal into a success, from those alone, each counting in full."""
    out: dict[str, float] = {}
    if culprits:
        ranked, scale = culprits[: len(POSITION)], lambda d: 1.0
    else:
        ranked = [d for d in diffs if not d.noise and SCALE[d.relevance] > 0][: len(POSITION)]
        scale = lambda d: SCALE[d.relevance]  # noqa: E731
    for position, diff in zip(POSITION, ranked):
        for cause, weight in SUPPORTS.get(_family(diff), {}).items():
            out[cause] = round(out.get(cause, 0.0) + weight * scale(diff) * position, 3)
    return out


@check("working-comparison", step=5, live=False)
async def working_comparison(ctx: CheckContext):
    working = ctx.target.working
    if working is None:
        ctx.skip("no request that works was given to compare with (--working FILE: a HAR or a curl command)")
    refused = session_side(ctx.target, ctx.baseline)
    diffs = differences(working, refused)
    real = [d for d in diffs if not d.noise]
    evidence = {"working": working.label, "differences": len(real), "noise": len(diffs) - len(real)}
    narrowed = working.narrowed  # the wizard's "Find the culprit" replayed the pair live
    if narrowed is not None and (narrowed.culprits or narrowed.route):
        from wizard403.compare.report import culprit_differences, verdict

        culprits = culprit_differences(diffs, narrowed)
        evidence["culprits"] = [f"{d.kind} {d.name}" for d in culprits] or [f"route {narrowed.route}"]
        route = Difference("route", narrowed.route, "", "", "high", "") if narrowed.route else None
        summary = f"Replayed live against the request that works ({working.label}): {verdict(diffs, narrowed)}"
        details = "\n".join(f"{d.kind} {d.name}: {d.working} -> {d.refused} ({d.why})" for d in culprits)
        return ctx.result("warn", summary, evidence, supports=supports_of(diffs, [route] if route else culprits),
                          details=details)
    if not real:
        return ctx.result("info", f"The refused request differs from the one that works ({working.label}) only in "
                          "noise such as trace ids and dates: the difference is elsewhere (network, time, account).",
                          evidence)
    top = real[0]
    shown = ", ".join(f"{d.kind} {d.name}" for d in real[1:4]) or "none"
    summary = (f"Compared with the request that works ({working.label}), the refused one differs most in the "
               f"{top.kind} {top.name}: {top.why} Other differences: {shown}.")
    details = "\n".join(f"{d.relevance:<6} {d.kind} {d.name}: {d.working} -> {d.refused}" for d in real[:12])
    status = "warn" if top.relevance == "high" else "info"
    return ctx.result(status, summary, evidence, supports=supports_of(diffs), details=details)
