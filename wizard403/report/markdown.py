"""The Markdown view of a report: what a support engineer pastes into a ticket.

It is rendered from the redacted tree (never from the Session), so it cannot show what the tree does not.
Top first: the verdict, the most likely cause, what to do next, who to contact with which reference ids; then the
six steps with their checks and answers; then every cause; then every exchange; then the timeline of changes.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from wizard403.report.owner import command_lines, owner_section

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
    """What the refusal itself says (from the denial-message check), in one line an admin can act on; '' if nothing."""
    parts = []
    for key, label in DENIAL_FIELDS:
        value = evidence.get(key)
        if value and not isinstance(value, (dict, list)):
            text = str(value)
            if key == "reset_time" and text.isdigit() and len(text) in (9, 10):
                text = _dt.datetime.fromtimestamp(int(text), _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
            text = text if len(text) <= 160 else text[:157] + "…"
            parts.append(f"{label} `{text}`" if key != "error_message" else f'{label} "{text}"')
    return "; ".join(parts)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fence(text: str, lang: str = "") -> list[str]:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return [f"{ticks}{lang}", text.rstrip("\n"), ticks]


def _verdict_lines(tree: dict[str, Any]) -> list[str]:
    verdict = tree.get("verdict", {})
    reproduced = verdict.get("reproduced")
    baselines = [ex for ex in tree.get("exchanges", []) if ex.get("check") == "baseline"]
    live = bool(baselines)
    lines = []
    if baselines and all("status" not in ex for ex in baselines):
        lines.append(f"**Result:** the server could not be reached: {baselines[-1].get('error', 'no answer')}.")
    elif reproduced is True and not live:
        lines.append("**Result:** the recorded response is a refusal (analysed offline, without contacting the server).")
    elif reproduced is True:
        lines.append("**Result:** the request is refused now (reproduced).")
    elif reproduced is False:
        lines.append("**Result:** access was granted when wizard403 tried: the refusal did not reproduce.")
    else:
        lines.append("**Result:** analysed from recorded evidence, without contacting the server.")
    who = verdict.get("who_refused", "unknown")
    lines.append(f"**Who said no:** {LAYER_WORDS.get(who, who)}.")
    if verdict.get("summary"):
        lines.append(f"**In short:** {verdict['summary']}")
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
    out: list[str] = [f"# 403 report: {target.get('method', 'GET')} {target.get('url', '')}", ""]
    out.append(f"Created {tree.get('created')} (UTC) by {tree.get('tool')}. Secrets are shown as `[redacted sha256:…]`{_key_note(tree)}.")
    out.append("")
    out += [f"- {line}" for line in _verdict_lines(tree)]
    causes = tree.get("causes", [])
    if causes:
        top = causes[0]
        out.append(f"- **Most likely cause:** {top['title']} ({top['likelihood']} likelihood, `{top['id']}`).")
        fixes = top.get("fixes", [])
        if fixes:
            out.append("- **What to do next:**")
            out += [f"  - {f['text']} *(who: {WHO_WORDS.get(f['who'], f['who'])}; effort: {f['effort']})*" for f in fixes]
    denial = next((c for c in tree.get("checks", []) if c["id"] == "denial-message"), None)
    said = describe_denial(denial.get("evidence", {})) if denial else ""
    if said:
        out.append(f"- **What the refusal says:** {said}")
    base = next((ex for ex in tree.get("exchanges", []) if ex.get("check") == "baseline" and ex.get("local_address")), None)
    if base is not None:
        out.append(
            f"- **Sent from:** {base['local_address']} to {base.get('remote_address', '?')} at {base['at']} (UTC); "
            "behind NAT or a proxy the site sees your public address instead."
        )
    refs = tree.get("references", [])
    if refs:
        out.append("- **Reference ids to quote to the owner:** " + ", ".join(f"{r['kind']} `{r['value']}`" for r in refs))
    out.append("")
    out.append("> Never try to get around a 403 by disabling or tricking a security control: ask the owner, with the evidence below.")
    out.append("")

    notes = target.get("notes", [])
    if notes:
        source = {"har": "a HAR recording", "curl": "a curl command", "response": "a raw response"}.get(target.get("source"), "")
        out += ["## Where the evidence came from", ""] + ([f"From {source}."] if source else []) + [f"- {n}" for n in notes] + [""]

    if tree.get("reproduction"):
        out += ["## Minimal reproduction", ""] + _fence(tree["reproduction"], "sh") + [""]

    checks = tree.get("checks", [])
    answers = tree.get("answers", [])
    steps = list(getattr(content, "steps", ()) or ())
    numbers = sorted({s.number for s in steps} | {c["step"] for c in checks} | {a["step"] for a in answers})
    if numbers:
        out += ["## The six steps", ""]
    for number in numbers:
        step = next((s for s in steps if s.number == number), None)
        out.append(f"### Step {number}: {step.title if step else ''}".rstrip(": "))
        out.append("")
        step_checks = [c for c in checks if c["step"] == number]
        if step_checks:
            out += ["| check | result | what it found |", "|---|---|---|"]
            for c in step_checks:
                out.append(f"| {_cell(c['id'])} | {STATUS_MARKS.get(c['status'], c['status'])} | {_cell(c['summary'])} |")
            out.append("")
        step_answers = [a for a in answers if a["step"] == number]
        for a in step_answers:
            question = content.question(a["question"]) if content is not None and hasattr(content, "question") else None
            text = question.text if question is not None else a["question"]
            note = f" — {a['note']}" if a.get("note") else ""
            out.append(f"- *{text}* **{answer_words(a['answer'])}**{note}")
        if step_answers:
            out.append("")
        if not step_checks and not step_answers:
            out += ["Nothing recorded for this step.", ""]

    if causes:
        out += ["## Likely causes, most likely first", ""]
        for i, c in enumerate(causes, 1):
            out.append(f"### {i}. {c['title']} — {c['likelihood']} ({c['score']:.2f}, `{c['id']}`, layer: {c['layer']})")
            out.append("")
            if c.get("explanation"):
                out += [c["explanation"], ""]
            for e in c.get("evidence", []):
                out.append(f"- {e}")
            for f in c.get("fixes", []):
                out.append(f"- Fix: {f['text']} *(who: {WHO_WORDS.get(f['who'], f['who'])}; effort: {f['effort']})*")
            out += command_lines(c, WHO_WORDS)
            out.append("")

    if refs:
        out += ["## References for the owner's logs", "", "| kind | value | where to look |", "|---|---|---|"]
        for r in refs:
            out.append(f"| {_cell(r['kind'])} | `{_cell(r['value'])}` | {_cell(r.get('lookup', ''))} |")
        out.append("")
        out += owner_section(tree)

    changes = tree.get("changes", [])
    if changes:
        out += ["## Changes tried", "", "| when (UTC) | change | result |", "|---|---|---|"]
        out += [f"| {ch['at']} | {_cell(ch['note'])} | {_cell(ch['result'])} |" for ch in changes]
        out.append("")

    exchanges = tree.get("exchanges", [])
    if exchanges:
        out += ["## Every request sent", ""]
        for i, ex in enumerate(exchanges, 1):
            status = ex.get("status", ex.get("error_kind", "no answer"))
            route = "" if ex.get("route", "normal") == "normal" else f" via {ex['route']}"
            if ex.get("local_address"):
                route += f" (from {ex['local_address']})"
            out.append(f"### {i}. {ex['check']}: {ex['method']} {ex['url']}{route} → {status} ({ex.get('elapsed_ms', 0)} ms)")
            out.append("")
            if ex.get("error"):
                out += [f"Error: {ex['error']}", ""]
            for hop in ex.get("redirects", []):
                out.append(f"- redirected from {hop}")
            lines = [f"{ex['method']} {ex['url']}"] + [f"{k}: {v}" for k, v in ex.get("request_headers", {}).items()]
            if "status" in ex:
                lines += ["", f"{ex.get('http_version') or 'HTTP/1.1'} {ex['status']} {ex.get('reason', '')}".rstrip()]
                lines += [f"{k}: {v}" for k, v in ex.get("response_headers", {}).items()]
            if ex.get("body_excerpt"):
                lines += ["", ex["body_excerpt"][:1500]]
            out += _fence("\n".join(lines), "http") + [""]
    return "\n".join(out).rstrip() + "\n"
