"""Split a pasted command line into words, the way bash or Windows cmd.exe would.

"Copy as cURL" comes in two dialects: POSIX (single quotes, `$'…'` strings, backslash line continuations) and
Windows cmd (`^` escapes, `^"` quotes, `^` line continuations, then the C runtime's own quote and backslash rules).
Nothing is expanded or executed: `$VAR` and backticks stay as written and are reported, so the caller can say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wizard403.errors import InputError
from wizard403.redact import redact_text

# A newline protected by a caret in cmd: it belongs to the argument, it does not separate words.
_KEPT_NEWLINE = "\x00"
_WINDOWS_HINT_RE = re.compile(r'\^"|\^\r?\n|^\s*curl\.exe\s', re.I)
_ANSI_SIMPLE = {
    "a": 0x07,
    "b": 0x08,
    "e": 0x1B,
    "E": 0x1B,
    "f": 0x0C,
    "n": 0x0A,
    "r": 0x0D,
    "t": 0x09,
    "v": 0x0B,
    "\\": 0x5C,
    "'": 0x27,
    '"': 0x22,
    "?": 0x3F,
}


@dataclass
class SplitCommand:
    """The words of one command, what was cut off after it, and whether it relied on shell expansion."""

    words: list[str]
    dialect: str  # "posix" | "windows"
    ignored_tail: str = ""
    expansions: list[str] = field(default_factory=list)


def split_command(text: str) -> SplitCommand:
    """Words of a POSIX or cmd.exe command line; raises InputError on an unbalanced quote."""
    if _is_windows(text):
        line, tail = _strip_cmd_carets(text)
        return SplitCommand(_split_msvcrt(line, text), "windows", tail)
    return _split_posix(text)


def _is_windows(text: str) -> bool:
    if _WINDOWS_HINT_RE.search(text):
        return True
    # Older copies for cmd wrap everything in plain double quotes and double the inner ones ({""a"":1}) or
    # write "%" for a percent sign. Bash copies quote with single quotes, so only look when there are none.
    return "'" not in text and bool(re.search(r'[^\s"]""[^\s"]|"%"', text))


def _words_secrets(text: str) -> set[str]:
    """The secrets of a command that cannot be split (its quotes do not balance): read word by word, as the
    command line's own error net does, so a snippet cut from it never shows one."""
    from wizard403.redact import secrets_of_headers, secrets_of_url

    found: set[str] = set()
    words = text.replace("'", " ").replace('"', " ").split()
    for i, word in enumerate(words):
        found |= secrets_of_url(word) if ("@" in word or "?" in word) else set()
        if i and words[i - 1] in ("-H", "--header") and i + 1 < len(words) and word.endswith(":"):
            found |= secrets_of_headers([(word[:-1], " ".join(words[i + 1 : i + 3]))])
            found |= set(words[i + 1 : i + 3])
        if i and words[i - 1] in ("-u", "--user", "-b", "--cookie", "--oauth2-bearer", "-U", "--proxy-user"):
            found |= {word, word.partition(":")[2]}
    return found


def _unbalanced(quote: str, text: str, start: int) -> InputError:
    snippet = redact_text(" ".join(text[max(0, start - 20) : start + 20].split()), _words_secrets(text))
    return InputError(f"the curl command has an unbalanced quote: the {quote} near “{snippet}” is never closed.")


def _split_posix(text: str) -> SplitCommand:
    words: list[str] = []
    expansions: list[str] = []
    cur: list[str] = []
    in_word = False
    i, n = 0, len(text)

    def flush() -> None:
        nonlocal cur, in_word
        if in_word:
            words.append("".join(cur))
        cur, in_word = [], False

    while i < n:
        c = text[i]
        if c in " \t\r\n":
            flush()
            i += 1
        elif c == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt == "\n":
                i += 2
            elif text[i + 1 : i + 3] == "\r\n":
                i += 3
            else:
                cur.append(nxt)
                in_word = True
                i += 2
        elif c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise _unbalanced("single quote (')", text, i)
            cur.append(text[i + 1 : end])
            in_word = True
            i = end + 1
        elif c == "$" and text[i + 1 : i + 2] == "'":
            value, i = _read_ansi_c(text, i + 2)
            cur.append(value)
            in_word = True
        elif c == '"' or (c == "$" and text[i + 1 : i + 2] == '"'):
            start = i
            i += 1 if c == '"' else 2
            while True:
                if i >= n:
                    raise _unbalanced('double quote (")', text, start)
                d = text[i]
                if d == '"':
                    i += 1
                    break
                if d == "\\" and i + 1 < n and text[i + 1] in '$`"\\\n':
                    if text[i + 1] != "\n":
                        cur.append(text[i + 1])
                    i += 2
                    continue
                if d in "$`":
                    _note_expansion(text, i, expansions)
                cur.append(d)
                i += 1
            in_word = True
        elif c == "#" and not in_word:
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c in "|;<>" or (c == "&" and (not in_word or text[i + 1 : i + 2] == "&")):
            flush()
            return SplitCommand(words, "posix", text[i:].strip(), expansions)
        else:
            if c in "$`":
                _note_expansion(text, i, expansions)
            cur.append(c)
            in_word = True
            i += 1
    flush()
    return SplitCommand(words, "posix", "", expansions)


def _note_expansion(text: str, i: int, found: list[str]) -> None:
    match = re.match(r"\$(?:\{[^}]*\}|\([^)]*\)|[A-Za-z_][A-Za-z0-9_]*)|`[^`]*`", text[i:])
    if match and match.group(0) not in found:
        found.append(match.group(0))


def _read_ansi_c(text: str, i: int) -> tuple[str, int]:
    """Decode a bash `$'…'` string starting after the opening quote; returns (value, index after the close)."""
    out = bytearray()
    n = len(text)
    start = i - 2
    while True:
        if i >= n:
            raise _unbalanced("$'…' string", text, start)
        c = text[i]
        if c == "'":
            return out.decode("utf-8", "surrogateescape"), i + 1
        if c != "\\" or i + 1 >= n:
            out += c.encode("utf-8", "surrogateescape")
            i += 1
            continue
        e = text[i + 1]
        i += 2
        if e in _ANSI_SIMPLE:
            out.append(_ANSI_SIMPLE[e])
        elif e in "01234567":
            digits = re.match(r"[0-7]{0,2}", text[i:]).group(0)
            out.append(int(e + digits, 8) & 0xFF)
            i += len(digits)
        elif e == "x":
            digits = re.match(r"[0-9A-Fa-f]{1,2}", text[i:])
            if digits:
                out.append(int(digits.group(0), 16))
                i += len(digits.group(0))
            else:
                out += b"\\x"
        elif e in "uU":
            digits = re.match(r"[0-9A-Fa-f]{1,%d}" % (4 if e == "u" else 8), text[i:])
            if digits:
                out += chr(min(int(digits.group(0), 16), 0x10FFFF)).encode("utf-8", "surrogatepass")
                i += len(digits.group(0))
            else:
                out += ("\\" + e).encode()
        elif e == "c" and i < n:
            out.append(ord(text[i]) & 0x1F)
            i += 1
        else:
            out += ("\\" + e).encode("utf-8", "surrogateescape")


def _strip_cmd_carets(text: str) -> tuple[str, str]:
    """What cmd.exe hands to the program (carets removed outside cmd quotes, `^` + newline joins lines),
    and the text after an unescaped `&`, `|`, `<` or `>`, which cmd would treat as another command."""
    out: list[str] = []
    quoted = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            quoted = not quoted
            out.append(c)
            i += 1
        elif c == "^" and not quoted:
            nxt = text[i + 1 : i + 2]
            if nxt in ("\n", "\r"):
                i += 3 if text[i + 1 : i + 3] == "\r\n" else 2
                # A second newline right after the continuation is a literal newline inside the argument.
                if text[i : i + 1] == "\n":
                    out.append(_KEPT_NEWLINE)
                    i += 1
                elif text[i : i + 2] == "\r\n":
                    out.append(_KEPT_NEWLINE)
                    i += 2
            else:
                out.append(nxt)
                i += 2
        elif c in "&|<>" and not quoted:
            return "".join(out), text[i:].strip()
        else:
            out.append(c)
            i += 1
    if quoted:
        raise _unbalanced('double quote (")', text, text.rfind('"'))
    return "".join(out), ""


def _split_msvcrt(line: str, original: str) -> list[str]:
    """The C runtime's argv rules: `"` toggles quoting, `""` inside quotes is a quote, backslashes before a quote."""
    words: list[str] = []
    cur: list[str] = []
    in_word = False
    quoted = False
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == "\\":
            j = i
            while j < n and line[j] == "\\":
                j += 1
            count = j - i
            if j < n and line[j] == '"':
                cur.append("\\" * (count // 2))
                if count % 2:
                    cur.append('"')
                    j += 1
            else:
                cur.append("\\" * count)
            in_word = True
            i = j
        elif c == '"':
            if quoted and line[i + 1 : i + 2] == '"':
                cur.append('"')
                i += 2
            else:
                quoted = not quoted
                i += 1
            in_word = True
        elif c in " \t\r\n" and not quoted:
            if in_word:
                words.append("".join(cur))
            cur, in_word = [], False
            i += 1
        else:
            cur.append("\n" if c == _KEPT_NEWLINE else c)
            in_word = True
            i += 1
    if quoted:
        raise _unbalanced('double quote (")', original, original.rfind('"'))
    if in_word:
        words.append("".join(cur))
    return words
