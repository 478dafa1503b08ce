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
    """The URL, stripped, or an InputError saying what is wrong with it."""
    url = url.strip()
    if not url:
        raise InputError("the URL is empty.")
    if "://" not in url:
        raise InputError(f"'{url}' is not a full URL; write it with its scheme, e.g. https://{url}.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as err:
        raise InputError(f"'{url}' is not a valid URL ({err}).") from None
    if parts.scheme not in ("http", "https"):
        raise InputError(f"the URL scheme '{parts.scheme}' is not supported; use http:// or https://.")
    if not parts.hostname:
        raise InputError(f"'{url}' has no host name.")
    if any(c.isspace() for c in url):
        raise InputError(f"'{url}' contains spaces; encode them as %20.")
    return url


def parse_header(raw: str) -> tuple[str, str]:
    """('Name', 'value') from 'Name: value', or an InputError."""
    name, sep, value = raw.partition(":")
    name = name.strip()
    if not sep or not name or any(c.isspace() for c in name):
        raise InputError(f"the header '{raw}' is not of the form 'Name: value'.")
    return name, value.strip()


def validate_proxy(proxy: str) -> str:
    """A proxy URL with a scheme httpx can use, or an InputError."""
    scheme = urlsplit(proxy).scheme
    if scheme not in PROXY_SCHEMES:
        raise InputError(f"the proxy '{proxy}' needs a scheme: http://, https:// or socks5://.")
    return proxy


def validate_source_ip(ip: str) -> str:
    """A local IP address to send from (an alternate route), or an InputError."""
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        raise InputError(f"--alt-source takes a local IP address, not '{ip}'.") from None
    return ip


def needs_replay_consent(method: str) -> bool:
    """True for a method that can change data on the server (sent only with the user's explicit consent)."""
    return method.upper() not in SAFE_TO_REPLAY
