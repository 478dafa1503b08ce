"""The lab's own fictional application, "Lab Reports": its pages, its bearer-token APIs and its Django-like views.

These are the refusals an application makes itself (tokens, scopes, sessions, CSRF, business rules, a cache in
front of it), as opposed to the third-party producers imitated in producers.py.
"""

from __future__ import annotations

import html
import re
import time
from typing import Any
from urllib.parse import parse_qsl

from wizard403.lab.exchange import LabRequest, LabResponse, LabState, http_date, random_key
from wizard403.lab.pages import app_page, django_csrf_page, json_body
from wizard403.lab.scenarios import HOSTILE_SCENARIOS, SCENARIOS
from wizard403.lab.tokens import TokenProblem, verify_token

REALM = "wizard403-lab"
JSON = "application/json"
SESSION_COOKIE = "sessionid"
SESSION_AGE = 14 * 24 * 3600
CSRF_COOKIE = "csrftoken"
CSRF_AGE = 364 * 24 * 3600
CSRF_TOKEN_RE = re.compile(r"^[A-Za-z0-9]{32}$")
# Sent by the stale-cookie scenario: shaped like a real session key, but this lab never issued it.
STALE_SESSION = "q8f3k2m9x7c4v1b6n5z0l2j4h8g6d3s1"

DJANGO_HEADERS = [
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
]


# --- plain pages --------------------------------------------------------------------------------------------------


def index(request: LabRequest, state: LabState) -> LabResponse:
    """The lab's home page: every scenario with a link, for people exploring with a browser."""
    def links(scenarios) -> str:
        return "\n".join(
            f'    <li><a href="{html.escape(s.path)}"><code>{html.escape(s.method)} {html.escape(s.path)}</code></a>'
            f" {html.escape(s.title)}</li>"
            for s in scenarios
        )

    extra = (
        f"  <ul>\n{links(SCENARIOS)}\n  </ul>\n"
        "  <h2>Hostile scenarios</h2>\n"
        "  <p>Refusals whose text is built to trick a careless reader (markup, terminal escapes, broken bytes).</p>\n"
        f"  <ul>\n{links(HOSTILE_SCENARIOS)}\n  </ul>\n"
        '  <p><a href="/login">/login</a> signs you in; <a href="/whoami">/whoami</a> says who you are.</p>\n'
    )
    body = app_page(
        "wizard403 lab",
        "wizard403 lab",
        "Each path below is refused in its own way, the way real servers, firewalls and APIs do it.",
        "This server listens on loopback only and is safe to experiment with.",
        extra_html=extra,
    )
    return LabResponse(200, body)


def ok(request: LabRequest, state: LabState) -> LabResponse:
    body = app_page("Lab Reports", "Lab Reports", "Everything works here: this page is open to everyone.")
    return LabResponse(200, body, headers=[("Cache-Control", "no-cache")])


def not_found(request: LabRequest, state: LabState) -> LabResponse:
    body = app_page("404 Not Found", "Not found", "There is nothing at this address. The lab's index is at /.")
    return LabResponse(404, body)


def login(request: LabRequest, state: LabState) -> LabResponse:
    """Signs in alice: a fresh session cookie, as Django's session middleware sets it."""
    key = state.new_session()
    cookie = (
        f"{SESSION_COOKIE}={key}; expires={_cookie_date(SESSION_AGE)}; HttpOnly; Max-Age={SESSION_AGE}; "
        "Path=/; SameSite=Lax"
    )
    body = app_page(
        "Signed in · Lab Reports",
        "You are signed in",
        "Welcome back, alice@lab.example. Your new session is stored in a cookie.",
        extra_html='  <p><a href="/app/dashboard">Go to the dashboard</a></p>\n',
    )
    headers = [("Set-Cookie", cookie), ("Vary", "Cookie"), ("Cache-Control", "private, no-store")] + DJANGO_HEADERS
    return LabResponse(200, body, headers=headers)


def _cookie_date(seconds_from_now: int) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + seconds_from_now))


# --- bearer-token APIs --------------------------------------------------------------------------------------------


def _quoted(text: str) -> str:
    return text.replace("\\", "").replace('"', "'")


def _needs_token() -> LabResponse:
    body = json_body({"error": "unauthorized", "message": "This endpoint needs a bearer token."})
    return LabResponse(401, body, JSON, [("WWW-Authenticate", f'Bearer realm="{REALM}"')])


def _invalid_token(problem: TokenProblem, status: int = 401) -> LabResponse:
    """RFC 6750 says 401 for a bad token; some APIs (the expired-token scenario) answer 403 instead."""
    description = _quoted(problem.description)
    challenge = f'Bearer error="invalid_token", error_description="{description}"'
    if status == 401:
        challenge = f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'
    body = json_body({"error": "invalid_token", "error_description": problem.description})
    return LabResponse(status, body, JSON, [("WWW-Authenticate", challenge)])


def _claims(request: LabRequest, state: LabState, bad_token_status: int = 401) -> dict[str, Any] | LabResponse:
    """The token's claims, or the refusal to send: no token, or a token the lab cannot accept."""
    token = request.bearer
    if not token:
        return _needs_token()
    try:
        return verify_token(token, state.audiences)
    except TokenProblem as problem:
        return _invalid_token(problem, bad_token_status)


def reports_api(request: LabRequest, state: LabState) -> LabResponse:
    """An API that answers any unusable token, an expired one included, with 403 instead of 401."""
    claims = _claims(request, state, bad_token_status=403)
    if isinstance(claims, LabResponse):
        return claims
    body = json_body({"reports": [{"id": "q3", "title": "Q3 sales"}, {"id": "q4", "title": "Q4 sales"}]})
    return LabResponse(200, body, JSON, [("Cache-Control", "private, no-store")])


def admin_users_api(request: LabRequest, state: LabState) -> LabResponse:
    """Needs the `admin` scope; a token without it gets RFC 6750's insufficient_scope."""
    claims = _claims(request, state)
    if isinstance(claims, LabResponse):
        return claims
    granted = str(claims.get("scope", "")).split()
    if "admin" not in granted:
        description = f"This endpoint needs the admin scope; the token grants only: {' '.join(granted) or 'nothing'}."
        challenge = f'Bearer error="insufficient_scope", scope="admin", error_description="{_quoted(description)}"'
        body = json_body({"error": "insufficient_scope", "error_description": description, "scope": "admin"})
        return LabResponse(403, body, JSON, [("WWW-Authenticate", challenge)])
    body = json_body({"users": [{"email": "alice@lab.example", "role": "admin"}, {"email": "bob@lab.example"}]})
    return LabResponse(200, body, JSON, [("Cache-Control", "private, no-store")])


def exports_api(request: LabRequest, state: LabState) -> LabResponse:
    """A business rule, not a permission: the account lacks credit, told in an RFC 9457 problem document."""
    claims = _claims(request, state)
    if isinstance(claims, LabResponse):
        return claims
    problem = {
        "type": "https://lab.example/problems/out-of-credit",
        "title": "Not enough credit for this export.",
        "status": 403,
        "detail": "The annual export costs 50 credits and the account has 30 left.",
        "instance": request.path,
        "balance": 30,
        "cost": 50,
    }
    return LabResponse(403, json_body(problem), "application/problem+json", [("Content-Language", "en")])


def whoami(request: LabRequest, state: LabState) -> LabResponse:
    """Who the credentials belong to: the token's subject and scope, or the signed-in session."""
    session = request.cookies.get(SESSION_COOKIE)
    if not request.bearer and session and state.session_is_live(session):
        return LabResponse(200, json_body({"sub": "alice@lab.example", "via": "session"}), JSON)
    claims = _claims(request, state)
    if isinstance(claims, LabResponse):
        return claims
    keep = ("sub", "scope", "iss", "aud", "exp")
    return LabResponse(200, json_body({k: claims.get(k) for k in keep} | {"via": "token"}), JSON)


# --- Django-like views --------------------------------------------------------------------------------------------


def drf_profile(request: LabRequest, state: LabState) -> LabResponse:
    """A DRF view with SessionAuthentication listed first, so a missing login is answered 403, not 401."""
    headers = [("Allow", "GET, HEAD, OPTIONS"), ("Vary", "Accept, Cookie")] + DJANGO_HEADERS
    session = request.cookies.get(SESSION_COOKIE)
    signed_in = bool(session and state.session_is_live(session))
    if not signed_in and request.bearer:
        try:
            verify_token(request.bearer, state.audiences)
            signed_in = True
        except TokenProblem as problem:
            body = json_body({"detail": f"The token is not valid. {problem.description}", "code": "token_not_valid"})
            return LabResponse(403, body, JSON, headers)
    if not signed_in:
        return LabResponse(403, json_body({"detail": "Authentication credentials were not provided."}), JSON, headers)
    body = json_body({"username": "alice", "email": "alice@lab.example", "display_name": "Alice"})
    return LabResponse(200, body, JSON, headers)


def dashboard(request: LabRequest, state: LabState) -> LabResponse:
    """No cookie: the public view. A live session: alice's view. Any other session cookie: refused."""
    headers = [("Vary", "Cookie"), ("Cache-Control", "private, no-store")] + DJANGO_HEADERS
    session = request.cookies.get(SESSION_COOKIE)
    if session is None:
        body = app_page(
            "Dashboard · Lab Reports",
            "Dashboard (public view)",
            "You are not signed in, so you see the public figures only.",
            extra_html='  <p><a href="/login">Sign in</a> to see your own reports.</p>\n',
        )
        return LabResponse(200, body, headers=headers)
    if state.session_is_live(session):
        body = app_page(
            "Dashboard · Lab Reports", "Dashboard", "Welcome back, alice@lab.example.", "You have 2 reports."
        )
        return LabResponse(200, body, headers=headers)
    body = app_page(
        "403 Forbidden · Lab Reports",
        "Your session is no longer valid for this page",
        "Your browser sent a session cookie that this site no longer accepts for the dashboard.",
        "Sign out, or clear this site's cookies, then sign in again. A private window works too.",
    )
    return LabResponse(403, body, headers=headers)


def account_email(request: LabRequest, state: LabState) -> LabResponse:
    """A Django form protected by CsrfViewMiddleware: GET shows it, POST checks origin, cookie and token."""
    headers = [("Vary", "Cookie")] + DJANGO_HEADERS
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if request.method in ("GET", "HEAD"):
        if not CSRF_TOKEN_RE.match(cookie):
            cookie = random_key()
            headers.insert(0, ("Set-Cookie", f"{CSRF_COOKIE}={cookie}; expires={_cookie_date(CSRF_AGE)}; "
                                             f"Max-Age={CSRF_AGE}; Path=/; SameSite=Lax"))
        form = (
            '  <form method="post" action="/account/email">\n'
            f'    <input type="hidden" name="csrfmiddlewaretoken" value="{cookie}">\n'
            '    <label>New e-mail address <input type="email" name="email"></label>\n'
            '    <button type="submit">Save</button>\n  </form>\n'
        )
        body = app_page("Change e-mail · Lab Reports", "Change your e-mail address", "Enter the new address.",
                        extra_html=form)
        return LabResponse(200, body, headers=headers)
    reason = _csrf_failure(request, cookie)
    if reason:
        return LabResponse(403, django_csrf_page(reason, no_cookie=not cookie), headers=headers)
    body = app_page("Saved · Lab Reports", "E-mail address changed", "Your new address is saved.")
    return LabResponse(200, body, headers=headers)


def _csrf_failure(request: LabRequest, cookie: str) -> str:
    """Django's checks, in Django's order; returns its reason text, or "" when the request passes."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"http://{request.host}":
        return f"Origin checking failed - {origin} does not match any trusted origins."
    if not cookie:
        return "CSRF cookie not set."
    token = request.headers.get("x-csrftoken") or ""
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if not token and content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        token = form.get("csrfmiddlewaretoken", "")
    if not token:
        return "CSRF token missing."
    if token != cookie:
        return "CSRF token incorrect."
    return ""


# --- a shared cache in front of the app ---------------------------------------------------------------------------

CACHE_AGE = 5234
CACHE_CONTROL = "public, max-age=86400"


def _wants_origin(request: LabRequest) -> bool:
    directives = (request.headers.get("cache-control") or "").lower().replace(" ", "").split(",")
    pragma = (request.headers.get("pragma") or "").lower()
    return "no-cache" in directives or "max-age=0" in directives or "no-cache" in pragma


def cached_report(request: LabRequest, state: LabState) -> LabResponse:
    """The cache still holds the origin's refusal from before the report was published; no-cache goes past it."""
    if _wants_origin(request):
        body = app_page("Q3 report · Lab Reports", "Q3 report", "Sales grew by 4 % this quarter.")
        headers = [("Cache-Control", CACHE_CONTROL), ("Age", "0"), ("X-Cache", "MISS"), ("Via", "1.1 lab-cache"),
                   ("Last-Modified", http_date(state.started))]
        return LabResponse(200, body, headers=headers)
    body = app_page(
        "403 Forbidden · Lab Reports",
        "This report is not published yet",
        "The Q3 report becomes visible once the finance team publishes it.",
    )
    headers = [("Cache-Control", CACHE_CONTROL), ("Age", str(CACHE_AGE)), ("X-Cache", "HIT"), ("X-Cache-Hits", "37"),
               ("Via", "1.1 lab-cache")]
    return LabResponse(403, body, headers=headers)
