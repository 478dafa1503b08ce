"""Every difference between the working and the refused request, ranked by how likely it is to explain the 403.

A support engineer compares two requests header by header; this does the same, knowing which differences usually
matter (the credential and its claims, session and bot-management cookies, CSRF headers, the client's family, the
method and path) and which are noise (trace ids, dates, nonces, cache busters, analytics cookies). Each difference
carries the edit that takes the working value over, so narrow.py can test it live.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from wizard403.compare.sides import Side
from wizard403.model import SAFE_METHODS, Headers, Target
from wizard403.redact import SECRET_PARAM_RE, fingerprint, is_secret_header, redact_header

RELEVANCE = ("high", "medium", "low")
KIND_ORDER = ("token", "cookie", "header", "client", "query", "method", "url", "body", "route")
ABSENT = "(not sent)"

# Headers that differ on every request and never explain a refusal.
NOISE_HEADERS = frozenset({
    "traceparent", "tracestate", "baggage", "sentry-trace", "x-request-id", "x-correlation-id", "request-id",
    "x-amzn-trace-id", "x-cloud-trace-context", "x-datadog-trace-id", "x-datadog-parent-id",
    "x-datadog-sampling-priority", "x-datadog-origin", "newrelic", "x-newrelic-id", "x-client-trace-id",
    "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "b3", "date", "if-none-match",
    "if-modified-since", "content-length", "x-timestamp", "x-request-start", "cache-control", "pragma",
    "priority", "x-nonce", "connection", "keep-alive", "te", "upgrade-insecure-requests", "purpose",
    "sec-purpose", "dnt", "sec-gpc", "accept-encoding",
})
# Headers that claim a client address; wizard403 never sends one (DESIGN.md §6), so they are reported, not replayed.
ADDRESS_HEADERS = frozenset({
    "x-forwarded-for", "x-forwarded-host", "x-real-ip", "x-originating-ip", "x-original-url", "x-rewrite-url",
    "x-custom-ip-authorization", "forwarded", "true-client-ip", "cf-connecting-ip", "x-client-ip", "x-remote-ip",
    "x-remote-addr", "x-host", "x-cluster-client-ip", "fastly-client-ip",
})
CSRF_HEADERS = frozenset({"x-csrf-token", "x-xsrf-token", "x-csrftoken", "x-requested-with", "csrf-token",
                          "x-csrf-protection", "jenkins-crumb", "x-wp-nonce", "x-atlassian-token"})
NOISE_PARAM_RE = re.compile(r"^(_|_dc|t|ts|timestamp|time|cb|cachebuster|cache_buster|nocache|no_cache|rand|random|"
                            r"nonce|r|rnd|_t|_ts|v|ver|bust|utm_[a-z]+|gclid|fbclid|mc_eid|_ga)$", re.I)
SIGNED_PARAM_RE = re.compile(r"^(x-amz-[a-z-]+|x-goog-[a-z-]+|sig|signature|se|st|sp|sv|sr|spr|skoid|expires|"
                             r"key-pair-id|policy|token|hmac|hdnts|exp)$", re.I)
NOISE_COOKIE_RE = re.compile(r"^(_ga(_.*)?|_gid|_gat.*|_gcl_.*|_fbp|_fbc|__utm.*|_hj.*|ajs_.*|mp_.*|_clck|_clsk|"
                             r"optimizely.*|_uetsid|_uetvid|amp_.*|_pk_.*|_mkto_trk|hubspotutk|__hs.*|_parsely.*|"
                             r"intercom-.*|_tt_.*|_rdt_uuid|_scid.*|_sctr|ln_or|_dd_s|rl_.*)$", re.I)
BOT_COOKIE_RE = re.compile(r"^(__cf_bm|cf_clearance|_cfuvid|_abck|bm_sz|bm_sv|ak_bmsc|datadome|_px.*|"
                           r"incap_ses_.*|visid_incap_.*|nlbi_.*|reese84|kpsdk.*|aws-waf-token|__ddg.*)$", re.I)
SESSION_COOKIE_RE = re.compile(r"(sess|sid$|^sid|auth|token|jwt|login|remember|identity|user|account|oauth|saml|"
                               r"connect\.sid|laravel|asp\.net|jsessionid|phpsessid|_session)", re.I)
CSRF_COOKIE_RE = re.compile(r"(csrf|xsrf|crumb|antiforgery|requestverification)", re.I)
NOISE_FIELD_RE = re.compile(r"(^|\.)(timestamp|ts|time|nonce|request_?id|trace_?id|correlation_?id|_t)$", re.I)
SECRET_FIELD_RE = re.compile(r"(pass|secret|token|key|auth|credential|otp|pin|signature)", re.I)
# JWT claims: who and what the token is for (decide a 403), and the ones that change with every token issued.
IDENTITY_CLAIMS = ("sub", "aud", "iss", "azp", "client_id", "appid", "tid", "oid", "email", "upn", "preferred_username")
GRANT_CLAIMS = ("scope", "scp", "roles", "groups", "permissions", "entitlements", "wids", "realm_access",
                "resource_access", "cognito:groups", "amr", "acr")
NOISE_CLAIMS = ("iat", "nbf", "jti", "auth_time", "nonce", "at_hash", "c_hash", "sid", "uti", "rh", "xms_tcdt",
                "session_state", "s_hash")
CLIENT_FAMILIES = (
    ("curl", r"^curl/"), ("wget", r"^wget/"), ("python-requests", r"python-requests"), ("python-httpx", r"python-httpx"),
    ("python-urllib", r"python-urllib"), ("aiohttp", r"aiohttp"), ("go", r"go-http-client"), ("java", r"^java/|okhttp"),
    ("node", r"node-fetch|undici|axios|got \("), ("postman", r"postmanruntime"), ("insomnia", r"insomnia"),
    ("wizard403", r"wizard403"), ("powershell", r"powershell"), ("bot", r"bot\b|crawler|spider"),
    ("edge", r"edg/"), ("opera", r"opr/"), ("chrome", r"chrome/|crios/"), ("firefox", r"firefox/|fxios/"),
    ("safari", r"safari/"),
)


@dataclass
class Difference:
    """One way the two requests differ: both values (redacted), how likely it explains the refusal, and why."""

    kind: str  # method | url | query | header | cookie | token | body | client | route
    name: str
    working: str
    refused: str
    relevance: str  # high | medium | low
    why: str
    noise: bool = False
    edit: tuple[str, str] | None = None  # what to take over from the working request to test this live
    not_replayed: str = ""  # why a live test cannot take it over (empty: it can)

    def as_row(self) -> dict[str, Any]:
        row = {"kind": self.kind, "name": self.name, "working": self.working, "refused": self.refused,
               "relevance": self.relevance, "why": self.why}
        if self.noise:
            row["noise"] = True
        if self.not_replayed:
            row["not_replayed"] = self.not_replayed
        return row


def client_family(user_agent: str | None) -> str:
    """The kind of client a User-Agent names (curl, chrome, python-requests, ...), or "" when none is sent."""
    if not user_agent:
        return ""
    ua = user_agent.lower()
    for family, pattern in CLIENT_FAMILIES:
        if re.search(pattern, ua):
            return family
    return "other"


def _shown_header(name: str, value: str | None) -> str:
    return ABSENT if value is None else redact_header(name, value)


def _shown_secret(value: str | None) -> str:
    return ABSENT if value is None else fingerprint(value)


def _shown_plain(value: Any) -> str:
    if value is None:
        return ABSENT
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _header_map(headers: Headers) -> dict[str, tuple[str, str]]:
    """lower-case name -> (original spelling, all values joined), without Cookie and Authorization."""
    out: dict[str, tuple[str, str]] = {}
    for name, value in headers:
        lname = name.lower()
        if lname in ("cookie", "authorization", "host") or lname.startswith(":"):
            continue
        out[lname] = (out[lname][0], f"{out[lname][1]}, {value}") if lname in out else (name, value)
    return out


# --------------------------------------------------------------------------------------------------- the credential


def _jwt_claims(value: str | None) -> dict[str, Any] | None:
    from wizard403.checks.tokens import decode_jwt

    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    jwt = decode_jwt(token.strip() if token else scheme)
    return jwt.claims if jwt is not None else None


TIME_CLAIMS = ("exp", "iat", "nbf", "auth_time")


def _shown_time(value: Any) -> str:
    """An epoch claim as a readable UTC time (the number too, since that is what the token holds)."""
    if isinstance(value, (int, float)) and 0 < value < 10**11:
        stamp = _dt.datetime.fromtimestamp(value, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{stamp} ({int(value)})"
    return _shown_plain(value)


def _grants(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.replace(",", " ").split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _expired(claims: dict[str, Any], at: _dt.datetime) -> bool | None:
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)):
        return None
    return exp < at.timestamp()


def _token_differences(working: Side, refused: Side) -> list[Difference]:
    w_auth, r_auth = working.target.headers.get("authorization"), refused.target.headers.get("authorization")
    if w_auth == r_auth:
        return []
    edit = ("header", "authorization")
    name = "Authorization"
    if r_auth is None:
        return [Difference("token", name, _shown_header(name, w_auth), ABSENT, "high",
                           "The refused request sends no credentials at all; the working one does.", edit=edit)]
    if w_auth is None:
        return [Difference("token", name, ABSENT, _shown_header(name, r_auth), "medium",
                           "Only the refused request sends credentials: a wrong or stale token can be refused where "
                           "none would be let through.", edit=edit)]
    w_scheme, r_scheme = w_auth.split(" ", 1)[0].lower(), r_auth.split(" ", 1)[0].lower()
    if w_scheme != r_scheme:
        return [Difference("token", f"{name} scheme", w_scheme, r_scheme, "high",
                           "The two requests authenticate differently (another kind of credential).", edit=edit)]
    w_claims, r_claims = _jwt_claims(w_auth), _jwt_claims(r_auth)
    if w_claims is None or r_claims is None:
        return [Difference("token", name, _shown_header(name, w_auth), _shown_header(name, r_auth), "high",
                           "A different credential: it may belong to another account, or be expired or revoked.",
                           edit=edit)]
    out: list[Difference] = []
    w_at = working.recorded_at or _dt.datetime.now(_dt.timezone.utc)
    r_at = refused.recorded_at or _dt.datetime.now(_dt.timezone.utc)
    w_expired, r_expired = _expired(w_claims, w_at), _expired(r_claims, r_at)
    if r_expired and not w_expired:
        out.append(Difference("token", "exp", _shown_time(w_claims.get("exp")), _shown_time(r_claims.get("exp")),
                              "high", "The refused request's token had expired when it was sent; the working one "
                              "had not.", edit=edit))
    for claim in sorted(set(w_claims) | set(r_claims)):
        if claim == "exp" or w_claims.get(claim) == r_claims.get(claim):
            continue
        shown = _shown_time if claim in TIME_CLAIMS else _shown_plain
        w_value, r_value = shown(w_claims.get(claim)), shown(r_claims.get(claim))
        if claim in GRANT_CLAIMS:
            lacking = [g for g in _grants(w_claims.get(claim)) if g not in _grants(r_claims.get(claim))]
            why = ("The tokens grant different scopes or roles: the refused one lacks "
                   + (", ".join(lacking) if lacking else "some the working one has") + ".")
            out.append(Difference("token", claim, w_value, r_value, "high", why, edit=edit))
        elif claim in IDENTITY_CLAIMS:
            out.append(Difference("token", claim, w_value, r_value, "high",
                                  "The tokens are for a different user, client, audience or issuer.", edit=edit))
        elif claim in NOISE_CLAIMS:
            out.append(Difference("token", claim, w_value, r_value, "low",
                                  "Changes with every token issued.", noise=True, edit=edit))
        else:
            out.append(Difference("token", claim, w_value, r_value, "medium",
                                  "A claim that differs between the two tokens.", edit=edit))
    if not out:
        out.append(Difference("token", name, _shown_header(name, w_auth), _shown_header(name, r_auth), "medium",
                              "The same claims but another token: one may have been revoked.", edit=edit))
    return out


# --------------------------------------------------------------------------------------------------- headers, client


def _header_differences(working: Side, refused: Side) -> list[Difference]:
    w_map, r_map = _header_map(working.target.headers), _header_map(refused.target.headers)
    unsafe = refused.target.method not in SAFE_METHODS
    out: list[Difference] = []
    for lname in sorted(set(w_map) | set(r_map)):
        w, r = w_map.get(lname), r_map.get(lname)
        if w is not None and r is not None and w[1] == r[1]:
            continue
        spelled = (w or r)[0]
        w_value, r_value = (w[1] if w else None), (r[1] if r else None)
        shown = (_shown_header(spelled, w_value), _shown_header(spelled, r_value))
        edit = ("header", lname)
        if lname == "user-agent":
            out.append(_client_difference(spelled, w_value, r_value, shown))
        elif lname.startswith("sec-ch-ua") or lname.startswith("sec-fetch-"):
            out.append(Difference("client", spelled, *shown, "medium",
                                  "Browser client hints and fetch metadata: bot protection and some servers check "
                                  "them.", edit=edit))
        elif lname in ADDRESS_HEADERS:
            out.append(Difference("header", spelled, *shown, "medium",
                                  "A header that claims a client address; a server that trusts it decides by it.",
                                  edit=None, not_replayed="wizard403 never sends a client-address header"))
        elif lname in NOISE_HEADERS:
            out.append(Difference("header", spelled, *shown, "low", "Changes on every request (a trace id, a date or "
                                  "a cache validator).", noise=True, edit=edit))
        elif lname in CSRF_HEADERS:
            out.append(Difference("header", spelled, *shown, "high",
                                  "An anti-forgery (CSRF) header: applications refuse a request without the right "
                                  "one.", edit=edit))
        elif is_secret_header(spelled):
            out.append(Difference("header", spelled, *shown, "high",
                                  "A different API key or token header.", edit=edit))
        elif lname in ("origin", "referer"):
            out.append(Difference("header", spelled, *shown, "high" if unsafe else "medium",
                                  "Origin and Referer feed CSRF, CORS and hotlink checks.", edit=edit))
        elif lname in ("accept", "accept-language"):
            out.append(Difference("header", spelled, *shown, "low",
                                  "What the client would like back; rarely decides a refusal.", edit=edit))
        else:
            out.append(Difference("header", spelled, *shown, "medium",
                                  "Sent differently by the two clients; gateways and APIs sometimes require a header "
                                  "(a version, a tenant, a client id).", edit=edit))
    return out


def _client_difference(spelled: str, w_value: str | None, r_value: str | None, shown: tuple[str, str]) -> Difference:
    w_family, r_family = client_family(w_value), client_family(r_value)
    edit = ("header", "user-agent")
    if w_family != r_family:
        return Difference("client", spelled, *shown, "high",
                          f"A different kind of client ({w_family or 'none'} against {r_family or 'none'}): bot "
                          "management and User-Agent policies refuse some clients outright.", edit=edit)
    return Difference("client", spelled, *shown, "low", "The same client in another version.", edit=edit)


# --------------------------------------------------------------------------------------------------- cookies


def _cookie_differences(working: Side, refused: Side) -> list[Difference]:
    w_jar, r_jar = working.target.cookies, refused.target.cookies
    unsafe = refused.target.method not in SAFE_METHODS
    out: list[Difference] = []
    for name in sorted(set(w_jar) | set(r_jar), key=str.lower):
        w, r = w_jar.get(name), r_jar.get(name)
        if w == r:
            continue
        shown = (_shown_secret(w), _shown_secret(r))
        edit = ("cookie", name)
        if NOISE_COOKIE_RE.match(name):
            out.append(Difference("cookie", name, *shown, "low", "An analytics or advertising cookie.", noise=True,
                                  edit=edit))
        elif BOT_COOKIE_RE.match(name):
            out.append(Difference("cookie", name, *shown, "high",
                                  "A bot-management cookie: the site's bot protection may refuse a request without a "
                                  "current one.", edit=edit))
        elif CSRF_COOKIE_RE.search(name):
            out.append(Difference("cookie", name, *shown, "high" if unsafe else "medium",
                                  "The CSRF cookie must match the token the form or header sends.", edit=edit))
        elif SESSION_COOKIE_RE.search(name):
            why = ("The refused request sends no session cookie: the site does not know who is asking."
                   if r is None else "A different or stale session: the site may have ended the old one.")
            out.append(Difference("cookie", name, *shown, "high", why, edit=edit))
        else:
            out.append(Difference("cookie", name, *shown, "medium", "A cookie the two browsers hold differently.",
                                  edit=edit))
    return out


# --------------------------------------------------------------------------------------------------- method, url, query


def _url_differences(working: Side, refused: Side) -> list[Difference]:
    out: list[Difference] = []
    w_url, r_url = urlsplit(working.target.url), urlsplit(refused.target.url)
    if working.target.method != refused.target.method:
        unsafe = working.target.method not in SAFE_METHODS
        out.append(Difference("method", "method", working.target.method, refused.target.method, "high",
                              "A different method is a different permission: many rules allow GET and refuse others.",
                              edit=("method", ""),
                              not_replayed="the working method can change data (use --replay-unsafe)" if unsafe else ""))
    if (w_url.hostname or "") != (r_url.hostname or "") or w_url.port != r_url.port:
        out.append(Difference("url", "host", w_url.netloc.rsplit("@", 1)[-1], r_url.netloc.rsplit("@", 1)[-1], "high",
                              "The requests go to different hosts: a different site, service or environment.",
                              not_replayed="the working request goes to another origin"))
    if w_url.scheme != r_url.scheme:
        out.append(Difference("url", "scheme", w_url.scheme, r_url.scheme, "medium",
                              "Plain HTTP and HTTPS can be configured differently (an HTTPS-only rule).",
                              not_replayed="the working request goes to another origin"))
    if (w_url.path or "/") != (r_url.path or "/"):
        out.append(Difference("url", "path", w_url.path or "/", r_url.path or "/", "high",
                              "A different resource: permissions are often given per path.", edit=("path", "")))
    w_query = _params(w_url.query)
    r_query = _params(r_url.query)
    for name in sorted(set(w_query) | set(r_query)):
        w, r = w_query.get(name), r_query.get(name)
        if w == r:
            continue
        secret = SECRET_PARAM_RE.match(name) or SIGNED_PARAM_RE.match(name)
        shown = (_shown_secret(w) if secret and w is not None else _shown_plain(w),
                 _shown_secret(r) if secret and r is not None else _shown_plain(r))
        edit = ("query", name)
        if NOISE_PARAM_RE.match(name):
            out.append(Difference("query", name, *shown, "low", "A cache buster or tracking parameter.", noise=True,
                                  edit=edit))
        elif SIGNED_PARAM_RE.match(name):
            out.append(Difference("query", name, *shown, "high",
                                  "Part of a signed URL: a signature or expiry that does not match is refused.",
                                  edit=edit))
        elif SECRET_PARAM_RE.match(name):
            out.append(Difference("query", name, *shown, "high", "A key or token in the query string.", edit=edit))
        else:
            out.append(Difference("query", name, *shown, "medium",
                                  "A different query parameter: it may select another resource or option.", edit=edit))
    return out


def _params(query: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        out.setdefault(name, value)
    return out


# --------------------------------------------------------------------------------------------------- body, route


def _flat(value: Any, prefix: str = "", depth: int = 0) -> dict[str, Any]:
    if depth > 20:
        return {prefix: value}
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out |= _flat(inner, f"{prefix}.{key}" if prefix else str(key), depth + 1)
        return out
    return {prefix or "(body)": value}


def _fields(target: Target) -> dict[str, Any] | None:
    if not target.body:
        return {}
    text = target.body.decode("utf-8", "replace")
    ctype = (target.headers.get("content-type") or "").lower()
    if "json" in ctype or text.lstrip()[:1] in "{[":
        try:
            return _flat(json.loads(text))
        except ValueError:
            return None
    if "x-www-form-urlencoded" in ctype:
        return dict(parse_qsl(text, keep_blank_values=True))
    return None


def _body_differences(working: Side, refused: Side) -> list[Difference]:
    if working.target.body == refused.target.body:
        return []
    edit = ("body", "")
    w_fields, r_fields = _fields(working.target), _fields(refused.target)
    if w_fields is None or r_fields is None:
        size = lambda t: f"{len(t.body or b'')} bytes"  # noqa: E731
        return [Difference("body", "(whole body)", size(working.target), size(refused.target), "medium",
                           "The request bodies differ.", edit=edit)]
    out = []
    for name in sorted(set(w_fields) | set(r_fields)):
        w, r = w_fields.get(name), r_fields.get(name)
        if w == r:
            continue
        secret = bool(SECRET_FIELD_RE.search(name))
        shown = ((_shown_secret(str(w)) if w is not None else ABSENT) if secret else _shown_plain(w),
                 (_shown_secret(str(r)) if r is not None else ABSENT) if secret else _shown_plain(r))
        if NOISE_FIELD_RE.search(name):
            out.append(Difference("body", name, *shown, "low", "Changes on every request.", noise=True, edit=edit))
        elif CSRF_COOKIE_RE.search(name):
            out.append(Difference("body", name, *shown, "high", "An anti-forgery token in the form.", edit=edit))
        else:
            out.append(Difference("body", name, *shown, "medium", "A field the two requests send differently.",
                                  edit=edit))
    return out


def _route_differences(working: Side, refused: Side) -> list[Difference]:
    if working.exchange is None or refused.exchange is None:
        return []
    out = []
    w_addr, r_addr = working.exchange.remote_address, refused.exchange.remote_address
    if w_addr and r_addr and w_addr.rsplit(":", 1)[0] != r_addr.rsplit(":", 1)[0]:
        out.append(Difference("route", "server address", w_addr, r_addr, "medium",
                              "The two requests reached different servers (another edge location, region or "
                              "backend), where rules can differ.", not_replayed="the route is not part of the request"))
    w_ver, r_ver = working.exchange.http_version, refused.exchange.http_version
    if w_ver and r_ver and w_ver.lower() != r_ver.lower():
        out.append(Difference("route", "HTTP version", w_ver, r_ver, "low",
                              "Another protocol version; it rarely decides a refusal.",
                              not_replayed="the protocol version is not part of the request"))
    return out


def differences(working: Side, refused: Side) -> list[Difference]:
    """Every difference, most likely culprit first; noise last, marked as such."""
    found = (
        _token_differences(working, refused)
        + _cookie_differences(working, refused)
        + _header_differences(working, refused)
        + _url_differences(working, refused)
        + _body_differences(working, refused)
        + _route_differences(working, refused)
    )
    same_origin = _origin(working.target.url) == _origin(refused.target.url)
    for diff in found:
        if not same_origin and diff.kind in ("token", "cookie") or (not same_origin and diff.edit and
                                                                    is_secret_header(diff.edit[1])):
            diff.not_replayed = diff.not_replayed or "its credentials belong to another origin"
    return sorted(found, key=lambda d: (d.noise, RELEVANCE.index(d.relevance), KIND_ORDER.index(d.kind), d.name.lower()))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}"


# --------------------------------------------------------------------------------------------------- applying edits


def apply_edits(refused: Target, working: Target, edits: list[tuple[str, str]]) -> Target:
    """The refused request with the working request's values taken over for these edits (a new Target)."""
    from urllib.parse import urlencode, urlunsplit

    method, url, headers, body = refused.method, refused.url, Headers(refused.headers), refused.body
    r_parts, w_parts = urlsplit(url), urlsplit(working.url)
    query = list(parse_qsl(r_parts.query, keep_blank_values=True))
    path = r_parts.path
    w_query = _params(w_parts.query)
    r_jar, w_jar = dict(refused.cookies), working.cookies
    jar_changed = False
    for kind, name in edits:
        if kind == "method":
            method = working.method
            body = working.body
        elif kind == "path":
            path = w_parts.path
        elif kind == "query":
            query = [(k, v) for k, v in query if k != name]
            if name in w_query:
                query.append((name, w_query[name]))
        elif kind == "header":
            values = working.headers.get_all(name)
            headers = headers.without(name)
            for value in values:
                spelled = next((k for k, _ in working.headers if k.lower() == name), name)
                headers.append((spelled, value))
        elif kind == "cookie":
            jar_changed = True
            if name in w_jar:
                r_jar[name] = w_jar[name]
            else:
                r_jar.pop(name, None)
        elif kind == "body":
            body = working.body
            if working.headers.has("content-type"):
                headers = headers.replaced("Content-Type", working.headers.get("content-type"))
    if jar_changed:
        headers = headers.without("cookie")
        if r_jar:
            headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in r_jar.items())))
    new_url = urlunsplit((r_parts.scheme, r_parts.netloc, path, urlencode(query, doseq=False), r_parts.fragment)) \
        if query or r_parts.query else urlunsplit((r_parts.scheme, r_parts.netloc, path, "", r_parts.fragment))
    return Target(url=new_url, method=method, headers=headers, body=body, source=refused.source)
