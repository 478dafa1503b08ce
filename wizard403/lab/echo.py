"""Servers that quote the request's credentials back, as real ones do in their error pages (for the canary tests).

Many servers repeat what they were sent when they refuse it: a JSON error naming the token it rejected, an HTML
debug page listing the headers, an S3-style XML error with `<SignatureProvided>`, a framework page printing
`repr()` of a header. These three refuse with 403 and echo every credential of the request (the Authorization
value and Basic's decoded `user:password`, each cookie, API-key headers, the query string, form fields) in every
form a server uses: as is, percent-encoded, base64, JSON-escaped, HTML-escaped and Python-repr-escaped. wizard403
must show none of them.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from urllib.parse import parse_qsl, quote

from wizard403.lab.exchange import LabRequest, LabResponse, LabState, random_hex
from wizard403.lab.scenarios import Scenario

# Headers whose values are echoed (any header not listed here as harmless is treated as a credential).
_HARMLESS = {"host", "accept", "accept-encoding", "accept-language", "connection", "user-agent", "content-length", "content-type"}

ECHO_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        id="echo-json",
        path="/echo/json",
        title="An API whose JSON error quotes the credentials it refused",
        description="The API refuses the token and, as some do, repeats it in its error document.",
        expected_cause="credentials",
        needs="token:expired",
    ),
    Scenario(
        id="echo-html",
        path="/echo/html",
        title="A debug error page that lists the request's headers",
        description="A framework's debug page prints every header it received, escaped for HTML and as repr().",
        expected_cause="credentials",
        needs="cookie:stale",
    ),
    Scenario(
        id="echo-xml",
        path="/echo/xml",
        title="An S3-style SignatureDoesNotMatch that quotes the signature",
        description="Object stores answer a bad signature with XML that repeats the signature and the string to sign.",
        expected_cause="credentials",
        needs="url:expired-signature",
    ),
)


def _basic_pair(value: str) -> str:
    scheme, _, cred = value.strip().partition(" ")
    if scheme.lower() != "basic" or not cred:
        return ""
    try:
        return base64.b64decode(cred.strip() + "=" * (-len(cred.strip()) % 4)).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""


def received(request: LabRequest) -> dict[str, str]:
    """Every credential-like value of the request, by where it came from."""
    out: dict[str, str] = {}
    for name, value in request.headers:
        lname = name.lower()
        if lname in _HARMLESS:
            continue
        out[f"header {name}"] = value
        if lname in ("authorization", "proxy-authorization"):
            out[f"{name} credential"] = value.partition(" ")[2].strip()
            pair = _basic_pair(value)
            if pair:
                out[f"{name} decoded"] = pair
                out[f"{name} password"] = pair.partition(":")[2]
    for key, value in request.cookies.items():
        out[f"cookie {key}"] = value
    for key, value in parse_qsl(request.query, keep_blank_values=True):
        out[f"query {key}"] = value
    if request.body:
        body = request.body.decode("utf-8", "replace")
        out["body"] = body
        for key, value in parse_qsl(body, keep_blank_values=True):
            out[f"form {key}"] = value
    return out


def forms_of(value: str) -> dict[str, str]:
    """The ways servers write one value back."""
    raw = value.encode("utf-8", "surrogateescape")
    return {
        "as-is": value,
        "percent": quote(value, safe=""),
        "percent-lower": re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(value, safe="")),
        "base64": base64.b64encode(raw).decode("ascii"),
        "repr": repr(value),
        "bytes-repr": repr(raw),
    }


def echo_json(request: LabRequest, state: LabState) -> LabResponse:
    values = received(request)
    token = request.bearer or ""
    doc = {
        "error": "invalid_token",
        "message": f"The access token '{token}' is expired or not valid." if token else "Credentials were rejected.",
        "request_id": random_hex(8),
        "received": {name: forms_of(value) for name, value in values.items()},
    }
    body = json.dumps(doc, indent=1).encode("utf-8")  # JSON-escaped (quotes, backslashes, \u escapes)
    headers = [("WWW-Authenticate", 'Bearer error="invalid_token"')]
    return LabResponse(403, body, "application/json", headers)


def echo_html(request: LabRequest, state: LabState) -> LabResponse:
    values = received(request)
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td><td><code>{html.escape(forms['repr'])}</code></td>"
        f"<td>{html.escape(forms['bytes-repr'])}</td><td>{forms['percent']}</td><td>{forms['base64']}</td></tr>\n"
        for name, value in values.items()
        for forms in [forms_of(value)]
    )
    page = (
        "<!DOCTYPE html><html><head><title>403 Forbidden - debug</title></head><body>\n"
        "<h1>PermissionDenied</h1><p>Your session is not valid for this page.</p>\n"
        f"<table>\n{rows}</table>\n"
        f"<!-- request headers: {html.escape(repr(list(request.headers)))} -->\n"
        f'<form><input type="hidden" name="csrfmiddlewaretoken" value="{html.escape(values.get("cookie csrftoken", ""))}"></form>\n'
        "</body></html>\n"
    )
    return LabResponse(403, page.encode("utf-8"), "text/html; charset=utf-8")


def echo_xml(request: LabRequest, state: LabState) -> LabResponse:
    values = received(request)
    params = dict(parse_qsl(request.query, keep_blank_values=True))
    auth = request.headers.get("authorization") or ""
    signature = params.get("X-Amz-Signature") or auth.rpartition("Signature=")[2] or ""
    access_key = (params.get("X-Amz-Credential") or "").split("/", 1)[0]
    canonical = f"{request.method}\n{request.path}\n{request.query}\nhost:{request.host}\n"
    extras = "".join(f"<Received name=\"{html.escape(name, quote=True)}\">{html.escape(value)}</Received>" for name, value in values.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>'
        "<Message>The request signature we calculated does not match the signature you provided.</Message>"
        f"<AWSAccessKeyId>{html.escape(access_key)}</AWSAccessKeyId>"
        f"<SignatureProvided>{html.escape(signature)}</SignatureProvided>"
        f"<StringToSign>AWS4-HMAC-SHA256\n{html.escape(canonical)}</StringToSign>"
        f"<CanonicalRequest>{html.escape(canonical)}</CanonicalRequest>"
        f"{extras}<RequestId>{random_hex(8).upper()}</RequestId></Error>"
    )
    return LabResponse(403, body.encode("utf-8"), "application/xml", [("x-amz-request-id", random_hex(8).upper())])


HANDLERS = {"/echo/json": echo_json, "/echo/html": echo_html, "/echo/xml": echo_xml}
