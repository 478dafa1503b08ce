"""Session <-> plain tree (the schema of DESIGN.md §5), with redaction applied on the way out.

Every writer (TOML, JSON, Markdown, autosave) starts from `session_to_tree`, so no path can forget to redact:
headers and URLs are redacted by their structure, then every string in the tree is scrubbed of every secret value
the session holds in memory (the token, each cookie value, passwords in URLs, session cookies the server set).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from wizard403 import redact
from wizard403.scrub import Scrubber
from wizard403.errors import SessionFileError
from wizard403.model import (
    SCHEMA,
    TOOL,
    Answer,
    Cause,
    Change,
    Command,
    CheckResult,
    Exchange,
    Fix,
    Headers,
    OwnerQuery,
    Reference,
    Session,
    Target,
    Verdict,
)

BODY_EXCERPT_CHARS = 4000


def _headers_out(headers: Headers, scrubber: Scrubber) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers:
        clean = scrubber.header(name, value)
        out[name] = f"{out[name]}, {clean}" if name in out else clean
    return out


def _body_out(target: Target, scrubber: Scrubber) -> str | None:
    if not target.body:
        return None
    text = target.body.decode("utf-8", "replace")
    ctype = (target.headers.get("content-type") or "").lower()
    if "x-www-form-urlencoded" in ctype:
        text = redact.redact_form(text)
    return scrubber.scrub(text)


def _exchange_out(ex: Exchange, scrubber: Scrubber) -> dict[str, Any]:
    row: dict[str, Any] = {
        "check": ex.check,
        "method": ex.method,
        "url": scrubber.url(ex.url),
        "route": scrubber.url(ex.route),
        "at": ex.at,
        "elapsed_ms": ex.elapsed_ms,
    }
    if ex.status is not None:
        row["status"] = ex.status
        row["reason"] = ex.reason
        row["http_version"] = ex.http_version
    if ex.error:
        row["error"] = ex.error
        row["error_kind"] = ex.error_kind or "other"
    if ex.redirects:
        row["redirects"] = [scrubber.url(u) for u in ex.redirects]
    if ex.local_address:
        row["local_address"] = ex.local_address
    if ex.remote_address:
        row["remote_address"] = ex.remote_address
    row["request_headers"] = _headers_out(ex.request_headers, scrubber)
    row["response_headers"] = _headers_out(ex.response_headers, scrubber)
    if ex.body:
        excerpt = ex.text[:BODY_EXCERPT_CHARS]
        row["body_excerpt"] = excerpt
        row["body_bytes"] = len(ex.body)
        if ex.body_truncated or len(ex.text) > BODY_EXCERPT_CHARS:
            row["body_truncated"] = True
    return row


def _command_out(cmd: Command) -> dict[str, str]:
    return {"tool": cmd.tool, "language": cmd.language, "text": cmd.text, "why": cmd.why, "who": cmd.who,
            "purpose": cmd.purpose}


def _query_out(q: OwnerQuery) -> dict[str, str]:
    return {"tool": q.tool, "language": q.language, "text": q.text, **({"look_for": q.look_for} if q.look_for else {})}


def session_to_tree(session: Session, reproduction: str | None = None) -> dict[str, Any]:
    """The redacted tree of one session, ready for tomli_w or json (datetimes stay datetimes)."""
    scrubber = Scrubber.for_session(session)
    target = session.target
    target_out: dict[str, Any] = {
        "url": scrubber.url(target.url),
        "method": target.method,
        "headers": _headers_out(target.headers, scrubber),
        "source": target.source,
    }
    body = _body_out(target, scrubber)
    if body:
        target_out["body"] = body
    if target.browser_user_agent:
        target_out["browser_user_agent"] = target.browser_user_agent
    if target.notes:
        target_out["notes"] = list(target.notes)
    if target.related:
        target_out["related"] = {kind: list(lines) for kind, lines in target.related.items()}
    fingerprints = {redact.fingerprint(s) for s in redact.key_secrets(target.headers)}
    fingerprints = sorted(fingerprints | set(session.secrets_fingerprints))

    tree: dict[str, Any] = {
        "schema": SCHEMA,
        "created": session.created,
        "tool": TOOL,
        "mode": session.mode,
        "step": session.step,
        "verdict": {
            "who_refused": session.verdict.who_refused,
            "summary": session.verdict.summary,
            **({"reproduced": session.verdict.reproduced} if session.verdict.reproduced is not None else {}),
        },
        "target": target_out,
        "reproduction": reproduction if reproduction is not None else session.reproduction,
        "secret_fingerprints": fingerprints,
        # Which key made the fingerprints (an added key, schema unchanged): reports compare when key_id matches.
        "fingerprints": redact.fingerprint_info(),
        "checks": [
            {
                "id": c.id,
                "step": c.step,
                "status": c.status,
                "summary": c.summary,
                **({"title": c.title} if c.title else {}),
                **({"details": c.details} if c.details else {}),
                "evidence": dict(c.evidence),
                **({"supports": dict(c.supports)} if c.supports else {}),
            }
            for c in session.checks
        ],
        "answers": [{"step": a.step, "question": a.question, "answer": a.answer, "note": a.note} for a in session.answers],
        "causes": [
            {
                "id": c.id,
                "likelihood": c.likelihood,
                "score": round(float(c.score), 3),
                "title": c.title,
                "layer": c.layer,
                **({"explanation": c.explanation} if c.explanation else {}),
                "evidence": list(c.evidence),
                "fixes": [{"text": f.text, "effort": f.effort, "who": f.who} for f in c.fixes],
                **({"commands": [_command_out(cmd) for cmd in c.commands]} if c.commands else {}),
            }
            for c in session.causes
        ],
        "references": [
            {
                "kind": r.kind,
                "value": r.value,
                **({"source": r.source} if r.source else {}),
                **({"at": r.at} if r.at else {}),
                **({"lookup": r.lookup} if r.lookup else {}),
                **({"queries": [_query_out(q) for q in r.queries]} if r.queries else {}),
            }
            for r in session.references
        ],
        "exchanges": [_exchange_out(ex, scrubber) for ex in session.exchanges],
        "changes": [{"at": ch.at, "note": ch.note, "result": ch.result} for ch in session.changes],
    }
    return scrubber.tree(tree)


# ---------------------------------------------------------------- reading back


def _need(data: dict, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise SessionFileError(f"{where}: the key '{key}' is missing.")
    value = data[key]
    if not isinstance(value, kind):
        raise SessionFileError(f"{where}: '{key}' has the wrong type ({type(value).__name__}).")
    return value


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, str) and value:
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    return None


def _list_of_tables(data: dict, key: str, where: str) -> list[dict]:
    rows = data.get(key, [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise SessionFileError(f"{where}: '{key}' must be a list of tables.")
    return rows


def session_from_tree(data: Any, where: str = "session") -> Session:
    """A Session from a tree read from TOML or JSON; every problem is one SessionFileError sentence."""
    if not isinstance(data, dict):
        raise SessionFileError(f"{where}: not a wizard403 session (expected a table at the top).")
    schema = data.get("schema")
    if schema is None:
        raise SessionFileError(f"{where}: not a wizard403 session (no 'schema' key).")
    if schema != SCHEMA:
        raise SessionFileError(f"{where}: unknown schema version '{schema}'; this wizard403 reads '{SCHEMA}'.")
    if "target" not in data and "differences" in data and "refused" in data:
        raise SessionFileError(f"{where}: this is a comparison written by 'wizard403 compare', not a session or report; "
                               "run compare again with --format md to read it.")
    tgt = _need(data, "target", dict, where)
    url = _need(tgt, "url", str, f"{where} [target]")
    headers = tgt.get("headers", {})
    if not isinstance(headers, dict):
        raise SessionFileError(f"{where} [target]: 'headers' must be a table of name = value.")
    body = tgt.get("body")
    target = Target(
        url=url,
        method=str(tgt.get("method", "GET")),
        headers=Headers((str(k), str(v)) for k, v in headers.items()),
        body=body.encode() if isinstance(body, str) and body else None,
        source=str(tgt.get("source", "session")),
        browser_user_agent=tgt.get("browser_user_agent"),
        notes=[str(n) for n in tgt.get("notes", [])],
        related={str(k): [str(x) for x in v] for k, v in dict(tgt.get("related", {})).items() if isinstance(v, list)},
    )
    try:
        session = Session(target=target, created=_time(data.get("created")) or Session(target).created)
        session.mode = str(data.get("mode", "plain"))
        session.step = int(data.get("step", 1))
        session.reproduction = str(data.get("reproduction", ""))
        session.secrets_fingerprints = [str(f) for f in data.get("secret_fingerprints", [])]
        verdict = data.get("verdict", {}) or {}
        session.verdict = Verdict(
            who_refused=str(verdict.get("who_refused", "unknown")),
            summary=str(verdict.get("summary", "")),
            reproduced=verdict.get("reproduced"),
        )
        for row in _list_of_tables(data, "checks", where):
            session.checks.append(
                CheckResult(
                    id=str(row["id"]),
                    step=int(row.get("step", 1)),
                    status=str(row.get("status", "info")),
                    summary=str(row.get("summary", "")),
                    evidence=dict(row.get("evidence", {})),
                    title=str(row.get("title", "")),
                    details=str(row.get("details", "")),
                    supports={str(k): float(v) for k, v in dict(row.get("supports", {})).items()},
                )
            )
        for row in _list_of_tables(data, "answers", where):
            session.answers.append(
                Answer(int(row["step"]), str(row["question"]), str(row["answer"]), str(row.get("note", "")))
            )
        for row in _list_of_tables(data, "causes", where):
            session.causes.append(
                Cause(
                    id=str(row["id"]),
                    title=str(row.get("title", row["id"])),
                    likelihood=str(row.get("likelihood", "low")),
                    score=float(row.get("score", 0.0)),
                    layer=str(row.get("layer", "")),
                    evidence=[str(e) for e in row.get("evidence", [])],
                    fixes=[
                        Fix(str(f.get("text", "")), str(f.get("effort", "easy")), str(f.get("who", "you")))
                        for f in row.get("fixes", [])
                    ],
                    explanation=str(row.get("explanation", "")),
                    commands=[
                        Command(str(c.get("tool", "")), str(c.get("language", "shell")), str(c.get("text", "")),
                                str(c.get("why", "")), str(c.get("who", "admin")), str(c.get("purpose", "verify")))
                        for c in row.get("commands", []) if isinstance(c, dict)
                    ],
                )
            )
        for row in _list_of_tables(data, "references", where):
            session.references.append(
                Reference(
                    kind=str(row["kind"]),
                    value=str(row["value"]),
                    source=str(row.get("source", "")),
                    at=_time(row.get("at")),
                    lookup=str(row.get("lookup", "")),
                    queries=[
                        OwnerQuery(str(q.get("tool", "")), str(q.get("language", "text")), str(q.get("text", "")),
                                   str(q.get("look_for", "")))
                        for q in row.get("queries", []) if isinstance(q, dict)
                    ],
                )
            )
        for row in _list_of_tables(data, "exchanges", where):
            excerpt = row.get("body_excerpt", "")
            session.exchanges.append(
                Exchange(
                    check=str(row.get("check", "recorded")),
                    method=str(row.get("method", "GET")),
                    url=str(row.get("url", "")),
                    status=row.get("status"),
                    reason=str(row.get("reason", "")),
                    elapsed_ms=int(row.get("elapsed_ms", 0)),
                    route=str(row.get("route", "normal")),
                    request_headers=Headers(dict(row.get("request_headers", {}))),
                    response_headers=Headers(dict(row.get("response_headers", {}))),
                    body=excerpt.encode("utf-8") if isinstance(excerpt, str) else b"",
                    body_truncated=bool(row.get("body_truncated", False)),
                    http_version=str(row.get("http_version", "")),
                    error=row.get("error"),
                    error_kind=row.get("error_kind"),
                    redirects=[str(u) for u in row.get("redirects", [])],
                    local_address=str(row.get("local_address", "")),
                    remote_address=str(row.get("remote_address", "")),
                    at=_time(row.get("at")) or session.created,
                )
            )
        for row in _list_of_tables(data, "changes", where):
            session.changes.append(
                Change(at=_time(row.get("at")) or session.created, note=str(row.get("note", "")), result=str(row.get("result", "")))
            )
    except SessionFileError:
        raise
    except (KeyError, TypeError, ValueError) as err:
        raise SessionFileError(f"{where}: a row is incomplete or has a wrong value ({err}).") from None
    return session
