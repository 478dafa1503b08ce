"""Text on the wizard's screen: outside text is always plain `Content`, never markup, never a link or an action.

Every styled line is composed from pieces (`line`): a `str` piece is shown exactly as written, with its control
characters made visible; a `(text, style)` pair is the same text in a style the wizard chose. Nothing here formats
outside text into a markup string. The Markdown widgets use `SafeMarkdown`, whose parser knows no links, images or
HTML (in `wizard403.tui.markdown`, kept apart so the start screen paints without the Markdown machinery), and
outside text inside their Markdown goes through `md_plain` (every punctuation mark escaped) or
`textsafe.md_code` / `md_fence`, so a block page cannot add a heading, a link or a `<script>`.
"""

from __future__ import annotations

from typing import Union

from textual.content import Content

from wizard403.textsafe import md_text, visible

Piece = Union[str, Content, "tuple[str, str]"]

def plain(text: object) -> Content:
    """`text` shown exactly as written (controls made visible): brackets are brackets, never markup."""
    return Content(visible(str(text)))


def styled(text: object, style: str) -> Content:
    """`text` in one of the wizard's styles, still never read as markup."""
    return Content.styled(visible(str(text)), style)


def line(*parts: Piece) -> Content:
    """One line composed of pieces: strings are plain text, `(text, style)` pairs are styled, Content is kept."""
    pieces: list = []
    for part in parts:
        if isinstance(part, Content):
            pieces.append(part)
        elif isinstance(part, tuple):
            pieces.append((visible(str(part[0])), part[1]))
        else:
            pieces.append(visible(str(part)))
    return Content.assemble(*pieces)


def lines(items: "list[Content]") -> Content:
    """Several lines of Content as one block (for one Static)."""
    return Content("\n").join(items)


def md_plain(text: object) -> str:
    """Outside text for a Markdown document, as one paragraph's words: read as written, whatever it contains."""
    return md_text(" ".join(str(text).splitlines()).strip())


def safe_parser():
    """A CommonMark parser with tables, and without links, images, autolinks, raw HTML, entities or linkify."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table")
    parser.disable(["link", "image", "autolink", "html_inline", "html_block", "entity", "reference"])
    return parser
