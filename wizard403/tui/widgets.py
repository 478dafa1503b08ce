"""Widgets shared by the screens: the step list, a check's row, a question's block."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, Collapsible, Input, Label, ListItem, ListView, RadioButton, RadioSet, Static

from wizard403 import progress
from wizard403.model import Exchange, Session
from wizard403.redact import redact_header, redact_url

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
            label.update(f"{progress.MARKS[state]} {step.number} {escape(step.title)}")
            label.set_classes(f"state-{state}")
            label.tooltip = progress.WORDS[state]

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        item_id = event.item.id or ""
        number = 0 if item_id.endswith("summary") else int(item_id.rsplit("-", 1)[1])
        self.post_message(self.Jump(number))


def exchange_text(ex: Exchange) -> str:
    """A redacted, compact rendering of one exchange for the details view."""
    route = "" if ex.route == "normal" else f"  via {ex.route}"
    head = f"{ex.method} {redact_url(ex.url)}{route}"
    if ex.status is None:
        return f"{head}\n  → no answer: {ex.error}"
    lines = [head]
    lines += [f"  > {k}: {redact_header(k, v)}" for k, v in ex.request_headers]
    lines.append(f"  ← {ex.status} {ex.reason}  ({ex.elapsed_ms} ms)")
    lines += [f"  < {k}: {redact_header(k, v)}" for k, v in ex.response_headers]
    return "\n".join(lines)


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
        line = self.query_one(".check-line", Static)
        details = self.query_one(".check-details", Collapsible)
        title = escape(self.title)
        if running:
            self.frame = (self.frame + 1) % len(SPINNER)
            line.update(f"[b]{SPINNER[self.frame]}[/b] {title} [dim]— running…[/dim]")
            self.set_classes("check-row status-running")
            details.display = False
            return
        if result is None:
            waiting = "waiting for the other checks" if busy else "not run"
            line.update(f"○ {title} [dim]— {waiting}. {escape(self.plain)}[/dim]")
            self.set_classes("check-row status-none")
            details.display = False
            return
        mark = CHECK_MARKS.get(result.status, "?")
        line.update(f"[b]{mark}[/b] {title}: {escape(result.summary)}")
        self.set_classes(f"check-row status-{result.status}")
        exchanges = [e for e in session.exchanges if e.check == self.check_id] if session else []
        parts = []
        if result.evidence:
            parts.append("Evidence: " + ", ".join(f"{k} = {v}" for k, v in result.evidence.items()))
        if result.details:
            parts.append(result.details)
        parts += [exchange_text(e) for e in exchanges]
        details.display = bool(parts)
        details.collapsed = not expert
        self.query_one(".check-details-text", Static).update(escape("\n\n".join(parts)))


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
        yield Label(escape(self.question.text), classes="question-text")
        if self.question.help:
            yield Static(escape(self.question.help), classes="question-help")
        if self.question.kind == "text":
            yield Input(value=self.answer or "", placeholder="Type your answer", id=f"text-{self.question.id}", classes="question-input")
        else:
            layout = "answer-set" if self.question.kind == "yesno" else "answer-set choices"
            with RadioSet(id=f"radio-{self.question.id}", classes=layout):
                for value, label in self.options():
                    yield RadioButton(label, value=(value == self.answer), name=value)
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
