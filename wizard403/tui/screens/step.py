"""One screen class for all six steps, driven by content: the step's text, its live checks and its questions."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from wizard403.tui.app import ChecksUpdated
from wizard403.tui.keys import DEFAULT_KEYS
from wizard403.tui.markdown import SafeMarkdown
from wizard403.tui.owner import CauseCommands, OwnerQueries, first_copy_block
from wizard403.tui.text import line, md_plain, styled
from wizard403.tui.widgets import CheckRow, QuestionBlock, StepList


class StepScreen(Screen):
    BINDINGS = [
        Binding(DEFAULT_KEYS["next"], "next", "Next", id="next"),
        Binding(DEFAULT_KEYS["back"], "back", "Back", id="back"),
        Binding(DEFAULT_KEYS["rerun-step"], "rerun_step", "Re-run step", id="rerun-step", show=False),
        Binding(DEFAULT_KEYS["rerun-all"], "rerun_all", "Re-run all", id="rerun-all", show=False),
        Binding(DEFAULT_KEYS["summary"], "summary", "Summary", id="summary"),
        Binding(DEFAULT_KEYS["details"], "details", "Details", id="details", show=False),
        Binding(DEFAULT_KEYS["export"], "export", "Export", id="export"),
        Binding(DEFAULT_KEYS["compare"], "compare", "Compare", id="compare", show=False),
    ]

    EXTRAS = {"permissions": CauseCommands, "logs": OwnerQueries}  # step id → what it shows from the session

    focus_copy = False  # set before it mounts: open with the first query or command focused (the summary's link)

    def __init__(self, number: int) -> None:
        super().__init__(name=f"step-{number}")
        self.number = number
        self._rows: tuple[StepList, list[CheckRow]] | None = None  # found once: a DOM query per check event is slow
        self._extra = None

    @property
    def step(self):
        return self.app.content.step(self.number)

    def compose(self) -> ComposeResult:
        app = self.app
        step = self.step
        session = app.session
        yield Header()
        with Horizontal(id="body"):
            yield StepList(app.content.steps, self.number, id="steps")
            with VerticalScroll(id="main"):
                yield Static(self._target_line(), id="target")
                yield Static(styled(f"Step {step.number} of {len(app.content.steps)}: {step.title}", "bold"), id="step-title")
                yield SafeMarkdown(md_plain(step.why), id="step-why")
                if step.checks:
                    yield Static(styled("Automated checks", "bold"), classes="section")
                    with Vertical(id="checks"):
                        for check_id in step.checks:
                            info = app.content.checks.get(check_id)
                            title = info.title if info else check_id
                            plain = (info.expert if app.expert else info.plain) if info else ""
                            yield CheckRow(check_id, title, plain)
                if self.number == 5:  # the request that works, a colleague's or another browser's
                    yield Button("Compare with a request that works", id="compare", classes="step-action")
                yield SafeMarkdown(self._step_markdown(), id="step-text")
                yield from self._extras()
                if step.questions:
                    yield Static(line(("Your answers", "bold"), " ", ("(what no probe can know)", "dim")), classes="section")
                    for question in step.questions:
                        answer = session.answer_for(question.id) if session else None
                        yield QuestionBlock(question, answer.answer if answer else None, answer.note if answer else "")
                with Horizontal(id="nav"):
                    yield Button("← Back", id="back", disabled=False)
                    yield Button("Re-run this step", id="rerun")
                    last = self.number >= max(s.number for s in app.content.steps)
                    yield Button("See the summary →" if last else "Next →", id="next", variant="primary")
        yield Footer(compact=True)

    def _extras(self) -> ComposeResult:
        """Step 2's commands and step 6's owner queries, ready to copy (wizard403/tui/owner.py); other steps: none."""
        extra = self.EXTRAS.get(self.step.id)
        if extra is not None:
            self._extra = extra(id=f"extra-{self.step.id}", classes="step-extra")
            yield self._extra

    def _target_line(self):
        session = self.app.session
        if session is None:
            return ""
        from wizard403.redact import redact_url
        from wizard403.textsafe import one_line

        how = "" if self.app.live else " (recorded evidence, offline)"
        target = one_line(self.app.scrubber.scrub(f"{session.target.method} {redact_url(session.target.url)}"))
        return line(("Target:", "dim"), " ", target, (how, "dim"))

    def _step_markdown(self) -> str:
        step = self.step
        todo = "\n".join(f"- {md_plain(item)}" for item in step.what_to_do)
        return f"**What to do**\n\n{todo}\n\n> **Tip:** {md_plain(step.tip)}"

    def on_mount(self) -> None:
        self.app.session.step = self.number if self.app.session else self.number
        self.refresh_checks()
        self.set_interval(0.12, self._tick)
        if self.focus_copy:
            self.call_after_refresh(self._focus_first_copy)

    def _focus_first_copy(self) -> None:
        block = first_copy_block(self)
        if block is not None:
            block.focus()
            block.scroll_visible(top=True, animate=False)

    def on_screen_resume(self) -> None:
        if self._extra is not None:  # the session may have changed while another screen was in front
            self._extra.show()

    def _tick(self) -> None:
        if self.app.running:
            self.refresh_checks()

    def on_checks_updated(self, message: ChecksUpdated) -> None:
        self.refresh_checks()

    def refresh_checks(self) -> None:
        """Redraw the marks and the rows (called on every check event, on every open screen: kept cheap)."""
        app = self.app
        if self._rows is None:
            self._rows = (self.query_one(StepList), list(self.query(CheckRow)))
        steps, rows = self._rows
        steps.update_marks(app.session, app.running)
        for row in rows:
            row.show(app.session, row.check_id in app.running, app.expert, bool(app.running))
        if self._extra is not None:
            self._extra.show()

    # ---------------------------------------------------------------- answers

    def on_question_block_answered(self, event: QuestionBlock.Answered) -> None:
        self.app.set_answer(self.number, event.question_id, event.answer, event.note)
        self.query_one(StepList).update_marks(self.app.session, self.app.running)

    # ---------------------------------------------------------------- navigation

    def on_step_list_jump(self, event: StepList.Jump) -> None:
        if event.number == 0:
            self.app.show_summary()
        elif event.number != self.number:
            self.app.goto_step(event.number)

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        numbers = [s.number for s in self.app.content.steps]
        later = [n for n in numbers if n > self.number]
        if later:
            self.app.goto_step(later[0])
        else:
            self.app.show_summary()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        numbers = [s.number for s in self.app.content.steps]
        earlier = [n for n in numbers if n < self.number]
        if earlier:
            self.app.goto_step(earlier[-1])
        else:
            self.app.notify("This is the first step.", timeout=2)

    @on(Button.Pressed, "#rerun")
    def action_rerun_step(self) -> None:
        if not self.app.live:
            self.app.notify("This session is analysed offline; start it with --live to send requests.", severity="warning")
        self.app.run_analysis(list(self.step.checks) or None)

    def action_rerun_all(self) -> None:
        self.app.run_analysis()

    def action_summary(self) -> None:
        self.app.show_summary()

    def action_export(self) -> None:
        self.app.show_export()

    @on(Button.Pressed, "#compare")
    def action_compare(self) -> None:
        self.app.show_compare()

    def action_details(self) -> None:
        for row in self.query(CheckRow):
            for collapsible in row.query(".check-details"):
                collapsible.collapsed = not collapsible.collapsed
