"""The start: a light menu (so the wizard paints fast), then one small form per way of giving the evidence —
a lab scenario, a URL with its credentials and routes, a curl command, a HAR, a raw response, or a saved session.
Whatever is chosen becomes a Session and the step screens open on it."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Header, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from wizard403 import autosave
from wizard403.errors import InputError, WizardError
from wizard403.model import Headers, ProbeOptions, Session, Target
from wizard403.textsafe import one_line
from wizard403.tui.text import line as joined, plain, styled

METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
SOURCES = (
    ("url", "Enter a URL (with a token, cookies, a proxy, an alternate route)"),
    ("curl", "Paste a curl command (the browser's 'Copy as cURL')"),
    ("har", "Open a HAR file from the browser's network tab"),
    ("response", "Paste a raw HTTP response or a block page"),
    ("resume", "Resume a saved session or TOML report"),
    ("compare", "Compare with a request that works (a colleague's, another browser's)"),
)
INTRO = (
    "Tell wizard403 which request is refused. It checks what it can from here, asks what it cannot know, and "
    "tells you the likely cause and who can fix it. Nothing is sent until you start."
)


class StartScreen(Screen):
    """The menu: lab scenarios (in the demo), the ways to give evidence, and recently used targets."""

    def compose(self) -> ComposeResult:
        app = self.app
        yield Header()
        with VerticalScroll(id="start-main"):
            yield Static(INTRO, id="intro")
            if app.lab is not None:
                from wizard403.lab import HOSTILE_SCENARIOS, SCENARIOS

                yield Label(joined(("Built-in 403 lab", "bold"), " (on loopback): pick a scenario and press Enter."))
                yield OptionList(*[Option(joined(s.title, "  ", (s.path, "dim")), id=s.id) for s in SCENARIOS], id="scenarios")
                if HOSTILE_SCENARIOS:
                    yield Label(joined(("The hostile corner", "bold"), ": refusals whose text tries to trick the reader."))
                    yield OptionList(
                        *[Option(joined(s.title, "  ", (s.path, "dim")), id=s.id) for s in HOSTILE_SCENARIOS],
                        id="hostile-scenarios",
                    )
                yield Label(styled("Or bring your own:", "bold"))
            yield OptionList(*[Option(plain(text), id=f"source-{kind}") for kind, text in SOURCES], id="sources")
            recent, warning = autosave.load_recent() if app.use_autosave else ([], None)
            if warning:
                app.notify(warning, severity="warning", timeout=10)
            if recent:
                yield Label("Recently used (secrets are never remembered):")
                yield OptionList(*[Option(recent_prompt(m, u), id=f"recent-{i}") for i, (m, u) in enumerate(recent)], id="recent")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#scenarios" if self.app.lab is not None else "#sources", OptionList).focus()

    @on(OptionList.OptionSelected, "#scenarios, #hostile-scenarios")
    def scenario_chosen(self, event: OptionList.OptionSelected) -> None:
        self.app.begin_scenario(event.option.id)

    @on(OptionList.OptionSelected, "#sources")
    def source_chosen(self, event: OptionList.OptionSelected) -> None:
        kind = event.option.id.removeprefix("source-")
        if kind == "compare":
            self.app.show_compare()
        else:
            self.app.push_screen(SourceScreen(kind))

    @on(OptionList.OptionSelected, "#recent")
    def recent_chosen(self, event: OptionList.OptionSelected) -> None:
        method, url = autosave.recent_targets()[int(event.option.id.split("-")[1])]
        self.app.push_screen(SourceScreen("url", url=url, method=method))


class SourceScreen(Screen):
    """One form for one kind of evidence; Start (ctrl+n or Enter in a field) opens the wizard on it."""

    BINDINGS = [Binding("ctrl+n", "start", "Start", id="next"), Binding("escape", "back", "Back", id="back")]
    _har = None

    def __init__(self, kind: str, url: str = "", method: str = "GET") -> None:
        super().__init__(name=f"source-{kind}")
        self.kind, self.url, self.method = kind, url, method

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="source-main"):
            yield Label(styled(dict(SOURCES)[self.kind], "bold"))
            yield from getattr(self, f"_compose_{self.kind}")()
            yield Static("", id="start-error", markup=False)
            with Horizontal(id="nav"):
                yield Button("← Back", id="back")
                yield Button("Start ▶", id="start", variant="primary")
        yield Footer(compact=True)

    def _compose_url(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Select([(m, m) for m in METHODS], value=self.method if self.method in METHODS else "GET", allow_blank=False, id="method")
            yield Input(value=self.url, placeholder="https://example.com/refused/path", id="url")
        yield Input(placeholder="Bearer token (optional, hidden)", password=True, id="token")
        yield Input(placeholder="Cookies, e.g. session=abc; theme=dark (optional, hidden)", password=True, id="cookie")
        yield Label("Extra headers, one 'Name: value' per line (optional):")
        yield TextArea("", id="headers", classes="small-area")
        yield Input(placeholder="Proxy for the normal route, e.g. http://proxy:3128 (optional)", id="proxy")
        yield Input(placeholder="Alternate route to compare: a proxy on another network (optional)", id="alt-proxy")
        yield Input(placeholder="Alternate route: another local IP address to send from (optional)", id="alt-source")
        yield Checkbox("Allow replaying POST/PUT/PATCH/DELETE (can change data)", id="replay-unsafe")

    def _compose_curl(self) -> ComposeResult:
        yield Label("Paste the command, then press Start (ctrl+n):")
        yield TextArea("", id="curl-text")

    def _compose_har(self) -> ComposeResult:
        yield Label("Path of the HAR file (press Enter to list its requests, refused ones first):")
        yield Input(placeholder="/path/to/capture.har", id="har-path")
        yield OptionList(id="har-entries")

    def _compose_response(self) -> ComposeResult:
        yield Input(placeholder="Status, if you paste only a body (e.g. 403)", id="response-status")
        yield Label(
            "The response (status line, headers, body), as copied from curl -i, a browser or a log, "
            "or the error your program printed:"
        )
        yield TextArea("", id="response-text")

    def _compose_resume(self) -> ComposeResult:
        yield Input(placeholder="wizard403-report.toml", id="resume-path")

    def on_mount(self) -> None:
        first = self.query("Input, TextArea")
        if first:
            first.first().focus()

    def error(self, text: str) -> None:
        from wizard403.scrub import Scrubber

        self.query_one("#start-error", Static).update(plain(Scrubber().shown(text)))
        self.app.bell()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.app.pop_screen()

    @on(Input.Submitted, "#har-path")
    def har_open(self) -> None:
        from wizard403.inputs.har import open_har

        try:
            archive = open_har(self.query_one("#har-path", Input).value.strip())
        except WizardError as err:
            self.error(str(err))
            return
        self._har = archive
        listing = self.query_one("#har-entries", OptionList)
        listing.clear_options()
        for entry in archive.ordered():
            mark = "✘" if entry.refused else " "
            listing.add_option(Option(joined(f"{mark} {entry.status} ", one_line(str(entry.method)), " ", har_url(entry.url)), id=f"har-{entry.index}"))
        self.error("" if archive.refused_entries() else "No refused request (401, 403 or a block page) in this file; pick any entry.")
        listing.focus()

    @on(OptionList.OptionSelected, "#har-entries")
    def har_chosen(self, event: OptionList.OptionSelected) -> None:
        self._open_har_entry(int(event.option.id.split("-")[1]))

    def _open_har_entry(self, index: int) -> None:
        archive = self._har
        session = Session(target=archive.target(index))
        session.exchanges.append(archive.exchange(index))
        session.target.notes += archive.related(index)
        session.target.related = archive.related_facts(index)
        self.app.begin(session, ProbeOptions(), live=False)

    @on(Input.Submitted, "#url, #token, #cookie, #proxy, #alt-proxy, #alt-source, #resume-path, #response-status")
    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        try:
            self._start()
        except WizardError as err:
            self.error(str(err))

    def _start(self) -> None:
        if self.kind == "url":
            session, options = self._from_form()
            self.app.begin(session, options, live=True)
        elif self.kind == "curl":
            from wizard403.inputs.curl import parse_curl

            imported = parse_curl(self.query_one("#curl-text", TextArea).text)
            for warning in imported.warnings:
                self.app.notify(warning, severity="warning")
            options = ProbeOptions(proxy=imported.proxy, insecure=imported.insecure, alt_sources=list(imported.alt_sources))
            check_unsafe(imported.target, options)
            self.app.begin(Session(target=imported.target), options, live=True)
        elif self.kind == "har":
            if self._har is None:
                self.har_open()
                return
            entry = self._har.first_refused()
            if entry is None:
                self.error("Pick an entry from the list.")
                return
            self._open_har_entry(entry.index)
        elif self.kind == "response":
            from wizard403.inputs.raw import parse_pasted_response

            status_text = self.query_one("#response-status", Input).value.strip()
            if status_text and not status_text.isdigit():
                raise InputError(f"the status '{status_text}' is not a number such as 403.")
            exchange, stated = parse_pasted_response(
                self.query_one("#response-text", TextArea).text, status=int(status_text) if status_text else None
            )
            session = Session(target=Target(url=exchange.url or "", method=exchange.method, source="response"))
            if stated:  # the status came from the text's own words: say so, here and in the report
                session.target.notes.append(stated)
                self.app.notify(stated, timeout=8)
            session.exchanges.append(exchange)
            self.app.begin(session, ProbeOptions(), live=False)
        elif self.kind == "resume":
            from wizard403.report import load_session

            raw = self.query_one("#resume-path", Input).value.strip()
            if not raw:
                raise InputError("give the path of a saved session.")
            session = load_session(Path(raw).expanduser())
            self.app.begin(session, ProbeOptions(), live=session.target.source in ("cli", "curl"), resumed=True)

    def _from_form(self) -> tuple[Session, ProbeOptions]:
        from wizard403.request import parse_header, validate_url

        url = validate_url(self.query_one("#url", Input).value)
        method = str(self.query_one("#method", Select).value)
        headers = Headers()
        for line in self.query_one("#headers", TextArea).text.splitlines():
            if line.strip():
                headers.append(parse_header(line))
        token = self.query_one("#token", Input).value.strip()
        if token:
            headers = headers.replaced("Authorization", token if " " in token else f"Bearer {token}")
        cookie = self.query_one("#cookie", Input).value.strip()
        if cookie:
            headers = headers.replaced("Cookie", cookie)
        alt_proxy = self.query_one("#alt-proxy", Input).value.strip()
        alt_source = self.query_one("#alt-source", Input).value.strip()
        options = ProbeOptions(
            proxy=self.query_one("#proxy", Input).value.strip() or None,
            alt_proxies=[alt_proxy] if alt_proxy else [],
            alt_sources=[alt_source] if alt_source else [],
            replay_unsafe=self.query_one("#replay-unsafe", Checkbox).value,
        )
        target = Target(url=url, method=method, headers=headers)
        check_unsafe(target, options)
        return Session(target=target), options


def recent_prompt(method: str, url: str):
    """A remembered target as the list shows it: plain text on one line, whatever the file holds."""
    from wizard403.scrub import Scrubber

    return joined(one_line(method), " ", one_line(Scrubber().scrub(url)))


def har_url(url: str) -> str:
    from wizard403.redact import redact_url
    from wizard403.scrub import Scrubber

    return one_line(Scrubber().scrub(redact_url(str(url))))[:90]


def check_unsafe(target: Target, options: ProbeOptions) -> None:
    if target.method not in ("GET", "HEAD", "OPTIONS") and not options.replay_unsafe:
        raise InputError(
            f"{target.method} can change data on the server: tick 'Allow replaying' to send it, or analyse a recorded response."
        )
