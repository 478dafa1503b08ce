"""Step 6: every id and time the site owner needs to find this request in their logs, with where to look.

Correlation ids come from response headers (cf-ray, x-amz-request-id, x-request-id, Audit-Id, …) and from block
pages (Cloudflare Ray ID, Akamai Reference #, Imperva incident ID, F5 support ID, Sucuri Block ID). Each becomes a
session Reference with the UTC time of the exchange it came from; the diagnosis adds the ones its signatures find,
and duplicates collapse. For each vendor found, the look-up its owner does is spelled out.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from wizard403.checks.registry import ALL_PROBES, CheckContext, check, is_refused
from wizard403.model import Exchange, Reference

LOOKUPS = {
    "cf-ray": "Cloudflare dashboard: Security > Events, filter by Ray ID (the site owner's account).",
    "akamai-reference": "Akamai Control Center: translate the reference with the Error Translator (or 'akamai-error-lookup'); references are kept about 31 days.",
    "incident-id": "Imperva console: Security events, search by incident ID.",
    "support-id": "F5 BIG-IP ASM / Advanced WAF: Event Logs > Application > Requests, search by support ID.",
    "block-id": "Sucuri dashboard: firewall audit trail, or give the Block ID to Sucuri support.",
    "amz-request-id": "AWS: S3 server access logs or CloudTrail data events by request id; AWS Support needs it with x-amz-id-2.",
    "amz-id-2": "AWS Support: quote it together with x-amz-request-id.",
    "amz-cf-id": "Amazon CloudFront: standard or real-time logs (x-edge-request-id), and AWS WAF sampled requests.",
    "apigw-id": "Amazon API Gateway: execution and access logs in CloudWatch, by request id.",
    "request-id": "The service's own application and proxy logs: search for this id around the UTC time.",
    "ms-request-id": "Azure: storage logs (StorageBlobLogs) or Azure Monitor, by request id.",
    "azure-ref": "Azure Front Door / WAF logs: search the TrackingReference.",
    "audit-id": "Kubernetes: the API server's audit log, by auditID.",
    "github-request-id": "GitHub Support: quote this id with the UTC time.",
    "vercel-id": "Vercel: the project's runtime and firewall logs, by request id.",
    "transaction-id": "The gateway's transaction log, by this id.",
    "utc-time": "The server's access and error logs: search for this path within five minutes either side of this time (the copied log queries use the same window).",
}
HEADER_IDS = (
    ("cf-ray", "cf-ray"),
    ("x-amz-request-id", "amz-request-id"),
    ("x-amz-id-2", "amz-id-2"),
    ("x-amz-cf-id", "amz-cf-id"),
    ("x-amz-apigw-id", "apigw-id"),
    ("x-amzn-requestid", "request-id"),
    ("x-ms-request-id", "ms-request-id"),
    ("x-azure-ref", "azure-ref"),
    ("audit-id", "audit-id"),
    ("x-github-request-id", "github-request-id"),
    ("x-vercel-id", "vercel-id"),
    ("x-reference-error", "akamai-reference"),
    ("x-sucuri-block", "block-id"),
    ("x-request-id", "request-id"),
    ("request-id", "request-id"),
    ("x-correlation-id", "request-id"),
    ("x-trace-id", "request-id"),
    ("x-cloud-trace-context", "request-id"),
)
BODY_IDS = (
    (re.compile(r"Ray ID:?\s*(?:<[^>]+>\s*)*([0-9a-f]{16}(?:-[A-Z]{3})?)", re.I), "cf-ray"),
    (re.compile(r"Reference\s*#\s*(\d+\.[0-9a-f]+\.\d+\.[0-9a-f]+)", re.I), "akamai-reference"),
    (re.compile(r"incident ID:?\s*([0-9]+-[0-9]+)", re.I), "incident-id"),
    (re.compile(r"support ID is:?\s*([0-9]{6,})", re.I), "support-id"),
    (re.compile(r"Block ID:?\s*(?:<[^>]+>\s*)*([A-Z]{2,5}\d{2,5})", re.I), "block-id"),
    (re.compile(r"<RequestId>([^<]{4,80})</RequestId>"), "amz-request-id"),
    (re.compile(r"<HostId>([^<]{4,200})</HostId>"), "amz-id-2"),
    (re.compile(r"RequestId:([0-9a-f-]{36})", re.I), "ms-request-id"),
    (re.compile(r"(?:NS Transaction|AppFW Session) id:?\s*([0-9a-z-]+)", re.I), "transaction-id"),
)
SOURCES = {
    "cf-ray": "Cloudflare", "akamai-reference": "Akamai", "incident-id": "Imperva", "support-id": "F5 BIG-IP",
    "block-id": "Sucuri", "amz-request-id": "AWS", "amz-id-2": "AWS", "amz-cf-id": "Amazon CloudFront",
    "apigw-id": "Amazon API Gateway", "ms-request-id": "Azure", "azure-ref": "Azure Front Door",
    "audit-id": "Kubernetes", "github-request-id": "GitHub", "vercel-id": "Vercel",
}


@dataclass(frozen=True)
class Found:
    kind: str
    value: str
    where: str


def ids_in(ex: Exchange) -> list[Found]:
    """Correlation ids in one exchange's headers and body, in the order above, without repeats."""
    out: list[Found] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, value: str, where: str) -> None:
        value = value.strip()
        if value and (kind, value) not in seen and len(value) <= 200:
            seen.add((kind, value))
            out.append(Found(kind, value, where))

    for header, kind in HEADER_IDS:
        for value in ex.response_headers.get_all(header):
            add(kind, value, f"{header} header")
    text = html.unescape(ex.text[:262144]) if ex.body else ""
    for pattern, kind in BODY_IDS:
        for match in pattern.finditer(text):
            add(kind, match.group(1), "the answer's page")
    # A Ray ID in the body without its colo suffix is the same id as the header's.
    rays = [f for f in out if f.kind == "cf-ray"]
    out = [f for f in out if not (f.kind == "cf-ray" and any(o is not f and o.value.startswith(f.value) for o in rays))]
    return out


def _references_need(facts) -> int | str:
    if not facts.session.exchanges:
        return "no request was sent or recorded, so there are no ids to collect"
    return 0


def _utc(ex: Exchange) -> str:
    return ex.at.strftime("%Y-%m-%dT%H:%M:%SZ")


@check("references", step=6, requests=_references_need, live=False, after=("baseline", ALL_PROBES))
async def references(ctx: CheckContext):
    """Collect correlation ids and UTC times into session.references, each with its look-up."""
    added: list[Found] = []
    for ex in ctx.session.exchanges:
        if ex.status is None:
            continue
        for found in ids_in(ex):
            before = len(ctx.session.references)
            ctx.session.add_reference(
                Reference(found.kind, found.value, SOURCES.get(found.kind, found.where), ex.at, LOOKUPS.get(found.kind, ""))
            )
            if len(ctx.session.references) > before:
                added.append(found)
    base = ctx.baseline
    refused = [ex for ex in ctx.session.exchanges if is_refused(ex) and ex.check in ("baseline", "recorded")]
    if refused:
        first = refused[0]
        path = urlsplit(first.url).path or "/"
        ctx.session.add_reference(
            Reference("utc-time", _utc(first), f"{first.method} {path} answered {first.status} ({first.route} route)",
                      first.at, LOOKUPS["utc-time"])
        )
    kinds = list(dict.fromkeys(f.kind for f in added))
    lookups = [f"{kind}: {LOOKUPS[kind]}" for kind in kinds if kind in LOOKUPS]
    evidence = {"ids": [f"{f.kind} {f.value}" for f in added] or None,
                "refused_at_utc": _utc(refused[0]) if refused else None}
    when = f" The refused request was sent at {_utc(refused[0])}." if refused else ""
    if not added:
        return ctx.result(
            "info",
            "The answers carry no correlation id; give the owner the exact address and the UTC time instead." + when,
            evidence,
            details="\n".join(lookups),
        )
    shown = ", ".join(f"{f.kind} {f.value}" for f in added[:4]) + (" and more" if len(added) > 4 else "")
    vendors = list(dict.fromkeys(SOURCES[k] for k in kinds if k in SOURCES))
    owner = f" The owner looks them up in {', '.join(vendors)}." if vendors else ""
    if base is None:
        when = ""
    return ctx.result("info", f"Ids to quote to the site owner: {shown}.{when}{owner}", evidence, details="\n".join(lookups))
