"""What the request carried, as facts the language layer reads words against.

The same words mean different things on different requests: "signature does not match" on a presigned URL is a
broken or expired link (signed-url), on a header-signed call a wrong secret key (credentials); "expired" on a signed
request is the link's lifetime or the client's clock. And a server that says "no credentials" while a token sits in
the URL path is telling us the token was not applied, not that none was sent. Facts (cues.FACTS):

- `request-known`: the request's headers are known (live, HAR, or a quoted request), so an absence means something;
- `credentials-sent`: a credential header, a cookie, URL user info, a credential query parameter or a token-shaped
  path segment;
- `no-credentials`: the request is known and carries none of those;
- `signed-url`: the query holds signature parameters (S3, GCS, Azure SAS, CloudFront, OSS, Akamai tokens);
- `signed-request`: a signed URL, or a request signed in its Authorization header (AWS SigV4, OSS, SharedKey);
- `state-changing`: the method changes something (POST, PUT, PATCH, DELETE), what CSRF protection guards;
- `browser-origin`: the request says which page sent it (Origin or Sec-Fetch-Site), as browsers do for such requests;
- `csrf-token-sent`: an anti-forgery token travels with it (an X-CSRF-Token style header or a csrf/xsrf/antiforgery
  cookie), so the server checks one;
- `csrf-token-offered`: the refusal itself hands out or asks for an anti-forgery token (an X-CSRF-Token style
  response header, such as SAP's "x-csrf-token: Required" or Roblox's fresh token; a CORS list that merely names
  one does not count): the server wants that token sent back with the change;
- `script-client`: the request's User-Agent is a scripting tool's default (python-requests, curl, Go-http-client,
  okhttp, axios…) or empty, which many sites refuse by policy;
- `directory-path`: a GET or HEAD for a folder address (the path ends in "/", the site's root aside);
- `dot-path`: a path segment starts with a dot (/.git/, /.env), which servers commonly refuse by rule;
- `api-path`: the path is an API's (/api/, /v2/, /graphql, /wp-json/, /rest/), where a trailing "/" is the API's
  style, not a folder;
- `script-page` (read from the response by the language layer, message.py): the page shows no text at all and only
  loads a script, the shape of a JavaScript challenge.
- `link-expired`: a signed link whose own expiry (X-Amz-Date + X-Amz-Expires, X-Goog-*, x-oss-*, Azure's se=, an
  Expires or expires epoch, Tencent's q-sign-time) lies before the time in the response's Date header; and
  `link-not-yet-valid` when its start (Azure's st=, the signing time) lies after it. Only the server's own Date
  counts: a link quoted long after the fact is not "expired" by today's clock.
- `stock-page` (read from the response by the cue book, settings.stock_phrases): the page is a web server's own
  stock error page, so the refusal came from the server's configuration, not from the application behind it.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qsl, urlsplit

from wizard403.model import CREDENTIAL_HEADERS, Exchange, http_date

# Query parameters that sign a URL (names lower-cased).
SIGNATURE_PARAMS = frozenset(
    {"x-amz-signature", "x-goog-signature", "x-oss-signature", "signature", "sig", "hdnts", "__token__",
     "key-pair-id", "x-amz-credential", "x-goog-credential", "googleaccessid", "ossaccesskeyid", "x-ms-signature",
     "token-signature", "hmac", "x-amz-expires", "x-goog-expires", "x-oss-expires", "x-oss-credential",
     "q-signature", "q-sign-algorithm", "x-tos-signature", "x-obs-signature", "wowzatokenhash"}
)
# A link that says when it expires and carries a hash or token is signed too (nginx secure_link's md5 and expires,
# CDN token links).
_EXPIRY_PARAMS = frozenset({"expires", "expiry", "expire", "exp", "e"})
_LINK_PROOF_PARAMS = frozenset({"md5", "token", "hash", "sign", "st", "verify"})
# Query parameters that carry a credential.
CREDENTIAL_PARAMS = frozenset(
    {"token", "access_token", "accesstoken", "api_key", "apikey", "api-key", "key", "auth", "auth_token", "authtoken",
     "client_secret", "password", "passwd", "secret", "private_token", "sessionid", "jwt", "id_token",
     "oauth_token", "x-amz-security-token", "sig", "signature", "x-amz-signature", "x-goog-signature"}
)
_CSRF_HEADERS = frozenset({"x-csrf-token", "x-xsrf-token", "x-csrftoken", "csrf-token", "xsrf-token",
                           "requestverificationtoken", "x-requestverificationtoken", "anti-csrf-token",
                           "x-atlassian-token", "jenkins-crumb", "x-wp-nonce"})
_CSRF_COOKIE = re.compile(r"(csrf|xsrf|antiforgery|requestverificationtoken)", re.I)
# Default User-Agents of scripting libraries and command-line tools (what a script sends unless told otherwise).
_SCRIPT_AGENT = re.compile(
    r"(?:python-requests|python-urllib|python-httpx|python/|aiohttp|curl/|wget/|go-http-client|okhttp|axios|"
    r"node-fetch|undici|java/|apache-httpclient|libwww-perl|lwp::|guzzlehttp|ruby|faraday|dart:io|"
    r"powershell|winhttp|scrapy|httpie|rest-client|unirest)",
    re.I,
)
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_API_PATH = re.compile(r"/(?:api|apis|v\d{1,2}(?:\.\d{1,2})?|graphql|wp-json|rest|odata|json)(?:/|$)", re.I)
_CREDENTIAL_NAME = re.compile(r"(auth|token|api-?key|secret|session|credential|signature|password)", re.I)
_SIGNED_AUTH = re.compile(r"^\s*(AWS4-HMAC-SHA256|AWS|OSS|SharedKey(Lite)?|GOOG4-HMAC-SHA256|Signature)\b", re.I)
# A path segment that is a credential: a bot token, a JWT, a vendor-prefixed token, a placeholder someone wrote.
_PATH_TOKEN = re.compile(
    r"(?:^|/)(?:bot\d{5,}:[A-Za-z0-9_-]{20,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.?"
    r"|(?:ghp|gho|ghs|github_pat|glpat|xox[abpr]|sk|pk|rk|hf|npm|pypi)[_-][A-Za-z0-9_-]{16,}"
    r"|(?:bot)?<(?:token|api[_-]?key|key|secret|bot[_-]?token|access[_-]?token)>)(?:/|$)",
    re.I,
)


def _path(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:
        return ""


def signed_url(url: str) -> bool:
    """Whether the URL's query signs it (a presigned or SAS link)."""
    names = {name.lower() for name, _ in _query(url)}
    return bool(names & SIGNATURE_PARAMS) or bool(names & _EXPIRY_PARAMS and names & _LINK_PROOF_PARAMS)


_COMPACT_TIME = re.compile(r"^(\d{8})T(\d{6})Z$")  # X-Amz-Date, X-Goog-Date, x-oss-date
_EPOCH = re.compile(r"^\d{9,11}$")
_LIFETIME = re.compile(r"^\d{1,7}$")


def _instant(value: str) -> dt.datetime | None:
    """A time as signed links write it: 20240101T000000Z, ISO 8601 (Azure's se/st), or epoch seconds."""
    value = value.strip()
    try:
        if _EPOCH.match(value):
            return dt.datetime.fromtimestamp(int(value), dt.timezone.utc)
        found = _COMPACT_TIME.match(value)
        if found:
            return dt.datetime.strptime(found.group(1) + found.group(2), "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc)
        if len(value) >= 10 and value[4] == "-":
            stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def link_window(url: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(valid from, valid until) that a signed link states in its own query, each None where it states none."""
    params = {name.lower(): value for name, value in _query(url)}
    start = end = None
    for prefix in ("x-amz-", "x-goog-", "x-oss-"):
        signed_at = _instant(params.get(prefix + "date", ""))
        lifetime = params.get(prefix + "expires", "")
        if signed_at is not None:
            start = signed_at
            if _LIFETIME.match(lifetime):
                end = signed_at + dt.timedelta(seconds=int(lifetime))
            break
    if "q-sign-time" in params:  # Tencent COS: start;end in epoch seconds
        parts = params["q-sign-time"].split(";")
        if len(parts) == 2:
            start, end = _instant(parts[0]), _instant(parts[1])
    if end is None:
        for name in ("se", "expires", "expiry", "expire", "exp", "e"):
            if name in params and (name != "se" or "sig" in params):
                end = _instant(params[name])
                if end is not None:
                    break
    if "st" in params and "sig" in params:
        start = _instant(params["st"]) or start
    return start, end


def _query(url: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(urlsplit(url).query, keep_blank_values=True)
    except ValueError:
        return []


def credential_places(url: str, headers) -> list[str]:
    """Where the request carries a credential: header names, "cookie", "url user info", "query <name>", "url path"."""
    places: list[str] = []
    for name in sorted({n.lower() for n, _ in headers}):
        if name in _CSRF_HEADERS:
            continue
        if name in CREDENTIAL_HEADERS or (_CREDENTIAL_NAME.search(name) and not name.startswith("x-csrf")):
            places.append(name)
    try:
        parts = urlsplit(url)
        if parts.username or parts.password:
            places.append("url user info")
        path = parts.path
    except ValueError:
        path = ""
    for name, _ in _query(url):
        if name.lower() in CREDENTIAL_PARAMS:
            places.append(f"query {name}")
    if _PATH_TOKEN.search(path):
        places.append("url path")
    return places


def facts_of(exchange: Exchange | None) -> frozenset[str]:
    """The context facts of the request behind one exchange."""
    if exchange is None:
        return frozenset()
    out: set[str] = set()
    known = len(exchange.request_headers) > 0
    if known:
        out.add("request-known")
    if credential_places(exchange.url or "", exchange.request_headers):
        out.add("credentials-sent")
    elif known:
        out.add("no-credentials")
    headers = exchange.request_headers
    names = {n.lower() for n, _ in headers}
    if (exchange.method or "").upper() in STATE_CHANGING:
        out.add("state-changing")
    if "origin" in names or "sec-fetch-site" in names:
        out.add("browser-origin")
    cookies = " ".join(headers.get_all("cookie"))
    if names & _CSRF_HEADERS or any(_CSRF_COOKIE.search(part.split("=", 1)[0]) for part in cookies.split(";")):
        out.add("csrf-token-sent")
    # the header itself, not a CORS list naming it (Access-Control-Expose-Headers is static, sent on every answer)
    if {n.lower() for n, _ in exchange.response_headers} & _CSRF_HEADERS:
        out.add("csrf-token-offered")
    agent = headers.get("user-agent")
    if "request-known" in out and (agent is not None and (not agent.strip() or _SCRIPT_AGENT.match(agent.strip()))):
        out.add("script-client")
    path = _path(exchange.url or "")
    if (exchange.method or "GET").upper() in ("GET", "HEAD") and len(path) > 1 and path.endswith("/"):
        out.add("directory-path")
    if any(seg.startswith(".") and seg not in (".", "..", ".well-known") for seg in path.split("/")):
        out.add("dot-path")
    if _API_PATH.search(path):
        out.add("api-path")
    if signed_url(exchange.url or ""):
        out.update(("signed-url", "signed-request"))
        now, start, end = _link_times(exchange)
        if now is not None:
            if end is not None and end < now:
                out.add("link-expired")
            elif start is not None and start > now + dt.timedelta(minutes=1):
                out.add("link-not-yet-valid")
    elif any(_SIGNED_AUTH.match(v) for v in exchange.request_headers.get_all("authorization")) or any(
        n.lower() in ("x-amz-date", "x-goog-date") for n, _ in exchange.request_headers
    ):
        out.add("signed-request")
    return frozenset(out)


# Values a context cue's evidence line may quote ({name} in its `line`), and the facts (any one) each comes with.
VALUES = {
    "link_expires": ("link-expired",),
    "link_starts": ("link-not-yet-valid",),
    "server_date": ("link-expired", "link-not-yet-valid"),
}


def _link_times(exchange: Exchange) -> tuple[dt.datetime | None, dt.datetime | None, dt.datetime | None]:
    """(the server's Date, the link's start, the link's end): the server's clock, never this machine's."""
    return (http_date(exchange.response_headers.get("date")),) + link_window(exchange.url or "")


def values_of(exchange: Exchange | None) -> dict[str, str]:
    """The times a signed link's evidence line quotes: its own expiry and start, and the server's Date, in UTC."""
    if exchange is None or not signed_url(exchange.url or ""):
        return {}
    now, start, end = _link_times(exchange)
    return {
        name: when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        for name, when in (("server_date", now), ("link_starts", start), ("link_expires", end))
        if when is not None
    }


def fill(line: str, exchange: Exchange | None) -> str:
    """A context cue's line with the values it quotes (read from the exchange only when the line quotes one); a
    value this exchange lacks reads as "unknown"."""
    if "{" not in line:
        return line
    values = values_of(exchange)
    return re.sub(r"\{([a-z_]+)\}", lambda m: values.get(m.group(1), "unknown"), line)
