"""The help screen: the FAQ from content, and the keys."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from wizard403.tui.keys import KEY_ACTIONS, effective_keys
from wizard403.tui.markdown import SafeMarkdown
from wizard403.tui.text import md_plain


class HelpScreen(ModalScreen[None]):
    # The help key closes help again; id "help" so that a key changed in keys.toml does it too.
    BINDINGS = [Binding("escape", "dismiss", "Close"), Binding("f1", "dismiss", "Close", show=False, id="help")]

    def __init__(self, content) -> None:
        super().__init__()
        self.content = content

    def compose(self) -> ComposeResult:
        faq = "\n\n".join(f"### {md_plain(item.question)}\n\n{md_plain(item.answer)}" for item in self.content.faq)
        current = effective_keys(getattr(self.app, "key_overrides", None))
        keys = "\n".join(f"| {_key_cell(current[name])} | {md_plain(what)} |" for name, what in KEY_ACTIONS.items())
        text = (
            "# Help\n\nwizard403 walks you through six steps, runs the checks it can, and ranks the likely causes. "
            "Press **Escape** to close this help.\n\n## Keys\n\n| key | action |\n|---|---|\n"
            f"{keys}\n| `ctrl+p` | command palette |\n| `ctrl+q` | quit (your answers are saved) |\n\n"
            "Keys can be changed in `~/.config/wizard403/keys.toml` (`[keys]` then `next = \"ctrl+n\"`; the ids are "
            f"{', '.join(f'`{name}`' for name in KEY_ACTIONS)}).\n\n"
            f"## Questions and answers\n\n{faq}"
        )
        with VerticalScroll(classes="help"):
            yield SafeMarkdown(text)

    def action_dismiss(self) -> None:
        self.dismiss(None)


def _key_cell(key: str) -> str:
    """A key from keys.toml as a table cell: the user's own text, never Markdown (a `|` or backtick stays itself)."""
    return "`" + key.replace("`", "'").replace("|", "\\|") + "`"
