"""The lab's catalogue: one scenario per path, each naming the cause a good diagnosis should rank first.

The catalogue is data shared by the server (which path does what), the demo menu, the tests and the screenshots.
`SCENARIOS` are the ordinary refusals; `HOSTILE_SCENARIOS` are refusals whose text is built to trick a careless
reader (markup, terminal escapes, broken bytes, oversized headers), listed under their own heading.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from wizard403.errors import InputError


@dataclass(frozen=True)
class Scenario:
    """One way to be refused, reachable at one path of the lab."""

    id: str
    path: str
    title: str
    description: str
    expected_cause: str
    method: str = "GET"
    # What the user's request carries when they hit the scenario: "token:expired", "token:read-only", "token:valid",
    # "cookie:stale", "form:stale-csrf", "url:expired-signature", or "" for a plain request.
    needs: str = ""
    query: str = ""  # a query string the user's URL carries (without the '?')
    hostile: bool = False  # one of the hostile corner's scenarios (wizard403/lab/hostile.py)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        id="ok",
        path="/ok",
        title="A page that works (the control case)",
        description=(
            "Nothing is wrong here: the page answers 200 for everyone. "
            "Use it to see what a healthy answer looks like before you study the refusals."
        ),
        expected_cause="unknown",
    ),
    Scenario(
        id="expired-token",
        path="/api/reports/expired",
        title="API call with an expired bearer token",
        description=(
            "The caller sends a JSON Web Token whose expiry time has passed. "
            "This API answers 403 instead of the usual 401 and says invalid_token in WWW-Authenticate. "
            "Signing in again, or refreshing the token, fixes it."
        ),
        expected_cause="credentials",
        needs="token:expired",
    ),
    Scenario(
        id="insufficient-scope",
        path="/api/admin/users",
        title="Valid token, but it lacks the admin scope",
        description=(
            "The token is genuine and current, but it was issued for reading reports only. "
            "The admin endpoint names the scope it wants in WWW-Authenticate. "
            "A new token that includes that scope is the only fix; a token never gains scopes later."
        ),
        expected_cause="permissions",
        needs="token:read-only",
    ),
    Scenario(
        id="missing-credentials",
        path="/api/profile",
        title="Django REST API called without credentials",
        description=(
            "The request carries no token and no session at all. "
            "Because this API checks sessions first, it answers 403 rather than 401, "
            "so the real message is 'sign in', not 'you lack a permission'."
        ),
        expected_cause="credentials",
    ),
    Scenario(
        id="ip-allowlist",
        path="/internal/",
        title="nginx IP allowlist (only 127.0.0.2 may enter)",
        description=(
            "An nginx allow/deny rule admits one client address and refuses every other one with its stock page. "
            "The page says nothing about why; only the server's error log does. "
            "Sending the same request from 127.0.0.2 proves that the network location is the problem."
        ),
        expected_cause="ip-block",
    ),
    Scenario(
        id="stale-cookie",
        path="/app/dashboard",
        title="Old session cookie the app no longer accepts",
        description=(
            "The browser still sends a session cookie from an old sign-in, and the app refuses it. "
            "The same page without any cookie works, and so does a fresh sign-in. "
            "Clearing the site's cookies, or a private window, is the cure."
        ),
        expected_cause="stale-session",
        needs="cookie:stale",
    ),
    Scenario(
        id="cached-403",
        path="/cached/report",
        title="A cache keeps serving yesterday's 403",
        description=(
            "The origin refused this report once, and a shared cache stored that answer for a day. "
            "The origin would now say yes, which a request with 'Cache-Control: no-cache' proves. "
            "The owner should purge the cached copy."
        ),
        expected_cause="cached-403",
    ),
    Scenario(
        id="csrf",
        path="/account/email",
        title="Form submitted with a stale CSRF token",
        description=(
            "A Django form was posted from an old tab: the hidden CSRF token no longer matches the cookie. "
            "Django refuses with its 'CSRF verification failed' page. "
            "Reloading the form and submitting again fixes it."
        ),
        expected_cause="csrf",
        method="POST",
        needs="form:stale-csrf",
    ),
    Scenario(
        id="waf",
        path="/search",
        title="Cloudflare firewall rule (Error 1020)",
        description=(
            "A firewall rule at the edge blocks every request to this path before it reaches the site. "
            "The block page carries a Ray ID. "
            "Only the site owner can change the rule, and the Ray ID lets them find the exact event."
        ),
        expected_cause="waf",
    ),
    Scenario(
        id="rate-limit",
        path="/api/search/rate",
        title="GitHub-style rate limit reported as 403",
        description=(
            "The anonymous hourly allowance is used up, and the API says so with 403 and rate-limit headers. "
            "Nothing is wrong with permissions: wait until the reset time, or authenticate to get a larger allowance."
        ),
        expected_cause="rate-limit",
    ),
    Scenario(
        id="directory-listing",
        path="/files/",
        title="nginx directory without an index file",
        description=(
            "The URL names a folder that has no index page, and nginx does not list folders. "
            "Its stock 403 page looks exactly like any other nginx refusal. "
            "Ask for a file inside the folder instead."
        ),
        expected_cause="directory-listing",
    ),
    Scenario(
        id="signed-url",
        path="/lab-bucket/reports/q3.pdf",
        title="Expired S3-style presigned link",
        description=(
            "The download link was signed yesterday and was valid for one hour. "
            "The object store answers 403 with 'Request has expired' in its XML error. "
            "Ask for a fresh link, and check your computer's clock."
        ),
        expected_cause="signed-url",
        needs="url:expired-signature",
    ),
    Scenario(
        id="bot-challenge",
        path="/shop/deals",
        title="Cloudflare browser challenge ('Just a moment...')",
        description=(
            "The edge wants proof that a real browser is visiting and answers scripts with a challenge page. "
            "This is bot management, not an access rule about you. "
            "Open the page in a normal browser, or ask the owner for an API or an exemption for automation."
        ),
        expected_cause="bot-challenge",
    ),
    Scenario(
        id="app-rule",
        path="/api/exports/annual",
        title="Business rule refusal (problem+json, out of credit)",
        description=(
            "The token is valid and has every scope, yet the export is refused: the account has too little credit. "
            "The API explains this in an RFC 9457 problem document. "
            "Read its title and detail; no permission change will help."
        ),
        expected_cause="app-rule",
        needs="token:valid",
    ),
    Scenario(
        id="not-found",
        path="/prod/v1/invoice",
        title="API Gateway 'Missing Authentication Token' for a wrong path",
        description=(
            "The gateway has no route at this path: the real one is /prod/v1/invoices. "
            "API Gateway answers unknown routes with a 403 that mentions a token, which sends people the wrong way. "
            "Check the path, the method and the stage name."
        ),
        expected_cause="not-found",
    ),
    Scenario(
        id="file-permissions",
        path="/static/annual-report.pdf",
        title="nginx cannot read the file (permission denied on disk)",
        description=(
            "The file exists, but the nginx worker may not read it. "
            "The visitor only sees the stock 403 page; the error log says '(13: Permission denied)'. "
            "The server admin fixes the file's owner or mode."
        ),
        expected_cause="file-permissions",
    ),
    Scenario(
        id="client-release",
        path="/api/v2/orders",
        title="API refuses clients that do not send the release header",
        description=(
            "The orders API answers 403 with a problem document unless the request says X-Client-Release: 2. "
            "A colleague's client sends the header and works; compare the two requests to find it."
        ),
        expected_cause="app-rule",
    ),
    Scenario(
        id="browser-only",
        path="/catalog/feed",
        title="Bot policy that admits web browsers only",
        description=(
            "The catalogue refuses any client whose User-Agent is not a web browser's: curl and scripts get 403. "
            "The same address works in a browser; the User-Agent is the difference."
        ),
        expected_cause="bot-challenge",
    ),
)


HOSTILE_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        id="hostile-markup",
        path="/hostile/markup",
        title="Markup and click actions in every header, the reason phrase and the body",
        description=(
            "Every header, the reason phrase and the JSON body hold Textual and Rich markup such as [ @click=app.quit], "
            "[@click=app.screenshot()], [b] and ['a=b']. "
            "A tool that treats server text as markup would crash, or run the action when you click. "
            "The wizard must show the brackets exactly as sent."
        ),
        expected_cause="permissions",
        hostile=True,
    ),
    Scenario(
        id="hostile-escapes",
        path="/hostile/escapes",
        title="Terminal escape sequences, C1 controls and a right-to-left override",
        description=(
            "Headers, the reason phrase and the page carry escape sequences that would set your terminal's title, "
            "write your clipboard, clear the screen and turn the text red, plus C1 controls and U+202E. "
            "The wizard must show them as visible symbols, on screen, on stderr and in the Markdown report."
        ),
        expected_cause="credentials",
        hostile=True,
    ),
    Scenario(
        id="hostile-bytes",
        path="/hostile/bytes",
        title="Bytes that are not UTF-8, and a Latin-1 reason phrase",
        description=(
            "The reason phrase 'Accès refusé' is sent in Latin-1, some headers hold bytes that are not UTF-8, "
            "and the page says it is UTF-8 but is not. "
            "The wizard must keep the Latin-1 letters and show broken bytes as replacement characters, never crash."
        ),
        expected_cause="unknown",
        hostile=True,
    ),
    Scenario(
        id="hostile-headers",
        path="/hostile/headers",
        title="A 16 KB header and 200 headers",
        description=(
            "The refusal carries one header of 16 KB and 200 further headers. "
            "The wizard must read them all, keep its screens responsive and its reports complete."
        ),
        expected_cause="unknown",
        hostile=True,
    ),
    Scenario(
        id="hostile-nested-json",
        path="/hostile/nested-json",
        title="An error document nested 5,000 levels deep",
        description=(
            "The JSON body nests objects 5,000 levels deep, which makes a recursive parser give up. "
            "The wizard must treat it as an unreadable document and carry on with the rest of the evidence."
        ),
        expected_cause="unknown",
        hostile=True,
    ),
    Scenario(
        id="hostile-query",
        path="/hostile/search",
        title="Markup in brackets in the query string",
        description=(
            "The URL's query string holds [@click=app.quit], tags[]=['a=b'] and [b]x[/b], and the answer echoes it. "
            "The URL is shown, saved in the recent list and autosaved like any other, so it must stay plain text."
        ),
        expected_cause="unknown",
        query="q=[@click=app.quit]&tags[]=['a=b']&f=[b]x[/b]",
        hostile=True,
    ),
    Scenario(
        id="hostile-realm",
        path="/hostile/realm",
        title="WWW-Authenticate challenges with quotes, commas and '=' inside",
        description=(
            "Four challenges arrive, whose quoted realms and descriptions hold escaped quotes, commas and equals "
            "signs, and one quote never closes. "
            "The wizard must read the insufficient_scope error without splitting a quoted string apart."
        ),
        expected_cause="permissions",
        hostile=True,
    ),
    Scenario(
        id="hostile-markdown",
        path="/hostile/markdown",
        title="Markdown and HTML in a block page (headings, links, a script, a table breaker)",
        description=(
            "The block page's title and text are Markdown and HTML: headings, links, an image, <script>, "
            "a | that would break a table, and runs of backticks. "
            "The Markdown report must quote them in code, so that a ticket shows them and never obeys them."
        ),
        expected_cause="unknown",
        hostile=True,
    ),
    Scenario(
        id="hostile-bare-status",
        path="/hostile/bare-status",
        title="HTTP/1.0 403 without a reason phrase",
        description=(
            "An embedded server answers with the bare status line 'HTTP/1.0 403' and no reason phrase. "
            "The wizard must show '403' alone, never '403 :' with a dangling separator."
        ),
        expected_cause="unknown",
        hostile=True,
    ),
)

ALL_SCENARIOS: tuple[Scenario, ...] = SCENARIOS + HOSTILE_SCENARIOS


def scenario(id_or_path: str) -> Scenario:
    """The scenario with this id, or at this path (a full lab URL works too); hostile ones included."""
    from wizard403.lab.echo import ECHO_SCENARIOS  # servers that quote credentials back (not in the menu)

    wanted = (id_or_path or "").strip()
    for item in ALL_SCENARIOS + ECHO_SCENARIOS:
        if wanted == item.id:
            return item
    path = urlsplit(wanted).path if "://" in wanted else wanted.split("?", 1)[0]
    for item in ALL_SCENARIOS + ECHO_SCENARIOS:
        if path and path == item.path:
            return item
    choices = ", ".join(item.id for item in ALL_SCENARIOS)
    raise InputError(f"unknown lab scenario '{id_or_path}'; choose one of: {choices}")
