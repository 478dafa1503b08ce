"""The only place that creates HTTP clients: routes, timeouts, body cap, redirects, budget and conduct.

DESIGN.md §6 is enforced here, so no check can break it: a request budget per run, safe methods unless the user
allowed replaying unsafe ones, no client-IP spoofing headers ever, credentials never sent to another origin or
downgraded to plain HTTP on a redirect, bodies read up to a cap, and one deadline per exchange (a server that
trickles a byte a second cannot hold the run). Every request sent is recorded as an Exchange on the session.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from wizard403.model import CREDENTIAL_HEADERS, SAFE_METHODS, Exchange, Headers, ProbeOptions, Session

# Headers that claim a client address or rewrite the path: sending one would be spoofing (DESIGN.md §6).
FORBIDDEN_HEADERS = frozenset(
    {
        "x-forwarded-for",
        "x-forwarded-host",
        "x-real-ip",
        "x-originating-ip",
        "x-original-url",
        "x-rewrite-url",
        "x-custom-ip-authorization",
        "forwarded",
        "true-client-ip",
        "cf-connecting-ip",
        "x-client-ip",
        "x-remote-ip",
        "x-remote-addr",
        "x-host",
        "x-cluster-client-ip",
        "fastly-client-ip",
    }
)
MAX_REDIRECTS = 8
DEFAULT_USER_AGENT = "wizard403 (403 troubleshooting; https://github.com/wizard403)"


class BudgetSpent(Exception):
    """The run's request budget is used up; the check that asked is recorded as skipped."""


class UnsafeMethod(Exception):
    """An unsafe method was asked for without --replay-unsafe."""


class _RedirectLoop(Exception):
    def __str__(self) -> str:
        return "redirect loop"


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    """Nothing is stored or replayed from responses: cookies are only ever the ones the user gave."""

    def set_ok(self, cookie, request):  # noqa: D102
        return False

    def return_ok(self, cookie, request):  # noqa: D102
        return False


@dataclass(frozen=True)
class Route:
    """A way to reach the target: the normal one, or an alternate route the user really has."""

    name: str  # "normal", "alt-proxy <url>", "alt-source <ip>", ...
    proxy: str | None = None
    local_address: str | None = None
    trust_env: bool = True

    @property
    def is_alternate(self) -> bool:
        return self.name != "normal"


def routes_for(options: ProbeOptions) -> tuple[Route, list[Route]]:
    """The normal route and the alternate routes the user gave (--alt-proxy, --alt-source)."""
    normal = Route("normal", proxy=options.proxy, trust_env=options.proxy is None)
    alternates = [Route(f"alt-proxy {p}", proxy=p, trust_env=False) for p in options.alt_proxies]
    alternates += [Route(f"alt-source {ip}", local_address=ip, trust_env=False) for ip in options.alt_sources]
    return normal, alternates


def classify_error(err: BaseException) -> tuple[str, str]:
    """(kind, one sentence) for a failed exchange; kinds: dns, connect, tls, timeout, redirect-loop, protocol, other."""
    chain: list[BaseException] = []
    cur: BaseException | None = err
    while cur is not None and len(chain) < 8:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    text = " ".join(str(e) for e in chain).lower()
    if isinstance(err, _RedirectLoop):
        return "redirect-loop", f"the server redirects in a loop (more than {MAX_REDIRECTS} hops or back to a URL already seen)"
    if isinstance(err, (asyncio.TimeoutError, TimeoutError, httpx.TimeoutException)):
        return "timeout", "the server did not answer in time"
    if any(isinstance(e, ssl.SSLError) for e in chain) or "certificate" in text or "ssl" in text or "tls" in text:
        detail = "the certificate is not trusted" if "certificate" in text else "the TLS handshake failed"
        return "tls", f"{detail} (use --insecure only if you know why)"
    if "name or service not known" in text or "nodename nor servname" in text or "getaddrinfo" in text or "no address associated" in text or "temporary failure in name resolution" in text:
        return "dns", "the host name could not be resolved (DNS)"
    if isinstance(err, httpx.ProxyError):
        return "connect", f"the proxy refused or failed: {err}"
    if isinstance(err, httpx.ConnectError) or "connection refused" in text:
        return "connect", "the connection was refused or could not be made"
    if isinstance(err, httpx.RemoteProtocolError):
        return "protocol", "the server broke the HTTP protocol or closed the connection"
    if isinstance(err, httpx.UnsupportedProtocol):
        return "other", "the URL scheme is not supported (use http or https)"
    return "other", str(err) or type(err).__name__


class Prober:
    """Sends the run's requests: one pooled client per route, budget and conduct enforced, every exchange recorded."""

    def __init__(self, session: Session, options: ProbeOptions):
        self.session = session
        self.options = options
        self.sent = 0
        self._clients: dict[Route, httpx.AsyncClient] = {}
        self._lock = asyncio.Lock()
        self.normal, self.alternates = routes_for(options)

    @property
    def remaining(self) -> int:
        return max(0, self.options.budget - self.sent)

    def _client(self, route: Route) -> httpx.AsyncClient:
        client = self._clients.get(route)
        if client is None:
            transport = None
            if route.local_address:
                transport = httpx.AsyncHTTPTransport(local_address=route.local_address, verify=not self.options.insecure)
            client = httpx.AsyncClient(
                proxy=route.proxy,
                transport=transport,
                trust_env=route.trust_env,
                verify=not self.options.insecure,
                timeout=httpx.Timeout(self.options.timeout),
                follow_redirects=False,
                headers={"User-Agent": DEFAULT_USER_AGENT},
            )
            client.cookies.jar.set_policy(_NoCookies())
            self._clients[route] = client
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def send(
        self,
        check: str,
        *,
        method: str | None = None,
        url: str | None = None,
        headers: Headers | None = None,
        body: bytes | None = None,
        route: Route | None = None,
        follow: bool = True,
        extensions: dict | None = None,
    ) -> Exchange:
        """One request (and its redirects), recorded as one Exchange; raises BudgetSpent or UnsafeMethod."""
        target = self.session.target
        method = (method or target.method).upper()
        url = url or target.url
        headers = Headers(target.headers if headers is None else headers)
        body = target.body if body is None and method == target.method else body
        route = route or self.normal
        if method not in SAFE_METHODS and not self.options.replay_unsafe:
            raise UnsafeMethod(f"{method} is not replayed without --replay-unsafe")
        headers = headers.without(*FORBIDDEN_HEADERS)
        async with self._lock:
            if self.sent >= self.options.budget:
                raise BudgetSpent(f"the request budget of {self.options.budget} is spent")
            self.sent += 1
        exchange = Exchange(check=check, method=method, url=url, route=route.name, request_headers=headers)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.options.timeout * 1.5):
                await self._exchange(exchange, route, method, url, headers, body, follow, extensions)
        except BaseException as err:  # noqa: BLE001 - every failure becomes a recorded, explained exchange
            if isinstance(err, asyncio.CancelledError) and asyncio.current_task().cancelling():
                raise
            exchange.error_kind, exchange.error = classify_error(err)
        exchange.elapsed_ms = int((time.perf_counter() - started) * 1000)
        self.session.exchanges.append(exchange)
        return exchange

    async def _exchange(self, exchange, route, method, url, headers, body, follow, extensions) -> None:
        client = self._client(route)
        origin = _origin(url)
        seen = {url}
        for _hop in range(MAX_REDIRECTS + 1):
            request = client.build_request(method, url, headers=list(headers), content=body, extensions=extensions or {})
            response = await client.send(request, stream=True)
            try:
                chunks, size, truncated = [], 0, False
                async for chunk in response.aiter_raw():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size >= self.options.body_cap:
                        truncated = True
                        break
                raw = b"".join(chunks)[: self.options.body_cap]
            finally:
                await response.aclose()
            exchange.status = response.status_code
            exchange.reason = response.reason_phrase
            exchange.http_version = response.http_version
            exchange.response_headers = Headers(response.headers.multi_items())
            exchange.body = _decode_body(raw, response.headers.get("content-encoding", ""))
            exchange.body_truncated = truncated
            location = response.headers.get("location")
            if not (follow and response.is_redirect and location):
                return
            next_url = urljoin(url, location)
            if next_url in seen:
                exchange.redirects.append(url)
                raise _RedirectLoop()
            exchange.redirects.append(url)
            seen.add(next_url)
            if _origin(next_url) != origin or (urlsplit(url).scheme == "https" and urlsplit(next_url).scheme != "https"):
                headers = headers.without(*CREDENTIAL_HEADERS)  # never forward credentials to another origin
            if response.status_code in (301, 302, 303) and method not in ("GET", "HEAD"):
                method, body = "GET", None
            url = next_url
            exchange.url = url
        raise _RedirectLoop()

    async def __aenter__(self) -> Prober:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _decode_body(raw: bytes, encoding: str) -> bytes:
    """Undo gzip/deflate/br as far as the cap allows; a body that does not decode is kept as sent."""
    encoding = encoding.lower().strip()
    if not raw or not encoding or encoding == "identity":
        return raw
    try:
        if encoding == "gzip":
            import zlib

            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, 4 * 1024 * 1024)
        if encoding == "deflate":
            import zlib

            return zlib.decompressobj().decompress(raw, 4 * 1024 * 1024)
    except Exception:  # noqa: BLE001
        return raw
    return raw
