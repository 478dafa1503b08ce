"""Whether this machine has an IPv6 loopback, decided once: IPv6 tests skip only for that reason, never on an error."""

from __future__ import annotations

import functools
import socket

import pytest


@functools.cache
def has_ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not has_ipv6_loopback(), reason="this machine has no IPv6 loopback (::1 cannot be bound)")
