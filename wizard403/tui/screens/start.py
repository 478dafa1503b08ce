"""The start screen: a lab scenario, a URL with its credentials and routes, a curl command, a HAR, a raw response,
or a saved session. Whatever is chosen becomes a Session and the step screens open on it."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets.option_list import Option

from wizard403 import autosave
from wizard403.errors import WizardError
from wizard403.model import Headers, ProbeOptions, Session, Target

METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")


class StartScreen(Screen):
    BINDINGS = [Binding("ctrl+n", "start", "Start", id="next")]

    _har = None

    def compose(self) -> ComposeResult:
        app = self.app
        yield Header()
        with Vertical(id="start-main"):
            yield Static(
                "Tell wizard403 which request is refused. It will check what it can from here, ask you what it cannot "
                "know, and tell you the likely cause and who can fix it. Nothing is sent until you press Start.",
                id="intro",
            )
            with TabbedContent(id="start-tabs"):
                if app.lab is not None:
                    with TabPane("Lab scenarios", id="tab-lab"):
                        yield Label("Built-in 403 lab on loopback: pick a scenario and press Enter.")
                        yield OptionList(
                            *[Option(f"{s.title}  [dim]{escape(s.path)}[/dim]", id=s.id) for s in self._scenarios()],
                            id="scenarios",
                        )
                with TabPane("URL", id="tab-url"):
                    with VerticalScroll():
                        with Horizontal(classes="form-row"):
                            yield Select([(m, m) for m in METHODS], value="GET", allow_blank=False, id="method")
                            yield Input(placeholder="https://example.com/refused/path", id="url")
                        yield Input(placeholder="Bearer token (optional, hidden)", password=True, id="token")
                        yield Input(placeholder="Cookies, e.g. session=abc; theme=dark (optional)", password=True, id="cookie")
                        yield TextArea("", id="headers", classes="small-area")
                        yield Input(placeholder="Proxy for the normal route, e.g. http://proxy:3128 (optional)", id="proxy")
                        yield Input(placeholder="Alternate route to compare: a proxy on another network (optional)", id="alt-proxy")
                        yield Input(placeholder="Alternate route: another local IP address to send from (optional)", id="alt-source")
                        yield Checkbox("Allow replaying POST/PUT/PATCH/DELETE (can change data)", id="replay-unsafe")
                        recent = autosave.recent_targets() if app.use_autosave else []
                        if recent:
                            yield Label("Recently used (secrets are never remembered):")
                            yield OptionList(*[Option(f"{m} {escape(u)}", id=f"recent-{i}") for i, (m, u) in enumerate(recent)], id="recent")
                with TabPane("curl command", id="tab-curl"):
                    yield Label("Paste a curl command (for example from the browser's 'Copy as cURL'):")
                    yield TextArea("", id="curl-text")
                with TabPane("HAR file", id="tab-har"):
                    yield Label("Path of a HAR file exported from the browser's network tab:")
                    yield Input(placeholder="/path/to/capture.har", id="har-path")
                    yield Button("Open", id="har-open")
                    yield OptionList(id="har-entries")
                with TabPane("Raw response", id="tab-response"):
                    yield Label("Paste a raw HTTP response (status line, headers, body), or only a block page's text:")
                    yield Input(placeholder="Status, if you pasted only a body (e.g. 403)", id="response-status")
                    yield TextArea("", id="response-text")
                with TabPane("Resume", id="tab-resume"):
                    yield Label("Path of a saved session or TOML report:")
                    yield Input(placeholder="wizard403-report.toml", id="resume-path")
            yield Static("", id="start-error", markup=False)
            with Horizontal(id="nav"):
                yield Button("Start ▶", id="start", variant="primary")
        yield Footer()

    def _scenarios(self):
        from wizard403.lab import SCENARIOS

        return SCENARIOS

    def on_mount(self) -> None:
        self.query_one("#headers", TextArea).border_title = "Extra headers, one 'Name: value' per line"
        if self.app.lab is not None:
            self.query_one("#scenarios", OptionList).focus()
        else:
            self.query_one("#url", Input).focus()

    def error(self, text: str) -> None:
        self.query_one("#start-error", Static).update(text)
        self.app.bell()

    @on(OptionList.OptionSelected, "#scenarios")
    def scenario_chosen(self, event: OptionList.OptionSelected) -> None:
        self.app.begin_scenario(event.option.id)

    @on(OptionList.OptionSelected, "#recent")
    def recent_chosen(self, event: OptionList.OptionSelected) -> None:
        method, url = autosave.recent_targets()[int(event.option.id.split("-")[1])]
        self.query_one("#url", Input).value = url
        self.query_one("#method", Select).value = method if method in METHODS else "GET"

    @on(Button.Pressed, "#har-open")
    @on(Input.Submitted, "#har-path")
    def har_open(self) -> None:
        try:
            from wizard403.inputs.har import open_har

            archive = open_har(self.query_one("#har-path", Input).value.strip())
        except WizardError as err:
            self.error(str(err))
            return
        self._har = archive
        listing = self.query_one("#har-entries", OptionList)
        listing.clear_options()
        for entry in archive.ordered():
            mark = "✘" if entry.refused else " "
            listing.add_option(Option(f"{mark} {entry.status} {entry.method} {escape(entry.url[:90])}", id=f"har-{entry.index}"))
        if not archive.refused_entries():
            self.error("No refused request (401, 403 or a block page) in this HAR; pick any entry to analyse.")
        listing.focus()

    @on(OptionList.OptionSelected, "#har-entries")
    def har_chosen(self, event: OptionList.OptionSelected) -> None:
        self._open_har_entry(int(event.option.id.split("-")[1]))

    def _open_har_entry(self, index: int) -> None:
        archive = self._har
        session = Session(target=archive.target(index))
        session.exchanges.append(archive.exchange(index))
        session.target.notes += archive.related(index)
        self.app.begin(session, ProbeOptions(), live=False)

    @on(Input.Submitted, "#url")
    @on(Input.Submitted, "#resume-path")
    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        try:
            self._start()
        except WizardError as err:
            self.error(str(err))

    def _start(self) -> None:
        active = self.query_one(TabbedContent).active
        if active == "tab-lab":
            option = self.query_one("#scenarios", OptionList)
            if option.highlighted is None:
                self.error("Pick a scenario first.")
                return
            self.app.begin_scenario(option.get_option_at_index(option.highlighted).id)
        elif active == "tab-url":
            session, options = self._from_form()
            self.app.begin(session, options, live=True)
        elif active == "tab-curl":
            from wizard403.inputs.curl import parse_curl

            imported = parse_curl(self.query_one("#curl-text", TextArea).text)
            for warning in imported.warnings:
                self.app.notify(warning, severity="warning")
            options = ProbeOptions(proxy=imported.proxy, insecure=imported.insecure, alt_sources=list(imported.alt_sources))
            self._check_unsafe(imported.target, options)
            self.app.begin(Session(target=imported.target), options, live=True)
        elif active == "tab-har":
            if self._har is None:
                self.har_open()
            else:
                entry = self._har.first_refused()
                if entry is None:
                    self.error("Pick an entry from the list.")
                    return
                self._open_har_entry(entry.index)
        elif active == "tab-response":
            from wizard403.inputs.raw import parse_raw_response

            status_text = self.query_one("#response-status", Input).value.strip()
            status = int(status_text) if status_text.isdigit() else None
            exchange = parse_raw_response(self.query_one("#response-text", TextArea).text, status=status)
            session = Session(target=Target(url=exchange.url or "", method=exchange.method, source="response"))
            session.exchanges.append(exchange)
            self.app.begin(session, ProbeOptions(), live=False)
        elif active == "tab-resume":
            from wizard403.report import load_session

            session = load_session(Path(self.query_one("#resume-path", Input).value.strip()))
            self.app.begin(session, ProbeOptions(), live=False, resumed=True)

    def _from_form(self) -> tuple[Session, ProbeOptions]:
        from wizard403.cli import parse_header, validate_url

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
        proxy = self.query_one("#proxy", Input).value.strip() or None
        alt_proxy = self.query_one("#alt-proxy", Input).value.strip()
        alt_source = self.query_one("#alt-source", Input).value.strip()
        options = ProbeOptions(
            proxy=proxy,
            alt_proxies=[alt_proxy] if alt_proxy else [],
            alt_sources=[alt_source] if alt_source else [],
            replay_unsafe=self.query_one("#replay-unsafe", Checkbox).value,
        )
        target = Target(url=url, method=method, headers=headers)
        self._check_unsafe(target, options)
        return Session(target=target), options

    def _check_unsafe(self, target: Target, options: ProbeOptions) -> None:
        from wizard403.errors import InputError

        if target.method not in ("GET", "HEAD", "OPTIONS") and not options.replay_unsafe:
            raise InputError(
                f"{target.method} can change data on the server: tick 'Allow replaying' to send it, or analyse a recorded response."
            )
