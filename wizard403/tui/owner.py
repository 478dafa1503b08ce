"""What the wizard hands to the people who can fix the refusal, ready to copy: the owner's log queries (step 6) and
the commands that check and grant a permission (step 2 and the summary).

Each query or command is a `CopyBlock`: a focusable block (Tab or the arrow keys reach it; the copy key or Enter
copies it; a small Copy button does the same with the mouse) showing the text exactly as it is copied. That text
comes from the session (the server's ids, quoted for their language by `wizard403.quoting`), so it is scrubbed of
the session's secrets, its controls are made visible, and it is shown as plain `Content`, never as markup. What is
copied is what is shown, and what the Markdown report holds in its fenced block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static

from wizard403.model import Cause, Reference, Session
from wizard403.owner_queries import time_window
from wizard403.report.markdown import WHO_WORDS
from wizard403.report.owner import PURPOSE_WORDS
from wizard403.scrub import Scrubber
from wizard403.textsafe import one_line
from wizard403.tui.keys import DEFAULT_KEYS
from wizard403.tui.text import line, plain, styled

PLAIN_CAUSES = 3  # plain mode shows the three most likely causes (the summary and step 2 alike)
TOLD_MAX = 70  # an id quoted in a notification is cut to this many characters


def shown_causes(session: Session | None, expert: bool) -> list[Cause]:
    if session is None:
        return []
    return list(session.causes) if expert else list(session.causes[:PLAIN_CAUSES])


def short_tool(tool: str) -> str:
    """A tool's name without its parenthesised details: 'jq over the audit log file (the path …)' → 'jq over …'."""
    return tool.split(" (", 1)[0].strip() or tool


def _cut(text: str) -> str:
    return text if len(text) <= TOLD_MAX else text[: TOLD_MAX - 1] + "…"


@dataclass(frozen=True)
class Copyable:
    """One query or command as the screen shows it: every text here is already scrubbed and visible."""

    heading: Content
    text: str  # exactly what the copy key puts on the clipboard
    note: Content | None
    told: str  # the notification after a copy


def query_items(ref: Reference, scrubber: Scrubber) -> list[Copyable]:
    say = scrubber.shown
    what = _cut(f"{one_line(say(ref.kind))} {one_line(say(ref.value))}")
    items = []
    for query in ref.queries:
        tool = one_line(say(query.tool))
        heading = line((tool, "bold"), (f" · {one_line(say(query.language))}", "dim"))
        note = line(("Look for: ", "italic"), one_line(say(query.look_for))) if query.look_for else None
        items.append(Copyable(heading, say(query.text), note, f"Copied the {short_tool(tool)} query for {what}."))
    return items


def command_items(cause: Cause, scrubber: Scrubber) -> list[Copyable]:
    say = scrubber.shown
    items = []
    for cmd in cause.commands:
        tool = one_line(say(cmd.tool))
        who = WHO_WORDS.get(cmd.who, one_line(say(cmd.who)))
        purpose = PURPOSE_WORDS.get(cmd.purpose, "To run")
        heading = line((purpose, "bold"), f" — run by {who}, with ", (tool, "italic"))
        note = plain(one_line(say(cmd.why))) if cmd.why else None
        told = f"Copied the {short_tool(tool)} command ({purpose.lower()}, run by {who})."
        items.append(Copyable(heading, say(cmd.text), note, told))
    return items


class CopyBlock(Vertical, can_focus=True, can_focus_children=False):
    """One query or command: its heading, the text in a code box, a line on what it shows, and a Copy button."""

    BINDINGS = [
        Binding(DEFAULT_KEYS["copy-item"], "copy", "Copy", id="copy-item", tooltip="Copy this to the clipboard"),
        Binding("enter", "copy", "Copy", show=False),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, item: Copyable, **kwargs: Any) -> None:
        super().__init__(classes="copy-block", **kwargs)
        self.item = item

    def compose(self) -> ComposeResult:
        with Horizontal(classes="copy-head"):
            yield Static(self.item.heading, classes="copy-title")
            yield Button("Copy", compact=True, classes="copy-button", tooltip="Copy this to the clipboard")
        yield Static(plain(self.item.text), classes="copy-text")
        if self.item.note is not None:
            yield Static(self.item.note, classes="copy-note")

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.item.text)
        self.app.notify(self.item.told, timeout=4)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.focus()
        self.action_copy()

    def action_move(self, delta: int) -> None:
        """Up and down go from block to block; past the first or the last, focus moves on as Tab would."""
        blocks = list(self.screen.query(CopyBlock))
        index = blocks.index(self) + delta
        if 0 <= index < len(blocks):
            blocks[index].focus()
        elif delta > 0:
            self.screen.focus_next()
        else:
            self.screen.focus_previous()


COMMANDS_TITLE = "Commands to check and fix it"
COMMANDS_HINT = "(each says who runs it: Tab to one and press Enter to copy it, or click Copy)"


def commands_heading() -> Static:
    return Static(line((COMMANDS_TITLE, "bold"), " ", (COMMANDS_HINT, "dim")), classes="copy-section")


def command_blocks(cause: Cause, scrubber: Scrubber) -> ComposeResult:
    for item in command_items(cause, scrubber):
        yield CopyBlock(item)


class _Recomposing(Vertical):
    """A section drawn from the session that redraws itself only when what it shows changed, and only on the
    screen in front (called on every check event, on every open screen: comparing a key is cheap, rebuilding the
    blocks is not). Its screen calls `show` again when it comes back to the front."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key: object = None

    def state(self) -> object:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        self._key = self.state()
        yield from self.draw()

    def draw(self) -> ComposeResult:
        raise NotImplementedError

    def show(self) -> None:
        """Redraw if what it shows changed; a screen under another one waits until it is shown again."""
        if self.screen.is_active and self.state() != self._key:
            self.refresh(recompose=True)


NO_REFERENCES = {
    True: "No reference id or request time came back in the answers: if the refusal shows elsewhere (a browser, another "
          "machine), paste that response with its headers on the start screen, where the ids the owner needs are.",
    False: "No reference id or request time was found in this evidence: re-run with the live checks (start the wizard "
           "with --live) or paste the full response with its headers on the start screen, where the ids the owner needs are.",
}
RUNNING_REFERENCES = "The checks are still collecting the reference ids; their queries appear here."


class OwnerQueries(_Recomposing):
    """Step 6: for each reference found, its kind and id, the time window, and each query that finds it."""

    def state(self) -> object:
        app = self.app
        session = app.session
        say = app.scrubber.shown  # what is shown is compared, so a secret learnt later redraws the blocks too
        refs = tuple(
            (say(r.kind), say(r.value), say(r.source), r.at, say(r.lookup),
             tuple((say(q.tool), q.language, say(q.text), say(q.look_for)) for q in r.queries))
            for r in (session.references if session else ())
        )
        return refs, not refs and bool(app.running)

    def draw(self) -> ComposeResult:
        app = self.app
        session = app.session
        refs = list(session.references) if session is not None else []
        hint = "(for the site owner: Tab to one and press Enter to copy it, or click Copy)"
        yield Static(line(("Queries for the owner's logs", "bold"), " ", (hint, "dim")), classes="copy-section")
        if not refs:
            yield Static(plain(RUNNING_REFERENCES if app.running else NO_REFERENCES[bool(app.live)]), classes="owner-empty")
            return
        scrubber = app.scrubber
        say = scrubber.shown
        for ref in refs:
            source = f" ({one_line(say(ref.source))})" if ref.source else ""
            yield Static(line((one_line(say(ref.kind)), "bold"), " ", one_line(say(ref.value)), (source, "dim")), classes="owner-ref")
            at, start, end = time_window(ref, session)
            window = f"Sent {at:%Y-%m-%d %H:%M:%S} UTC; the queries search {start:%H:%M:%S} to {end:%H:%M:%S} UTC."
            yield Static(styled(window, "dim"), classes="owner-window")
            if ref.lookup:
                yield Static(line(("Where to look: ", "dim"), one_line(say(ref.lookup))), classes="owner-window")
            for item in query_items(ref, scrubber):
                yield CopyBlock(item)


class CauseCommands(_Recomposing):
    """Step 2: the commands of each likely cause that has some, under the cause's title; nothing when none has."""

    def state(self) -> object:
        app = self.app
        say = app.scrubber.shown
        return tuple(
            (say(c.title), c.likelihood, tuple((say(m.tool), m.who, m.purpose, say(m.why), say(m.text)) for m in c.commands))
            for c in shown_causes(app.session, app.expert) if c.commands
        )

    def draw(self) -> ComposeResult:
        app = self.app
        scrubber = app.scrubber
        causes = [c for c in shown_causes(app.session, app.expert) if c.commands]
        if causes:
            yield commands_heading()
        for cause in causes:
            say = scrubber.shown
            title = line("For ", (one_line(say(cause.title)), "bold"), (f" ({one_line(say(cause.likelihood))} likelihood)", "dim"))
            yield Static(title, classes="owner-ref")
            yield from command_blocks(cause, scrubber)


def first_copy_block(screen) -> CopyBlock | None:
    blocks = screen.query(CopyBlock)
    return blocks.first() if blocks else None
