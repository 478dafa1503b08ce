"""The Markdown view of a report: what a support engineer pastes into a ticket.

It is rendered from the redacted tree (never from the Session), so it cannot show what the tree does not.
Top first: the verdict, the most likely cause, what to do next, who to contact with which reference ids; then the
six steps with their checks and answers; then every cause; then every exchange; then the timeline of changes.

Markdown quotes, never obeys: text that came from outside (a server, a HAR, a user's note) is either pure data,
put in a code span or a fenced block (`md_code`, `md_fence`), or prose that mixes the wizard's words with quoted
server text (a check's summary, a cause's evidence), which `md_text` escapes so that it cannot open a link, an image,
HTML, emphasis or a code span, nor break a table. Every text is on one line with its control characters visible.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from wizard403.report.owner import command_lines, owner_section
from wizard403.textsafe import md_code, md_fence, md_text, one_line, status_text

LAYER_WORDS = {
    "client": "your own device or browser",
    "network": "your network (a proxy or filter on your side)",
    "edge": "an edge service (CDN, WAF or bot protection) in front of the site",
    "server": "the origin web server",
    "application": "the application itself",
    "identity": "the identity and permission system",
    "unknown": "the evidence does not tell yet",
}
WHO_WORDS = {
    "you": "you",
    "admin": "an administrator",
    "site-owner": "the site owner",
    "network-team": "your network team",
    "developer": "a developer",
}
STATUS_MARKS = {"pass": "✔ pass", "fail": "✘ problem", "warn": "! warning", "info": "· info", "skipped": "– skipped", "error": "⚠ error"}


ANSWER_WORDS = {"yes": "Yes", "no": "No", "not-sure": "Not sure"}


def answer_words(answer: str) -> str:
    """How an answer reads to a person ('not-sure' is stored, 'Not sure' is shown)."""
    return ANSWER_WORDS.get(answer, answer)


DENIAL_FIELDS = (
    ("principal", "who"),
    ("action", "action"),
    ("resource", "resource"),
    ("policy_layer", "refused by"),
    ("missing_scope", "missing scope"),
    ("missing_permission", "missing permission"),
    ("error_code", "error code"),
    ("error_message", "message"),
    ("reset_time", "limit resets at"),
)


def describe_denial(evidence: dict[str, Any]) -> str:
    """What the refusal itself says (from the denial-message check), in one line an admin can act on; '' if nothing.

    Each value is the server's own text, so each is quoted in a code span."""
    parts = []
    for key, label in DENIAL_FIELDS:
        value = evidence.get(key)
        if value and not isinstance(value, (dict, list)):
            text = str(value)
            if key == "reset_time" and text.isdigit() and len(text) in (9, 10):
                text = _dt.datetime.fromtimestamp(int(text), _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
            text = text if len(text) <= 160 else text[:157] + "…"
            parts.append(f"{label} {md_code(text)}")
    return "; ".join(parts)


def who_said_no(who: str, reproduced: bool | None) -> str:
    """The words after "Who said no:": on an answer that granted access, nobody did."""
    if reproduced is False:
        return "nobody: access was granted when wizard403 tried"
    return LAYER_WORDS.get(who, md_text(str(who)))


def status_words(exchange: dict[str, Any]) -> str:
    """'404 Not Found' from an exchange of the tree, on one line."""
    return one_line(status_text(exchange.get("status"), exchange.get("reason")))


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        return parts.netloc.rsplit("@", 1)[-1] or url
    except ValueError:
        return url


def unreachable_words(exchange: dict[str, Any]) -> str:
    """Why a request got no answer; after a redirect, the first host did answer, and the report says so."""
    error = exchange.get("error", "no answer")
    hops = exchange.get("redirects", [])
    if hops:
        return (
            f"{md_code(_host(hops[0]))} answered with a redirect to {md_code(exchange.get('url', ''))}, "
            f"which could not be reached: {md_text(error)}"
        )
    return f"the server could not be reached: {md_text(error)}"


def _verdict_lines(tree: dict[str, Any]) -> list[str]:
    verdict = tree.get("verdict", {})
    reproduced = verdict.get("reproduced")
    baselines = [ex for ex in tree.get("exchanges", []) if ex.get("check") == "baseline"]
    live = bool(baselines)
    unanswered = live and all("status" not in ex for ex in baselines)
    lines = []
    if unanswered:
        lines.append(f"**Result:** {unreachable_words(baselines[-1])}.")
    elif reproduced is True and not live:
        lines.append("**Result:** the recorded response is a refusal (analysed offline, without contacting the server).")
    elif reproduced is True:
        lines.append("**Result:** the request is refused now (reproduced).")
    elif reproduced is False:
        lines.append("**Result:** access was granted when wizard403 tried: the refusal did not reproduce.")
    elif live:
        lines.append(
            f"**Result:** the server answered {md_code(status_words(baselines[-1]))}, which is neither a refusal nor "
            "access: the 403 did not reproduce as such."
        )
    else:
        lines.append("**Result:** analysed from recorded evidence, without contacting the server.")
    if unanswered:
        who = "nobody yet: the request got no answer"
    elif reproduced is None and live:
        who = f"nobody refused: the answer was {md_code(status_words(baselines[-1]))}"
    else:
        who = who_said_no(verdict.get("who_refused", "unknown"), reproduced)
    lines.append(f"**Who said no:** {who}.")
    if verdict.get("summary"):
        lines.append(f"**In short:** {md_text(verdict['summary'])}")
    return lines


_KEY_KINDS = {"organisation": "the organisation's key", "user": "this machine's key", "run": "a key for this run only"}


def _key_note(tree: dict) -> str:
    """Which key made the fingerprints: only reports with the same key id can be compared."""
    info = tree.get("fingerprints")
    if not isinstance(info, dict) or info.get("key") not in _KEY_KINDS:
        return ""
    return f", keyed with {_KEY_KINDS[info['key']]} (key id {info.get('key_id', '?')})"


def render_markdown(tree: dict[str, Any], content: Any = None) -> str:
    """Markdown for one redacted report tree; `content` (optional) gives the step and check titles."""
    target = tree.get("target", {})
    out: list[str] = [f"# 403 report: {md_text(target.get('method', 'GET'))} {md_code(target.get('url', ''))}", ""]
    out.append(f"Created {tree.get('created')} (UTC) by {md_text(str(tree.get('tool')))}. Secrets are shown as `[redacted sha256:…]`{_key_note(tree)}.")
    out.append("")
    out += [f"- {line}" for line in _verdict_lines(tree)]
    causes = tree.get("causes", [])
    if causes:
        top = causes[0]
        out.append(f"- **Most likely cause:** {md_text(top['title'])} ({md_text(top['likelihood'])} likelihood, {md_code(top['id'])}).")
        fixes = top.get("fixes", [])
        if fixes:
            out.append("- **What to do next:**")
            out += [f"  - {_fix(f)}" for f in fixes]
    denial = next((c for c in tree.get("checks", []) if c["id"] == "denial-message"), None)
    said = describe_denial(denial.get("evidence", {})) if denial else ""
    if said:
        out.append(f"- **What the refusal says:** {said}")
    base = next((ex for ex in tree.get("exchanges", []) if ex.get("check") == "baseline" and ex.get("local_address")), None)
    if base is not None:
        out.append(
            f"- **Sent from:** {one_line(base['local_address'])} to {one_line(base.get('remote_address', '?'))} at "
            f"{base['at']} (UTC); behind NAT or a proxy the site sees your public address instead."
        )
    refs = tree.get("references", [])
    if refs:
        out.append("- **Reference ids to quote to the owner:** " + ", ".join(f"{md_text(r['kind'])} {md_code(r['value'])}" for r in refs))
    out.append("")
    out.append("> Never try to get around a 403 by disabling or tricking a security control: ask the owner, with the evidence below.")
    out.append("")

    notes = target.get("notes", [])
    if notes:
        source = {"har": "a HAR recording", "curl": "a curl command", "response": "a raw response"}.get(target.get("source"), "")
        out += ["## Where the evidence came from", ""] + ([f"From {source}."] if source else []) + [f"- {md_text(n)}" for n in notes] + [""]

    if tree.get("reproduction"):
        out += ["## Minimal reproduction", "", md_fence(tree["reproduction"], "sh"), ""]

    checks = tree.get("checks", [])
    answers = tree.get("answers", [])
    steps = list(getattr(content, "steps", ()) or ())
    numbers = sorted({s.number for s in steps} | {c["step"] for c in checks} | {a["step"] for a in answers})
    if numbers:
        out += ["## The six steps", ""]
    for number in numbers:
        step = next((s for s in steps if s.number == number), None)
        out.append(f"### Step {number}: {md_text(step.title) if step else ''}".rstrip(": "))
        out.append("")
        step_checks = [c for c in checks if c["step"] == number]
        if step_checks:
            out += ["| check | result | what it found |", "|---|---|---|"]
            for c in step_checks:
                out.append(f"| {md_text(c['id'])} | {STATUS_MARKS.get(c['status'], md_text(str(c['status'])))} | {md_text(c['summary'])} |")
            out.append("")
        step_answers = [a for a in answers if a["step"] == number]
        for a in step_answers:
            question = content.question(a["question"]) if content is not None and hasattr(content, "question") else None
            text = question.text if question is not None else a["question"]
            note = f" — {md_text(a['note'])}" if a.get("note") else ""
            out.append(f"- *{md_text(text)}* **{md_text(answer_words(a['answer']))}**{note}")
        if step_answers:
            out.append("")
        if not step_checks and not step_answers:
            out += ["Nothing recorded for this step.", ""]

    if causes:
        out += ["## Likely causes, most likely first", ""]
        for i, c in enumerate(causes, 1):
            out.append(
                f"### {i}. {md_text(c['title'])} — {md_text(c['likelihood'])} ({c['score']:.2f}, {md_code(c['id'])}, "
                f"layer: {md_text(c['layer'])})"
            )
            out.append("")
            if c.get("explanation"):
                out += [md_text(c["explanation"]), ""]
            for e in c.get("evidence", []):
                out.append(f"- {md_text(e)}")
            for f in c.get("fixes", []):
                out.append(f"- Fix: {_fix(f)}")
            out += command_lines(c, WHO_WORDS)
            out.append("")

    if refs:
        out += ["## References for the owner's logs", "", "| kind | value | where to look |", "|---|---|---|"]
        for r in refs:
            out.append(f"| {md_text(r['kind'])} | {md_code(r['value'])} | {md_text(r.get('lookup', ''))} |")
        out.append("")
        out += owner_section(tree)

    changes = tree.get("changes", [])
    if changes:
        out += ["## Changes tried", "", "| when (UTC) | change | result |", "|---|---|---|"]
        out += [f"| {md_text(str(ch['at']))} | {md_text(ch['note'])} | {md_text(ch['result'])} |" for ch in changes]
        out.append("")

    exchanges = tree.get("exchanges", [])
    if exchanges:
        out += ["## Every request sent", ""]
        for i, ex in enumerate(exchanges, 1):
            status = ex.get("status", ex.get("error_kind", "no answer"))
            route = "" if ex.get("route", "normal") == "normal" else f" via {md_code(ex['route'])}"
            if ex.get("local_address"):
                route += f" (from {one_line(ex['local_address'])})"
            out.append(
                f"### {i}. {md_text(ex['check'])}: {md_text(ex['method'])} {md_code(ex['url'])}{route} → {md_text(str(status))} "
                f"({ex.get('elapsed_ms', 0)} ms)"
            )
            out.append("")
            if ex.get("error"):
                out += [f"Error: {md_text(ex['error'])}", ""]
            for hop in ex.get("redirects", []):
                out.append(f"- redirected from {md_code(hop)}")
            lines = [f"{ex['method']} {ex['url']}"] + [f"{k}: {v}" for k, v in ex.get("request_headers", {}).items()]
            if "status" in ex:
                lines += ["", f"{ex.get('http_version') or 'HTTP/1.1'} {ex['status']} {ex.get('reason', '')}".rstrip()]
                lines += [f"{k}: {v}" for k, v in ex.get("response_headers", {}).items()]
            if ex.get("body_excerpt"):
                lines += ["", ex["body_excerpt"][:1500]]
            out += [md_fence("\n".join(lines), "http"), ""]
    return "\n".join(out).rstrip() + "\n"


def _fix(fix: dict[str, Any]) -> str:
    who = WHO_WORDS.get(fix["who"], md_text(fix["who"]))
    return f"{md_text(fix['text'])} *(who: {who}; effort: {md_text(fix['effort'])})*"
