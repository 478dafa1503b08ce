"""Step 5 checks: what a clean session changes, which credential carries the refusal, and whether a cache answered.

The incognito retry is what a new private window does: no stored cookies, no cached copies, nothing but the
credentials the user typed in (a token or API key). Credential isolation sends the token and the cookies one at a
time. Cache evidence is read from the refused answer; the no-cache retry asks every cache for a fresh answer and is
only sent when the answer shows a cache could be involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wizard403.checks.registry import CheckContext, PlanFacts, check, is_granted, is_refused, needs_refused_baseline, status_word
from wizard403.model import CREDENTIAL_HEADERS, Exchange, Headers

# Headers a browser sends because of what it has stored: cookies and the validators of cached copies.
STORED_STATE_HEADERS = ("cookie", "if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range")


def clean_headers(headers: Headers) -> Headers:
    """The request as a fresh private window would send it: the typed-in credentials, no stored state."""
    return headers.without(*STORED_STATE_HEADERS)


def _anonymous_headers(headers: Headers) -> Headers:
    return headers.without(*CREDENTIAL_HEADERS)


def _incognito_reuses_anonymous(facts_or_ctx) -> bool:
    """True when the clean request is exactly the no-credentials request (the only credentials were cookies)."""
    target = facts_or_ctx.target
    return list(clean_headers(target.headers)) == list(_anonymous_headers(target.headers))


def _incognito_need(facts: PlanFacts) -> int | str:
    why = needs_refused_baseline(facts)
    if why:
        return why
    headers = facts.target.headers
    if list(clean_headers(headers)) == list(headers):
        return (
            "your request carries no cookies and no cached-copy headers, so a clean private window would send exactly "
            "the same request (wizard403 never stores cookies between requests)"
        )
    if _incognito_reuses_anonymous(facts) and "anonymous-retry" in facts.planned:
        return 0  # the no-credentials retry already is the clean request: read its answer
    return 1


@check("incognito-retry", step=5, requests=_incognito_need, after=("baseline",))
async def incognito_retry(ctx: CheckContext):
    """A fresh client with no cookie jar and no cache, sending only the explicit credentials."""
    base = ctx.baseline
    headers = clean_headers(ctx.target.headers)
    ex: Exchange | None = None
    if ctx.granted == 0:
        await ctx.wait_for("anonymous-retry")
        ex = next(iter(ctx.exchanges_of("anonymous-retry")), None)
        if ex is None:
            ctx.skip("the no-credentials retry, which is the same request, was not sent")
    else:
        ex = await ctx.send(headers=headers, fresh=True)
    dropped = sorted({k for k, _ in ctx.target.headers} - {k for k, _ in headers}, key=str.lower)
    kept = [k for k, _ in ctx.target.credential_headers() if k.lower() != "cookie"]
    evidence = {"status": base.status, "clean_status": ex.status if ex.status is not None else ex.error_kind,
                "left_out": dropped, "kept": kept or None}
    if ctx.granted == 0:
        evidence["same_request_as"] = "anonymous-retry"
    if ex.status is None:
        return ctx.result("error", f"The clean-session request got no answer: {ex.error}.", evidence)
    if is_granted(ex) and is_refused(base):
        return ctx.result(
            "fail",
            f"A clean session (no cookies, no cached copies) gets {ex.status}, your usual one {base.status}: something "
            "your browser has stored, most likely an old session cookie, is the problem. Clear this site's cookies or sign out and in again.",
            evidence,
            supports={"stale-session": 0.4, "ip-block": -0.3, "permissions": -0.2, "waf": -0.1, "cached-403": -0.05},
        )
    if ex.status == base.status:
        return ctx.result(
            "pass",
            f"A clean session is refused the same way ({ex.status}): stored cookies and cached copies are not the cause.",
            evidence,
            supports={"stale-session": -0.3},
        )
    return ctx.result("info", f"A clean session gets {status_word(ex)}, your usual one {status_word(base)}.", evidence)


# --- token and cookies apart -------------------------------------------------------------------------------------


def _split(headers: Headers) -> tuple[Headers, Headers]:
    """(token only: no Cookie), (cookies only: no other credential header)."""
    token_only = headers.without("cookie")
    cookies_only = headers.without(*(CREDENTIAL_HEADERS - {"cookie"}))
    return token_only, cookies_only


def _isolation_need(facts: PlanFacts) -> int | str:
    target = facts.target
    names = {k.lower() for k, _ in target.credential_headers()}
    if not names:
        return "this needs both a token (or API key) and cookies, and your request carries no credentials at all"
    if "cookie" not in names or not (names - {"cookie"}):
        return "this needs both a token (or API key) and cookies, and your request carries only one kind of credential"
    return needs_refused_baseline(facts) or 2


@check("credential-isolation", step=5, requests=_isolation_need, after=("baseline",))
async def credential_isolation(ctx: CheckContext):
    """Send the token without cookies, then the cookies without the token, and compare."""
    import asyncio  # here, not at the top: offline runs never import it

    base = ctx.baseline
    token_only, cookies_only = _split(ctx.target.headers)
    tok, coo = await asyncio.gather(ctx.send(headers=token_only), ctx.send(headers=cookies_only))
    evidence = {"both": base.status, "token_only": tok.status if tok.status is not None else tok.error_kind,
                "cookies_only": coo.status if coo.status is not None else coo.error_kind}
    if tok.status is None or coo.status is None:
        return ctx.result("error", "One of the two requests got no answer, so the credentials could not be compared.", evidence)
    if is_granted(tok) and not is_granted(coo):
        return ctx.result(
            "fail",
            f"Your token alone works ({tok.status}) and your cookies alone are refused ({coo.status}): the cookies carry the problem; clear them.",
            evidence,
            supports={"stale-session": 0.35, "credentials": -0.1, "permissions": -0.15},
        )
    if is_granted(coo) and not is_granted(tok):
        return ctx.result(
            "fail",
            f"Your cookies alone work ({coo.status}) and your token alone is refused ({tok.status}): the token carries the problem; get a new one.",
            evidence,
            supports={"credentials": 0.35, "stale-session": -0.1, "permissions": -0.05},
        )
    if is_granted(tok) and is_granted(coo):
        return ctx.result(
            "warn",
            "Each credential alone works, only the two together are refused: they may belong to different accounts; send just one.",
            evidence,
            supports={"stale-session": 0.25, "app-rule": 0.05},
        )
    return ctx.result(
        "info",
        f"Each credential alone is refused too ({tok.status} with the token, {coo.status} with the cookies): neither one is the odd one out.",
        evidence,
        supports={"permissions": 0.05},
    )


# --- caches ------------------------------------------------------------------------------------------------------


@dataclass
class CacheSignals:
    hit: list[str] = field(default_factory=list)  # the answer came out of a cache
    cacheable: list[str] = field(default_factory=list)  # a cache may keep this answer
    layers: list[str] = field(default_factory=list)  # caches or proxies on the path
    fresh: list[str] = field(default_factory=list)  # the answer says it was not stored / came from the origin

    @property
    def any(self) -> bool:
        return bool(self.hit or self.cacheable or self.layers)


HIT_VALUE = re.compile(r"\b(?:TCP_)?(?:HIT|STALE|REVALIDATED|UPDATING|TCP_MEM_HIT|REFRESH_HIT)\b", re.I)


def cache_signals(ex: Exchange) -> CacheSignals:
    """What the answer's headers say about caches: a hit, a cacheable refusal, caches on the path."""
    h = ex.response_headers
    s = CacheSignals()
    age = h.get("age")
    if age and age.strip().isdigit() and int(age) > 0:
        s.hit.append(f"Age: {age.strip()}")
    for name in ("x-cache", "cf-cache-status", "x-proxy-cache", "x-cache-status", "x-drupal-cache", "x-vercel-cache",
                 "cdn-cache", "x-litespeed-cache", "x-nginx-cache"):
        value = h.get(name)
        if not value:
            continue
        if HIT_VALUE.search(value) and not re.search(r"\bmiss\b|dynamic|bypass|error from", value, re.I):
            s.hit.append(f"{name}: {value}")
        else:
            s.fresh.append(f"{name}: {value}")
    hits = h.get("x-cache-hits")
    if hits and re.search(r"[1-9]", hits):
        s.hit.append(f"X-Cache-Hits: {hits}")
    varnish = h.get("x-varnish")
    if varnish and len(varnish.split()) >= 2:
        s.hit.append(f"X-Varnish: {varnish}")
    control = (h.get("cache-control") or "").lower()
    if control and not re.search(r"no-store|private|no-cache", control):
        if re.search(r"public|s-maxage|max-age=[1-9]", control):
            s.cacheable.append(f"Cache-Control: {h.get('cache-control')}")
    elif not control and h.get("expires"):
        s.cacheable.append(f"Expires: {h.get('expires')}")
    for name in ("via", "x-served-by", "x-cache"):
        value = h.get(name)
        if value:
            s.layers.append(f"{name}: {value}")
    s.layers = list(dict.fromkeys(s.layers))
    return s


def _cache_need(facts: PlanFacts) -> int | str:
    base = facts.baseline
    if base is None or base.status is None:
        return "the request got no answer, so there are no cache headers to read"
    return 0


@check("cache-evidence", step=5, requests=_cache_need, after=("baseline",), live=False)
async def cache_evidence(ctx: CheckContext):
    """Read Age, X-Cache, CF-Cache-Status, Via, X-Served-By, Cache-Control and Expires on the answer."""
    base = ctx.baseline
    s = cache_signals(base)
    evidence: dict[str, Any] = {"from_cache": s.hit or None, "cacheable": s.cacheable or None, "on_path": s.layers or None,
                                "not_from_cache": s.fresh or None}
    refused = is_refused(base)
    if s.hit and refused:
        return ctx.result(
            "warn",
            f"The {base.status} came out of a cache ({', '.join(s.hit)}): it may be an old answer that the site no longer gives.",
            evidence,
            supports={"cached-403": 0.3},
        )
    if s.cacheable and refused:
        return ctx.result(
            "info",
            f"The {base.status} may be stored by caches ({', '.join(s.cacheable)}), so an old refusal could be served again later.",
            evidence,
            supports={"cached-403": 0.1},
        )
    if s.hit:
        return ctx.result("info", f"The answer came out of a cache ({', '.join(s.hit)}).", evidence)
    if s.fresh or not s.layers:
        return ctx.result(
            "pass",
            "The answer shows no sign of coming out of a cache.",
            evidence,
            supports={"cached-403": -0.2} if refused else {},
        )
    return ctx.result("info", f"A proxy or cache is on the path ({', '.join(s.layers)}), but the answer does not say it was stored.", evidence)


def _no_cache_need(facts: PlanFacts) -> int | str:
    why = needs_refused_baseline(facts)
    if why:
        return why
    if not cache_signals(facts.baseline).any:
        return (
            "the refusal shows no sign of a cache (no Age, X-Cache, CF-Cache-Status, Via or cacheable Cache-Control), "
            "so a fresh copy would be the same answer"
        )
    return 1


@check("no-cache-retry", step=5, requests=_no_cache_need, after=("baseline",))
async def no_cache_retry(ctx: CheckContext):
    """Repeat with Cache-Control: no-cache and Pragma: no-cache and compare with the baseline."""
    base = ctx.baseline
    headers = ctx.target.headers.replaced("Cache-Control", "no-cache").replaced("Pragma", "no-cache")
    ex = await ctx.send(headers=headers)
    evidence = {"status": base.status, "fresh_status": ex.status if ex.status is not None else ex.error_kind}
    if ex.status is None:
        return ctx.result("error", f"The request for a fresh answer got no answer: {ex.error}.", evidence)
    if is_granted(ex) and is_refused(base):
        return ctx.result(
            "fail",
            f"Asking for a fresh answer gets {ex.status}, the normal request the stored {base.status}: a cache is serving an old "
            "refusal. The site owner should purge it; until then the refusal is not about you.",
            evidence,
            supports={"cached-403": 0.45, "permissions": -0.2, "ip-block": -0.15, "credentials": -0.15, "waf": -0.1},
        )
    if ex.status == base.status:
        return ctx.result(
            "pass",
            f"A fresh answer is the same {ex.status}: the refusal is current, not an old cached copy.",
            evidence,
            supports={"cached-403": -0.3},
        )
    return ctx.result("info", f"A fresh answer is {status_word(ex)}, the normal one {status_word(base)}.", evidence)
