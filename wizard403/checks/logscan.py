"""Step 6: the lines of a local nginx or Apache log that explain this request (--log FILE), read offline.

A stock 403 page hides its reason; the server's error log states it ("access forbidden by rule", "directory index of
… is forbidden", "(13: Permission denied)", AH01630, AH01276, AH00035, a ModSecurity rule id). Lines are matched to
this request by path and by time (within a few minutes of the requests of this run or recording); the client
addresses they show are reported, since they are what an allowlist compares.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from wizard403.checks.registry import ALL_PROBES, CheckContext, check
from wizard403.redact import redact_url
from wizard403.scrub import Scrubber

TAIL_BYTES = 8 * 1024 * 1024  # only the end of a big log is read: the lines about this request are recent
WINDOW = _dt.timedelta(minutes=5)
MAX_SHOWN = 5
MAX_LINE = 400


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    meaning: str
    supports: dict[str, float]


RULES = (
    Rule(re.compile(r"access forbidden by rule"), "nginx refused the client address with an allow/deny rule",
         {"ip-block": 0.45, "permissions": -0.2, "credentials": -0.15}),
    Rule(re.compile(r"directory index of \"[^\"]*\" is forbidden"),
         "nginx was asked for a folder that has no index file, and listing is off",
         {"directory-listing": 0.45, "permissions": -0.15}),
    Rule(re.compile(r"\(13: Permission denied\)"),
         "the server process may not read the file (filesystem permissions or SELinux)",
         {"file-permissions": 0.45, "permissions": -0.15}),
    Rule(re.compile(r"AH0(?:1630|1797)|client denied by server configuration"),
         "Apache refused the client with an access rule (Require ip/host, Require all denied, or Order/Deny)",
         {"ip-block": 0.35, "permissions": -0.1}),
    Rule(re.compile(r"AH01276|server-generated directory index forbidden"),
         "Apache was asked for a folder with no index file, and listing is off (Options -Indexes)",
         {"directory-listing": 0.45, "permissions": -0.15}),
    Rule(re.compile(r"AH00035|search permissions are missing"),
         "Apache may not enter a folder on the way to the file (missing search permission on the path)",
         {"file-permissions": 0.45, "permissions": -0.15}),
    Rule(re.compile(r"AH00037|Symbolic link not allowed"),
         "Apache refuses to follow a symbolic link here (FollowSymLinks policy)",
         {"file-permissions": 0.3, "config": 0.15}),
    Rule(re.compile(r"ModSecurity: (?:Access denied|Warning)"),
         "ModSecurity, a web application firewall inside the server, blocked the request",
         {"waf": 0.45, "permissions": -0.15, "ip-block": -0.1}),
    Rule(re.compile(r"limiting (?:requests|connections)"), "nginx's rate limiting refused the request",
         {"rate-limit": 0.4, "permissions": -0.15}),
    Rule(re.compile(r"AH0161[78]|user .* not found|password mismatch"),
         "the server's own password check failed (HTTP Basic sign-in)",
         {"credentials": 0.35}),
)
ACCESS_REFUSED = Rule(re.compile(r"\"\s+40[13]\s"), "the server's access log records the refusal: the request reached this server",
                      {"client-network": -0.2, "waf": -0.05})

_NGINX_TIME = re.compile(r"^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})")
_APACHE_TIME = re.compile(r"^\[(\w{3} \w{3} \d{1,2} \d{2}:\d{2}:\d{2})(?:\.\d+)? (\d{4})\]")
_ACCESS_TIME = re.compile(r"\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\]")
_REQUEST = re.compile(r"\"(?:request: \")?([A-Z]{3,10}) (\S+) HTTP/[\d.]+\"")
_NGINX_REQUEST = re.compile(r"request: \"([A-Z]{3,10}) (\S+) HTTP/[\d.]+\"")
_CLIENTS = (re.compile(r"client: ([0-9a-fA-F:.]+)"), re.compile(r"\[client ([0-9a-fA-F:.\[\]]+?)(?::\d+)?\]"),
            re.compile(r"^([0-9a-fA-F:.]+) \S+ \S+ \["))
_MODSEC_ID = re.compile(r"\[id \"(\d+)\"\]")
_MODSEC_MSG = re.compile(r"\[msg \"([^\"]{1,200})\"\]")
_MODSEC_URI = re.compile(r"\[uri \"([^\"]+)\"\]")
_FS_PATH = re.compile(r"(?:directory index of \"|open\(\) \"|: |Cannot serve directory |access to |filesystem path ')(/[^\"':,\s]*)")


@dataclass
class LogLine:
    number: int
    text: str
    at: _dt.datetime | None
    clients: list[str] = field(default_factory=list)
    rule: Rule | None = None


def read_tail(path: Path) -> tuple[list[str], bool]:
    """The last lines of the file (up to TAIL_BYTES), and whether the start was left out."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        cut = size > TAIL_BYTES
        if cut:
            handle.seek(size - TAIL_BYTES)
        data = handle.read(TAIL_BYTES)
    lines = data.decode("utf-8", "replace").splitlines()
    if cut and lines:
        lines = lines[1:]  # the first one is probably a partial line
    return lines, cut


def line_time(text: str) -> _dt.datetime | None:
    """The time a log line was written, as an aware UTC datetime; nginx and Apache error logs use local time."""
    found = _ACCESS_TIME.search(text)
    if found:
        try:
            return _dt.datetime.strptime(found.group(1), "%d/%b/%Y:%H:%M:%S %z").astimezone(_dt.timezone.utc)
        except ValueError:
            return None
    found = _NGINX_TIME.match(text)
    stamp, fmt = (found.group(1), "%Y/%m/%d %H:%M:%S") if found else (None, None)
    if stamp is None:
        found = _APACHE_TIME.match(text)
        if found:
            stamp, fmt = f"{found.group(1)} {found.group(2)}", "%a %b %d %H:%M:%S %Y"
    if stamp is None:
        return None
    try:
        local = _dt.datetime.strptime(stamp, fmt)
    except ValueError:
        return None
    return local.astimezone().astimezone(_dt.timezone.utc)


def _paths_of(text: str) -> list[str]:
    """The URL paths (and filesystem paths) a line names."""
    out = [unquote(urlsplit(m.group(2)).path) for m in _REQUEST.finditer(text)]
    out += [m.group(1) for m in _MODSEC_URI.finditer(text)]
    out += [m.group(1) for m in _FS_PATH.finditer(text)]
    return out


def about_path(text: str, path: str) -> bool:
    """True when the line is about this URL path (exactly, or a filesystem path ending with it)."""
    wanted = unquote(path) or "/"
    request = _NGINX_REQUEST.search(text) or _REQUEST.search(text)
    if request:
        return unquote(urlsplit(request.group(2)).path) == wanted
    bare = wanted.rstrip("/")
    for named in _paths_of(text):
        if named == wanted or (bare and named.rstrip("/").endswith(bare)):
            return True
    return False


def clients_of(text: str) -> list[str]:
    found = []
    for pattern in _CLIENTS:
        for match in pattern.finditer(text):
            found.append(match.group(1).strip("[]"))
    return list(dict.fromkeys(found))


def explain(text: str) -> Rule | None:
    for rule in RULES:
        if rule.pattern.search(text):
            return rule
    if ACCESS_REFUSED.pattern.search(text):
        return ACCESS_REFUSED
    return None


def _clip(text: str, scrubber: Scrubber | None = None) -> str:
    """A log line fit for a report: the session's secrets and every secret-named pair (`?sig=`, `&code=`,
    `X-Amz-Signature=`, `password=`) of a URL in it replaced, redacted before it is shortened."""
    text = (scrubber or Scrubber()).scrub(_redact_urls(text.strip()))
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 3] + "..."


_URL_IN_LINE_RE = re.compile(r"(?:https?://|(?<=[\s\"])/)[^\s\"'<>]+")


def _redact_urls(line: str) -> str:
    """Each URL or request target of a log line redacted as a URL (its query's secrets, its path tokens)."""
    return _URL_IN_LINE_RE.sub(lambda m: redact_url(m.group(0)), line)


def _log_need(facts) -> int | str:
    if not facts.options.log_file:
        return (
            "no server log given: if you run the server, add --log FILE (for example /var/log/nginx/error.log or "
            "Apache's error_log) to find the lines that explain this refusal"
        )
    return 0


@check("log-scan", step=6, requests=_log_need, after=("baseline", ALL_PROBES), live=False)
async def log_scan(ctx: CheckContext):
    """Find and explain the log lines about this request: same path, near the time of this run or recording."""
    raw = ctx.options.log_file
    path = Path(os.path.expanduser(raw))
    try:
        lines, cut = read_tail(path)
    except FileNotFoundError:
        return ctx.result("error", f"The log file {raw} cannot be read: it does not exist.", {"file": raw})
    except IsADirectoryError:
        return ctx.result("error", f"The log file {raw} cannot be read: it is a folder, not a file.", {"file": raw})
    except PermissionError:
        return ctx.result("error", f"The log file {raw} cannot be read: this user may not open it (try with the server admin's rights).", {"file": raw})
    except OSError as err:
        return ctx.result("error", f"The log file {raw} cannot be read: {err.strerror or err}.", {"file": raw})
    url_path = urlsplit(ctx.target.url).path or "/"
    times = [ex.at if ex.at.tzinfo else ex.at.replace(tzinfo=_dt.timezone.utc) for ex in ctx.session.exchanges]
    start = min(times) - WINDOW if times else None
    end = max(times) + WINDOW if times else None
    matching: list[LogLine] = []
    for number, text in enumerate(lines, 1):
        if not text.strip() or not about_path(text, url_path):
            continue
        matching.append(LogLine(number, text, line_time(text), clients_of(text), explain(text)))
    in_window = [m for m in matching if start is None or m.at is None or start <= m.at <= end]
    chosen, recent = (in_window, True) if in_window else (matching[-MAX_SHOWN:], False)
    evidence: dict[str, Any] = {"file": raw, "lines_read": len(lines), "lines_about_this_path": len(matching)}
    if cut:
        evidence["read_only_the_last_mib"] = TAIL_BYTES // (1024 * 1024)
    if not chosen:
        return ctx.result(
            "info",
            f"The log {raw} has no line about {url_path}; it may be the wrong log (the access log instead of the error log, or another site's).",
            evidence,
        )
    explained = [m for m in chosen if m.rule is not None and m.rule is not ACCESS_REFUSED]
    clients = list(dict.fromkeys(c for m in chosen for c in m.clients))
    evidence["clients"] = clients or None
    scrubber = Scrubber.for_session(ctx.session)
    evidence["lines"] = [_clip(m.text, scrubber) for m in (explained or chosen)[-MAX_SHOWN:]]
    ids = list(dict.fromkeys(i for m in chosen for i in _MODSEC_ID.findall(m.text)))
    msgs = list(dict.fromkeys(i for m in chosen for i in _MODSEC_MSG.findall(m.text)))
    if ids:
        evidence["modsecurity_rules"] = ids
        evidence["modsecurity_messages"] = msgs[:3] or None
    when = "" if recent else " (these lines are older than this run: check they are about the same request)"
    if explained:
        rule = explained[-1].rule
        meanings = list(dict.fromkeys(m.rule.meaning for m in explained))
        evidence["meaning"] = meanings
        who = f" for client {', '.join(clients)}" if clients else ""
        rules = f" (rule {', '.join(ids)})" if ids else ""
        supports = dict(rule.supports) if recent else {k: v / 2 for k, v in rule.supports.items()}
        return ctx.result(
            "fail",
            f"The server's log explains it{who}: {meanings[-1]}{rules}{when}.",
            evidence,
            supports,
            details="\n".join(_clip(m.text, scrubber) for m in explained[-MAX_SHOWN:]),
        )
    access = [m for m in chosen if m.rule is ACCESS_REFUSED]
    if access:
        who = f" from {', '.join(clients)}" if clients else ""
        return ctx.result(
            "info",
            f"The access log records the refusal{who}, but not its reason: the error log of the same server will have it{when}.",
            evidence,
            dict(ACCESS_REFUSED.supports) if recent else {},
        )
    return ctx.result("info", f"The log mentions {url_path}, but no line says why it was refused{when}.", evidence)
