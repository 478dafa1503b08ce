"""Which handler answers which path, and the method rules every path shares (OPTIONS, HEAD, 405).

A route may have a guard: a layer that refuses before the application sees the request (an edge firewall, an
nginx IP rule). Guards answer every method, OPTIONS included, exactly as such layers do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wizard403.lab import app, echo, hostile, pairs, producers
from wizard403.lab.exchange import LabRequest, LabResponse, LabState
from wizard403.lab.pages import app_page, json_body

Handler = Callable[[LabRequest, LabState], LabResponse]
Guard = Callable[[LabRequest, LabState], "LabResponse | None"]

READ = ("GET", "HEAD")
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    path: str
    handler: Handler
    methods: tuple[str, ...] = READ
    prefix: bool = False  # match `path` and everything below it
    guard: Guard | None = None
    style: str = "html"  # how a 405 looks here: html | json | nginx | s3

    def matches(self, path: str) -> bool:
        if self.prefix:
            return path == self.path.rstrip("/") or path.startswith(self.path)
        return path == self.path


ROUTES: tuple[Route, ...] = (
    Route("/", app.index),
    Route("/ok", app.ok),
    Route("/login", app.login),
    Route("/whoami", app.whoami, style="json"),
    Route("/api/reports/expired", app.reports_api, style="json"),
    Route("/api/admin/users", app.admin_users_api, style="json"),
    Route("/api/profile", app.drf_profile, style="json"),
    Route("/api/exports/annual", app.exports_api, style="json"),
    Route("/api/search/rate", producers.github_rate_limited, style="json"),
    Route("/internal/", producers.nginx_static, prefix=True, guard=producers.nginx_ip_rule, style="nginx"),
    Route("/files/", producers.nginx_static, prefix=True, style="nginx"),
    Route("/static/", producers.nginx_static, prefix=True, style="nginx"),
    Route("/app/dashboard", app.dashboard),
    Route("/cached/report", app.cached_report),
    Route("/account/email", app.account_email, methods=("GET", "HEAD", "POST")),
    # Edge rules: they refuse every request below their path, so the handler behind them is never reached.
    Route("/search/", app.not_found, prefix=True, guard=producers.cloudflare_waf_block),
    Route("/shop/", app.not_found, prefix=True, guard=producers.cloudflare_challenge),
    Route("/lab-bucket/", producers.s3_object, prefix=True, style="s3"),
    Route("/prod/", producers.api_gateway, prefix=True, methods=ALL_METHODS, style="json"),
    # The hostile corner: refusals whose text is built to trick a careless reader.
    Route("/hostile/markup", hostile.markup, style="json"),
    Route("/hostile/escapes", hostile.escapes),
    Route("/hostile/bytes", hostile.bytes_),
    Route("/hostile/headers", hostile.huge_headers),
    Route("/hostile/nested-json", hostile.nested_json, style="json"),
    Route("/hostile/search", hostile.bracketed_query, style="json"),
    Route("/hostile/realm", hostile.realm_challenges, style="json"),
    Route("/hostile/markdown", hostile.markdown_page),
    Route("/hostile/bare-status", hostile.bare_status),
    Route("/api/v2/orders", pairs.versioned_orders, style="json"),
    Route("/catalog/feed", pairs.browser_only_catalog),
    *(Route(path, handler, methods=ALL_METHODS, prefix=True, style="json") for path, handler in echo.HANDLERS.items()),
)


def find_route(path: str) -> Route | None:
    return next((route for route in ROUTES if route.matches(path)), None)


def _allow(methods: tuple[str, ...]) -> str:
    return ", ".join(methods + ("OPTIONS",))


def _not_allowed(route: Route, request: LabRequest, state: LabState) -> LabResponse:
    allow = ("Allow", _allow(route.methods))
    if route.style == "nginx":
        response = producers.nginx_error(405, request)
        response.headers.append(allow)
        return response
    if route.style == "s3":
        message = "The specified method is not allowed against this resource."
        response = producers.s3_error(405, "MethodNotAllowed", message)
        response.headers.append(allow)
        return response
    if route.style == "json":
        body = json_body({"detail": f'Method "{request.method}" not allowed.'})
        return LabResponse(405, body, "application/json", [allow])
    page = app_page("405 Method Not Allowed", "Method not allowed", f"This page does not accept {request.method}.")
    return LabResponse(405, page, headers=[allow])


def dispatch(request: LabRequest, state: LabState) -> LabResponse:
    """The answer to one request: guard first, then OPTIONS and method rules, then the handler."""
    if request.target == "*" and request.method == "OPTIONS":
        return LabResponse(204, content_type="", headers=[("Allow", _allow(ALL_METHODS))])
    route = find_route(request.path)
    if route is None:
        if request.method == "OPTIONS":
            return LabResponse(204, content_type="", headers=[("Allow", _allow(READ))])
        if request.method not in READ:
            return _not_allowed(Route(request.path, app.not_found), request, state)
        return app.not_found(request, state)
    if route.guard is not None:
        refusal = route.guard(request, state)
        if refusal is not None:
            return refusal
    if request.method == "OPTIONS":
        return LabResponse(204, content_type="", headers=[("Allow", _allow(route.methods))])
    if request.method not in route.methods:
        return _not_allowed(route, request, state)
    return route.handler(request, state)
