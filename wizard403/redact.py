"""Redaction: every secret becomes `[redacted sha256:XXXXXXXX]` before anything is written.

The fingerprint is the first 8 hex digits of the secret's SHA-256, so two reports about the same token can be
compared, and a token typed in again can be recognised, without the token itself ever being stored.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from wizard403.fastre import prefixed
from wizard403.model import CREDENTIAL_HEADERS

FINGERPRINT_RE = re.compile(r"\[redacted sha256:[0-9a-f]{8}\]")

# Header names whose whole value is a secret (compared lower-case): every credential header, plus the ones that
# carry a secret without identifying the user to the target (a proxy's password, a cookie the server hands out).
SECRET_HEADERS = CREDENTIAL_HEADERS | {
    "proxy-authorization",
    "set-cookie",
    "x-vault-token",
    "x-github-token",
    "x-shopify-access-token",
}
# Any other header whose name says it carries a secret.
SECRET_HEADER_NAME_RE = re.compile(r"(api[-_]?key|token|secret|passw|session|signature|credential)", re.I)

# Query-string (and form) parameter names whose value is a secret.
SECRET_PARAM_RE = re.compile(
    r"^(x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|sig|signature|"
    r"token|access_token|id_token|refresh_token|auth|authorization|key|api_key|apikey|api-key|password|passwd|pass|pwd|"
    r"secret|client_secret|code|session|sessionid|session_id|sid|jwt|csrf|csrfmiddlewaretoken|_csrf|"
    r"authenticity_token|policy|key-pair-id|x-ms-signature|otp)$",
    re.I,
)

# The free-text patterns are wrapped by `prefixed`: the same matches, but `sub` only tries where one can start.
JWT_RE = prefixed(re.compile(r"\b(eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,})\.([A-Za-z0-9_-]{8,})"))
# Well-known token shapes that may appear in free text (bodies, notes, pasted commands).
TOKEN_PATTERNS = tuple(prefixed(p) for p in (
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{20,}\b"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"),
))
# A scheme word followed by something token-shaped (8+ characters with a digit), not by an ordinary word.
BEARER_RE = prefixed(re.compile(r"(?i)\b(bearer|basic|token)\s+((?=[A-Za-z._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,})"))
# `password=…`, `"token": "…"` in free text; the value must look like a secret (a digit in it, or 16+ characters),
# so that prose such as "token: 'Authorization: Bearer'" stays readable.
KEYVALUE_RE = prefixed(re.compile(
    r"(?i)([\"']?(?:password|passwd|pwd|secret|client_secret|token|access_token|refresh_token|id_token|api_key|apikey|"
    r"csrfmiddlewaretoken|authenticity_token|session(?:id)?)[\"']?\s*[:=]\s*[\"']?)((?=[^\"'&\s,;}<\[]*\d)[^\"'&\s,;}<\[]{4,}|[^\"'&\s,;}<\[]{16,})"
))
MIN_SECRET_LEN = 4


def fingerprint(secret: str | bytes) -> str:
    """The stable placeholder for one secret."""
    data = secret.encode("utf-8", "surrogateescape") if isinstance(secret, str) else secret
    return f"[redacted sha256:{hashlib.sha256(data).hexdigest()[:8]}]"


def is_redacted(value: str) -> bool:
    return bool(FINGERPRINT_RE.fullmatch(value.strip()))


def is_secret_header(name: str) -> bool:
    lname = name.lower()
    return lname in SECRET_HEADERS or bool(SECRET_HEADER_NAME_RE.search(lname))


def _fp_unless_done(value: str) -> str:
    return value if FINGERPRINT_RE.search(value) else fingerprint(value)


def redact_cookie_pairs(value: str) -> str:
    """`a=1; b=2` -> `a=[redacted ...]; b=[redacted ...]`: the names help, the values are the session."""
    parts = []
    for part in value.split(";"):
        name, sep, val = part.strip().partition("=")
        if not sep:
            parts.append(part.strip())
        else:
            parts.append(f"{name}={_fp_unless_done(val)}" if val else f"{name}=")
    return "; ".join(p for p in parts if p)


def redact_set_cookie(value: str) -> str:
    first, sep, attrs = value.partition(";")
    name, eq, val = first.strip().partition("=")
    if not eq:
        return value
    return f"{name}={_fp_unless_done(val) if val else ''}{sep}{attrs}"


def redact_header(name: str, value: str) -> str:
    """The value of one header, with its secret parts replaced."""
    lname = name.lower()
    if FINGERPRINT_RE.fullmatch(value.strip()):
        return value
    if lname in ("authorization", "proxy-authorization"):
        scheme, sp, cred = value.strip().partition(" ")
        if sp and cred and scheme.isalpha():
            return f"{scheme} {_fp_unless_done(cred.strip())}"
        return _fp_unless_done(value)
    if lname == "cookie":
        return redact_cookie_pairs(value)
    if lname == "set-cookie":
        return redact_set_cookie(value)
    if is_secret_header(name):
        return _fp_unless_done(value) if value else value
    return redact_text(value)


def redact_url(url: str) -> str:
    """Passwords in the authority and secret query parameters are replaced; the rest stays readable."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, password = userinfo.partition(":")
        if colon:
            netloc = f"{user}:{_fp_unless_done(unquote(password))}@{hostport}"
    query = parts.query
    if query:
        pairs = []
        for raw in query.split("&"):
            name, eq, value = raw.partition("=")
            if eq and value and SECRET_PARAM_RE.match(unquote(name)):
                pairs.append(f"{name}={_fp_unless_done(unquote(value))}")
            else:
                pairs.append(raw)
        query = "&".join(pairs)
    out = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return redact_text(out)


def redact_form(body: str) -> str:
    """An `a=1&password=x` body with the secret fields replaced."""
    pairs = []
    for name, value in parse_qsl(body, keep_blank_values=True):
        if value and SECRET_PARAM_RE.match(name):
            value = _fp_unless_done(value)
        pairs.append(f"{quote(name, safe='[]')}={quote(value, safe='[]: ')}")
    return "&".join(pairs)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text: known secret values, JWT signatures, bearer values, key=value secrets and known token shapes."""
    if not text:
        return text
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LEN}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, fingerprint(secret))
    text = JWT_RE.sub(lambda m: f"{m.group(1)}.{fingerprint(m.group(0))}", text)
    for pattern in TOKEN_PATTERNS:
        text = pattern.sub(lambda m: fingerprint(m.group(0)), text)
    text = BEARER_RE.sub(
        lambda m: m.group(0) if FINGERPRINT_RE.match(text, m.start(2)) else f"{m.group(1)} {fingerprint(m.group(2))}",
        text,
    )
    text = KEYVALUE_RE.sub(
        lambda m: m.group(0) if m.group(2).startswith("[redacted") else m.group(1) + fingerprint(m.group(2)), text
    )
    return text


def secrets_of_headers(headers: Iterable[tuple[str, str]]) -> set[str]:
    """Every secret value a list of headers carries, whole and in parts (token alone, each cookie value)."""
    found: set[str] = set()
    for name, value in headers:
        lname = name.lower()
        if not is_secret_header(name) or not value or FINGERPRINT_RE.search(value):
            continue
        found.add(value)
        if lname in ("authorization", "proxy-authorization"):
            _, _, cred = value.partition(" ")
            if cred:
                found.add(cred.strip())
        elif lname in ("cookie", "set-cookie"):
            src = value if lname == "cookie" else value.split(";", 1)[0]
            for part in src.split(";"):
                _, eq, val = part.strip().partition("=")
                if eq and val:
                    found.add(val)
    return {s for s in found if len(s) >= MIN_SECRET_LEN and not FINGERPRINT_RE.fullmatch(s)}


def key_secrets(headers: Iterable[tuple[str, str]]) -> set[str]:
    """The secrets a user would recognise (the token, each cookie value, an API key), for fingerprint lists."""
    found: set[str] = set()
    for name, value in headers:
        lname = name.lower()
        if not is_secret_header(name) or not value or FINGERPRINT_RE.search(value):
            continue
        if lname in ("authorization", "proxy-authorization"):
            found.add(value.partition(" ")[2].strip() or value)
        elif lname == "cookie":
            found |= {v for _, eq, v in (p.strip().partition("=") for p in value.split(";")) if eq and v}
        else:
            found.add(value)
    return found


def secrets_of_url(url: str) -> set[str]:
    found: set[str] = set()
    try:
        parts = urlsplit(url)
    except ValueError:
        return found
    if parts.password:
        found.add(unquote(parts.password))
        found.add(parts.password)
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if value and SECRET_PARAM_RE.match(name):
            found.add(value)
    return {s for s in found if len(s) >= MIN_SECRET_LEN}


def secrets_of_body(body: str) -> set[str]:
    found = {m.group(2) for m in KEYVALUE_RE.finditer(body)}
    try:
        for name, value in parse_qsl(body, keep_blank_values=True):
            if value and SECRET_PARAM_RE.match(name):
                found.add(value)
    except ValueError:
        pass
    return {s for s in found if len(s) >= MIN_SECRET_LEN and not s.startswith("[redacted")}
