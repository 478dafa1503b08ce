"""Step 1: whose credentials these are, asked of an 'about me' address the user names (--whoami URL).

The credentials go only to the origin they were given for: a --whoami address on another origin is not asked.
"""

from __future__ import annotations

from typing import Any

from wizard403.checks.client import same_origin
from wizard403.checks.registry import CheckContext, check, is_granted, is_refused
from wizard403.checks.jsonbody import parse_json
from wizard403.model import Headers
from wizard403.redact import redact_url

IDENTITY_KEYS = (
    "login", "username", "preferred_username", "user", "name", "email", "upn", "unique_name", "sub", "id",
    "user_id", "client_id", "appid", "account", "arn", "userid",
)
GRANT_KEYS = ("roles", "role", "groups", "scope", "scopes", "scp", "permissions", "teams", "orgs")
NESTED = ("user", "data", "me", "account", "identity", "principal")


def _need(facts) -> int | str:
    url = facts.options.whoami
    if not url:
        return (
            "no 'about me' address was given: run with --whoami URL (an address such as https://api.example.com/me) "
            "to see whose credentials these are"
        )
    if not same_origin(url, facts.target.url):
        return (
            f"the --whoami address is on another site than the target, and credentials are only ever sent to the "
            f"site they were given for; give an address on {facts.target.origin}"
        )
    if not facts.target.has_credentials():
        return "no credentials were given, so there is no one to identify"
    return 1


def identity_of(data: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(who, what they hold) from an 'about me' JSON document, looking one level into common wrappers."""
    who: dict[str, Any] = {}
    grants: dict[str, Any] = {}
    layers = [data]
    if isinstance(data, dict):
        layers += [data[k] for k in NESTED if isinstance(data.get(k), dict)]
    for layer in layers:
        if not isinstance(layer, dict):
            continue
        for key in IDENTITY_KEYS:
            value = layer.get(key)
            if isinstance(value, (str, int)) and key not in who and str(value).strip():
                who[key] = value
        for key in GRANT_KEYS:
            value = layer.get(key)
            if isinstance(value, (str, list)) and key not in grants and value:
                grants[key] = value if isinstance(value, str) else [str(v) for v in value][:20]
    return who, grants


@check("whoami", step=1, requests=_need, after=("baseline",))
async def whoami(ctx: CheckContext):
    """GET the --whoami address with the same credentials and report the identity it names."""
    url = ctx.options.whoami
    headers = Headers(ctx.target.credential_headers())
    headers.append(("Accept", "application/json"))
    ex = await ctx.send(method="GET", url=url, headers=headers)
    evidence: dict[str, Any] = {"url": redact_url(url), "status": ex.status if ex.status is not None else ex.error_kind}
    if ex.status is None:
        return ctx.result("error", f"The 'about me' address did not answer: {ex.error}.", evidence)
    if is_refused(ex):
        return ctx.result(
            "fail",
            f"Even the 'about me' address refuses your credentials ({ex.status}): they are not accepted at all, so sign in again or get a new token.",
            evidence,
            supports={"credentials": 0.35, "stale-session": 0.1, "permissions": -0.15},
        )
    if not is_granted(ex):
        return ctx.result("warn", f"The 'about me' address answered {ex.status}, so it tells nothing about who you are.", evidence)
    data = parse_json(ex.text)
    who, grants = identity_of(data)
    evidence.update({f"who_{k}": v for k, v in who.items()})
    evidence.update({f"has_{k}": v for k, v in grants.items()})
    if not who:
        return ctx.result(
            "info",
            "The 'about me' address accepts your credentials but does not say whose they are.",
            evidence,
            supports={"credentials": -0.15},
        )
    name = next(str(who[k]) for k in IDENTITY_KEYS if k in who)
    held = ""
    if grants:
        key, value = next(iter(grants.items()))
        held = f" ({key}: {value if isinstance(value, str) else ', '.join(value)})"
    return ctx.result(
        "pass",
        f"Your credentials belong to {name}{held}: check that this is the account that should have access.",
        evidence,
        supports={"credentials": -0.25, "permissions": 0.1},
    )
