"""Reading vendor denial messages: who was refused, what they tried, on what, and which policy said no.

Pure functions over one Exchange, for formats a signature cannot fully express: AWS IAM-style messages (with the
policy layer taken from the context phrase), S3/GCS/Azure XML error documents, Kubernetes Status objects, GitHub's
permission and scope headers, Google's JSON errors, API Gateway, and generic JSON error messages. Each parser
returns a Denial (fields, a plain sentence, and the causes it speaks for) or None.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from wizard403.checks.jsonbody import parse_json
from wizard403.model import Exchange

MAX_FIELD = 300

_AWS = re.compile(
    r"(?:User|Principal):\s*(?P<principal>[^\s\"]+)\s+is not authorized to perform:\s*(?P<action>[\w.-]+:[\w*.-]+)"
    r"(?:\s+on resource:\s*\"?(?P<resource>[^\s\"]+?)\"?(?=\s|$|\"|,|\.\s))?"
    r"(?P<context>[^\"<]*)",
    re.I,
)
_AWS_EXPLICIT = re.compile(r"with an explicit deny in (?:a|an|the) (?P<layer>[\w -]+?) policy", re.I)
_AWS_IMPLICIT = re.compile(r"because no (?P<layer>[\w -]+?) (?:policy|policies|boundary) allows?", re.I)
_APIGW_AUTHORIZER = re.compile(r"User is not authorized to access this resource(?P<explicit> with an explicit deny)?", re.I)
_XML_TAG = "<{0}>([^<]{{0,2000}})</{0}>"
_K8S = re.compile(
    r"User \"(?P<principal>[^\"]+)\" cannot (?P<verb>[\w-]+) (?:resource \"(?P<resource>[^\"]+)\""
    r"(?: in API group \"(?P<group>[^\"]*)\")?(?: in the namespace \"(?P<namespace>[^\"]+)\"| at the cluster scope)?"
    r"|path \"(?P<path>[^\"]+)\")"
)
_GCS_PERMISSION = re.compile(
    r"(?P<principal>[\w.@:+-]+(?:\s+caller)?) does not have (?P<permission>[\w]+\.[\w.]+) access to (?:the )?(?P<resource>[^.]+)",
    re.I,
)
_GOOGLE_PERMISSION = re.compile(r"Permission '(?P<permission>[\w.]+)' denied on resource(?P<rest>[^.]*)", re.I)
_AZURE_TIME = re.compile(r"Signature not valid in the specified time frame|Signed expiry time", re.I)
_SAML_SSO = re.compile(r"url=(?P<url>\S+)")


@dataclass
class Denial:
    """What one denial message says, in fields and in one sentence."""

    vendor: str
    fields: dict[str, str] = field(default_factory=dict)
    sentence: str = ""
    supports: dict[str, float] = field(default_factory=dict)


def _clip(value: str | None) -> str | None:
    if value is None:
        return None
    value = re.sub(r"\s+", " ", html.unescape(value)).strip().strip(".,;\"'")
    return value[: MAX_FIELD - 3] + "..." if len(value) > MAX_FIELD else value or None


def _json(ex: Exchange) -> Any:
    if "json" not in ex.content_type and not ex.text.lstrip().startswith(("{", "[")):
        return None
    return parse_json(ex.text)


def _xml(ex: Exchange, tag: str) -> str | None:
    found = re.search(_XML_TAG.format(tag), ex.text)
    return _clip(found.group(1)) if found else None


def aws_iam(ex: Exchange) -> Denial | None:
    """`User: arn… is not authorized to perform: s3:GetObject on resource: … because no identity-based policy allows …`"""
    text = html.unescape(ex.text)
    found = _AWS.search(text)
    if not found:
        apigw = _APIGW_AUTHORIZER.search(text)
        if not apigw:
            return None
        denial = Denial("AWS API Gateway", {"policy_layer": "Lambda authorizer"})
        denial.sentence = "API Gateway's authorizer refused this caller" + (" with an explicit deny" if apigw.group("explicit") else "")
        denial.supports = {"permissions": 0.3, "credentials": 0.1}
        return denial
    principal, action = _clip(found.group("principal")), _clip(found.group("action"))
    resource = _clip(found.group("resource"))
    context = found.group("context") or ""
    layer = None
    explicit = _AWS_EXPLICIT.search(context)
    implicit = _AWS_IMPLICIT.search(context)
    if explicit:
        layer = f"explicit deny in a {explicit.group('layer').strip()} policy"
    elif implicit:
        layer = f"no {implicit.group('layer').strip()} policy allows it"
    denial = Denial("AWS", {"principal": principal, "action": action, "resource": resource, "policy_layer": layer})
    on = f" on {resource}" if resource else ""
    why = f" ({layer})" if layer else ""
    denial.sentence = f"AWS says {principal} may not do {action}{on}{why}"
    denial.supports = {"permissions": 0.45, "credentials": -0.15, "ip-block": -0.1, "waf": -0.1}
    if layer and "vpc endpoint" in layer.lower():
        denial.supports["ip-block"] = 0.15
    if layer and "service control" in layer.lower():
        denial.sentence += "; only the organisation's cloud-platform team can change a service control policy"
    return denial


S3_CODES: dict[str, tuple[str, dict[str, float]]] = {
    "InvalidAccessKeyId": ("the access key id is unknown to the service", {"credentials": 0.45, "permissions": -0.2}),
    "SignatureDoesNotMatch": ("the request signature does not match: wrong secret, or the signed URL or headers were altered",
                              {"signed-url": 0.3, "credentials": 0.25, "permissions": -0.15}),
    "RequestTimeTooSkewed": ("the client's clock is too far from the server's", {"signed-url": 0.4, "permissions": -0.2}),
    "InvalidObjectState": ("the object is archived and must be restored first; this is not a permission problem",
                           {"config": 0.3, "permissions": -0.3}),
    "AllAccessDisabled": ("all access to this resource has been disabled by its owner", {"config": 0.3}),
    "AccountProblem": ("the owning account has a problem that blocks access", {"config": 0.3}),
    "ExpiredToken": ("the temporary credentials that signed this request have expired", {"signed-url": 0.3, "credentials": 0.3}),
    "ExpiredRequest": ("the signed link has expired", {"signed-url": 0.45, "permissions": -0.2}),
    "AuthorizationQueryParametersError": ("the signed link is malformed", {"signed-url": 0.35}),
}
AZURE_CODES: dict[str, tuple[str, dict[str, float]]] = {
    "AuthorizationPermissionMismatch": ("the SAS or the signed-in identity lacks the data permission for this operation "
                                        "(an owner role is not enough: a 'Storage … Data' role is needed)",
                                        {"permissions": 0.45, "credentials": -0.1}),
    "AuthorizationFailure": ("the request is not authorised: often the storage firewall or network rules, or an ACL",
                             {"permissions": 0.2, "ip-block": 0.2}),
    "AuthorizationSourceIPMismatch": ("the SAS only allows other client addresses", {"ip-block": 0.45, "signed-url": 0.1}),
    "AuthorizationProtocolMismatch": ("the SAS only allows HTTPS", {"config": 0.45}),
    "AuthorizationServiceMismatch": ("the SAS does not cover this service", {"signed-url": 0.3, "permissions": 0.2}),
    "AuthorizationResourceTypeMismatch": ("the SAS does not cover this resource type", {"signed-url": 0.3, "permissions": 0.2}),
    "AuthenticationFailed": ("the server could not authenticate the request (signature or key)", {"credentials": 0.35}),
    "AccountIsDisabled": ("the storage account is disabled", {"config": 0.35}),
}


def xml_error(ex: Exchange) -> Denial | None:
    """S3, GCS and Azure Storage `<Error><Code>…</Code><Message>…</Message>…</Error>` documents (and x-ms-error-code)."""
    code = _xml(ex, "Code")
    azure_code = ex.response_headers.get("x-ms-error-code")
    if code is None and azure_code is None:
        return None
    code = code or azure_code
    message = _xml(ex, "Message")
    if message:
        message = message.split(" RequestId:")[0]
    details = _xml(ex, "Details") or _xml(ex, "AuthenticationErrorDetail")
    server = (ex.response_headers.get("server") or "").lower()
    if azure_code or "windows-azure" in server:
        vendor = "Azure Storage"
    elif "uploadserver" in server or "storage.googleapis" in ex.url or (details and "storage." in details):
        vendor = "Google Cloud Storage"
    else:
        vendor = "Amazon S3 (or a compatible store)"
    fields = {"error_code": code, "error_message": message, "detail": details}
    for tag, name in (("ServerTime", "server_time"), ("Expires", "expiry"), ("Resource", "resource")):
        value = _xml(ex, tag)
        if value:
            fields[name] = value
    denial = Denial(vendor, fields)
    said = f" ('{message}')" if message else ""
    table = AZURE_CODES if vendor == "Azure Storage" else S3_CODES
    if code == "AccessDenied" and message and "request has expired" in message.lower():
        expired = f", it expired at {fields['expiry']}" if fields.get("expiry") else ""
        denial.sentence = f"{vendor} says the signed link has expired{expired}: ask for a fresh link and check your clock"
        denial.supports = {"signed-url": 0.45, "permissions": -0.2, "credentials": -0.1}
    elif code == "AuthenticationFailed" and _AZURE_TIME.search(details or message or ""):
        denial.sentence = f"{vendor} says the shared access signature is outside its validity window: regenerate it or fix the clock"
        denial.supports = {"signed-url": 0.45, "permissions": -0.2}
    elif code in table:
        meaning, supports = table[code]
        denial.sentence = f"{vendor} answers {code}: {meaning}"
        denial.supports = dict(supports)
    elif code == "AccessDenied":
        gcs = _GCS_PERMISSION.search(details or message or "")
        if gcs:
            fields.update({"principal": _clip(gcs.group("principal")), "missing_permission": gcs.group("permission")})
            denial.sentence = f"{vendor} says {fields['principal']} lacks {gcs.group('permission')}"
            denial.supports = {"permissions": 0.4}
            if "may not exist" in (details or ""):
                denial.supports["not-found"] = 0.15
        else:
            denial.sentence = (
                f"{vendor} answers AccessDenied{said}: a bucket or key policy, an ACL or a missing object "
                "(without list permission a missing key also looks like this)"
            )
            denial.supports = {"permissions": 0.15, "not-found": 0.1}
    else:
        denial.sentence = f"{vendor} answers {code}{said}"
    return denial


def kubernetes(ex: Exchange) -> Denial | None:
    """A Kubernetes `Status` object: `… is forbidden: User "x" cannot list resource "pods" … in the namespace "y"`."""
    data = _json(ex)
    if not (isinstance(data, dict) and data.get("kind") == "Status"):
        return None
    message = str(data.get("message", ""))
    found = _K8S.search(message)
    fields = {"error_code": str(data.get("reason", "")) or None, "error_message": _clip(message)}
    denial = Denial("Kubernetes", fields)
    if not found:
        denial.sentence = f"Kubernetes refuses: {_clip(message)}"
        denial.supports = {"permissions": 0.2}
        return denial
    principal = found.group("principal")
    resource = found.group("resource") or found.group("path")
    if found.group("group"):
        resource = f"{resource}.{found.group('group')}"
    fields.update(
        {"principal": principal, "action": found.group("verb"), "resource": resource, "namespace": found.group("namespace"),
         "policy_layer": "RBAC (or another authorizer)"}
    )
    where = f" in namespace {found.group('namespace')}" if found.group("namespace") else ""
    if principal == "system:anonymous":
        denial.sentence = "Kubernetes treated the request as anonymous (system:anonymous): the credentials were not sent or not recognised"
        denial.supports = {"credentials": 0.45, "permissions": -0.1}
    else:
        denial.sentence = f"Kubernetes says {principal} may not {found.group('verb')} {resource}{where}; check with 'kubectl auth can-i'"
        denial.supports = {"permissions": 0.45, "credentials": -0.15}
    return denial


def _scopes(value: str | None) -> list[str]:
    return [s.strip() for s in (value or "").split(",") if s.strip()]


def github(ex: Exchange) -> Denial | None:
    """GitHub's X-Accepted-GitHub-Permissions, X-OAuth-Scopes against X-Accepted-OAuth-Scopes, and X-GitHub-SSO."""
    headers = ex.response_headers
    accepted_perm = headers.get("x-accepted-github-permissions")
    granted = headers.get("x-oauth-scopes")
    accepted = headers.get("x-accepted-oauth-scopes")
    sso = headers.get("x-github-sso")
    if accepted_perm is None and accepted is None and sso is None:
        return None
    data = _json(ex)
    message = _clip(str(data.get("message"))) if isinstance(data, dict) and data.get("message") else None
    denial = Denial("GitHub", {"error_message": message})
    if sso:
        url = _SAML_SSO.search(sso)
        denial.fields["sso_url"] = url.group("url") if url else None
        denial.sentence = (
            "GitHub requires single sign-on for this organisation: authorise your token for it"
            + (" at the address in the X-GitHub-SSO header (it expires after an hour)" if url else "")
        )
        denial.supports = {"credentials": 0.3, "permissions": 0.15}
        return denial
    if accepted_perm and ex.status in (403, 404):
        denial.fields["missing_permission"] = accepted_perm
        options = " or ".join(part.strip() for part in accepted_perm.split(";") if part.strip())
        denial.sentence = f"GitHub says this endpoint needs the permission {options}, which your token or app does not have"
        denial.supports = {"permissions": 0.45, "credentials": -0.15}
        return denial
    if accepted is not None:
        have, need = _scopes(granted), _scopes(accepted)
        missing = [s for s in need if s not in have]
        denial.fields.update({"granted_scopes": ", ".join(have) or None, "missing_scope": ", ".join(missing) or None})
        if missing and ex.status in (403, 404):
            denial.sentence = f"GitHub says this endpoint accepts the scope {' or '.join(need)}; your token has {', '.join(have) or 'none'}"
            denial.supports = {"permissions": 0.4, "credentials": -0.1}
            return denial
        if need and not missing:
            denial.sentence = "GitHub lists the scopes this endpoint accepts, and your token has them"
            denial.supports = {"permissions": -0.1}
            return denial
    return None if not message else Denial("GitHub", denial.fields, f"GitHub says: {message}")


GOOGLE_REASONS: dict[str, tuple[str, dict[str, float]]] = {
    "accessNotConfigured": ("the API is not enabled for the project that owns this key or token", {"config": 0.45, "permissions": -0.2}),
    "SERVICE_DISABLED": ("the API is not enabled for the project that owns this key or token", {"config": 0.45, "permissions": -0.2}),
    "API_KEY_SERVICE_BLOCKED": ("the API key is restricted and may not call this API", {"config": 0.35}),
    "forbidden": ("the caller lacks permission", {"permissions": 0.3}),
    "insufficientPermissions": ("the token lacks a permission or OAuth scope", {"permissions": 0.4}),
    "ACCESS_TOKEN_SCOPE_INSUFFICIENT": ("the token lacks an OAuth scope", {"permissions": 0.4}),
    "IAM_PERMISSION_DENIED": ("an IAM permission is missing", {"permissions": 0.45}),
}
# Rate and quota reasons are the rate-limit check's business; here they are only named.
GOOGLE_RATE = ("userRateLimitExceeded", "rateLimitExceeded", "dailyLimitExceeded", "quotaExceeded", "RATE_LIMIT_EXCEEDED")


def google(ex: Exchange) -> Denial | None:
    """Google APIs: `{"error": {"code": 403, "message": …, "status": "PERMISSION_DENIED", "errors"/"details": […]}}`."""
    data = _json(ex)
    if not (isinstance(data, dict) and isinstance(data.get("error"), dict)):
        return None
    err = data["error"]
    message = _clip(str(err.get("message", ""))) or None
    reasons: list[str] = []
    for item in (err.get("errors") or []) + (err.get("details") or []):
        if isinstance(item, dict) and item.get("reason"):
            reasons.append(str(item["reason"]))
    if err.get("status"):
        reasons.append(str(err["status"]))
    if not reasons and not message:
        return None
    fields = {"error_code": ", ".join(dict.fromkeys(reasons)) or None, "error_message": message}
    perm = _GOOGLE_PERMISSION.search(message or "") or _GCS_PERMISSION.search(message or "")
    if perm:
        fields["missing_permission"] = perm.group("permission")
    denial = Denial("Google", fields)
    for reason in reasons:
        if reason in GOOGLE_REASONS:
            meaning, supports = GOOGLE_REASONS[reason]
            denial.sentence = f"Google says {meaning}" + (f" ({fields['missing_permission']})" if perm else "")
            denial.supports = dict(supports)
            return denial
        if reason in GOOGLE_RATE:
            denial.sentence = f"Google reports a rate or quota limit ({reason}), not a permission problem"
            denial.supports = {"permissions": -0.2}
            return denial
    if perm:
        denial.sentence = f"Google says the permission {fields['missing_permission']} is missing"
        denial.supports = {"permissions": 0.4}
        if "may not exist" in (message or ""):
            denial.supports["not-found"] = 0.15
        return denial
    if "PERMISSION_DENIED" in reasons:
        denial.sentence = f"Google refuses with PERMISSION_DENIED: {message}"
        denial.supports = {"permissions": 0.3}
        return denial
    denial.sentence = f"Google says: {message}"
    return denial


def api_gateway(ex: Exchange) -> Denial | None:
    """Amazon API Gateway: x-amzn-ErrorType and its short JSON message."""
    kind = ex.response_headers.get("x-amzn-errortype")
    data = _json(ex)
    message = str(data.get("message", "")) if isinstance(data, dict) else ""
    if not kind and not (message == "Missing Authentication Token" and ex.response_headers.has("x-amzn-requestid")):
        return None
    kind = (kind or "").split(":")[0]
    fields = {"error_code": kind or None, "error_message": _clip(message)}
    denial = Denial("AWS API Gateway", fields)
    if kind == "MissingAuthenticationTokenException" or message == "Missing Authentication Token":
        denial.sentence = (
            "API Gateway says 'Missing Authentication Token', which mostly means this path, method or stage does not "
            "exist (it is rarely about a token)"
        )
        denial.supports = {"not-found": 0.4, "credentials": -0.1, "permissions": -0.1}
    elif "security token" in message.lower() and ("invalid" in message.lower() or "expired" in message.lower()):
        denial.sentence = f"API Gateway says the security token is invalid or expired ('{message}')"
        denial.supports = {"credentials": 0.45}
    elif kind in ("AccessDeniedException", "ForbiddenException"):
        denial.sentence = f"API Gateway refuses with {kind}" + (f": {message}" if message else "")
        denial.supports = {"permissions": 0.2, "waf": 0.05}
    else:
        denial.sentence = f"API Gateway answers {kind or 'an error'}" + (f": {message}" if message else "")
    return denial


def generic_json(ex: Exchange) -> Denial | None:
    """The message of a plain JSON error (`message`, `error_description`, `detail`, `error`), as said."""
    data = _json(ex)
    if not isinstance(data, dict):
        return None
    for key in ("error_description", "message", "detail", "error", "title"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            text = _clip(value)
            denial = Denial("the application", {"error_message": text})
            denial.sentence = f'The application says: "{text}"'
            lowered = text.lower()
            if "authentication credentials were not provided" in lowered:
                denial.sentence += " (that means: sign in; it is not about a missing permission)"
                denial.supports = {"credentials": 0.4, "permissions": -0.2}
            return denial
    return None


PARSERS = (aws_iam, kubernetes, github, xml_error, google, api_gateway)


def read_denial(ex: Exchange) -> Denial | None:
    """The most specific reading of the denial in one exchange, or None."""
    if ex is None or ex.status is None or not (ex.body or ex.response_headers):
        return None
    for parse in PARSERS:
        denial = parse(ex)
        if denial is not None and denial.sentence:
            denial.fields = {k: v for k, v in denial.fields.items() if v}
            return denial
    denial = generic_json(ex)
    if denial is not None:
        denial.fields = {k: v for k, v in denial.fields.items() if v}
    return denial
