"""Benchmark: a full `check` run against a server with 300 ms latency, concurrent against one-at-a-time.

Target (DESIGN.md §9): the whole run within 3x of one request, because independent checks run concurrently.
Run:  .venv/bin/python bench/bench_checks.py [--latency 0.3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from wizard403.checks import run_checks  # noqa: E402
from wizard403.content import load_content  # noqa: E402
from wizard403.model import Headers, ProbeOptions, Session, Target  # noqa: E402


class SlowHandler(BaseHTTPRequestHandler):
    """Every answer waits `latency` seconds, then refuses with headers that make most probes worth sending."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _any(self):
        time.sleep(self.server.latency)
        with self.server.lock:
            self.server.count += 1
        body = b'{"message": "forbidden"}'
        self.send_response(403)
        for name, value in (("Content-Type", "application/json"), ("Age", "120"), ("X-Cache", "HIT"),
                            ("Cache-Control", "public, max-age=600"), ("X-Request-Id", "bench-1"),
                            ("Content-Length", str(len(body)))):
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_OPTIONS = _any


class SlowServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # a run opens a dozen connections at once


def start_server(latency: float) -> ThreadingHTTPServer:
    server = SlowServer(("127.0.0.1", 0), SlowHandler)
    server.latency = latency
    server.lock = threading.Lock()
    server.count = 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def one_request(url: str) -> float:
    with httpx.Client(timeout=10) as client:
        started = time.perf_counter()
        client.get(url)
        return time.perf_counter() - started


def full_run(url: str, content, concurrency: int | None) -> tuple[float, int]:
    session = Session(Target(
        url=url,
        headers=Headers([("Authorization", "Bearer bench-token-123456"), ("Cookie", "sid=abc")]),
        browser_user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0",
    ))
    options = ProbeOptions(timeout=10, alt_sources=["127.0.0.2"], whoami=url.rsplit("/", 1)[0] + "/me")
    started = time.perf_counter()
    asyncio.run(run_checks(session, options, content, concurrency=concurrency))
    return time.perf_counter() - started, len(session.exchanges)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = start_server(args.latency)
    url = f"http://127.0.0.1:{server.server_address[1]}/reports/q3"
    content = load_content()
    full_run(url, content, None)  # warm-up: imports, the signature catalogue
    single = statistics.median(one_request(url) for _ in range(args.rounds))
    concurrent = [full_run(url, content, None) for _ in range(args.rounds)]
    sequential = [full_run(url, content, 1) for _ in range(args.rounds)]
    c_time = statistics.median(t for t, _ in concurrent)
    s_time = statistics.median(t for t, _ in sequential)
    print(f"server latency           {args.latency * 1000:.0f} ms per response")
    print(f"one request              {single * 1000:.0f} ms")
    print(f"check run, concurrent    {c_time * 1000:.0f} ms, {concurrent[0][1]} requests, ratio {c_time / single:.2f}")
    print(f"check run, sequential    {s_time * 1000:.0f} ms, {sequential[0][1]} requests, ratio {s_time / single:.2f}")
    print(f"target: concurrent ratio <= 3 -> {'met' if c_time / single <= 3 else 'NOT met'}")
    server.shutdown()
    return 0 if c_time / single <= 3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
