"""The one Markdown widget the wizard uses: its parser knows no links, images, autolinks, raw HTML or entities."""

from __future__ import annotations

from textual.widgets import Markdown

from wizard403.tui.text import safe_parser


class SafeMarkdown(Markdown):
    """A Markdown widget that cannot follow or even show a link: what it is given is read, never obeyed."""

    def __init__(self, markdown: str | None = None, **kwargs) -> None:
        super().__init__(markdown, parser_factory=safe_parser, open_links=False, **kwargs)
