"""The lab's JSON Web Tokens: minted and verified with HS256 and a fixed secret, standard library only.

The secret is public on purpose: these tokens open nothing but the lab, and the tests and the demo must be able
to mint them. The verifier is strict (no `alg: none`, no other algorithm) so the lab answers like a real API.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

from wizard403.errors import InputError

LAB_SECRET = b"wizard403-lab: a public secret that signs lab tokens only"
ISSUER = "wizard403-lab"
SUBJECT = "alice@lab.example"
LIFETIME = 3600

SCOPES = {
    "valid": "reports:read reports:write admin",
    "read-only": "reports:read",
    "expired": "reports:read reports:write admin",
}


def audience_for(host: str) -> str:
    """The `aud` claim for a lab on this host: "http://127.0.0.1", "http://[::1]"."""
    host = host.strip("[]")
    return f"http://[{host}]" if ":" in host else f"http://{host}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(signing_input: str) -> str:
    return _b64(hmac.new(LAB_SECRET, signing_input.encode("ascii"), hashlib.sha256).digest())


def mint_token(kind: str, host: str = "127.0.0.1") -> str:
    """A lab JWT of this kind: "valid", "read-only" (scope reports:read) or "expired" (expired one hour ago)."""
    if kind not in SCOPES:
        raise InputError(f"unknown lab token kind '{kind}'; choose one of: {', '.join(SCOPES)}")
    now = int(time.time())
    issued = now - 2 * LIFETIME if kind == "expired" else now
    claims = {
        "iss": ISSUER,
        "sub": SUBJECT,
        "aud": audience_for(host),
        "iat": issued,
        "exp": issued + LIFETIME,
        "scope": SCOPES[kind],
    }
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = _b64(json.dumps(header, separators=(",", ":")).encode()) + "." + _b64(
        json.dumps(claims, separators=(",", ":")).encode()
    )
    return signing_input + "." + _sign(signing_input)


class TokenProblem(Exception):
    """Why a token was refused; `expired` is kept apart because some APIs answer it differently."""

    def __init__(self, description: str, expired: bool = False):
        super().__init__(description)
        self.description = description
        self.expired = expired


def verify_token(token: str, audiences: set[str], now: float | None = None) -> dict[str, Any]:
    """The token's claims if the lab issued it, it is meant for this lab, and it is current; else TokenProblem."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise TokenProblem("The token is not a JWT (three dot-separated parts).")
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise TokenProblem("The token cannot be decoded.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenProblem("The token cannot be decoded.")
    if header.get("alg") != "HS256":
        raise TokenProblem("The token is signed with an algorithm this API does not accept.")
    presented = parts[2].encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(_sign(parts[0] + "." + parts[1]).encode("ascii"), presented):
        raise TokenProblem("The token signature is invalid.")
    if claims.get("iss") != ISSUER:
        raise TokenProblem("The token was issued by someone this API does not trust.")
    aud = claims.get("aud")
    aud_values = aud if isinstance(aud, list) else [aud]
    if not any(value in audiences for value in aud_values):
        raise TokenProblem("The token was issued for another audience.")
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)):
        raise TokenProblem("The token has no expiry time.")
    current = time.time() if now is None else now
    if exp <= current:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(exp))
        raise TokenProblem(f"The access token expired at {stamp}.", expired=True)
    nbf = claims.get("nbf")
    if isinstance(nbf, (int, float)) and nbf > current:
        raise TokenProblem("The token is not valid yet.")
    return claims
