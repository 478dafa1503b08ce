"""Widgets shared by the screens: the step list, a check's row, a question's block."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, Collapsible, Input, Label, ListItem, ListView, RadioButton, RadioSet, Static

from wizard403 import progress
from wizard403.model import CheckResult, Exchange, Session
from wizard403.redact import redact_header, redact_url
from wizard403.scrub import Scrubber
from wizard403.textsafe import one_line, status_text
from wizard403.tui.text import line, plain

CHECK_MARKS = {"pass": "✔", "fail": "✘", "warn": "!", "info": "·", "skipped": "–", "error": "⚠"}
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
ANSWER_LABELS = {"yes": "Yes", "no": "No", "not-sure": "Not sure"}


class StepList(ListView):
    """The persistent progress view: every step with its mark; Enter or a click jumps to it."""

    class Jump(Message):
        def __init__(self, number: int) -> None:
            super().__init__()
            self.number = number

    def __init__(self, steps: Any, current: int, **kwargs: Any) -> None:
        self.steps = list(steps)
        items = [ListItem(Label("", id=f"step-label-{s.number}"), id=f"step-item-{s.number}") for s in self.steps]
        items.append(ListItem(Label("★ Summary", id="step-label-summary"), id="step-item-summary"))
        index = next((i for i, s in enumerate(self.steps) if s.number == current), 0)
        super().__init__(*items, initial_index=index, **kwargs)

    def update_marks(self, session: Session | None, running: set[str]) -> None:
        for step in self.steps:
            state = progress.step_state(session, step, running) if session else progress.NOT_STARTED
            label = self.query_one(f"#step-label-{step.number}", Label)
            if getattr(label, "shown_state", None) == state:
                continue  # unchanged: no update, no relayout
            label.shown_state = state
            label.update(line(progress.MARKS[state], f" {step.number} ", step.title))
            label.set_classes(f"state-{state}")
            label.tooltip = progress.WORDS[state]

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        item_id = event.item.id or ""
        number = 0 if item_id.endswith("summary") else int(item_id.rsplit("-", 1)[1])
        self.post_message(self.Jump(number))


def exchange_text(ex: Exchange, scrubber: Scrubber | None = None) -> str:
    """A redacted, compact rendering of one exchange for the details view: plain text, one line per field.

    Every field from outside is scrubbed and kept on its own line (a newline or an escape sequence in a header
    shows as a visible picture, it cannot forge a line or reach the terminal).
    """
    scrubber = scrubber or Scrubber()

    def one(text: object) -> str:
        return one_line(scrubber.scrub(str(text)))

    route = "" if ex.route == "normal" else f"  via {one(ex.route)}"
    head = f"{one(ex.method)} {one(redact_url(ex.url))}{route}"
    if ex.status is None:
        return f"{head}\n  → no answer: {one(ex.error)}"
    lines = [head]
    lines += [f"  > {one(k)}: {one(redact_header(k, v))}" for k, v in ex.request_headers]
    lines.append(f"  ← {one(status_text(ex.status, ex.reason))}  ({ex.elapsed_ms} ms)")
    lines += [f"  < {one(k)}: {one(redact_header(k, v))}" for k, v in ex.response_headers]
    return "\n".join(lines)


def evidence_text(evidence: dict[str, Any], scrubber: Scrubber | None = None) -> str:
    """A check's evidence as one plain line of `key = value` pairs (scrubbed, controls visible)."""
    scrubber = scrubber or Scrubber()
    return "Evidence: " + ", ".join(f"{one_line(scrubber.scrub(str(k)))} = {one_line(scrubber.scrub(str(v)))}" for k, v in evidence.items())


def details_text(result: CheckResult, exchanges: list[Exchange], scrubber: Scrubber | None = None) -> str:
    """Everything the details of one check show, as plain text: evidence, the check's notes, each exchange."""
    scrubber = scrubber or Scrubber()
    parts = []
    if result.evidence:
        parts.append(evidence_text(result.evidence, scrubber))
    if result.details:
        parts.append(scrubber.shown(result.details))
    parts += [exchange_text(e, scrubber) for e in exchanges]
    return "\n\n".join(parts)


def check_line(mark: str, title: str, summary: str, scrubber: Scrubber | None = None):
    """A finished check's line: its mark in bold, its title, and the check's summary, all plain text."""
    scrubber = scrubber or Scrubber()
    return line((mark, "bold"), " ", scrubber.shown(title), ": ", one_line(scrubber.scrub(summary)))


class CheckRow(Vertical):
    """One automated check: a spinner while it runs, then a mark, a plain summary, and details on demand."""

    def __init__(self, check_id: str, title: str, plain: str, **kwargs: Any) -> None:
        super().__init__(id=f"check-{check_id}", classes="check-row", **kwargs)
        self.check_id = check_id
        self.title = title
        self.plain = plain
        self.frame = 0
        self.shown: tuple | None = None  # what is on screen, so an unchanged row is not redrawn

    def compose(self) -> ComposeResult:
        yield Static("", classes="check-line")
        with Collapsible(title="Details", collapsed=True, classes="check-details"):
            yield Static("", classes="check-details-text")
            yield Button("Re-run this check", classes="rerun-check", compact=True)

    def show(self, session: Session | None, running: bool, expert: bool, busy: bool) -> None:
        result = session.check(self.check_id) if session else None
        key = (id(result), result.status if result else None, result.summary if result else None, expert, busy)
        if not running and key == self.shown:
            return
        self.shown = None if running else key
        details = self.query_one(".check-details", Collapsible)
        say = self.app.shown
        if running:
            self.frame = (self.frame + 1) % len(SPINNER)
            self.query_one(".check-line", Static).update(line((SPINNER[self.frame], "bold"), " ", say(self.title), (" — running…", "dim")))
            self.set_classes("check-row status-running")
            details.display = False
            return
        if result is None:
            waiting = "waiting for the other checks" if busy else "not run"
            self.query_one(".check-line", Static).update(line("○ ", say(self.title), (f" — {waiting}. ", "dim"), (say(self.plain), "dim")))
            self.set_classes("check-row status-none")
            details.display = False
            return
        mark = CHECK_MARKS.get(result.status, "?")
        scrubber = self.app.scrubber
        self.query_one(".check-line", Static).update(check_line(mark, self.title, result.summary, scrubber))
        self.set_classes(f"check-row status-{result.status}")
        exchanges = [e for e in session.exchanges if e.check == self.check_id] if session else []
        text = details_text(result, exchanges, scrubber)
        details.display = bool(text)
        details.collapsed = not expert
        self.query_one(".check-details-text", Static).update(plain(text))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.has_class("rerun-check"):
            event.stop()
            self.app.run_analysis([self.check_id])


class QuestionBlock(Vertical):
    """One question: its text, a plain explanation, the answer buttons (or a text box) and a note."""

    class Answered(Message):
        def __init__(self, question_id: str, answer: str, note: str) -> None:
            super().__init__()
            self.question_id = question_id
            self.answer = answer
            self.note = note

    def __init__(self, question: Any, answer: str | None, note: str, **kwargs: Any) -> None:
        super().__init__(id=f"q-{question.id}", classes="question", **kwargs)
        self.question = question
        self.answer = answer
        self.note = note

    def options(self) -> list[tuple[str, str]]:
        if self.question.kind == "yesno":
            return [(k, v) for k, v in ANSWER_LABELS.items()]
        return [(c, c) for c in self.question.choices]

    def compose(self) -> ComposeResult:
        yield Label(plain(self.question.text), classes="question-text")
        if self.question.help:
            yield Static(plain(self.question.help), classes="question-help")
        if self.question.kind == "text":
            yield Input(value=self.answer or "", placeholder="Type your answer", id=f"text-{self.question.id}", classes="question-input")
        else:
            layout = "answer-set" if self.question.kind == "yesno" else "answer-set choices"
            with RadioSet(id=f"radio-{self.question.id}", classes=layout):
                for value, label in self.options():
                    yield RadioButton(plain(label), value=(value == self.answer), name=value)
            yield Input(value=self.note, placeholder="Notes (optional)", id=f"note-{self.question.id}", classes="question-note")

    def _current_answer(self) -> str | None:
        if self.question.kind == "text":
            return self.query_one(Input).value.strip() or None
        pressed = self.query_one(RadioSet).pressed_button
        return pressed.name if pressed is not None else None

    def _note(self) -> str:
        if self.question.kind == "text":
            return ""
        return self.query_one(f"#note-{self.question.id}", Input).value.strip()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.post_message(self.Answered(self.question.id, event.pressed.name or "", self._note()))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        answer = self._current_answer()
        if answer is not None:
            self.post_message(self.Answered(self.question.id, answer, self._note()))
