"""'Did it fix it?': note what changed, re-run every check, and compare before and after side by side."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, Static

from wizard403.tui.keys import DEFAULT_KEYS
from wizard403.textsafe import status_text
from wizard403.tui.text import plain

OFFLINE = (
    "This session is recorded evidence analysed offline, so nothing can be re-tested from here. To see whether the "
    "change fixed it, bring a new recording (paste the new response or open a new HAR from the start screen), or "
    "start wizard403 with --live to send the request again. The change is still noted in the report's timeline."
)
NOT_RETESTED = "Not re-tested: the evidence is a recording (re-test with a new recording or --live)."


def snapshot(session) -> dict[str, str]:
    """What a user compares: the answer they get, the verdict and the top cause, plus each check's mark."""
    base = next((e for e in session.exchanges if e.check == "baseline"), None)
    status = "no answer" if base is None else status_text(base.status, base.reason)
    top = session.causes[0].title if session.causes else "—"
    out = {"Answer from the server": status, "Most likely cause": top}
    for check in session.checks:
        out[check.id] = check.status
    return out


def verdict_line(before: dict[str, str], after: dict[str, str]) -> str:
    """One plain sentence: did the change fix it?"""
    was, now = before["Answer from the server"], after["Answer from the server"]
    if now.startswith(("401", "403")):
        return f"Still refused ({now}): this change did not fix it." if was == now else f"Still refused, now {now} (was {was})."
    if now[:1] in ("2", "3") and was.startswith(("401", "403")):
        return f"Fixed: the server now answers {now} (was {was})."
    if now == "no answer":
        return f"No answer from the server now (was {was}): re-test once it can be reached."
    return f"The server now answers {now} (was {was})."


class ChangeScreen(Screen):
    BINDINGS = [Binding(DEFAULT_KEYS["back"], "back", "Back", id="back")]
    OFFERS_CHANGE = False  # f6 here would open a second change dialog

    def compose(self) -> ComposeResult:
        live = self.app.live
        yield Header()
        with Vertical(id="change-main"):
            yield Label("What did you (or the admin) change? It goes into the report's timeline.")
            yield Input(placeholder="e.g. Admin added role Reader", id="change-note")
            with Horizontal(id="nav"):
                yield Button("← Back", id="back")
                yield Button("Re-test now" if live else "Note the change", id="retest", variant="primary")
            yield Static("" if live else OFFLINE, id="comparison", markup=False)
        yield Footer(compact=True)

    @on(Input.Submitted, "#change-note")
    @on(Button.Pressed, "#retest")
    def retest(self) -> None:
        note = self.query_one("#change-note", Input).value.strip()
        if not note:
            self.app.notify("Describe the change first, so the report can say what was tried.", severity="warning")
            return
        if not self.app.live:
            self.app.record_change(note, NOT_RETESTED)
            self.query_one("#comparison", Static).update(plain(f"Noted: {self.app.shown(note)}\n\n{OFFLINE}"))
            return
        self.query_one("#comparison", Static).update("Re-running every check…")
        self.run_retest(note)

    @work(exclusive=True, group="checks", exit_on_error=False)
    async def run_retest(self, note: str) -> None:
        from wizard403.headless import analyse

        app = self.app
        before = snapshot(app.session)
        app.checks_started = True
        await analyse(app.session, app.options, app.content, live=app.live)
        after = snapshot(app.session)
        result = verdict_line(before, after)
        app.record_change(note, result)
        rows = [result, "", "Before → after:"]
        for key in after:
            if before.get(key) != after[key] or key in ("Answer from the server", "Most likely cause"):
                rows.append(f"• {key}: {before.get(key, '—')} → {after[key]}")
        self.query_one("#comparison", Static).update(plain(app.shown("\n".join(rows))))
        app.post_to_screens()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.app.pop_screen()
