"""Outside text made safe to show: control characters visible, bytes decoded without crashing, Markdown quoted.

Anything from a server, a file, a saved session or the user is data. Before it reaches a terminal (the wizard's
screen, `check`'s stderr) or a Markdown report, it passes through `visible`, so that an escape sequence cannot set
the terminal's title, write the clipboard or clear the screen, and a bidirectional override cannot reorder what a
reader sees. JSON and TOML keep the exact text (their writers escape it); only what a person reads is changed.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, and the bidirectional embeddings, overrides and isolates.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_ESC_PICTURE = "\u241b"  # ␛


def _picture(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if char == "\x1b":
        return _ESC_PICTURE
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ ␁ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def visible(text: str, *, keep_newlines: bool = True) -> str:
    """`text` with every control character shown as a visible picture (ESC as ␛, CR as ␍, U+202E as <U+202E>).

    Newlines and tabs stay (unless `keep_newlines` is false, for one-line fields); nothing else that a terminal
    would act on survives.
    """
    if not text:
        return text
    if not isinstance(text, str):
        text = str(text)
    if not keep_newlines:
        text = text.replace("\r\n", "\n").replace("\n", "\u2424").replace("\t", " ")  # ␤
    return _CONTROL_RE.sub(_picture, text)


def one_line(text: str) -> str:
    """A single visible line (for a header value, a reason phrase, a table cell)."""
    return visible(text, keep_newlines=False)


_DATA_UNSAFE_RE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def escape_serialised(text: str) -> str:
    """A JSON or TOML document with every C1 control, bidi override and line separator left raw by the serialiser
    written as a \\uXXXX escape: the document parses to the same data, and `cat report.json` cannot reorder or
    drive the terminal. Only valid where such characters can occur inside strings only (JSON, tomli-w's TOML)."""
    return _DATA_UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def status_text(status: int | None, reason: str | None) -> str:
    """'403 Forbidden', or just '403' when the server sent no reason phrase (HTTP/1.0 and HTTP/2 may not)."""
    if status is None:
        return "no answer"
    reason = (reason or "").strip()
    return f"{status} {reason}" if reason else str(status)


def has_controls(text: str) -> bool:
    return bool(_CONTROL_RE.search(text))


def decode(data: bytes, charset: str | None = None) -> str:
    """Bytes from outside as text: the declared charset if it decodes, else UTF-8 with replacement characters."""
    if charset:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return data.decode("utf-8", "replace")


def decode_line(data: bytes) -> str:
    """A status line or header value: UTF-8 if valid, else Latin-1 (HTTP's historical charset), so letters survive."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# ---------------------------------------------------------------------------------------------------------------
# Markdown: server text is quoted, never obeyed.


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def md_code(text: str) -> str:
    """An inline code span holding `text` on one line, whatever backticks or pipes it contains.

    Pipes are escaped so the span cannot break a table row; the fence is one backtick longer than any run inside.
    """
    line = one_line(text).replace("|", "\\|")
    if not line:
        return "``"
    fence = "`" * (_longest_backtick_run(line) + 1)
    pad = " " if line.startswith("`") or line.endswith("`") or (line.startswith(" ") and line.endswith(" ")) else ""
    return f"{fence}{pad}{line}{pad}{fence}"


def md_fence(text: str, info: str = "") -> str:
    """A fenced block holding `text` verbatim (controls made visible), with a fence longer than any run inside."""
    body = visible(text).rstrip("\n")
    fence = "`" * max(3, _longest_backtick_run(body) + 1)
    return f"{fence}{info}\n{body}\n{fence}"


_MD_INLINE_RE = re.compile(r"([\\`*_\[\]<>|&~])")
_MD_LINE_START_RE = re.compile(r"^(\s*)([#+=>-]|\d+(?=[.)]))")


def md_text(text: str) -> str:
    """Outside text as inert Markdown prose on one line: emphasis, code, links, HTML, entities and table pipes are
    escaped, and so is anything that would start a heading, a list or a quote."""
    inline = _MD_INLINE_RE.sub(r"\\\1", one_line(text).lstrip())  # leading blanks would start a code block

    def escape_start(m: re.Match[str]) -> str:
        mark = m.group(2)
        return m.group(1) + (mark + "\\" if mark[0].isdigit() else "\\" + mark)  # "1\." or "\#"

    return _MD_LINE_START_RE.sub(escape_start, inline)
