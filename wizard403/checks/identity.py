"""Step 1 checks: the request as the user sends it, and the same request without any credentials.

401 versus 403 versus 200 without credentials is the single most telling comparison: it separates "we do not know
who you are" from "we know you, and the answer is no" from "your credentials themselves are the problem".
"""

from __future__ import annotations

from wizard403.checks.challenges import parse_challenges
from wizard403.checks.registry import (
    CheckContext,
    PlanFacts,
    check,
    is_granted,
    is_refused,
    status_text,
    status_word,
    unanswered_text,
    without_credentials,
    without_userinfo,
)


@check("baseline", step=1, requests=1)
async def baseline(ctx: CheckContext):
    """Send the request exactly as the user does (their headers, token and cookies, their route)."""
    ex = await ctx.send()
    evidence: dict = {"status": ex.status} if ex.status is not None else {"error": ex.error_kind}
    if ex.redirects:
        evidence["redirects"] = len(ex.redirects)
        evidence["final_url"] = ex.url
    if ex.body_truncated:
        evidence["body_cut"] = True
    cut = " (its body was cut short: too large or too slow)" if ex.body_truncated else ""
    if ex.status is None:
        said = unanswered_text(ex)
        return ctx.result("error", f"{said[:1].upper()}{said[1:]}.", evidence)
    status = status_text(ex)
    if is_refused(ex):
        return ctx.result("fail", f"The request is refused with {status}: the problem reproduces{cut}.", evidence)
    if is_granted(ex):
        return ctx.result("pass", f"The request was answered {status}: access works from here now{cut}.", evidence)
    return ctx.result("warn", f"The server answered {status}, which is neither a grant nor a 403{cut}.", evidence)


def _token_rejected(ex) -> bool:
    """The refusal itself says the credentials are bad (RFC 6750 invalid_token), not that they lack a grant."""
    challenges = parse_challenges(ex.response_headers.get_all("www-authenticate"))
    return any((c.get("error") or "") == "invalid_token" for c in challenges)


def _anonymous_need(facts: PlanFacts):
    if not facts.target.has_credentials():
        return "no credentials were given (no token, cookie or API key), so there is nothing to take away"
    base = facts.baseline
    if base is None or base.status is None:
        return "the baseline request got no answer to compare with"
    return 1


@check("anonymous-retry", step=1, requests=_anonymous_need, after=("baseline",))
async def anonymous_retry(ctx: CheckContext):
    """The same request with no Authorization, Cookie or API-key header."""
    base = ctx.baseline
    ex = await ctx.send(url=without_userinfo(ctx.target.url), headers=without_credentials(ctx.target.headers))
    evidence = {"with_credentials": base.status, "without_credentials": ex.status}
    if ex.status is None:
        return ctx.result("error", f"Without credentials the request got no answer: {ex.error}.", evidence)
    if is_refused(base) and ex.status == 401 and _token_rejected(base):
        return ctx.result(
            "fail",
            f"Without credentials the server answers 401, with yours {base.status}: it reads your credentials and rejects them as invalid.",
            evidence,
            supports={"credentials": 0.15, "ip-block": -0.1, "waf": -0.05},
        )
    if is_refused(base) and ex.status == 401:
        return ctx.result(
            "fail",
            f"Without credentials the server answers 401, with yours {base.status}: it knows who you are and still says no.",
            evidence,
            supports={"permissions": 0.25, "credentials": -0.1, "ip-block": -0.1, "waf": -0.05},
        )
    if is_refused(base) and is_granted(ex):
        return ctx.result(
            "fail",
            f"Without credentials the server answers {ex.status}, with yours {base.status}: what you send is itself the problem.",
            evidence,
            supports={"stale-session": 0.25, "credentials": 0.2, "permissions": -0.1, "ip-block": -0.2},
        )
    if is_refused(base) and ex.status == base.status:
        same_body = ex.body == base.body
        return ctx.result(
            "warn",
            f"Without credentials the answer is the same {ex.status}"
            + (" with the same page" if same_body else "")
            + ": the refusal does not depend on who you are, or your credentials are not being recognised.",
            {**evidence, "same_body": same_body},
            supports={"credentials": 0.1, "ip-block": 0.05, "waf": 0.05, "permissions": -0.05},
        )
    if is_granted(base):
        return ctx.result("info", f"With credentials {base.status}, without {status_word(ex)}.", evidence)
    return ctx.result("info", f"With credentials {status_word(base)}, without {status_word(ex)}.", evidence)
