"""Which two requests to compare: the one that works (a HAR entry, a curl command in a file or pasted) and the refused
one (the same choices, or the session's own request when a session is open). Compare opens the comparison view.

Every file is read by `wizard403.compare.sides`, so a bad file gets the sentence the command line gives.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from wizard403.errors import InputError, WizardError
from wizard403.textsafe import one_line
from wizard403.tui.keys import DEFAULT_KEYS
from wizard403.tui.text import line, plain, styled

TITLE = "Compare with a request that works"
INTRO = (
    "A request that works (yours from another browser or network, or a colleague's) tells a lot: wizard403 lines it "
    "up with the refused one and ranks every difference by how likely it explains the 403. Nothing is sent until you "
    "ask it to find the culprit."
)
ROLES = {
    "working": "The request that works",
    "refused": "The refused request",
}
SESSION_LABEL = "the refused request of this session"


class CompareFormScreen(Screen):
    """Two small forms (one when a session gives the refused request); Compare (ctrl+n) opens the comparison."""

    BINDINGS = [
        Binding(DEFAULT_KEYS["next"], "compare", "Compare", id="next"),
        Binding(DEFAULT_KEYS["back"], "back", "Back", id="back"),
    ]

    def __init__(self) -> None:
        super().__init__(name="compare-form")
        self._archives: dict[str, tuple[str, object]] = {}  # role -> (the path typed, its HAR archive)
        self._picked: dict[str, tuple[str, int]] = {}  # role -> (the path typed, the entry chosen in its list)

    @property
    def roles(self) -> tuple[str, ...]:
        return ("working",) if self.app.session is not None else ("working", "refused")

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="compare-form"):
            yield Label(styled(TITLE, "bold"))
            yield Static(INTRO, id="compare-intro", markup=False)
            for role in self.roles:
                yield from self._side_fields(role)
            if self.app.session is not None:
                yield Label(line((f"{ROLES['refused']}: ", "bold"), self._session_target(), " (this session's)"),
                            classes="compare-side-title")
            yield Static("", id="compare-error", markup=False)
            with Horizontal(id="nav"):
                yield Button("← Back", id="back")
                yield Button("Compare ▶", id="compare", variant="primary")
        yield Footer(compact=True)

    def _side_fields(self, role: str) -> ComposeResult:
        yield Label(styled(ROLES[role], "bold"), classes="compare-side-title")
        yield Label("A HAR file or a file holding a curl command (press Enter to list a HAR's requests):")
        yield Input(placeholder="/path/to/capture.har or /path/to/curl.txt", id=f"{role}-path")
        entries = OptionList(id=f"{role}-entries", classes="compare-entries")
        entries.display = False
        yield entries
        yield Static("", id=f"{role}-picked", classes="compare-picked", markup=False)
        yield Label("…or paste a curl command (the browser's 'Copy as cURL'):")
        yield TextArea("", id=f"{role}-curl", classes="small-area")

    def _session_target(self) -> str:
        from wizard403.redact import redact_url

        target = self.app.session.target
        return one_line(self.app.scrubber.scrub(f"{target.method} {redact_url(target.url)}"))

    def on_mount(self) -> None:
        self.query_one("#working-path", Input).focus()

    def error(self, text: str) -> None:
        from wizard403.scrub import Scrubber

        self.query_one("#compare-error", Static).update(plain(Scrubber().shown(text)))
        if text:
            self.app.bell()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.app.pop_screen()

    # ---------------------------------------------------------------- a HAR's entries

    @on(Input.Submitted, "#working-path, #refused-path")
    def path_submitted(self, event: Input.Submitted) -> None:
        role = event.input.id.removesuffix("-path")
        try:
            self._open(role)
        except WizardError as err:
            self.error(str(err))

    def _open(self, role: str) -> None:
        from wizard403.compare.sides import is_har, load_side
        from wizard403.inputs.har import open_har
        from wizard403.tui.screens.start import har_url

        raw = self.query_one(f"#{role}-path", Input).value.strip()
        if not raw:
            raise InputError(f"Give the path of a HAR file or of a file holding a curl command for {ROLES[role].lower()}.")
        path = Path(raw).expanduser()
        listing = self.query_one(f"#{role}-entries", OptionList)
        self.error("")
        if not is_har(path):
            side = load_side(path, role)
            listing.display = False
            self._show_picked(role, side)
        else:
            archive = open_har(path)
            self._archives[role] = (raw, archive)
            listing.clear_options()
            for entry in archive.ordered():
                mark = "✘" if entry.refused else " "
                listing.add_option(Option(line(f"{mark} {entry.status} ", one_line(str(entry.method)), " ",
                                               har_url(entry.url)), id=f"entry-{entry.index}"))
            listing.display = True
            self.query_one(f"#{role}-picked", Static).update(
                plain("Pick an entry (Enter), or leave it to the default: the highlighted one."))
            self._highlight_default(role)
            listing.focus()
        if role == "refused":  # the working side's default is the refused request's twin
            self._highlight_default("working")

    def _highlight_default(self, role: str) -> None:
        """Highlight the entry Compare takes when none is picked (the command line's default)."""
        from wizard403.compare.sides import default_entry

        if role not in self._archives or role in self._picked:
            return
        raw, archive = self._archives[role]
        try:
            refused = self._refused_guess() if role == "working" else None
            default = default_entry(archive, role, refused, Path(raw).expanduser())
        except WizardError as err:
            self.error(str(err))
            return
        listing = self.query_one(f"#{role}-entries", OptionList)
        listing.highlighted = next(i for i, e in enumerate(archive.ordered()) if e.index == default)

    def _refused_guess(self):
        """The refused side if it can already be read (the working side's default entry is its twin), else None."""
        try:
            return self._side("refused")
        except WizardError:
            return None

    @on(OptionList.OptionSelected, "#working-entries, #refused-entries")
    def entry_chosen(self, event: OptionList.OptionSelected) -> None:
        from wizard403.compare.sides import load_side

        role = event.option_list.id.removesuffix("-entries")
        raw, _archive = self._archives[role]
        index = int(event.option.id.removeprefix("entry-"))
        self._picked[role] = (raw, index)
        try:
            self._show_picked(role, load_side(Path(raw).expanduser(), role, index))
        except WizardError as err:
            self.error(str(err))

    def _show_picked(self, role: str, side) -> None:
        from wizard403.model import Session
        from wizard403.redact import redact_url
        from wizard403.scrub import Scrubber

        scrubber = Scrubber.for_session(Session(target=side.target))
        request = scrubber.scrub(f"{side.target.method} {redact_url(side.target.url)}")
        status = f" (answered {side.status})" if side.status is not None else ""
        self.query_one(f"#{role}-picked", Static).update(
            line(("✓ ", "bold"), one_line(request), status, ("  from ", "dim"), one_line(scrubber.scrub(side.label))))

    # ---------------------------------------------------------------- compare

    @on(Button.Pressed, "#compare")
    def action_compare(self) -> None:
        from wizard403.tui.screens.compare import CompareScreen

        try:
            refused = self._side("refused")
            working = self._side("working", refused)
        except WizardError as err:
            self.error(str(err))
            return
        self.error("")
        self.app.push_screen(CompareScreen(working, refused, in_session=self.app.session is not None))

    def _side(self, role: str, refused=None):
        """One side as the form gives it; InputError with the command line's sentence when it cannot be read."""
        from wizard403.compare.sides import curl_side, load_side, session_side

        if role == "refused" and self.app.session is not None:
            from wizard403.checks.registry import baseline_of

            return session_side(self.app.session.target, baseline_of(self.app.session), SESSION_LABEL)
        raw = self.query_one(f"#{role}-path", Input).value.strip()
        pasted = self.query_one(f"#{role}-curl", TextArea).text.strip()
        if raw and pasted:
            raise InputError(f"Give {ROLES[role].lower()} as a file or as a pasted curl command, not both.")
        if pasted:
            return curl_side(pasted, role)
        if not raw:
            raise InputError(f"Give {ROLES[role].lower()}: the path of a HAR file or of a file holding a curl "
                             "command, or paste a curl command.")
        picked = self._picked.get(role)
        entry = picked[1] if picked is not None and picked[0] == raw else None
        return load_side(Path(raw).expanduser(), role, entry, refused)
