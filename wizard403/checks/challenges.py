"""Step 1: the server's own sign-in hint, the WWW-Authenticate header (RFC 9110 §11.6.1, RFC 6750 §3).

One header may hold several challenges (`Bearer realm="a", error="invalid_token", Basic realm="b"`) and a response
may repeat the header; both are parsed. For bearer tokens, RFC 6750's `error` says which of "the token is bad"
(invalid_token) and "the token is fine but lacks a scope" (insufficient_scope, with `scope=` naming it) applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wizard403.checks.registry import CheckContext, check, is_refused
from wizard403.checks.tokens import jwt_scopes_of
from wizard403.diagnose.context import credential_places
from wizard403.model import Exchange

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAM = re.compile(rf"^({_TOKEN})\s*=\s*(\"(?:[^\"\\]|\\.)*\"|{_TOKEN}|)\s*$", re.S)
_TOKEN68 = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")
_SCHEME_REST = re.compile(rf"^({_TOKEN})(?:\s+(.*))?$", re.S)


@dataclass
class Challenge:
    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    token68: str | None = None

    def get(self, name: str) -> str | None:
        return self.params.get(name.lower())


def _split_commas(text: str) -> list[str]:
    """Split on commas that are outside quoted strings."""
    items, current, quoted, escaped = [], [], False, False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            current.append(ch)
            escaped = True
        elif ch == '"':
            current.append(ch)
            quoted = not quoted
        elif ch == "," and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return items


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_challenges(values: list[str]) -> list[Challenge]:
    """Every challenge in one or more WWW-Authenticate header values, in order."""
    out: list[Challenge] = []
    for value in values:
        current: Challenge | None = None
        for item in _split_commas(value):
            item = item.strip()
            if not item:
                continue
            param = _PARAM.match(item)
            if param and current is not None:
                current.params[param.group(1).lower()] = _unquote(param.group(2))
                continue
            head = _SCHEME_REST.match(item)
            if head is None:
                continue
            current = Challenge(head.group(1))
            out.append(current)
            rest = (head.group(2) or "").strip()
            if not rest:
                continue
            param = _PARAM.match(rest)
            if param:
                current.params[param.group(1).lower()] = _unquote(param.group(2))
            elif _TOKEN68.match(rest):
                current.token68 = rest
    return out


def _challenges_of(ex: Exchange | None) -> list[Challenge]:
    if ex is None or ex.status is None:
        return []
    return parse_challenges(ex.response_headers.get_all("www-authenticate"))


def _scopes_word(scopes: list[str]) -> str:
    return "scopes" if len(scopes) > 1 else "scope"


def _scope_list(scopes: list[str]) -> str:
    """Every scope the server named, quoted one by one: 'repo:write' and 'admin' (never one string for two)."""
    quoted = [f"'{s}'" for s in scopes]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _need(facts) -> int | str:
    base = facts.baseline
    if base is None:
        return "there is no answer to read a sign-in hint from"
    if base.status is None:
        return f"the request got no answer ({base.error_kind or 'error'}), so there is no sign-in hint to read"
    return 0


@check("www-authenticate", step=1, requests=_need, after=("baseline", "anonymous-retry"), live=False)
async def www_authenticate(ctx: CheckContext):
    """Read the challenges of the refused answer (and of the no-credentials answer, when there is one)."""
    base = ctx.baseline
    own = _challenges_of(base)
    anonymous = next(iter(ctx.exchanges_of("anonymous-retry")), None)
    anon = _challenges_of(anonymous)
    challenges = own or anon
    if not challenges:
        return ctx.result("info", "The server gives no sign-in hint (no WWW-Authenticate header).", {"challenges": 0})
    evidence: dict = {
        "challenges": [c.scheme + (f" realm={c.get('realm')}" if c.get("realm") else "") for c in challenges],
        "from": "your request" if own else "the request without credentials",
    }
    bearer_errors = [c for c in own if c.scheme.lower() in ("bearer", "dpop") and c.get("error")]
    if bearer_errors:
        c = bearer_errors[0]
        error = c.get("error") or ""
        description = c.get("error_description")
        evidence.update({"error": error, "error_description": description, "scope": c.get("scope")})
        said = f' ("{description}")' if description else ""
        if error == "insufficient_scope":
            needed = (c.get("scope") or "").split()
            have = jwt_scopes_of(ctx.target)
            missing = [s for s in needed if have is None or s not in have]
            evidence["token_scopes"] = have
            evidence["missing_scopes"] = missing or None
            need_text = f" {_scope_list(needed)}" if needed else ""
            if not credential_places(ctx.target.url, ctx.target.headers):
                # RFC 6750 asks for the scope, but this request carried no token at all: nothing was judged valid.
                evidence["token_sent"] = False
                return ctx.result(
                    "fail",
                    f"The server wants a token with the {_scopes_word(needed)}{need_text}, and this request sent no "
                    f"token at all{said}: send one that was issued with {'them' if len(needed) > 1 else 'it'}.",
                    evidence,
                    supports={"credentials": 0.45, "permissions": -0.1},
                )
            have_text = f"; your token has: {' '.join(have) or 'none'}" if have is not None else ""
            return ctx.result(
                "fail",
                f"The server says your token is valid but lacks the permission ({_scopes_word(needed)}){need_text} "
                f"this needs{have_text}{said}.",
                evidence,
                supports={"permissions": 0.45, "credentials": -0.2, "ip-block": -0.15, "waf": -0.1},
            )
        if error == "invalid_token":
            return ctx.result(
                "fail",
                f"The server says your token is not valid (expired, revoked or malformed){said}: sign in again or get a new token.",
                evidence,
                supports={"credentials": 0.45, "permissions": -0.2, "ip-block": -0.1},
            )
        if error == "invalid_request":
            return ctx.result(
                "warn",
                f"The server says the request is malformed for its sign-in scheme{said}.",
                evidence,
                supports={"credentials": 0.2},
            )
        return ctx.result("info", f"The server's sign-in hint reports error '{error}'{said}.", evidence)
    schemes = ", ".join(dict.fromkeys(c.scheme for c in challenges))
    if own and is_refused(base) and not ctx.target.has_credentials():
        return ctx.result(
            "warn",
            f"The server asks you to sign in ({schemes}) and you sent no credentials.",
            evidence,
            supports={"credentials": 0.3},
        )
    if own and base.status == 401:
        return ctx.result(
            "warn",
            f"The server does not accept the credentials sent and asks for {schemes}.",
            evidence,
            supports={"credentials": 0.25},
        )
    return ctx.result("info", f"The server accepts these sign-in schemes here: {schemes}.", evidence)
