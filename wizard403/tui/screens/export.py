"""Export: a preview of exactly what will be shared (redactions visible), a path, save and copy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, TabbedContent, TabPane, TextArea

from wizard403.errors import WizardError
from wizard403.report import render, write_atomic
from wizard403.textsafe import visible
from wizard403.tui.app import ChecksUpdated
from wizard403.tui.keys import DEFAULT_KEYS

FORMATS = (("md", "Markdown (for a ticket)"), ("toml", "TOML (a session the next tier can open)"), ("json", "JSON"))


class ExportScreen(Screen):
    BINDINGS = [
        Binding(DEFAULT_KEYS["back"], "back", "Back", id="back"),
        Binding(DEFAULT_KEYS["export"], "save", "Save", id="export"),
        Binding("ctrl+y", "copy", "Copy", id="copy"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="export-main"):
            yield Label("Exactly what will be shared; secrets show as [redacted sha256:…].", id="export-note", markup=False)
            with TabbedContent(id="export-tabs"):
                for fmt, title in FORMATS:
                    with TabPane(title, id=f"tab-{fmt}"):
                        yield TextArea(self._preview(fmt), read_only=True, id=f"preview-{fmt}", soft_wrap=True)
            with Horizontal(id="export-path-row"):
                yield Label("Save to:", id="path-label")
                yield Input(value=self._default_path("md"), id="export-path")
            with Horizontal(id="nav"):
                yield Button("← Back", id="back")
                yield Button("Copy to clipboard", id="copy")
                yield Button("Save", id="save", variant="primary")
        yield Footer(compact=True)

    def _preview(self, fmt: str) -> str:
        """The very text that is saved, only its control characters made visible."""
        return visible(render(self.app.session, fmt, self.app.content))

    def on_checks_updated(self, message: ChecksUpdated) -> None:
        """Checks that finish while the preview is open change the report: show what would be saved now."""
        if message.check_id is not None:
            return  # one redraw when the run is over, not one per check
        for fmt, _ in FORMATS:
            area = self.query_one(f"#preview-{fmt}", TextArea)
            text = self._preview(fmt)
            if text != area.text:
                area.load_text(text)

    def _stamp(self) -> str:
        now = self.app.now or dt.datetime.now(dt.timezone.utc)
        return now.strftime("%Y%m%d-%H%M%S")

    def _default_path(self, fmt: str) -> str:
        return f"wizard403-report-{self._stamp()}.{fmt}"

    @property
    def fmt(self) -> str:
        active = self.query_one(TabbedContent).active or "tab-md"
        return active.removeprefix("tab-")

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        path = self.query_one("#export-path", Input)
        stem = Path(path.value).with_suffix("") if path.value else Path(self._default_path("md")).with_suffix("")
        path.value = f"{stem}.{self.fmt}"

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#export-path")
    def action_save(self) -> None:
        raw = self.query_one("#export-path", Input).value.strip()
        if not raw:
            self.app.notify("Give a file name to save to.", severity="warning")
            return
        path = Path(raw).expanduser()
        try:
            write_atomic(path, render(self.app.session, self.fmt, self.app.content))
        except WizardError as err:
            self.app.notify(str(err), severity="error")
            return
        self.app.notify(f"Saved {path}", timeout=6, markup=False)
        self.app.last_export = path

    @on(Button.Pressed, "#copy")
    def action_copy(self) -> None:
        self.app.copy_to_clipboard(render(self.app.session, self.fmt, self.app.content))
        self.app.notify("Copied to the clipboard (if your terminal allows it).", timeout=4)

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.app.pop_screen()
