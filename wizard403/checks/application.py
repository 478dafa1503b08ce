"""Step 3 checks: rules the application applies per method, form protection (CSRF), and its own explanation.

OPTIONS and HEAD-against-GET show whether the refusal depends on the method; CSRF evidence is read from the
framework's failure page and from the request itself (an unsafe method without Origin, Referer or token); an RFC
9457 problem document is the application telling, in its own words, why it refused, and is shown verbatim.
"""

from __future__ import annotations

import re
from typing import Any

from wizard403.checks.jsonbody import parse_json
from wizard403.checks.registry import CheckContext, check, is_granted, is_refused, needs_refused_baseline, status_word
from wizard403.model import SAFE_METHODS, Exchange, Headers

# --- OPTIONS -----------------------------------------------------------------------------------------------------


def _methods(value: str | None) -> list[str]:
    return [m.strip().upper() for m in (value or "").split(",") if m.strip()]


def _options_need(facts) -> int | str:
    why = needs_refused_baseline(facts)
    if why:
        return why
    if facts.target.method == "OPTIONS":
        return "your request is itself an OPTIONS request"
    return 1


@check("options-allow", step=3, requests=_options_need, after=("baseline",))
async def options_allow(ctx: CheckContext):
    """Send OPTIONS and read Allow and the CORS headers."""
    base = ctx.baseline
    method = ctx.target.method
    headers = Headers(ctx.target.headers)
    origin = headers.get("origin")
    if origin:
        headers = headers.replaced("Access-Control-Request-Method", method)
    ex = await ctx.send(method="OPTIONS", headers=headers, body=b"", follow=False)
    evidence: dict[str, Any] = {"status": ex.status if ex.status is not None else ex.error_kind}
    if ex.status is None:
        return ctx.result("error", f"The OPTIONS request got no answer: {ex.error}.", evidence)
    allow = _methods(ex.response_headers.get("allow"))
    cors = _methods(ex.response_headers.get("access-control-allow-methods"))
    allow_origin = ex.response_headers.get("access-control-allow-origin")
    evidence.update({"allow": allow or None, "cors_methods": cors or None, "cors_origin": allow_origin})
    notes = []
    if origin and allow_origin and allow_origin not in ("*", origin):
        notes.append(f"the site only shares its answers with pages from {allow_origin}, not {origin}")
    elif origin and cors and method not in cors and method not in ("GET", "HEAD", "POST"):
        notes.append(f"cross-site pages may not send {method} here")
    note = (" Also: " + "; ".join(notes) + ".") if notes else ""
    if allow and method not in allow:
        return ctx.result(
            "fail",
            f"The server accepts only {', '.join(allow)} at this address, and your request is a {method}.{note}",
            evidence,
            supports={"app-rule": 0.2, "not-found": 0.1, "permissions": -0.1},
        )
    if is_refused(ex) and is_refused(base):
        return ctx.result(
            "info",
            f"Even OPTIONS is refused ({ex.status}): the refusal comes before any per-method rule, for example a network, edge or server-wide rule.{note}",
            evidence,
            supports={"ip-block": 0.05, "waf": 0.05, "app-rule": -0.05},
        )
    if allow:
        return ctx.result("info", f"The server accepts {', '.join(allow)} here, yours included.{note}", evidence)
    return ctx.result("info", f"OPTIONS answers {ex.status} without listing the allowed methods.{note}", evidence)


# --- HEAD against GET ----------------------------------------------------------------------------------------------


def _head_need(facts) -> int | str:
    why = needs_refused_baseline(facts)
    if why:
        return why
    if facts.target.method not in ("GET", "HEAD"):
        return f"this compares HEAD with GET, and your request is a {facts.target.method}"
    return 1


@check("head-vs-get", step=3, requests=_head_need, after=("baseline",))
async def head_vs_get(ctx: CheckContext):
    """Send the other one of HEAD/GET with identical headers and compare the statuses."""
    base = ctx.baseline
    other = "HEAD" if ctx.target.method == "GET" else "GET"
    ex = await ctx.send(method=other, body=b"")
    mine = ctx.target.method
    evidence = {mine.lower(): base.status, other.lower(): ex.status if ex.status is not None else ex.error_kind}
    if ex.status is None:
        return ctx.result("error", f"The {other} request got no answer: {ex.error}.", evidence)
    if ex.status == base.status:
        extra = ""
        if mine == "HEAD":
            extra = " A HEAD answer has no body, so the GET answer's page is the one to read for details."
        return ctx.result(
            "info",
            f"HEAD and GET get the same answer ({ex.status}): the rule does not depend on the method.{extra}",
            evidence,
            supports={"app-rule": -0.05},
        )
    if is_granted(ex) != is_granted(base):
        allowed, refused = (other, mine) if is_granted(ex) else (mine, other)
        return ctx.result(
            "warn",
            f"{allowed} is allowed but {refused} is refused: a rule treats the two methods differently "
            "(an application rule, a method filter or a firewall rule).",
            evidence,
            supports={"app-rule": 0.15, "waf": 0.05},
        )
    return ctx.result("info", f"{mine} gets {status_word(base)}, {other} gets {status_word(ex)}.", evidence)


# --- CSRF --------------------------------------------------------------------------------------------------------

CSRF_PAGES = (
    (re.compile(r"CSRF verification failed", re.I), "Django"),
    (re.compile(r"CSRF Failed:", re.I), "Django REST framework"),
    (re.compile(r"Invalid CSRF Token|Could not verify the provided CSRF token", re.I), "Spring Security"),
    (re.compile(r"\binvalid csrf token\b|EBADCSRFTOKEN", re.I), "Express (csurf)"),
    (re.compile(r"CSRF token mismatch", re.I), "Laravel"),
    (re.compile(r"InvalidAuthenticityToken|Can't verify CSRF token authenticity", re.I), "Rails"),
    (re.compile(r"\bCSRF (?:token|cookie) (?:missing|not set|incorrect|invalid|expired)", re.I), "a web framework"),
    (re.compile(r"\bXSRF[- ]token (?:missing|mismatch|invalid)", re.I), "a web framework"),
)
DJANGO_REASON = re.compile(
    r"(CSRF cookie not set\.|CSRF token (?:missing|incorrect|missing or incorrect)\.?|CSRF token from \w+ "
    r"(?:has incorrect length|has invalid characters)\.?|Origin checking failed - [^<\n]{1,200}?"
    r" does not match any trusted origins\.|Referer checking failed - [^<\n]{1,200}?\.)(?=\s|<|\"|$)"
)
CSRF_HEADERS = ("x-csrftoken", "x-csrf-token", "x-xsrf-token", "csrf-token", "x-requested-with")
CSRF_FIELDS = re.compile(r"(?:^|&)(csrfmiddlewaretoken|_csrf|csrf_token|authenticity_token|_token)=", re.I)


def _csrf_need(facts) -> int | str:
    base = facts.baseline
    if base is None or base.status is None:
        return "there is no answer to look for CSRF signs in"
    return 0


@check("csrf-evidence", step=3, requests=_csrf_need, after=("baseline",), live=False)
async def csrf_evidence(ctx: CheckContext):
    """Framework CSRF failure pages, and what an unsafe request lacks (Origin, Referer, token)."""
    base = ctx.baseline
    method = base.method or ctx.target.method
    text = base.text[:262144]
    framework = next((name for pattern, name in CSRF_PAGES if pattern.search(text)), None)
    reason = DJANGO_REASON.search(text)
    sent = Headers(ctx.target.headers)
    body = (ctx.target.body or b"").decode("utf-8", "replace")
    has_origin, has_referer = sent.has("origin"), sent.has("referer")
    has_token = any(sent.has(h) for h in CSRF_HEADERS[:4]) or bool(CSRF_FIELDS.search(body))
    has_cookie = any("csrf" in name.lower() or "xsrf" in name.lower() for name in ctx.target.cookies)
    evidence = {"framework": framework, "reason": reason.group(1) if reason else None, "method": method,
                "origin_sent": has_origin, "referer_sent": has_referer, "token_sent": has_token, "csrf_cookie_sent": has_cookie}
    if framework and is_refused(base) or (framework and base.status in (419, 422)):
        why = f" ({reason.group(1).rstrip('.')})" if reason else ""
        advice = "reload the form's page and submit again"
        details = "Developers: check that the CSRF token is sent (form field or header) with its cookie, and that the site's trusted origins and proxy headers are configured."
        if reason and reason.group(1).startswith("Origin checking failed"):
            advice = "the page you submitted from is not one of the site's trusted origins, which only its developers can change"
        return ctx.result(
            "fail",
            f"{framework} refused the request because its form-protection (CSRF) check failed{why}: {advice}.",
            evidence,
            supports={"csrf": 0.45, "permissions": -0.2, "ip-block": -0.15, "waf": -0.1},
            details=details,
        )
    if method in SAFE_METHODS:
        return ctx.result(
            "info",
            f"No sign of a CSRF failure, and {method} requests are not subject to CSRF protection.",
            evidence,
            supports={"csrf": -0.2},
        )
    if not (has_origin or has_referer or has_token):
        return ctx.result(
            "warn",
            f"Your {method} carries neither an Origin nor a Referer header nor a CSRF token; sites that protect forms refuse such requests.",
            evidence,
            supports={"csrf": 0.2},
        )
    if not has_token and has_cookie:
        return ctx.result(
            "warn",
            f"Your {method} sends a CSRF cookie but no matching token in a header or form field.",
            evidence,
            supports={"csrf": 0.15},
        )
    return ctx.result("info", "No sign of a CSRF failure in the answer.", evidence, supports={"csrf": -0.05})


# --- RFC 9457 problem details ------------------------------------------------------------------------------------

PROBLEM_MEMBERS = ("type", "title", "status", "detail", "instance")
_XML_MEMBER = "<{0}>([^<]{{0,2000}})</{0}>"
TOPICS = (
    (re.compile(r"credit|balance|quota|plan|subscription|billing|payment|licen[cs]e|limit reached|business", re.I),
     {"app-rule": 0.4, "permissions": -0.15}),
    (re.compile(r"rate.?limit|too many requests|throttl", re.I), {"rate-limit": 0.35}),
    (re.compile(r"csrf|xsrf", re.I), {"csrf": 0.35}),
    (re.compile(r"expired|token|authenticat|sign(?:ed)? ?in|log(?:ged)? ?in", re.I), {"credentials": 0.3}),
    (re.compile(r"scope|permission|role|not allowed|access denied|forbidden|unauthori[sz]ed|privilege", re.I),
     {"permissions": 0.25}),
)


def read_problem(ex: Exchange) -> dict[str, Any] | None:
    """The problem document's members (RFC 9457), or None when the answer is not one."""
    ctype = ex.content_type
    text = ex.text
    if ctype == "application/problem+xml" or (ctype.endswith("xml") and "urn:ietf:rfc:7807" in text):
        members = {}
        for name in PROBLEM_MEMBERS:
            found = re.search(_XML_MEMBER.format(name), text)
            if found:
                members[name] = found.group(1).strip()
        return members or None
    if not (ctype == "application/problem+json" or ctype.endswith("json")):
        return None
    data = parse_json(text)
    if not isinstance(data, dict):
        return None
    if ctype != "application/problem+json" and not ("type" in data and "title" in data):
        return None
    members = {k: data[k] for k in PROBLEM_MEMBERS if isinstance(data.get(k), (str, int))}
    extensions = {k: v for k, v in data.items() if k not in PROBLEM_MEMBERS and isinstance(v, (str, int, float, bool))}
    if extensions:
        members["extensions"] = dict(list(extensions.items())[:10])
    return members or None


def _problem_need(facts) -> int | str:
    base = facts.baseline
    if base is None or base.status is None:
        return "there is no answer to read a problem document from"
    return 0


@check("problem-details", step=3, requests=_problem_need, after=("baseline",), live=False)
async def problem_details(ctx: CheckContext):
    """Show an application/problem+json (or +xml) refusal verbatim and judge its kind from type, title and detail."""
    base = ctx.baseline
    problem = read_problem(base)
    if not problem:
        return ctx.result("info", "The answer is not a structured problem document (RFC 9457).", {"content_type": base.content_type or None})
    title, detail, ptype = problem.get("title"), problem.get("detail"), problem.get("type")
    evidence = {k: v for k, v in problem.items()}
    said = " — ".join(f'"{v}"' for v in (title, detail) if v) or f"a problem of type {ptype}"
    supports: dict[str, float] = {}
    words = " ".join(str(v) for v in (ptype, title, detail) if v)
    for pattern, weights in TOPICS:
        if pattern.search(words):
            supports = dict(weights)
            break
    if not supports and is_refused(base):
        supports = {"app-rule": 0.2}
    kind = ""
    if supports.get("app-rule", 0) >= 0.4:
        kind = " (a business rule of the application, not a missing permission)"
    status = "fail" if is_refused(base) else "info"
    return ctx.result(status, f"The application explains: {said}{kind}", evidence, supports)
