"""The one model of a troubleshooting session, shared by the checks, the diagnosis, the reports and the TUI.

Objects here hold secrets in memory exactly as the user gave them (a token must be sent to be tested).
Nothing here writes anything: every writer goes through `wizard403.report.tree`, which redacts.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from wizard403 import __version__

SCHEMA = "wizard403/1"
TOOL = f"wizard403 {__version__}"

STEPS = (1, 2, 3, 4, 5, 6)
CHECK_STATUSES = ("pass", "fail", "warn", "info", "skipped", "error")
LIKELIHOODS = ("high", "medium", "low")
EFFORTS = ("easy", "medium", "hard")
WHO = ("you", "admin", "site-owner", "network-team", "developer")
LAYERS = ("client", "network", "edge", "server", "application", "identity")
SOURCES = ("cli", "curl", "har", "response", "session")
ANSWERS = ("yes", "no", "not-sure")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

CAUSE_IDS = (
    "permissions",
    "credentials",
    "ip-block",
    "waf",
    "bot-challenge",
    "rate-limit",
    "csrf",
    "signed-url",
    "app-rule",
    "directory-listing",
    "file-permissions",
    "stale-session",
    "cached-403",
    "not-found",
    "client-network",
    "config",
    "unknown",
)

# Headers that carry the user's identity to the target. Removing them is "the request without credentials".
CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
        "private-token",
        "x-csrf-token",
        "x-xsrf-token",
        "x-csrftoken",
        "ocp-apim-subscription-key",
        "x-goog-api-key",
        "x-amz-security-token",
    }
)


def utcnow() -> _dt.datetime:
    """The current time in UTC, without microseconds (reports are read by people)."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


def http_date(value: str | None) -> _dt.datetime | None:
    """An HTTP date (a Date, Expires or Set-Cookie expiry) as an aware datetime, UTC where it names no zone; None
    when absent or unreadable. email.utils (with socket, ~4 ms) is imported only when a date is read."""
    if not value:
        return None
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc)


class Headers(list):
    """An ordered list of (name, value) pairs; names compare case-insensitively, repeats are kept."""

    def __init__(self, items: Any = ()):
        if isinstance(items, dict):
            items = items.items()
        super().__init__((str(k), str(v)) for k, v in items)

    def get(self, name: str, default: str | None = None) -> str | None:
        lname = name.lower()
        for key, value in self:
            if key.lower() == lname:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [value for key, value in self if key.lower() == lname]

    def has(self, name: str) -> bool:
        return self.get(name) is not None

    def without(self, *names: str) -> Headers:
        drop = {n.lower() for n in names}
        return Headers((k, v) for k, v in self if k.lower() not in drop)

    def replaced(self, name: str, value: str | None) -> Headers:
        """A copy with every `name` header removed and, if value is not None, one added at the end."""
        out = self.without(name)
        if value is not None:
            out.append((name, value))
        return out

    def names(self) -> set[str]:
        return {k.lower() for k, _ in self}

    def cookies(self) -> dict[str, str]:
        """The cookies of every Cookie header, by name; for a repeated name the first wins, as most servers do."""
        jar: dict[str, str] = {}
        for raw in self.get_all("cookie"):
            for part in raw.split(";"):
                name, sep, value = part.strip().partition("=")
                if sep and name:
                    jar.setdefault(name, value.strip('"'))
        return jar


@dataclass
class Target:
    """The refused request, as the user sends it (secrets included, in memory only)."""

    url: str
    method: str = "GET"
    headers: Headers = field(default_factory=Headers)
    body: bytes | None = None
    source: str = "cli"
    # The user's real browser User-Agent, when known from a curl command or HAR (for the UA comparison).
    browser_user_agent: str | None = None
    # Free notes from an import ("HAR entry 12 of 300", unknown curl options...).
    notes: list[str] = field(default_factory=list)
    # What a recording shows around this request, by kind ("sign-in", "cookies", "earlier-success"): plain
    # sentences that the `recorded-context` check weighs.
    related: dict[str, list[str]] = field(default_factory=dict)
    # A request that works (`--working FILE`), as a compare.Side: in memory only, never written out.
    working: Any = None

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if not isinstance(self.headers, Headers):
            self.headers = Headers(self.headers)

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}".lower()

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def credential_headers(self) -> Headers:
        return Headers((k, v) for k, v in self.headers if k.lower() in CREDENTIAL_HEADERS)

    def has_credentials(self) -> bool:
        parts = urlsplit(self.url)
        return bool(self.credential_headers()) or parts.password is not None

    @property
    def bearer_token(self) -> str | None:
        auth = self.headers.get("authorization") or ""
        scheme, _, value = auth.partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None

    @property
    def cookies(self) -> dict[str, str]:
        return self.headers.cookies()


@dataclass
class ProbeOptions:
    """How the live checks may reach the target: routes, limits and permissions the user granted."""

    proxy: str | None = None
    alt_proxies: list[str] = field(default_factory=list)
    alt_sources: list[str] = field(default_factory=list)
    timeout: float = 10.0
    insecure: bool = False
    whoami: str | None = None
    replay_unsafe: bool = False
    live: bool = True
    log_file: str | None = None
    budget: int = 12
    body_cap: int = 1024 * 1024


@dataclass
class Exchange:
    """One request sent (or recorded) and what came back; `error` is set when nothing came back."""

    check: str
    method: str
    url: str
    status: int | None = None
    reason: str = ""
    elapsed_ms: int = 0
    route: str = "normal"
    request_headers: Headers = field(default_factory=Headers)
    response_headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    body_truncated: bool = False
    http_version: str = ""
    error: str | None = None
    error_kind: str | None = None  # dns | connect | tls | timeout | redirect-loop | too-large | protocol | other
    redirects: list[str] = field(default_factory=list)
    at: _dt.datetime = field(default_factory=utcnow)
    local_address: str = ""  # this machine's end of the connection ("ip:port"), for matching the owner's logs
    remote_address: str = ""  # the server's (or the proxy's) end

    def __post_init__(self) -> None:
        if not isinstance(self.request_headers, Headers):
            self.request_headers = Headers(self.request_headers)
        if not isinstance(self.response_headers, Headers):
            self.response_headers = Headers(self.response_headers)

    @property
    def content_type(self) -> str:
        return (self.response_headers.get("content-type") or "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        """The body decoded for matching and display (charset from Content-Type, else UTF-8, lossy)."""
        charset = "utf-8"
        for param in (self.response_headers.get("content-type") or "").split(";")[1:]:
            key, _, value = param.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip("\"' ")
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    @property
    def refused(self) -> bool:
        return self.status in (401, 403)


@dataclass
class CheckResult:
    """What one automated check concluded; `evidence` holds small plain values (numbers, strings, lists)."""

    id: str
    step: int
    status: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    details: str = ""
    # Signed weights this result lends to cause ids ({"permissions": 0.3, "credentials": -0.2}); the diagnosis adds
    # them up with the signatures and the answers, and quotes `summary` as the evidence line.
    supports: dict[str, float] = field(default_factory=dict)


@dataclass
class Answer:
    step: int
    question: str
    answer: str
    note: str = ""


@dataclass
class Fix:
    text: str
    effort: str = "easy"
    who: str = "you"


@dataclass(frozen=True)
class Command:
    """A command that verifies or makes the fix, filled from the denial (content/fixes/), for the person who runs it."""

    tool: str
    language: str
    text: str
    why: str
    who: str = "admin"
    purpose: str = "verify"  # verify | grant | inspect


@dataclass
class Cause:
    id: str
    title: str
    likelihood: str
    score: float
    layer: str
    evidence: list[str] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    explanation: str = ""
    commands: list[Command] = field(default_factory=list)


@dataclass(frozen=True)
class OwnerQuery:
    """A query the site owner pastes to find a reference in their logs (content/queries.toml, filled in)."""

    tool: str
    language: str
    text: str
    look_for: str = ""


@dataclass
class Reference:
    """An id to quote to the owner (a Cloudflare Ray ID, an Akamai reference, a request id...)."""

    kind: str
    value: str
    source: str = ""
    at: _dt.datetime | None = None
    lookup: str = ""
    queries: list[OwnerQuery] = field(default_factory=list)


@dataclass
class Change:
    """Something the user changed between runs, and what the re-run showed."""

    at: _dt.datetime
    note: str
    result: str = ""


@dataclass
class Verdict:
    """The one line at the top of a report: who said no, and what to do first."""

    who_refused: str = "unknown"  # one of LAYERS, or "unknown"
    summary: str = ""
    reproduced: bool | None = None  # True: refused now; False: access granted; None: not probed (offline)


@dataclass
class Session:
    target: Target
    created: _dt.datetime = field(default_factory=utcnow)
    checks: list[CheckResult] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    verdict: Verdict = field(default_factory=Verdict)
    mode: str = "plain"  # plain | expert
    step: int = 1  # where the wizard was, for resume
    reproduction: str = ""  # a redacted curl command, filled by the writer when empty
    secrets_fingerprints: list[str] = field(default_factory=list)  # from a loaded session, to recognise re-entered tokens

    def answer_for(self, question: str) -> Answer | None:
        for answer in self.answers:
            if answer.question == question:
                return answer
        return None

    def set_answer(self, step: int, question: str, answer: str, note: str = "") -> None:
        existing = self.answer_for(question)
        if existing is None:
            self.answers.append(Answer(step, question, answer, note))
        else:
            existing.step, existing.answer, existing.note = step, answer, note

    def check(self, check_id: str) -> CheckResult | None:
        for result in self.checks:
            if result.id == check_id:
                return result
        return None

    def add_reference(self, ref: Reference) -> None:
        if not any(r.kind == ref.kind and r.value == ref.value for r in self.references):
            self.references.append(ref)
