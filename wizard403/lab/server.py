"""The lab's HTTP server: loopback only, threaded, quiet, robust against odd input; and the `Lab` handle on it.

Standard library only. Every request is recorded (the last 1000), so tests can see exactly what a check sent
and from which address.
"""

from __future__ import annotations

import datetime as _dt
import errno
import ipaddress
import os
import posixpath
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import TextIO
from urllib.parse import unquote, urlencode, urlsplit

from wizard403.errors import InputError
from wizard403.lab.app import STALE_SESSION
from wizard403.lab.exchange import LAB_SERVER, LabRequest, LabResponse, LabState, http_date, random_key
from wizard403.lab.pages import app_page
from wizard403.lab.producers import presigned_query
from wizard403.lab.routes import ALL_METHODS, dispatch
from wizard403.lab.scenarios import HOSTILE_SCENARIOS, SCENARIOS, Scenario, scenario
from wizard403.lab.tokens import mint_token
from wizard403.model import Headers

KEEP_REQUESTS = 1000
MAX_BODY = 1024 * 1024
CLIENT_TIMEOUT = 15.0


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the lab received it, before any answer."""

    method: str
    path: str  # the request target as sent, query string included
    headers: Headers
    client_ip: str
    at: _dt.datetime


def loopback_address(host: str) -> str:
    """The loopback address to bind for `host`, or an InputError: the lab must never be reachable from outside."""
    text = (host or "").strip()
    if text.lower() == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise InputError(
            f"the lab listens on loopback only, and '{host}' is not a loopback address; use 127.0.0.1 or ::1"
        )
    return str(address)


def normalize_path(raw: str) -> str:
    """Decode and tidy the path as nginx does before matching locations, so '/a/../internal/' is '/internal/'."""
    if not raw.startswith("/"):
        return raw
    decoded = unquote(raw)
    tidy = posixpath.normpath(decoded)
    tidy = "/" + tidy.lstrip("/")
    if decoded.endswith("/") and tidy != "/":
        tidy += "/"
    return tidy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = LAB_SERVER
    error_content_type = "text/html; charset=utf-8"
    default_request_version = "HTTP/1.0"  # so even a garbled request line gets a status line back, as nginx does
    timeout = CLIENT_TIMEOUT
    server: _LabServer

    def version_string(self) -> str:
        return LAB_SERVER

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        """Quiet by default: the lab records requests instead of printing them."""

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and delayed ACKs add 40 ms.
        if self.connection.family in (socket.AF_INET, socket.AF_INET6):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        self.server.record(
            RecordedRequest(
                method=self.command,
                path=self.path,
                headers=Headers(self.headers.items()),
                client_ip=self.client_address[0],
                at=_dt.datetime.now(_dt.timezone.utc),
            )
        )
        return True

    def _read_body(self) -> bytes | None:
        """The request body, or None after an error answer (too large, bad framing)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.strip().isdigit():
            self.send_error(400, "Bad Content-Length")
            return None
        size = int(length)
        if size > MAX_BODY:
            self.send_error(413, "Request body too large for the lab")
            return None
        return self.rfile.read(size)

    def _read_chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self.send_error(400, "Bad chunked body")
                return None
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                self.send_error(413, "Request body too large for the lab")
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)
        while self.rfile.readline(8192).strip():  # trailers
            pass
        return b"".join(chunks)

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        target = urlsplit(self.path)
        request = LabRequest(
            method=self.command,
            target=self.path,
            path=normalize_path(target.path or "/") if self.path != "*" else "*",
            query=target.query,
            headers=Headers(self.headers.items()),
            body=body,
            client_ip=self.client_address[0],
            http_version=self.request_version,
        )
        try:
            response = dispatch(request, self.server.state)
        except Exception:  # a bug in a scenario must not take the lab down
            page = app_page("500 Internal Server Error", "Internal error", "The lab failed to answer this request.")
            response = LabResponse(500, page)
        self._send(response)
        self.server.access(f"{request.client_ip} {request.method} {request.target} -> {response.status}")

    def _send(self, response: LabResponse) -> None:
        bodyless = response.status in (204, 304)
        headers: list[tuple[str, str | bytes]] = []
        if response.server:
            headers.append(("Server", response.server))
        headers.append(("Date", http_date()))
        if not bodyless:
            headers.append(("Content-Type", response.content_type))
            headers.append(("Content-Length", str(len(response.body))))
        if response.http_version == "HTTP/1.0":
            self.close_connection = True  # a 1.0 answer without keep-alive ends the connection
        closing = self.close_connection
        for name, value in response.headers:
            if name.lower() == "connection" and closing:
                continue
            if name.lower() == "connection" and _wire(value).strip().lower() == b"close":
                self.close_connection = True
            headers.append((name, value))
        if closing:
            headers.append(("Connection", "close"))
        self.wfile.write(_head(response, headers))
        if self.command != "HEAD" and not bodyless:
            self.wfile.write(response.body)


def _wire(text: str | bytes) -> bytes:
    """Bytes go out exactly as given (a hostile scenario's invalid UTF-8); text goes out as UTF-8."""
    return text if isinstance(text, bytes) else text.encode("utf-8")


def _head(response: LabResponse, headers: list[tuple[str, str | bytes]]) -> bytes:
    """The status line and headers as raw bytes; no reason phrase at all gives 'HTTP/1.0 403' with nothing after."""
    version = response.http_version or _Handler.protocol_version
    reason = response.reason
    if reason is None:
        reason = BaseHTTPRequestHandler.responses.get(response.status, ("",))[0]
    status_line = f"{version} {response.status}".encode("ascii")
    if reason:
        status_line += b" " + _wire(reason)
    lines = [status_line] + [_wire(name) + b": " + _wire(value) for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


for _method in ALL_METHODS + ("OPTIONS",):
    setattr(_Handler, f"do_{_method}", _Handler._serve)


class _LabServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    allow_reuse_port = False
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], state: LabState, access_log: Callable[[str], None] | None):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.state = state
        self._access_log = access_log
        self._lock = threading.Lock()
        self._requests: deque[RecordedRequest] = deque(maxlen=KEEP_REQUESTS)
        self._connections: set[socket.socket] = set()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up in DNS; a loopback lab has no use for that delay.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that vanishes mid-answer is normal; never print a traceback."""

    def record(self, item: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(item)

    def recorded(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def access(self, line: str) -> None:
        if self._access_log is not None:
            try:
                self._access_log(line)
            except (OSError, ValueError):
                pass

    def track(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def drop_connections(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _bind_error(address: str, port: int, err: OSError) -> InputError:
    if err.errno == errno.EADDRINUSE:
        return InputError(f"port {port} on {address} is already in use; choose another one with --port")
    if err.errno == errno.EACCES:
        return InputError(f"port {port} needs privileges this user does not have; choose one above 1023 with --port")
    if err.errno == errno.EADDRNOTAVAIL:
        return InputError(f"this machine has no loopback address {address}; use 127.0.0.1")
    return InputError(f"the lab cannot listen on {address} port {port}: {err.strerror or err}")


class Lab:
    """A running lab on loopback; stop it with stop() or use it as a context manager."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        error_log: str | os.PathLike[str] | None = None,
        access_log: Callable[[str], None] | None = None,
    ):
        address = loopback_address(host)
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise InputError(f"the port must be a number from 0 to 65535, not {port!r}")
        self._state = LabState(address, error_log)
        try:
            self._server = _LabServer((address, port), self._state, access_log)
        except OSError as err:
            raise _bind_error(address, port, err) from None
        self.host = address
        self.port = int(self._server.server_address[1])
        netloc = f"[{address}]" if ":" in address else address
        self.base_url = f"http://{netloc}:{self.port}"
        self._stopped = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"wizard403-lab-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, oldest first (the last 1000)."""
        return self._server.recorded()

    @property
    def error_log(self) -> list[str]:
        """The nginx-style error-log lines the lab's nginx paths wrote (what a site owner would read)."""
        return self._state.error_log

    @property
    def running(self) -> bool:
        return not self._stopped and self._thread.is_alive()

    def url(self, scenario_id: str) -> str:
        """The URL a user opens for this scenario (a presigned link carries its query string)."""
        item = scenario(scenario_id)
        url = self.base_url + item.path
        if item.query:
            url += "?" + item.query
        if item.needs == "url:expired-signature":
            url += "?" + presigned_query(item.path, signed_at=time.time() - 86400, expires=3600)
        return url

    def request_for(self, scenario_id: str) -> tuple[str, str, list[tuple[str, str]], bytes | None]:
        """(method, url, headers, body) as a user who hits this scenario sends it, credentials included."""
        item: Scenario = scenario(scenario_id)
        headers: list[tuple[str, str]] = []
        body: bytes | None = None
        kind, _, value = item.needs.partition(":")
        if kind == "token":
            headers += [("Authorization", f"Bearer {mint_token(value, self.host)}"), ("Accept", "application/json")]
        elif kind == "cookie":
            headers.append(("Cookie", f"sessionid={STALE_SESSION}"))
        elif kind == "form":
            # The tab was opened before the cookie was replaced: the form's hidden token no longer matches it.
            headers += [
                ("Cookie", f"csrftoken={random_key()}"),
                ("Origin", self.base_url),
                ("Referer", self.base_url + item.path),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ]
            body = urlencode({"csrfmiddlewaretoken": random_key(), "email": "alice.new@lab.example"}).encode()
        return item.method, self.url(item.id), headers, body

    def stop(self) -> None:
        """Stop listening and close open connections; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._server.drop_connections()
        self._thread.join(timeout=5)

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Lab {self.base_url} {state}>"


def start_lab(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    error_log: str | os.PathLike[str] | None = None,
    access_log: Callable[[str], None] | None = None,
) -> Lab:
    """Start a lab in a daemon thread; it is listening when this returns. Port 0 picks a free port."""
    return Lab(host, port, error_log=error_log, access_log=access_log)


def serve_forever(host: str = "127.0.0.1", port: int = 8403, out: TextIO = sys.stdout) -> None:
    """`wizard403 lab`: say where the lab listens and what it offers, then serve until Ctrl+C."""

    def say(line: str = "") -> None:
        try:
            print(line, file=out, flush=True)
        except (OSError, ValueError):
            pass

    lab = start_lab(host, port, access_log=say)
    try:
        say(f"wizard403 lab listening on {lab.base_url} (loopback only: other machines cannot reach it)")
        say()
        rows = [(f"{item.method} {item.path}", item.title) for item in SCENARIOS]
        width = max(len(request) for request, _ in rows)
        hostile = [(f"{item.method} {item.path}", item.title) for item in HOSTILE_SCENARIOS]
        width = max(len(request) for request, _ in rows + hostile)
        say(f"  {'REQUEST':<{width}}  SCENARIO")
        for request, title in rows:
            say(f"  {request:<{width}}  {title}")
        say()
        say("  Hostile scenarios (server text built to trick a careless reader; the wizard shows it as data):")
        for request, title in hostile:
            say(f"  {request:<{width}}  {title}")
        say()
        say(
            "Open a path above in a browser, or run: wizard403 check "
            + lab.url("ip-allowlist")
            + " --alt-source 127.0.0.2   (127.0.0.2 is the one address the allowlist admits)"
        )
        say("Press Ctrl+C to stop.")
        while lab.running:
            lab._thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        lab.stop()
