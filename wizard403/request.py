"""Building and checking the request a person describes: URL, headers, proxies and source addresses.

The command line and the wizard's start screen both build requests from what a person types, so the rules and
their one-sentence errors live here, below both: the TUI never imports the CLI, and the CLI never imports the TUI
to check an argument.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from wizard403.errors import InputError

PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
SAFE_TO_REPLAY = ("GET", "HEAD", "OPTIONS")


def validate_url(url: str) -> str:
    """The URL, stripped, or an InputError saying what is wrong with it (never repeating a secret it holds)."""
    from wizard403.redact import redact_input as shown

    url = url.strip()
    if not url:
        raise InputError("the URL is empty.")
    if "://" not in url:
        raise InputError(f"'{shown(url)}' is not a full URL; write it with its scheme, e.g. https://{shown(url)}.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as err:
        raise InputError(f"'{shown(url)}' is not a valid URL ({_url_problem(err)}).") from None
    if parts.scheme not in ("http", "https"):
        raise InputError(f"the URL scheme '{shown(parts.scheme)}' is not supported; use http:// or https://.")
    if not parts.hostname:
        raise InputError(f"'{shown(url)}' has no host name.")
    if any(c.isspace() for c in url):
        raise InputError(f"'{shown(url)}' contains spaces; encode them as %20.")
    return url


def _url_problem(err: ValueError) -> str:
    """urlsplit's complaint without the input it quotes (a bad port's message repeats the whole netloc)."""
    text = str(err)
    if "port" in text.lower():
        return "the port must be a number from 0 to 65535"
    return text.split(":", 1)[0].split("'", 1)[0].strip() or "it cannot be parsed"


def parse_header(raw: str) -> tuple[str, str]:
    """('Name', 'value') from 'Name: value', or an InputError (which does not repeat a secret the line holds)."""
    name, sep, value = raw.partition(":")
    name = name.strip()
    if not sep or not name or any(c.isspace() for c in name):
        from wizard403.redact import redact_input

        raise InputError(f"the header '{redact_input(raw)}' is not of the form 'Name: value'.")
    return name, value.strip()


def validate_proxy(proxy: str) -> str:
    """A proxy URL with a scheme httpx can use, or an InputError."""
    scheme = urlsplit(proxy).scheme if "://" in proxy else ""
    if scheme not in PROXY_SCHEMES:
        from wizard403.redact import redact_input

        raise InputError(f"the proxy '{redact_input(proxy)}' needs a scheme: http://, https:// or socks5://.")
    return proxy


def validate_source_ip(ip: str) -> str:
    """A local IP address to send from (an alternate route), or an InputError."""
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        from wizard403.redact import redact_input

        raise InputError(f"--alt-source takes a local IP address, not '{redact_input(ip)}'.") from None
    return ip


def needs_replay_consent(method: str) -> bool:
    """True for a method that can change data on the server (sent only with the user's explicit consent)."""
    return method.upper() not in SAFE_TO_REPLAY
