"""The only place that creates HTTP clients: routes, timeouts, body cap, redirects, budget and conduct.

DESIGN.md §6 is enforced here, so no check can break it: a request budget per run (shared out per check), safe
methods unless the user allowed replaying unsafe ones, no client-IP spoofing headers ever, credentials never sent to
another origin or downgraded to plain HTTP on a redirect, bodies read up to a cap, and one deadline per exchange (a
server that trickles a byte a second cannot hold the run). Every request sent is recorded as an Exchange on the
session, redirect hops included.
"""

from __future__ import annotations

import base64
import importlib
import ipaddress
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from wizard403.model import CREDENTIAL_HEADERS, SAFE_METHODS, Exchange, Headers, ProbeOptions, Session
from wizard403.redact import is_secret_header, redact_url
from wizard403.textsafe import decode_line



class _OnFirstUse:
    """A module imported when it is first used: an offline run (`check --har`) sends nothing, so it never pays for
    importing httpx, asyncio, ssl or socket (together about a third of its start-up)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        module = importlib.import_module(self._name)
        globals()[self._name] = module
        return getattr(module, attr)


asyncio = _OnFirstUse("asyncio")
httpx = _OnFirstUse("httpx")
socket = _OnFirstUse("socket")
ssl = _OnFirstUse("ssl")

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
MAX_ADDRESS_ROUTES = 4
DEFAULT_USER_AGENT = "wizard403 (403 troubleshooting; https://github.com/wizard403)"


class BudgetSpent(Exception):
    """The run's request budget (or this check's share of it) is used up; the check is recorded as skipped."""


# The checks allowed to repeat an unsafe method when the user passed --replay-unsafe (each repeat may change data).
UNSAFE_REPLAY_CHECKS = frozenset({"baseline", "anonymous-retry", "alt-route", "compare"})


class UnsafeMethod(Exception):
    """An unsafe method was asked for without --replay-unsafe."""


class _RedirectLoop(Exception):
    def __str__(self) -> str:
        return "redirect loop"


def _no_cookies():
    """A cookie policy under which nothing is stored or replayed from responses: cookies are only ever the ones
    the user gave. (Made when a client is: the cookie machinery is not imported by offline runs.)"""
    import http.cookiejar

    class _NoCookies(http.cookiejar.DefaultCookiePolicy):
        def set_ok(self, cookie, request):  # noqa: D102
            return False

        def return_ok(self, cookie, request):  # noqa: D102
            return False

    return _NoCookies()


@dataclass(frozen=True)
class Route:
    """A way to reach the target: the normal one, or an alternate route the user really has."""

    name: str  # "normal", "alt-proxy <url>", "alt-source <ip>", "address <ip> (IPv6)"; never holds a secret
    proxy: str | None = None
    local_address: str | None = None
    trust_env: bool = True
    # Connect to this published address of the host instead of resolving it; Host header and TLS SNI are kept.
    connect_ip: str | None = None

    @property
    def is_alternate(self) -> bool:
        return self.name != "normal"


def routes_for(options: ProbeOptions) -> tuple[Route, list[Route]]:
    """The normal route and the alternate routes the user gave (--alt-proxy, --alt-source)."""
    normal = Route("normal", proxy=options.proxy, trust_env=options.proxy is None)
    alternates = [Route(f"alt-proxy {redact_url(p)}", proxy=p, trust_env=False) for p in options.alt_proxies]
    alternates += [Route(f"alt-source {ip}", local_address=ip, trust_env=False) for ip in options.alt_sources]
    return normal, alternates


def address_routes(addresses: list[str]) -> list[Route]:
    """One direct route per published address of the host (only worth it when there are two or more)."""
    if len(addresses) < 2:
        return []
    return [Route(f"address {ip} ({family_of(ip)})", trust_env=False, connect_ip=ip) for ip in addresses]


def family_of(ip: str) -> str:
    return "IPv6" if ":" in ip else "IPv4"


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def normal_route_uses_proxy(options: ProbeOptions, url: str) -> bool:
    """True when the normal route goes through a proxy (--proxy, or a proxy environment variable for this URL)."""
    import urllib.request

    if options.proxy:
        return True
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    try:
        return not urllib.request.proxy_bypass(parts.hostname or "")
    except OSError:
        return True


async def published_addresses(url: str, timeout: float) -> list[str]:
    """The distinct addresses the target's host name resolves to, both families interleaved, at most a few.

    Empty when the host is an IP literal or cannot be resolved in time: then there is nothing to compare.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or is_ip_literal(host):
        return []
    port = parts.port or (443 if parts.scheme == "https" else 80)
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError):
        return []
    v4: list[str] = []
    v6: list[str] = []
    for family, *_rest, sockaddr in infos:
        ip = str(sockaddr[0])
        bucket = v6 if family == socket.AF_INET6 else v4
        if ip not in bucket:
            bucket.append(ip)
    ordered: list[str] = []
    for pair in zip(v4, v6):
        ordered.extend(pair)
    ordered += v4[len(v6):] + v6[len(v4):]
    return ordered[:MAX_ADDRESS_ROUTES]


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
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
        phrase in text
        for phrase in (
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo",
            "no address associated",
            "temporary failure in name resolution",
        )
    ):
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


@dataclass
class _Progress:
    """How far one exchange got, so a deadline in the middle of a body keeps what already arrived."""

    reading_body: bool = False
    chunks: list[bytes] = field(default_factory=list)
    encoding: str = ""


class Prober:
    """Sends the run's requests: one pooled client per route, budget and conduct enforced, every exchange recorded.

    The runner grants each check a number of requests (`grant`); a check cannot send more than its grant, so which
    checks get their requests never depends on timing.
    """

    def __init__(self, session: Session, options: ProbeOptions):
        self.session = session
        self.options = options
        self.sent = 0
        self.granted: dict[str, int] = {}
        self.used: dict[str, int] = {}
        self._clients: dict[Route, httpx.AsyncClient] = {}
        self._tls: ssl.SSLContext | None = None
        self._lock = asyncio.Lock()
        self.normal, self.alternates = routes_for(options)
        self.addresses: list[str] = []  # published addresses of the target's host, filled by the runner

    @property
    def remaining(self) -> int:
        return max(0, self.options.budget - self.sent)

    def grant(self, check: str, count: int) -> None:
        self.granted[check] = count

    def _verify(self) -> ssl.SSLContext | bool:
        """One TLS context for the whole run (building one per client costs tens of milliseconds)."""
        if self.options.insecure:
            return False
        if self._tls is None:
            self._tls = httpx.create_ssl_context()
        return self._tls

    def _new_client(self, route: Route) -> httpx.AsyncClient:
        transport = None
        verify = self._verify()
        if route.local_address:
            transport = httpx.AsyncHTTPTransport(local_address=route.local_address, verify=verify)
        client = httpx.AsyncClient(
            proxy=route.proxy,
            transport=transport,
            trust_env=route.trust_env,
            verify=verify,
            timeout=httpx.Timeout(self.options.timeout),
            follow_redirects=False,
            headers={"User-Agent": DEFAULT_USER_AGENT},
        )
        client.cookies.jar.set_policy(_no_cookies())
        return client

    def _client(self, route: Route) -> httpx.AsyncClient:
        client = self._clients.get(route)
        if client is None:
            client = self._clients[route] = self._new_client(route)
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
        fresh: bool = False,
    ) -> Exchange:
        """One request (and its redirects), recorded as one Exchange; raises BudgetSpent or UnsafeMethod.

        `fresh=True` uses a brand-new client (no pooled connection, empty cookie jar) and closes it afterwards.
        """
        target = self.session.target
        method = (method or target.method).upper()
        url = url or target.url
        headers = Headers(target.headers if headers is None else headers)
        body = target.body if body is None and method == target.method else body
        route = route or self.normal
        if method not in SAFE_METHODS and not self.options.replay_unsafe:
            raise UnsafeMethod(f"{method} is not replayed without --replay-unsafe")
        if method not in SAFE_METHODS and check not in UNSAFE_REPLAY_CHECKS:
            # even with --replay-unsafe, only the few most telling comparisons may repeat a data-changing request
            raise UnsafeMethod(f"{method} is replayed only by the baseline, the signed-out retry and the alternate route")
        headers = headers.without(*FORBIDDEN_HEADERS)
        url, headers = userinfo_as_header(url, headers)
        async with self._lock:
            if self.sent >= self.options.budget:
                raise BudgetSpent(f"the limit of {self.options.budget} requests per run is reached")
            if self.granted and self.used.get(check, 0) >= self.granted.get(check, 0):
                raise BudgetSpent(f"this check's share of the {self.options.budget} requests per run is used up")
            self.sent += 1
            self.used[check] = self.used.get(check, 0) + 1
        exchange = Exchange(check=check, method=method, url=url, route=route.name, request_headers=headers)
        progress = _Progress()
        started = time.perf_counter()
        client = self._new_client(route) if fresh else self._client(route)
        try:
            async with asyncio.timeout(self.options.timeout * 1.5):
                await self._exchange(client, exchange, progress, route, method, url, headers, body, follow, extensions)
        except BaseException as err:  # noqa: BLE001 - every failure becomes a recorded, explained exchange
            if isinstance(err, asyncio.CancelledError) and asyncio.current_task().cancelling():
                raise
            if progress.reading_body and exchange.status is not None and isinstance(err, (TimeoutError, httpx.TimeoutException)):
                # The answer arrived, its body did not finish in time: keep what came, say it was cut.
                exchange.body = _decode_body(b"".join(progress.chunks), progress.encoding, self.options.body_cap)
                exchange.body_truncated = True
                exchange.error = None
            else:
                exchange.status, exchange.reason = None, ""  # no final answer (a loop's last hop is not one)
                exchange.error_kind, exchange.error = classify_error(err)
        finally:
            if fresh:
                await client.aclose()
        exchange.elapsed_ms = int((time.perf_counter() - started) * 1000)
        self.session.exchanges.append(exchange)
        return exchange

    async def _exchange(self, client, exchange, progress, route, method, url, headers, body, follow, extensions) -> None:
        origin = _origin(url)
        seen = {url}
        for _hop in range(MAX_REDIRECTS + 1):
            progress.reading_body, progress.chunks = False, []
            exchange.status = None
            send_url, send_headers, send_ext = url, headers, dict(extensions or {})
            if route.connect_ip and _origin(url) == origin:
                send_url, send_headers, send_ext = _pinned(url, headers, send_ext, route.connect_ip)
            request = client.build_request(method, send_url, headers=list(send_headers), content=body, extensions=send_ext)
            response = await client.send(request, stream=True)
            try:
                exchange.status = response.status_code
                exchange.reason = _reason(response)
                exchange.http_version = response.http_version
                exchange.local_address, exchange.remote_address = _addresses(response)
                exchange.response_headers = _response_headers(response)
                progress.encoding = response.headers.get("content-encoding", "")
                progress.reading_body = True
                size, truncated = 0, False
                if method != "HEAD":
                    async for chunk in response.aiter_raw():
                        progress.chunks.append(chunk)
                        size += len(chunk)
                        if size >= self.options.body_cap:
                            truncated = True
                            break
                progress.reading_body = False
                raw = b"".join(progress.chunks)[: self.options.body_cap]
            finally:
                await response.aclose()
            exchange.body = _decode_body(raw, progress.encoding, self.options.body_cap)
            exchange.body_truncated = truncated
            location = response.headers.get("location")
            if not (follow and response.is_redirect and location):
                return
            next_url = urljoin(url, location)
            exchange.redirects.append(url)
            if next_url in seen:
                raise _RedirectLoop()
            seen.add(next_url)
            if _origin(next_url) != _origin(url) or (urlsplit(url).scheme == "https" and urlsplit(next_url).scheme != "https"):
                # Never forward credentials to another origin, nor over plain HTTP after HTTPS.
                headers = Headers((k, v) for k, v in headers if k.lower() not in CREDENTIAL_HEADERS and not is_secret_header(k))
                origin = None  # a pinned address belongs to the first origin only
            if response.status_code in (301, 302, 303) and method not in ("GET", "HEAD"):
                method, body = "GET", None
            url = next_url
            exchange.url = url
        raise _RedirectLoop()

    async def __aenter__(self) -> Prober:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()


def userinfo_as_header(url: str, headers: Headers) -> tuple[str, Headers]:
    """A URL's user:password sent the way curl sends it (a Basic header), unless an Authorization header is given,
    which then wins; either way the URL goes out without it, so what is recorded is what was sent."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, headers
    userinfo, _, hostport = parts.netloc.rpartition("@")
    clean = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    if not headers.has("authorization"):
        user, _, password = userinfo.partition(":")
        basic = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
        headers = Headers(headers) + [("Authorization", f"Basic {basic}")]
        headers = Headers(headers)
    return clean, headers


def _pinned(url: str, headers: Headers, extensions: dict, ip: str) -> tuple[str, Headers, dict]:
    """The URL rewritten to connect to `ip`, with the original Host header and TLS server name kept."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{ip}]" if ":" in ip else ip
    if parts.port:
        netloc += f":{parts.port}"
    host_header = parts.netloc.rsplit("@", 1)[-1]
    if not headers.has("host"):
        headers = Headers(headers) + Headers([("Host", host_header)])
    if parts.scheme == "https":
        extensions = {**extensions, "sni_hostname": host}
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)), Headers(headers), extensions


def _reason(response: httpx.Response) -> str:
    """The reason phrase as sent: httpx decodes it as ASCII and drops other bytes ('Accès' became 'Accs')."""
    raw = response.extensions.get("reason_phrase")
    return decode_line(raw) if isinstance(raw, bytes) else response.reason_phrase


def _response_headers(response: httpx.Response) -> Headers:
    """Each header decoded on its own (UTF-8, else Latin-1), names lower-cased.

    httpx picks one charset for all headers together, so a single Latin-1 header turned every UTF-8 one into
    mojibake."""
    return Headers((decode_line(name).lower(), decode_line(value)) for name, value in response.headers.raw)


def _addresses(response: httpx.Response) -> tuple[str, str]:
    """(this machine's address, the peer's address) of the connection that carried the response, as 'ip:port'.

    Admins match the refusal against their logs by client address; behind NAT the address the server saw may
    differ, which the report says. With a proxy, the peer is the proxy."""
    stream = response.extensions.get("network_stream")
    if stream is None:
        return "", ""

    def fmt(addr) -> str:
        if isinstance(addr, tuple) and len(addr) >= 2:
            host = str(addr[0])
            return f"[{host}]:{addr[1]}" if ":" in host else f"{host}:{addr[1]}"
        return ""

    try:
        return fmt(stream.get_extra_info("client_addr")), fmt(stream.get_extra_info("server_addr"))
    except Exception:  # noqa: BLE001 - an address we cannot read is simply not shown
        return "", ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    except ValueError:
        port = 0
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def same_origin(a: str, b: str) -> bool:
    return _origin(a) == _origin(b)


def _decode_body(raw: bytes, encoding: str, cap: int) -> bytes:
    """Undo gzip/deflate as far as the cap allows; a body that does not decode is kept as sent."""
    encoding = encoding.lower().strip()
    if not raw or not encoding or encoding == "identity":
        return raw
    try:
        if encoding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, cap)
        if encoding == "deflate":
            return zlib.decompressobj().decompress(raw, cap)
    except zlib.error:
        return raw
    return raw
