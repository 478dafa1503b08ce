"""What a lab handler receives and returns, and the little state the lab keeps between requests.

Handlers are plain functions from LabRequest to LabResponse, so the HTTP plumbing (server.py) stays in one place
and every scenario can be read as a few lines of "if this, answer that".
"""

from __future__ import annotations

import os
import secrets
import string
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from urllib.parse import parse_qsl

from wizard403.lab.tokens import audience_for
from wizard403.model import Headers

LAB_SERVER = "wizard403-lab"
ERROR_LOG_KEEP = 1000


@dataclass
class LabRequest:
    """One parsed request, as a handler sees it."""

    method: str
    target: str  # the request target as sent ("/search?q=x")
    path: str
    query: str
    headers: Headers
    body: bytes
    client_ip: str
    http_version: str = "HTTP/1.1"

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))

    @property
    def host(self) -> str:
        """The Host header as sent ("127.0.0.1:8403"), for pages and absolute redirects."""
        return self.headers.get("host") or ""

    @property
    def hostname(self) -> str:
        host = self.host
        if host.startswith("["):
            return host[1:].split("]", 1)[0]
        return host.rsplit(":", 1)[0] if host.count(":") == 1 else host

    @property
    def user_agent(self) -> str:
        return self.headers.get("user-agent") or ""

    @property
    def cookies(self) -> dict[str, str]:
        return self.headers.cookies()

    @property
    def bearer(self) -> str | None:
        """The bearer token, "" for an empty or non-bearer Authorization header, None when there is none."""
        auth = self.headers.get("authorization")
        if auth is None:
            return None
        scheme, _, value = auth.strip().partition(" ")
        return value.strip() if scheme.lower() == "bearer" else ""


@dataclass
class LabResponse:
    """What to send back; server.py adds Server, Date, Content-Type and Content-Length in producer order.

    A header value, the Server value or the reason phrase may be bytes (the hostile scenarios send bytes that are
    not UTF-8); text is sent as UTF-8.
    """

    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str | bytes]] = field(default_factory=list)
    server: str | bytes | None = LAB_SERVER
    reason: str | bytes | None = None
    http_version: str | None = None  # the status line's version, when not the connection's ("HTTP/1.0")

    def header(self, name: str) -> str | bytes | None:
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)


def http_date(epoch: float | None = None) -> str:
    return formatdate(time.time() if epoch is None else epoch, usegmt=True)


def random_hex(nbytes: int) -> str:
    return secrets.token_hex(nbytes)


def random_key(length: int = 32) -> str:
    """A value shaped like a Django session key (lower-case letters and digits)."""
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


class LabState:
    """The lab's memory: signed-in sessions, its nginx-style error log, and when it started."""

    def __init__(self, host: str, error_log_path: str | os.PathLike[str] | None = None):
        self.host = host
        self.started = time.time()
        self.audiences = {audience_for(host), audience_for("127.0.0.1"), audience_for("localhost")}
        self._lock = threading.Lock()
        self._sessions: set[str] = set()
        self._error_log: deque[str] = deque(maxlen=ERROR_LOG_KEEP)
        self._error_log_path = Path(error_log_path) if error_log_path else None
        if self._error_log_path is not None:
            try:
                self._error_log_path.touch()  # as nginx does: the log exists from the start, before its first line
            except OSError:
                pass
        self._connection = 0

    def new_session(self) -> str:
        key = random_key()
        with self._lock:
            self._sessions.add(key)
        return key

    def session_is_live(self, key: str) -> bool:
        with self._lock:
            return key in self._sessions

    def log_error(self, request: LabRequest, message: str) -> str:
        """Append one line in nginx's error-log format, the evidence a site owner would read."""
        with self._lock:
            self._connection += 1
            number = self._connection
        pid = os.getpid()
        line = (
            f"{time.strftime('%Y/%m/%d %H:%M:%S')} [error] {pid}#{pid}: *{number} {message}, "
            f'client: {request.client_ip}, server: localhost, '
            f'request: "{request.method} {request.target} {request.http_version}", host: "{request.host}"'
        )
        with self._lock:
            self._error_log.append(line)
            if self._error_log_path is not None:
                try:
                    with self._error_log_path.open("a", encoding="utf-8") as handle:
                        handle.write(line + "\n")
                except OSError:
                    pass  # a log that cannot be written must not break the answer
        return line

    @property
    def error_log(self) -> list[str]:
        with self._lock:
            return list(self._error_log)
