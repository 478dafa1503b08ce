"""Imitations of third-party producers of 403s: nginx, Cloudflare, a GitHub-style API, S3 and API Gateway.

Each handler answers with the status, headers and body that producer really sends (checked against Debian's nginx
and the signatures in ../shared/research/403-signatures.md), because the diagnosis is trained on those shapes.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import secrets
import time
import uuid
from urllib.parse import urlencode

from wizard403.lab.exchange import LabRequest, LabResponse, LabState, http_date, random_hex
from wizard403.lab.pages import (
    CLOUDFLARE_NO_STORE,
    NGINX_REASONS,
    cloudflare_block_page,
    cloudflare_challenge_page,
    json_body,
    nginx_error_page,
    s3_error_xml,
)
from wizard403.lab.tokens import LAB_SECRET, TokenProblem, verify_token

# --- nginx --------------------------------------------------------------------------------------------------------

NGINX_ROOT = "/srv/wizard403-lab/www"
ALLOWED_CLIENT = "127.0.0.2"
# The few static files the lab's nginx serves (path -> content type, body).
NGINX_FILES = {
    "/internal/": ("text/html", b"<!DOCTYPE html>\n<html><head><title>Internal tools</title></head>\n"
                   b"<body><h1>Internal tools</h1><p>Welcome, you are on the allowed network.</p></body></html>\n"),
    "/files/readme.txt": ("text/plain", b"The files in this folder are listed in the project wiki, not here.\n"),
}
NGINX_DIRECTORIES = {"/internal/", "/files/"}
UNREADABLE_FILES = {"/static/annual-report.pdf"}


def nginx_error(status: int, request: LabRequest) -> LabResponse:
    return LabResponse(
        status,
        nginx_error_page(status, request.user_agent),
        content_type="text/html",
        server="nginx",
        reason=NGINX_REASONS[status],
        headers=[("Connection", "keep-alive")],
    )


def nginx_ip_rule(request: LabRequest, state: LabState) -> LabResponse | None:
    """`allow 127.0.0.2; deny all;`: nginx applies it before anything else, whatever the method."""
    if request.client_ip == ALLOWED_CLIENT or not request.path.startswith("/internal/"):
        return None
    state.log_error(request, "access forbidden by rule")
    return nginx_error(403, request)


def nginx_static(request: LabRequest, state: LabState) -> LabResponse:
    """A static site: files, folders without an index, a directory redirect, an unreadable file."""
    path = request.path
    if path + "/" in NGINX_DIRECTORIES:
        location = f"http://{request.host}{path}/" if request.host else f"{path}/"
        response = nginx_error(301, request)
        response.headers.insert(0, ("Location", location))
        return response
    if path in UNREADABLE_FILES:
        state.log_error(request, f'open() "{NGINX_ROOT}{path}" failed (13: Permission denied)')
        return nginx_error(403, request)
    if path in NGINX_FILES:
        content_type, body = NGINX_FILES[path]
        modified = state.started
        return LabResponse(
            200,
            body,
            content_type=content_type,
            server="nginx",
            headers=[
                ("Last-Modified", http_date(modified)),
                ("Connection", "keep-alive"),
                ("ETag", f'"{int(modified):x}-{len(body):x}"'),
                ("Accept-Ranges", "bytes"),
            ],
        )
    if path in NGINX_DIRECTORIES:
        state.log_error(request, f'directory index of "{NGINX_ROOT}{path}" is forbidden')
        return nginx_error(403, request)
    return nginx_error(404, request)


# --- Cloudflare ---------------------------------------------------------------------------------------------------

CLOUDFLARE_COLO = "LAX"


def _cloudflare_headers(ray: str) -> list[tuple[str, str]]:
    return [
        ("Connection", "keep-alive"),
        ("X-Frame-Options", "SAMEORIGIN"),
        ("Referrer-Policy", "same-origin"),
        ("Cache-Control", CLOUDFLARE_NO_STORE),
        ("Expires", "Thu, 01 Jan 1970 00:00:01 GMT"),
        ("Vary", "Accept-Encoding"),
        ("CF-RAY", f"{ray}-{CLOUDFLARE_COLO}"),
    ]


def cloudflare_waf_block(request: LabRequest, state: LabState) -> LabResponse:
    """A custom firewall rule blocks every request to this path at the edge (error 1020)."""
    ray = random_hex(8)
    body = cloudflare_block_page(request.hostname or "127.0.0.1", ray, request.client_ip)
    return LabResponse(
        403, body, content_type="text/html; charset=UTF-8", server="cloudflare", headers=_cloudflare_headers(ray)
    )


def cloudflare_challenge(request: LabRequest, state: LabState) -> LabResponse:
    """Bot management: a managed challenge, marked by `cf-mitigated: challenge`."""
    ray = random_hex(8)
    headers = _cloudflare_headers(ray)
    headers[3:3] = [
        ("cf-mitigated", "challenge"),
        ("Cross-Origin-Embedder-Policy", "require-corp"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "accelerometer=(),camera=(),geolocation=(),gyroscope=(),microphone=(),payment=()"),
    ]
    body = cloudflare_challenge_page(request.hostname or "127.0.0.1", ray)
    return LabResponse(403, body, content_type="text/html; charset=UTF-8", server="cloudflare", headers=headers)


# --- a GitHub-style REST API --------------------------------------------------------------------------------------

ANONYMOUS_LIMIT = 60
SIGNED_IN_LIMIT = 5000


def _github_request_id() -> str:
    """Shaped like GitHub's ("C0DE:1A2B3:4C5D6E7:8F9A0B1:6560A1B2"), a reference to quote to support."""
    parts = [secrets.token_hex(4).upper()[:size] for size in (4, 5, 7, 7)]
    return ":".join(parts) + f":{int(time.time()):X}"


def github_rate_limited(request: LabRequest, state: LabState) -> LabResponse:
    """The anonymous hourly allowance is spent: 403 plus x-ratelimit-*; a valid token gets the larger allowance."""
    reset = (int(time.time()) // 3600 + 1) * 3600
    token = request.bearer
    signed_in = False
    if token:
        try:
            verify_token(token, state.audiences)
            signed_in = True
        except TokenProblem:
            return LabResponse(
                401,
                json_body({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
                content_type="application/json; charset=utf-8",
                server="GitHub.com",
                headers=[("x-github-request-id", _github_request_id())],
            )
    limit = SIGNED_IN_LIMIT if signed_in else ANONYMOUS_LIMIT
    used = 1 if signed_in else ANONYMOUS_LIMIT
    headers = [
        ("x-github-media-type", "github.v3; format=json"),
        ("x-ratelimit-limit", str(limit)),
        ("x-ratelimit-remaining", str(limit - used)),
        ("x-ratelimit-reset", str(reset)),
        ("x-ratelimit-used", str(used)),
        ("x-ratelimit-resource", "core"),
        ("x-github-request-id", _github_request_id()),
    ]
    if signed_in:
        body = json_body({"total_count": 2, "items": [{"name": "q3-report"}, {"name": "q4-report"}]}, pretty=True)
        return LabResponse(200, body, "application/json; charset=utf-8", headers, server="GitHub.com")
    message = (
        f"API rate limit exceeded for {request.client_ip}. "
        "(Anonymous callers share a small hourly allowance per address; send a token to get a much larger one.)"
    )
    body = json_body(
        {
            "message": message,
            "documentation_url": "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api",
        },
        pretty=True,
    )
    return LabResponse(403, body, "application/json; charset=utf-8", headers, server="GitHub.com")


# --- Amazon S3, presigned URLs --------------------------------------------------------------------------------------

BUCKET = "/lab-bucket"
S3_OBJECTS = {"/lab-bucket/reports/q3.pdf": b"%PDF-1.4\n% wizard403 lab: the Q3 report would be here.\n%%EOF\n"}
ACCESS_KEY = "AKIALAB0WIZARD403EX"
AMZ_DATE = "%Y%m%dT%H%M%SZ"


def _presign_signature(path: str, amz_date: str, expires: str) -> str:
    return hmac.new(LAB_SECRET, f"{path}\n{amz_date}\n{expires}".encode(), hashlib.sha256).hexdigest()


def presigned_query(path: str, signed_at: float, expires: int = 3600) -> str:
    """The query string of a lab presigned link for `path`, signed at `signed_at` (epoch) for `expires` seconds."""
    amz_date = time.strftime(AMZ_DATE, time.gmtime(signed_at))
    credential = f"{ACCESS_KEY}/{amz_date[:8]}/us-east-1/s3/aws4_request"
    return urlencode(
        {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": credential,
            "X-Amz-Date": amz_date,
            "X-Amz-Expires": str(expires),
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Signature": _presign_signature(path, amz_date, str(expires)),
        }
    )


def _s3_ids() -> tuple[str, str]:
    request_id = secrets.token_hex(8).upper()
    host_id = base64.b64encode(secrets.token_bytes(57)).decode("ascii")
    return request_id, host_id


def s3_error(status: int, code: str, message: str, **extra: str) -> LabResponse:
    request_id, host_id = _s3_ids()
    body = s3_error_xml(code, message, request_id, host_id, **extra)
    headers = [("x-amz-request-id", request_id), ("x-amz-id-2", host_id)]
    return LabResponse(status, body, content_type="application/xml", headers=headers, server="AmazonS3")


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def s3_object(request: LabRequest, state: LabState) -> LabResponse:
    """A private bucket: only a correctly signed, unexpired link opens an object; everything else is AccessDenied."""
    params = request.params
    signature = params.get("X-Amz-Signature")
    if not signature:
        return s3_error(403, "AccessDenied", "Access Denied")
    amz_date, expires = params.get("X-Amz-Date", ""), params.get("X-Amz-Expires", "")
    try:
        signed_at = calendar.timegm(time.strptime(amz_date, AMZ_DATE))
        lifetime = int(expires)
    except ValueError:
        return s3_error(
            400, "AuthorizationQueryParametersError", "X-Amz-Date and X-Amz-Expires must both be present and valid."
        )
    now = time.time()
    if signed_at + lifetime <= now:
        return s3_error(
            403,
            "AccessDenied",
            "Request has expired",
            **{"X-Amz-Expires": str(lifetime), "Expires": _iso(signed_at + lifetime), "ServerTime": _iso(now)},
        )
    if not hmac.compare_digest(signature, _presign_signature(request.path, amz_date, expires)):
        return s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )
    body = S3_OBJECTS.get(request.path)
    if body is None:  # without s3:ListBucket a missing key is reported as 403, not 404
        return s3_error(403, "AccessDenied", "Access Denied")
    request_id, host_id = _s3_ids()
    headers = [
        ("x-amz-id-2", host_id),
        ("x-amz-request-id", request_id),
        ("Last-Modified", http_date(state.started)),
        ("ETag", f'"{hashlib.md5(body).hexdigest()}"'),
        ("Accept-Ranges", "bytes"),
    ]
    return LabResponse(200, body, content_type="application/pdf", headers=headers, server="AmazonS3")


# --- Amazon API Gateway -------------------------------------------------------------------------------------------

GATEWAY_ROUTES = {("GET", "/prod/v1/invoices"), ("HEAD", "/prod/v1/invoices")}


def _gateway_headers() -> list[tuple[str, str]]:
    apigw_id = base64.b64encode(secrets.token_bytes(11)).decode("ascii")[:15] + "="
    return [("Connection", "keep-alive"), ("x-amzn-RequestId", str(uuid.uuid4())), ("x-amz-apigw-id", apigw_id)]


def api_gateway(request: LabRequest, state: LabState) -> LabResponse:
    """A REST API stage: a route that does not exist answers 403 'Missing Authentication Token'."""
    if (request.method, request.path) in GATEWAY_ROUTES:
        body = json_body({"invoices": [{"id": "INV-1001", "total": 120.0}, {"id": "INV-1002", "total": 75.5}]})
        return LabResponse(200, body, content_type="application/json", headers=_gateway_headers(), server=None)
    headers = _gateway_headers() + [("x-amzn-ErrorType", "MissingAuthenticationTokenException")]
    body = json_body({"message": "Missing Authentication Token"})
    return LabResponse(403, body, content_type="application/json", headers=headers, server=None)
