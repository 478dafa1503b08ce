"""Step 1: what the user's token says about itself, read on this machine only.

A JSON Web Token carries its own expiry, audience, issuer and scopes; reading them (without verifying the
signature, which needs the issuer's key) answers "is this token still good, and for what?" before anyone asks an
admin. Opaque tokens say less, but their prefix usually names the kind of credential. Nothing secret is ever put
in a result: claims and prefixes only.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from wizard403.checks.registry import CheckContext, check
from wizard403.model import Exchange, Target, http_date

CLOCK_SKEW_TOLERANCE = 120  # seconds; servers and issuers commonly allow a minute or two
SCOPE_CLAIMS = ("scope", "scp", "roles", "role", "groups", "permissions", "entitlements")
# Prefixes of well-known opaque credentials: what kind of credential the user holds.
OPAQUE_PREFIXES = (
    ("github_pat_", "a GitHub fine-grained personal access token"),
    ("ghp_", "a GitHub classic personal access token"),
    ("gho_", "a GitHub OAuth app token"),
    ("ghu_", "a GitHub App user-to-server token"),
    ("ghs_", "a GitHub App installation token (such as GITHUB_TOKEN in Actions)"),
    ("glpat-", "a GitLab personal access token"),
    ("xoxb-", "a Slack bot token"),
    ("xoxp-", "a Slack user token"),
    ("xapp-", "a Slack app-level token"),
    ("AKIA", "an AWS long-term access key id (it needs a request signature, not a bearer header)"),
    ("ASIA", "an AWS temporary access key id (it expires with its session)"),
    ("sk_live_", "a Stripe live secret key"),
    ("sk_test_", "a Stripe test-mode secret key (it only works against test data)"),
    ("pk_live_", "a Stripe publishable key (it cannot call server-side APIs)"),
    ("pk_test_", "a Stripe test publishable key (it cannot call server-side APIs)"),
    ("rk_", "a Stripe restricted key (it only has the permissions chosen when it was made)"),
    ("sk-", "an API secret key of the 'sk-' family (OpenAI and others)"),
    ("ya29.", "a Google OAuth access token (they last about an hour)"),
    ("AIza", "a Google API key (it identifies a project, not a user)"),
    ("shpat_", "a Shopify Admin API access token"),
    ("npm_", "an npm access token"),
    ("hf_", "a Hugging Face access token"),
)
TOKEN_PARAMS = ("access_token", "token", "id_token", "jwt")


@dataclass
class Credential:
    """One credential found in the request: where it was, and its value (kept in memory only)."""

    where: str  # "Authorization: Bearer", "cookie access_token", "X-API-Key header", "query access_token"
    value: str


@dataclass
class Jwt:
    header: dict[str, Any]
    claims: dict[str, Any]
    where: str


@dataclass
class TokenReading:
    """What one token says, and what that means against this target and this server's clock."""

    where: str
    kind: str  # "jwt" | "opaque" | "basic"
    facts: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    supports: dict[str, float] = field(default_factory=dict)


def find_credentials(target: Target) -> list[Credential]:
    """Bearer tokens, API-key headers, token cookies and token query parameters, in that order."""
    found: list[Credential] = []
    auth = target.headers.get("authorization") or ""
    scheme, _, value = auth.strip().partition(" ")
    if value.strip():
        found.append(Credential(f"Authorization: {scheme}", value.strip()))
    for name, value in target.headers:
        lname = name.lower()
        if lname in ("authorization", "cookie"):
            continue
        if lname in ("x-api-key", "api-key", "apikey", "x-auth-token", "x-access-token", "private-token",
                     "x-goog-api-key", "ocp-apim-subscription-key", "x-github-token") and value.strip():
            found.append(Credential(f"{name} header", value.strip()))
    for name, value in target.cookies.items():
        if looks_like_jwt(value):
            found.append(Credential(f"cookie {name}", value))
    for name, value in parse_qsl(urlsplit(target.url).query, keep_blank_values=False):
        if name.lower() in TOKEN_PARAMS and value:
            found.append(Credential(f"query parameter {name}", value))
    return found


def looks_like_jwt(value: str) -> bool:
    parts = value.split(".")
    return len(parts) == 3 and parts[0].startswith("eyJ") and len(parts[1]) > 2


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode_jwt(value: str, where: str = "") -> Jwt | None:
    """The JWT's header and claims, unverified; None when it is not a readable JWT."""
    if not looks_like_jwt(value):
        return None
    head, payload = value.split(".")[:2]
    try:
        header = json.loads(_unb64(head))
        claims = json.loads(_unb64(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return Jwt(header, claims, where)


def token_scopes(claims: dict[str, Any]) -> list[str]:
    """Every scope, role or group the token claims, as plain strings."""
    out: list[str] = []
    for name in SCOPE_CLAIMS:
        value = claims.get(name)
        if isinstance(value, str):
            out += value.replace(",", " ").split()
        elif isinstance(value, list):
            out += [str(v) for v in value if isinstance(v, (str, int))]
    realm = claims.get("realm_access")
    if isinstance(realm, dict) and isinstance(realm.get("roles"), list):
        out += [str(v) for v in realm["roles"]]
    return list(dict.fromkeys(out))


def jwt_scopes_of(target: Target) -> list[str] | None:
    """The scopes of the first JWT the request carries, or None when it carries none."""
    for cred in find_credentials(target):
        token = decode_jwt(cred.value, cred.where)
        if token is not None:
            return token_scopes(token.claims)
    return None


def server_clock(ex: Exchange | None) -> tuple[_dt.datetime | None, float | None]:
    """(the server's time per its Date header, server minus local clock in seconds) for an answered exchange."""
    if ex is None or ex.status is None:
        return None, None
    server = http_date(ex.response_headers.get("date"))
    if server is None:
        return None, None
    local = ex.at if ex.at.tzinfo else ex.at.replace(tzinfo=_dt.timezone.utc)
    return server, (server - local).total_seconds()


def _stamp(epoch: float) -> str:
    return _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _span(seconds: float) -> str:
    seconds = abs(int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [str(a) for a in aud]
    return []


def read_jwt(token: Jwt, target: Target, now: _dt.datetime, skew: float | None) -> TokenReading:
    """Expiry, validity window, audience, issuer, scopes and algorithm of one JWT, judged against the target."""
    claims = token.claims
    reading = TokenReading(token.where, "jwt")
    facts = reading.facts
    alg = str(token.header.get("alg", ""))
    facts["alg"] = alg or "(none given)"
    for name in ("iss", "sub", "azp", "client_id", "appid", "email", "preferred_username", "tid"):
        if isinstance(claims.get(name), (str, int)):
            facts[name] = claims[name]
    scopes = token_scopes(claims)
    if scopes:
        facts["scopes"] = scopes
    now_epoch = now.timestamp()
    exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
    if isinstance(exp, (int, float)):
        facts["expires"] = _stamp(exp)
        if exp <= now_epoch:
            reading.problems.append(f"it expired {_span(now_epoch - exp)} ago, at {_stamp(exp)}")
            reading.supports.update({"credentials": 0.4, "stale-session": 0.1, "permissions": -0.15})
        else:
            facts["expires_in"] = _span(exp - now_epoch)
    else:
        facts["expires"] = "never (no exp claim)"
    if isinstance(nbf, (int, float)) and nbf > now_epoch:
        reading.problems.append(f"it is not valid before {_stamp(nbf)}, {_span(nbf - now_epoch)} from now")
        reading.supports["credentials"] = max(reading.supports.get("credentials", 0), 0.3)
    if isinstance(iat, (int, float)):
        facts["issued"] = _stamp(iat)
        if iat > now_epoch + CLOCK_SKEW_TOLERANCE:
            reading.problems.append(f"it claims to be issued in the future ({_stamp(iat)}): a clock is wrong somewhere")
            reading.supports["signed-url"] = 0.1
    if skew is not None and abs(skew) > CLOCK_SKEW_TOLERANCE:
        side = "ahead of" if skew > 0 else "behind"
        reading.problems.append(f"the server's clock is {_span(skew)} {side} this computer's, which can make fresh tokens look expired")
        reading.supports["signed-url"] = max(reading.supports.get("signed-url", 0), 0.15)
        reading.supports["credentials"] = max(reading.supports.get("credentials", 0), 0.1)
    audiences = _audiences(claims)
    if audiences:
        facts["aud"] = audiences if len(audiences) > 1 else audiences[0]
        host = target.host.lower()
        url_like = [a for a in audiences if "://" in a]
        if host and url_like and not any((urlsplit(a).hostname or "").lower() == host for a in url_like):
            reading.problems.append(f"it was issued for {', '.join(url_like)}, not for {host}")
            reading.supports["credentials"] = max(reading.supports.get("credentials", 0), 0.25)
    if alg.lower() == "none":
        reading.problems.append("it is unsigned (alg none): no serious server should accept it")
        reading.supports["credentials"] = max(reading.supports.get("credentials", 0), 0.2)
    if not reading.problems:
        reading.supports.update({"credentials": -0.15})
    return reading


def read_opaque(cred: Credential) -> TokenReading:
    """What the shape of an opaque credential tells: its length and, from its prefix, what kind it is."""
    reading = TokenReading(cred.where, "opaque")
    value = cred.value
    if cred.where.lower().startswith("authorization: basic"):
        reading.kind = "basic"
        try:
            user = base64.b64decode(value, validate=True).decode("utf-8").partition(":")[0]
            reading.facts["user"] = user
        except (ValueError, binascii.Error, UnicodeDecodeError):
            reading.problems.append("the user name and password are not encoded the way Basic sign-in expects (base64 of user:password)")
            reading.supports["credentials"] = 0.3
        return reading
    reading.facts["length"] = len(value)
    for prefix, meaning in OPAQUE_PREFIXES:
        if value.startswith(prefix):
            reading.facts["prefix"] = prefix
            reading.facts["kind"] = meaning
            if prefix.startswith("pk_"):
                reading.problems.append("a publishable key cannot authorise server-side calls")
                reading.supports["credentials"] = 0.3
            break
    if value != value.strip() or any(c in value for c in " \t\"'"):
        reading.problems.append("it contains spaces or quotes, which usually means it was pasted with extra characters")
        reading.supports["credentials"] = 0.3
    return reading


def _token_need(facts) -> int | str:
    if not find_credentials(facts.target):
        return "no token was given (no bearer token, API key, token cookie or token in the address), so there is nothing to read"
    return 0


@check("token-inspect", step=1, requests=_token_need, after=("baseline",), live=False)
async def token_inspect(ctx: CheckContext):
    """Decode each credential locally and judge it against the target and the server's clock."""
    base = ctx.baseline
    server_now, skew = server_clock(base)
    recorded_at = base.at if base is not None and base.check == "recorded" else None
    # a recording is judged at the time it was made, not today: an old HAR must not call a token "expired for years"
    now = server_now or recorded_at or _dt.datetime.now(_dt.timezone.utc)
    readings: list[TokenReading] = []
    for cred in find_credentials(ctx.target):
        token = decode_jwt(cred.value, cred.where)
        readings.append(read_jwt(token, ctx.target, now, skew) if token else read_opaque(cred))
    evidence: dict[str, Any] = {}
    supports: dict[str, float] = {}
    for i, reading in enumerate(readings):
        prefix = "" if i == 0 else f"token{i + 1}_"
        evidence[prefix + "where"] = reading.where
        evidence[prefix + "kind"] = reading.kind
        for key, value in reading.facts.items():
            evidence[prefix + key] = value
        if reading.problems:
            evidence[prefix + "problems"] = reading.problems
        for cause, weight in reading.supports.items():
            supports[cause] = weight if abs(weight) > abs(supports.get(cause, 0)) else supports.get(cause, weight)
    if skew is not None:
        evidence["server_clock_offset_s"] = int(skew)
    first = readings[0]
    details = "\n".join(
        f"{r.where}: {r.kind}; " + ", ".join(f"{k}={v}" for k, v in r.facts.items()) for r in readings
    )
    troubled = [r for r in readings if r.problems]
    if troubled:
        worst = troubled[0]
        what = "Your token" if worst.kind == "jwt" else f"The credential in {worst.where}"
        status = "fail" if worst.supports.get("credentials", 0) >= 0.3 else "warn"
        return ctx.result(status, f"{what}: {'; '.join(worst.problems)}.", evidence, supports, details)
    if first.kind == "jwt":
        scopes = first.facts.get("scopes")
        scope_text = f" It grants: {' '.join(scopes)}." if scopes else " It names no scopes or roles."
        until = first.facts.get("expires", "")
        whose = first.facts.get("sub") or first.facts.get("email") or first.facts.get("azp")
        who_text = f" for {whose}" if whose else ""
        return ctx.result(
            "pass",
            f"Your token{who_text} is current (valid until {until}) and meant for this site.{scope_text}",
            evidence,
            supports,
            details,
        )
    kind = first.facts.get("kind")
    if kind:
        return ctx.result("info", f"The credential in {first.where} looks like {kind}; its validity can only be checked by the server.", evidence, supports, details)
    if first.kind == "basic":
        return ctx.result("info", f"The request signs in with a user name and password (user '{first.facts.get('user', '?')}').", evidence, supports, details)
    return ctx.result(
        "info",
        f"The credential in {first.where} is an opaque token ({first.facts.get('length')} characters): only the server can say whether it is valid.",
        evidence,
        supports,
        details,
    )
