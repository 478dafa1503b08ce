"""Real peers on loopback for the tests: Debian's nginx with a config of the test's choosing, and a forward proxy
whose upstream connections leave from 127.0.0.2 (so a server on 127.0.0.1 sees another client address)."""

from __future__ import annotations

import os
import select
import shutil
import socket
import socketserver
import struct
import subprocess
import threading
import time
from pathlib import Path

NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_listening(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout} s")


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in NGINX_CANDIDATES if os.path.exists(p)), None)
    if not found:
        raise RuntimeError("nginx is not installed: run `make setup` (or `apt-get install -y nginx-light`) first")
    return found


class Nginx:
    """nginx in the foreground (`daemon off;`), config and temp paths under `root`, one server block per call."""

    def __init__(self, root: Path, server_body: str, files: dict[str, str] | None = None):
        self.root = Path(root)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        www = self.root / "www"
        www.mkdir(parents=True, exist_ok=True)
        for rel, text in (files or {}).items():
            path = www / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        for sub in ("logs", "tmp"):
            (self.root / sub).mkdir(exist_ok=True)
        user = "user root;" if os.geteuid() == 0 else ""
        self.error_log = self.root / "logs" / "error.log"
        self.access_log = self.root / "logs" / "access.log"
        conf = f"""
{user}
daemon off;
master_process off;
worker_processes 1;
pid {self.root}/nginx.pid;
error_log {self.error_log} info;
events {{ worker_connections 64; }}
http {{
    access_log {self.access_log};
    client_body_temp_path {self.root}/tmp/body;
    proxy_temp_path {self.root}/tmp/proxy;
    fastcgi_temp_path {self.root}/tmp/fastcgi;
    uwsgi_temp_path {self.root}/tmp/uwsgi;
    scgi_temp_path {self.root}/tmp/scgi;
    default_type text/plain;
    server {{
        listen 127.0.0.1:{self.port};
        root {www};
        {server_body}
    }}
}}
"""
        self.conf = self.root / "nginx.conf"
        self.conf.write_text(conf)
        self.proc = subprocess.Popen(
            [nginx_binary(), "-p", str(self.root), "-c", str(self.conf), "-e", str(self.error_log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_listening("127.0.0.1", self.port)
        except RuntimeError:
            self.stop()
            raise RuntimeError(f"nginx did not start: {self.proc.stderr.read().decode(errors='replace') if self.proc.stderr else ''}")

    def url(self, path: str) -> str:
        return self.base_url + path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class _ProxyHandler(socketserver.BaseRequestHandler):
    """A tiny forward proxy: CONNECT tunnels and absolute-form HTTP requests, upstream bound to the egress address."""

    def handle(self) -> None:
        client = self.request
        client.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        self.server.seen.append((method, target))
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = socket.create_connection((host, int(port)), timeout=10, source_address=(self.server.egress, 0))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pipe(client, upstream, rest)
            return
        from urllib.parse import urlsplit

        parts = urlsplit(target)
        upstream = socket.create_connection((parts.hostname, parts.port or 80), timeout=10, source_address=(self.server.egress, 0))
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        headers = [l for l in lines[1:] if not l.lower().startswith(("proxy-connection:", "proxy-authorization:", "connection:"))]
        request = f"{method} {path} {version}\r\n" + "\r\n".join(headers) + "\r\nConnection: close\r\n\r\n"
        upstream.sendall(request.encode("latin-1") + rest)
        pipe(client, upstream, b"")


def pipe(a: socket.socket, b: socket.socket, pending: bytes = b"") -> None:
    """Copy bytes both ways between a client and its upstream until either side closes; closes the upstream."""
    if pending:
        b.sendall(pending)
    socks = [a, b]
    try:
        while True:
            readable, _, _ = select.select(socks, [], [], 10)
            if not readable:
                return
            for s in readable:
                chunk = s.recv(65536)
                if not chunk:
                    return
                (b if s is a else a).sendall(chunk)
    except OSError:
        return
    finally:
        b.close()


class EgressProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, egress: str = "127.0.0.2"):
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.egress = egress
        self.seen: list[tuple[str, str]] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Socks5(socketserver.BaseRequestHandler):
    """Just enough SOCKS5 (no auth, CONNECT, IPv4 or domain) to be a real alternate route leaving from 127.0.0.2."""

    def handle(self) -> None:
        c = self.request
        c.settimeout(5)
        n = c.recv(2)[1]
        c.recv(n)
        c.sendall(b"\x05\x00")
        _ver, _cmd, _rsv, atyp = c.recv(4)
        if atyp == 1:
            host = socket.inet_ntoa(c.recv(4))
        elif atyp == 3:
            host = c.recv(c.recv(1)[0]).decode()
        else:
            c.sendall(b"\x05\x08\x00\x01" + b"\x00" * 6)
            return
        port = struct.unpack("!H", c.recv(2))[0]
        self.server.seen.append((host, port))
        up = socket.create_connection((host, port), timeout=5, source_address=("127.0.0.2", 0))
        c.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("0.0.0.0") + b"\x00\x00")
        pipe(c, up)


class Socks5Proxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Socks5)
        self.seen: list = []
        self.url = f"socks5://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
