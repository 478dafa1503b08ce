"""The wizard application: the session is the single source of truth, screens are views of it.

`make_app` is the one factory the CLI, the demo, the tests and the screenshot script use. Network work runs in one
exclusive worker with one error handler; every change to the session is autosaved (redacted) at once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from wizard403 import autosave
from wizard403.model import Change, CheckResult, ProbeOptions, Session, Target
from wizard403.tui.keys import DEFAULT_KEYS, load_keymap

if TYPE_CHECKING:
    from wizard403.scrub import Scrubber  # imported on first use: the start screen paints without it


class ChecksUpdated(Message):
    """A check started or finished (or all of them did); screens redraw what they show of the session."""

    def __init__(self, check_id: str | None = None) -> None:
        super().__init__()
        self.check_id = check_id


def step_commands():
    """The palette's 'Go to step N' provider, imported when the palette first opens (not at start-up)."""
    from wizard403.tui.commands import StepCommands

    return StepCommands


class WizardApp(App[int]):
    CSS_PATH = Path(__file__).parent / "wizard.tcss"
    TITLE = "wizard403"
    SUB_TITLE = "why am I getting 403 Forbidden?"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {step_commands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding(DEFAULT_KEYS["help"], "help", "Help", id="help"),
        Binding(DEFAULT_KEYS["mode"], "toggle_mode", "Mode", id="mode", tooltip="Switch plain / expert mode"),
        Binding(DEFAULT_KEYS["change"], "change", "Record a change", id="change", show=False),
        Binding(DEFAULT_KEYS["cancel"], "cancel_checks", "Stop checks", id="cancel", show=False),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(
        self,
        session: Session | None = None,
        options: ProbeOptions | None = None,
        content: Any = None,
        live: bool = True,
        lab: Any = None,
        scenario: str | None = None,
        expert: bool = False,
        use_autosave: bool = True,
        now: dt.datetime | None = None,
    ) -> None:
        super().__init__()
        self._content = content
        self.session = session
        self.options = options or ProbeOptions()
        self.live = live
        self.lab = lab
        self.scenario = scenario
        self.expert = expert or (session is not None and session.mode == "expert")
        self.use_autosave = use_autosave
        self.now = now  # a fixed clock for snapshots and tests
        self.running: set[str] = set()
        self.checks_started = False
        self.last_export = None
        self.crash_sentence: str | None = None  # set when an unforeseen error stopped the wizard
        self._scrubber: tuple[tuple, Scrubber] | None = None
        self.key_overrides: dict[str, str] = {}  # keys.toml's changes, read on mount

    @property
    def content(self) -> Any:
        """The steps, questions and causes; loaded on first use so the start menu paints without waiting for it."""
        if self._content is None:
            from wizard403.content import load_content

            self._content = load_content()
        return self._content

    # ------------------------------------------------------------ outside text

    @property
    def scrubber(self) -> Scrubber:
        """The session's Scrubber, rebuilt when the session, its credentials or its exchanges change."""
        from wizard403.scrub import Scrubber

        session = self.session
        key = (id(session), len(session.exchanges), tuple(session.target.headers), session.target.url) if session else ()
        if self._scrubber is None or self._scrubber[0] != key:
            self._scrubber = (key, Scrubber.for_session(session))
        return self._scrubber[1]

    def shown(self, text: object) -> str:
        """Outside text as the screen may show it: the session's secrets scrubbed, controls made visible."""
        return self.scrubber.shown(str(text))

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None, markup: bool = False) -> None:
        """Every notification is plain text (never markup), scrubbed and with its controls made visible."""
        super().notify(self.shown(message), title=self.shown(title), severity=severity, timeout=timeout, markup=False)

    # ------------------------------------------------------------ crash safety

    def _handle_exception(self, error: Exception) -> None:
        """An error nobody foresaw: a crash report without locals or secrets, one sentence, exit code 1.

        Replaces Textual's handler, whose traceback dump prints local variables (the Authorization header, the
        cookies) to the terminal. The autosave already holds every answer; it is left in place for the next start.
        """
        from wizard403 import crash
        from wizard403.scrub import Scrubber

        if self.crash_sentence is None:
            try:
                scrubber = self.scrubber
            except Exception:  # noqa: BLE001 - a broken session must not stop the report
                scrubber = Scrubber()
            self.crash_sentence = crash.sentence(crash.write_report(error, scrubber))
        self._return_code = 1
        if self._exception is None:  # Pilot re-raises it at the end of run_test, so tests see the error
            self._exception = error
            self._exception_event.set()
        self._close_messages_no_wait()

    # ------------------------------------------------------------ start-up

    def on_mount(self) -> None:
        keymap, warning = load_keymap()
        self.key_overrides = keymap  # the help screen shows the keys that fire now
        if keymap:
            self.set_keymap(keymap)
        if warning:
            self.notify(warning, severity="warning", timeout=8)
        if self.session is not None:
            self.begin(self.session, self.options, self.live)
        elif self.lab is not None and self.scenario:
            self.begin_scenario(self.scenario)
        else:
            from wizard403.tui.screens.start import StartScreen

            self.push_screen(StartScreen())
            saved, warning = autosave.load_saved() if self.use_autosave else (None, None)
            if warning:
                self.notify(warning, severity="warning", timeout=10)
            if saved is not None and (saved.answers or saved.checks):
                try:
                    self.offer_resume(saved)
                except Exception as err:  # noqa: BLE001 - a saved session that cannot be shown is set aside
                    self.notify(autosave.unusable_session(f"shown ({type(err).__name__})"), severity="warning", timeout=10)

    def offer_resume(self, saved: Session) -> None:
        from wizard403.redact import redact_url
        from wizard403.scrub import Scrubber
        from wizard403.tui.screens.dialogs import ConfirmScreen

        answered = len(saved.answers)
        target = Scrubber.for_session(saved).shown(f"{saved.target.method} {redact_url(saved.target.url)}")
        question = (
            f"An unfinished session was found: {target}, "
            f"{answered} answer{'s' if answered != 1 else ''} recorded, step {saved.step}. Resume it?"
        )
        if crashed_after_save():
            question += " The wizard stopped on an internal error after it was saved: if resuming stops it again, start afresh."

        def decided(resume: bool | None) -> None:
            if resume:
                self.begin(saved, self.options, live=saved.target.source in ("cli", "curl"), resumed=True)
            else:
                autosave.discard()

        self.push_screen(ConfirmScreen(question, yes="Resume", no="Start afresh"), decided)

    def scenario_session(self, scenario_id: str) -> tuple[Session, ProbeOptions]:
        method, url, headers, body = self.lab.request_for(scenario_id)
        target = Target(url=url, method=method, headers=headers, body=body, source="cli")
        options = ProbeOptions(alt_sources=["127.0.0.2"], replay_unsafe=True, timeout=5.0)
        return Session(target=target, mode="expert" if self.expert else "plain"), options

    def begin_scenario(self, scenario_id: str) -> None:
        session, options = self.scenario_session(scenario_id)
        self.begin(session, options, live=True)

    def begin(self, session: Session, options: ProbeOptions, live: bool = True, resumed: bool = False) -> None:
        """Open step screens on a session and start the automated checks."""
        from wizard403.tui.screens.step import StepScreen

        self.session = session
        self.options = options
        self.live = live
        session.mode = "expert" if self.expert else session.mode
        self.expert = session.mode == "expert"
        if self.now is not None:
            session.created = self.now
        if self.use_autosave:
            autosave.remember_target(session.target.url, session.target.method)
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(StepScreen(session.step if resumed else 1))
        if resumed:
            dropped = strip_redacted_credentials(session)
            if dropped:
                self.notify(
                    f"Session resumed. Secrets are never saved, so {', '.join(dropped)} must be entered again "
                    "(command palette: 'Enter credentials again') before re-running checks.",
                    timeout=10,
                    markup=False,
                )
            else:
                self.notify("Session resumed with your answers.", timeout=5)
            self.rediagnose()
        else:
            self.run_analysis()

    def enter_credentials(self) -> None:
        """Ask for the token again after a resume; say whether it is the one the saved session used."""
        from wizard403.redact import fingerprint
        from wizard403.tui.screens.dialogs import PromptScreen

        def entered(token: str | None) -> None:
            if not token or self.session is None:
                return
            token = token.removeprefix("Bearer ").strip()
            self.session.target.headers = self.session.target.headers.replaced("Authorization", f"Bearer {token}")
            known = fingerprint(token) in self.session.secrets_fingerprints
            self.notify(
                "Recognised: the same token as the saved session." if known else "This is a different token from the saved session's.",
                timeout=6,
            )
            self.save()

        self.push_screen(PromptScreen("Bearer token (kept in memory only):", password=True), entered)

    # ------------------------------------------------------------ checks

    @work(exclusive=True, group="checks", exit_on_error=False)
    async def run_analysis(self, only: list[str] | None = None) -> None:
        from wizard403.headless import analyse

        assert self.session is not None
        self.checks_started = True

        def on_event(kind: str, check_id: str, result: CheckResult | None) -> None:
            if kind == "started":
                self.running.add(check_id)
            else:
                self.running.discard(check_id)
            self.post_to_screens(check_id)

        try:
            await analyse(self.session, self.options, self.content, live=self.live, on_event=on_event, only=only)
        finally:
            self.running.clear()
            self.save()
            self.post_to_screens(None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one error handler for background work: a message, never a crash."""
        if event.state == WorkerState.ERROR:
            err = event.worker.error
            self.notify(f"The checks stopped: {type(err).__name__}: {err}", severity="error", timeout=10, markup=False)
        elif event.state == WorkerState.CANCELLED and event.worker.group == "checks":
            self.notify("Checks stopped. Re-run them with the step's re-run key.", timeout=5)

    def action_cancel_checks(self) -> None:
        self.workers.cancel_group(self, "checks")

    def post_to_screens(self, check_id: str | None = None) -> None:
        """Tell every open screen that the session changed (one check, or everything when check_id is None)."""
        for screen in self.screen_stack:
            screen.post_message(ChecksUpdated(check_id))

    def rediagnose(self) -> None:
        from wizard403.diagnose import diagnose

        if self.session is not None and (self.session.exchanges or self.session.checks):
            diagnose(self.session, self.content)
        self.post_to_screens(None)

    # ------------------------------------------------------------ session edits

    def set_answer(self, step: int, question: str, answer: str, note: str = "") -> None:
        assert self.session is not None
        self.session.set_answer(step, question, answer, note)
        self.rediagnose()
        self.save()

    def record_change(self, note: str, result: str) -> None:
        assert self.session is not None
        self.session.changes.append(Change(at=self.now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0), note=note, result=result))
        self.save()

    def save(self) -> None:
        if self.use_autosave and self.session is not None:
            try:
                autosave.save(self.session)
            except Exception as err:  # noqa: BLE001 - autosave trouble is shown, never fatal
                self.notify(f"Autosave failed: {err}", severity="warning", markup=False)

    # ------------------------------------------------------------ app-wide actions

    def action_help(self) -> None:
        from wizard403.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.content))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "change":  # not on the start screen, and not on the change dialog itself
            return self.session is not None and getattr(self.screen, "OFFERS_CHANGE", True)
        return True

    def action_change(self) -> None:
        """f6 on every screen of a session: note what changed and re-test (or say what re-testing needs)."""
        self.show_change()

    def action_toggle_mode(self) -> None:
        self.expert = not self.expert
        if self.session is not None:
            self.session.mode = "expert" if self.expert else "plain"
            self.save()
        self.notify("Expert mode: headers, timings and raw evidence up front." if self.expert else "Plain mode: details folded away.", timeout=3)
        self.post_to_screens(None)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help: what a 403 means (FAQ)", "Questions and answers about 403 Forbidden", self.action_help)
        yield SystemCommand("Switch plain / expert mode", "Show or fold away the technical details", self.action_toggle_mode)
        if self.session is not None:
            yield SystemCommand("Re-run all checks", "Send the checks again (within the request budget)", lambda: self.run_analysis())
            yield SystemCommand("Summary", "The ranked causes and what to do", self.show_summary)
            yield SystemCommand("Export report", "Save TOML, Markdown or JSON", self.show_export)
            yield SystemCommand("Record a change and re-test", "Did it fix it? Note what changed and run again", self.show_change)
            yield SystemCommand("Compare with a request that works", "A colleague's or another browser's request: what differs, and which difference matters", self.show_compare)
            if self.session.secrets_fingerprints and not self.session.target.has_credentials():
                yield SystemCommand("Enter credentials again", "After a resume: type the token again (it is never saved)", self.enter_credentials)
            yield SystemCommand("Fold or unfold check details", "Show every exchange of the checks on this step", self.toggle_details)
            yield SystemCommand("Stop running checks", "Cancel the checks that are still running", self.action_cancel_checks)

    def toggle_details(self) -> None:
        action = getattr(self.screen, "action_details", None)
        if action is not None:
            action()

    def goto_step(self, number: int) -> None:
        from wizard403.tui.screens.step import StepScreen

        assert self.session is not None
        self.session.step = number
        self.switch_screen(StepScreen(number)) if isinstance(self.screen, StepScreen) else self.push_screen(StepScreen(number))
        self.save()

    def show_summary(self) -> None:
        from wizard403.tui.screens.summary import SummaryScreen

        self.push_screen(SummaryScreen())

    def show_export(self) -> None:
        from wizard403.tui.screens.export import ExportScreen

        self.push_screen(ExportScreen())

    def show_change(self) -> None:
        from wizard403.tui.screens.change import ChangeScreen

        self.push_screen(ChangeScreen())

    def show_compare(self) -> None:
        """Ask for a request that works and compare (with the session's refused request, when one is open)."""
        from wizard403.tui.screens.compare_form import CompareFormScreen

        self.push_screen(CompareFormScreen())


def strip_redacted_credentials(session: Session) -> list[str]:
    """A loaded session holds fingerprints where secrets were: never send those; say which headers went."""
    from wizard403.redact import FINGERPRINT_RE

    dropped = [name for name, value in session.target.headers if FINGERPRINT_RE.search(value)]
    if dropped:
        session.target.headers = session.target.headers.without(*dropped)
    return dropped


def crashed_after_save() -> bool:
    """A crash report newer than the autosave: resuming may meet the same error (the user then starts afresh)."""
    from wizard403 import crash

    report, saved = crash.latest_report(), autosave.autosave_path()
    try:
        return report is not None and report.stat().st_mtime >= saved.stat().st_mtime
    except OSError:
        return False


def make_app(**kwargs: Any) -> WizardApp:
    """The one way to build the wizard (CLI, demo, tests, screenshots); takes WizardApp's keyword arguments."""
    return WizardApp(**kwargs)
