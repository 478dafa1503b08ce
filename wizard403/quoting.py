"""Values from a response put into a query or a command as one inert literal of its language.

Owner queries (content/queries.toml) and fix commands (content/fixes/) are templates with `{{name}}` placeholders.
Every value comes from outside (an id, a principal, a path a server echoed), so it is quoted for the template's
language on the way in: a value holding quotes, pipes, `$(...)`, backticks or newlines arrives as one literal equal
to itself, never as syntax. Single braces stay literal, so GraphQL, jq, JSON and YAML templates need no escaping.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable

from wizard403.textsafe import one_line, visible

PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z0-9_:-]+)\s*\}\}")


def _sql(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _kql(value: str) -> str:
    # KQL strings know \\ \" \n \t; any other control character is shown as its picture (no real id has one).
    value = visible(value.replace("\r", ""))
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped.replace("\t", "\\t") + '"'


def _json(value: str) -> str:
    # JSON string syntax is also a valid string literal in jq, GraphQL, Cloud Logging, Logs Insights and YAML
    # (a double-quoted scalar); ASCII-only output keeps every control or bidi character as an escape.
    return json.dumps(value, ensure_ascii=True)


QUOTERS: dict[str, Callable[[str], str]] = {
    "text": one_line,
    "sql": _sql,
    "kql": _kql,
    "shell": shlex.quote,
    "jq": _json,
    "graphql": _json,
    "logging": _json,
    "insights": _json,
    "json": _json,
    "yaml": _json,
}
LANGUAGES = tuple(QUOTERS)


def placeholders(text: str) -> tuple[str, ...]:
    """The placeholder names a template uses, in order."""
    return tuple(m.group(1) for m in PLACEHOLDER_RE.finditer(text))


def substitute(text: str, filled: dict[str, str]) -> str:
    """One pass over the template, so a filled value is never scanned for placeholders again."""
    return PLACEHOLDER_RE.sub(lambda m: filled[m.group(1)], text)


def fill(text: str, language: str, values: dict[str, object], bare: frozenset[str] = frozenset()) -> str | None:
    """The template with every placeholder quoted for `language`; None when a value is missing.

    Names in `bare` are our own numbers (epoch seconds, a status) and are written as they are.
    """
    quote = QUOTERS[language]
    filled: dict[str, str] = {}
    for name in placeholders(text):
        if values.get(name) is None:
            return None
        filled[name] = str(int(values[name])) if name in bare else quote(str(values[name]))  # type: ignore[arg-type]
    return substitute(text, filled)
