"""What a person sees: the wizard's screen as plain text, read from Textual's own screenshot.

TUI tests assert on this (and on what was saved), never on how a widget builds its text, so they hold however the
screens compose markup or Content.
"""

from __future__ import annotations

import html
import re

_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" clip-path="url\(#[\w-]*?line-(\d+)\)">(.*?)</text>')
CELL = 12.2  # the width of one terminal cell in Rich's SVG export


def screen_text(app) -> str:
    """Every line of the current screen, as the terminal shows it (trailing spaces trimmed)."""
    rows: dict[int, dict[int, str]] = {}
    for x, line, text in _TEXT.findall(app.export_screenshot()):
        column = round(float(x) / CELL)
        for offset, char in enumerate(html.unescape(text).replace("\xa0", " ")):
            rows.setdefault(int(line), {})[column + offset] = char
    lines = []
    for number in range(max(rows, default=-1) + 1):
        cells = rows.get(number, {})
        lines.append("".join(cells.get(i, " ") for i in range(max(cells, default=-1) + 1)).rstrip())
    return "\n".join(lines)


def screen_prose(app) -> str:
    """The main pane's text as one line (the step list left of '│' dropped, wrapped lines joined), for phrases."""
    parts = []
    for line in screen_text(app).splitlines():
        if "│" in line:
            line = line.split("│", 1)[1]
        parts.append(line.strip().rstrip("▇▁▂▃▄▅▆█▊▌▍▎▏").strip())
    return " ".join(" ".join(parts).split())
