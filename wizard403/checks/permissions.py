"""Step 2 checks: what the denial message says (principal, action, resource, policy layer), and one level up.

The signature catalogue (wizard403.diagnose) recognises many producers and pulls fields out of their messages; the
direct parsers in `denials` add what a pattern cannot express. The parent-resource probe asks for the level above
with the same credentials, to tell "this item is closed to you" from "everything here is closed to you".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from wizard403.checks.denials import read_denial
from wizard403.checks.registry import CheckContext, check, is_refused, needs_refused_baseline
from wizard403.model import Exchange
from wizard403.redact import redact_url

FIELD_ORDER = ("principal", "action", "resource", "policy_layer", "missing_permission", "missing_scope",
               "granted_scopes", "namespace", "error_code", "error_message", "detail", "sso_url")
SIGNED_PARAMS = ("x-amz-signature", "signature", "sig", "x-goog-signature", "se", "expires", "policy", "token")


def signature_fields(ex: Exchange, content: Any) -> tuple[dict[str, str], list[str]]:
    """Fields that the signature catalogue extracted from this exchange, and the names of the signatures that hit."""
    try:
        from wizard403.diagnose.signatures import match_exchange
    except ImportError:
        return {}, []
    try:
        hits = match_exchange(ex, content) if content is not None else match_exchange(ex)
    except Exception:  # noqa: BLE001 - a broken catalogue must not hide what direct parsing finds
        return {}, []
    fields: dict[str, str] = {}
    names = []
    for hit in hits:
        if hit.proves != "block" and not hit.extracted:
            continue
        names.append(hit.name)
        for key, value in hit.extracted.items():
            fields.setdefault(key, value)
    return fields, names


def _denial_need(facts) -> int | str:
    base = facts.baseline
    if base is None or base.status is None:
        return "there is no answer whose message could be read"
    return 0


@check("denial-message", step=2, requests=_denial_need, after=("baseline",), live=False)
async def denial_message(ctx: CheckContext):
    """Extract principal, action, resource and policy layer from the refusal's body and headers."""
    base = ctx.baseline
    denial = read_denial(base)
    found, hits = signature_fields(base, ctx.content)
    fields: dict[str, Any] = dict(found)
    if denial is not None:
        fields.update(denial.fields)  # the direct parse is the more specific reading
    evidence = {k: fields[k] for k in FIELD_ORDER if fields.get(k)}
    if hits:
        evidence["signatures"] = hits
    if denial is not None and denial.vendor:
        evidence["source"] = denial.vendor
    if "problem+json" in base.content_type or "problem+xml" in base.content_type:
        return ctx.result(
            "info",
            "The refusal is a structured problem document from the application; its own words are under 'The application's explanation'.",
            evidence,
        )
    if denial is not None and denial.supports:
        status = "fail" if is_refused(base) else "info"
        return ctx.result(status, denial.sentence + ".", evidence, denial.supports)
    if denial is not None:
        return ctx.result("info", denial.sentence + ".", evidence)
    if found:
        who = found.get("principal")
        what = found.get("action") or found.get("missing_permission") or found.get("missing_scope")
        if who or what:
            parts = [f"who: {who}" if who else "", f"needs: {what}" if what else "",
                     f"on: {found['resource']}" if found.get("resource") else ""]
            return ctx.result("info", f"The denial message names {'; '.join(p for p in parts if p)}.", evidence)
        said = next((found[k] for k in ("detail", "error_message", "block_reason", "title", "error_code") if found.get(k)), None)
        if said:
            return ctx.result("info", f'The denial message says: "{said.rstrip(".")}".', evidence)
    if not is_refused(base):
        return ctx.result("info", f"The answer ({base.status}) carries no denial message to read.", evidence)
    return ctx.result(
        "info",
        "The refusal does not say who was refused or why (a bare error page); the server's logs will have to tell.",
        evidence,
    )


def parent_url(url: str) -> str | None:
    """The address one level up (`/a/b/c` -> `/a/b/`, `/a/b/` -> `/a/`), without the query; None at the root."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if path == "/":
        return None
    trimmed = path[:-1] if path.endswith("/") else path
    parent = trimmed.rsplit("/", 1)[0] + "/"
    return urlunsplit((parts.scheme, parts.netloc, parent, "", ""))


def _parent_need(facts) -> int | str:
    why = needs_refused_baseline(facts)
    if why:
        return why
    if parent_url(facts.target.url) is None:
        return "the address is already the site's root, so there is no level above to compare with"
    params = {k.lower() for k, _ in parse_qsl(urlsplit(facts.target.url).query)}
    if params & set(SIGNED_PARAMS):
        return "the address is a signed link, which opens one object only; the level above would tell nothing"
    return 1


@check("parent-resource", step=2, requests=_parent_need, after=("baseline",))
async def parent_resource(ctx: CheckContext):
    """GET the parent path with the same credentials and compare with the refused resource."""
    base = ctx.baseline
    url = parent_url(ctx.target.url)
    same = "with the same credentials" if ctx.target.has_credentials() else "to the same request"
    ex = await ctx.send(method="GET", url=url, follow=False)
    evidence = {"parent": urlsplit(url).path, "parent_status": ex.status if ex.status is not None else ex.error_kind,
                "status": base.status}
    if ex.status is None:
        return ctx.result("error", f"The level above ({urlsplit(url).path}) got no answer: {ex.error}.", evidence)
    if 200 <= ex.status < 300 and is_refused(base):
        return ctx.result(
            "fail",
            f"The level above ({urlsplit(url).path}) answers {ex.status} {same}: the refusal is specific to "
            "this address, not to you or the whole site.",
            evidence,
            supports={"permissions": 0.1, "credentials": -0.05},
        )
    if is_refused(ex) and ex.status == base.status:
        return ctx.result(
            "warn",
            f"The level above ({urlsplit(url).path}) is refused too ({ex.status}): the refusal covers more than this one item "
            "(your account, your network, or a whole area of the site).",
            evidence,
            supports={"ip-block": 0.05, "credentials": 0.05, "permissions": 0.05},
        )
    if 300 <= ex.status < 400:
        where = redact_url(ex.response_headers.get("location") or "") or "elsewhere"
        return ctx.result("info", f"The level above ({urlsplit(url).path}) redirects to {where}, so it says little about your access.", evidence)
    return ctx.result("info", f"The level above ({urlsplit(url).path}) answers {ex.status}, here {base.status}.", evidence)
