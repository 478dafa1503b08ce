"""The Markdown section for the site owner: each reference id with the queries that find it, ready to paste."""

from __future__ import annotations

from typing import Any

from wizard403.textsafe import md_code, md_fence, md_text, one_line

# The info string of each fenced block, so the reader's editor highlights it.
FENCE_INFO = {"shell": "sh", "sql": "sql", "kql": "kql", "jq": "jq", "graphql": "graphql", "json": "json",
              "yaml": "yaml", "logging": "text", "insights": "text", "text": "text"}


def owner_section(tree: dict[str, Any]) -> list[str]:
    """Markdown lines: the ids and the time window, then every query in a fenced block, with what to look for."""
    refs = [r for r in tree.get("references", []) if r.get("queries")]
    if not refs:
        return []
    out = ["## For the site owner: find this request in your logs", ""]
    when = next((r for r in refs if r.get("kind") == "utc-time"), None)
    if when is not None:
        out += [f"The refused request was sent at {md_code(str(when['value']))} (UTC); the queries below search "
                "five minutes either side of it.", ""]
    for ref in refs:
        source = f" ({md_text(str(ref['source']))})" if ref.get("source") else ""
        out += [f"### {md_code(str(ref['kind']))} {md_code(str(ref['value']))}{source}", ""]
        for query in ref["queries"]:
            look = f". Look for: {one_line(query['look_for'])}" if query.get("look_for") else ""
            out.append(f"**{one_line(query['tool'])}**{look}")
            out.append("")
            out += md_fence(query["text"], FENCE_INFO.get(query.get("language", "text"), "text")).splitlines()
            out.append("")
    return out


PURPOSE_WORDS = {"verify": "To check", "grant": "To grant", "inspect": "To look closer"}


def command_lines(cause: dict[str, Any], who_words: dict[str, str]) -> list[str]:
    """Markdown lines: each command of a cause in a fenced block, with who runs it and what it shows."""
    out: list[str] = []
    for cmd in cause.get("commands", []):
        who = who_words.get(cmd.get("who", ""), cmd.get("who", ""))
        purpose = PURPOSE_WORDS.get(cmd.get("purpose", ""), "To run")
        out += ["", f"{purpose} (run by {md_text(who)}, with {md_text(cmd['tool'])}): {md_text(cmd['why'])}", ""]
        out += md_fence(cmd["text"], FENCE_INFO.get(cmd.get("language", "shell"), "text")).splitlines()
    return out
