"""Lab pages for `compare`: refusals that one detail of the request decides, so a working request differs in it.

Each answers 200 when the request has what the page needs and 403 otherwise: a required client-release header, and a
User-Agent policy that admits browsers only. Together with the token-scope, stale-cookie and IP-allowlist scenarios
they let the tests prove that `compare --live` finds the one difference that matters among many that do not.
"""

from __future__ import annotations

import re

from wizard403.lab.exchange import LabRequest, LabResponse, LabState
from wizard403.lab.pages import app_page, json_body

RELEASE_HEADER = "X-Client-Release"
RELEASE = "2"
BROWSER_RE = re.compile(r"^Mozilla/5\.0 \(.*\) .*(Chrome|Firefox|Safari)/", re.I)


def versioned_orders(request: LabRequest, state: LabState) -> LabResponse:
    """An API whose middleware refuses clients that do not say they are of the current release (RFC 9457)."""
    if request.headers.get(RELEASE_HEADER) == RELEASE:
        return LabResponse(200, json_body({"orders": [{"id": 1, "total": "12.50"}]}), "application/json")
    problem = {
        "type": "https://lab.example/problems/client-release-required",
        "title": "Client release header required",
        "status": 403,
        "detail": f"Orders are served only to clients that send {RELEASE_HEADER}: {RELEASE}; "
                  "clients of the first release are no longer accepted.",
    }
    return LabResponse(403, json_body(problem), "application/problem+json")


def browser_only_catalog(request: LabRequest, state: LabState) -> LabResponse:
    """A site whose bot policy refuses anything that does not present itself as a web browser."""
    if BROWSER_RE.search(request.headers.get("user-agent") or ""):
        return LabResponse(200, app_page("Catalogue", "Catalogue", "Autumn prices are in."))
    page = app_page(
        "Access denied: automated client",
        "Automated access is not allowed",
        "Our bot policy allows web browsers only. Requests from scripts, crawlers and command-line tools are "
        "blocked; if you believe you are a human, open this page in a browser.",
    )
    return LabResponse(403, page, headers=[("Cache-Control", "no-store")])
