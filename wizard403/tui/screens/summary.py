"""The summary: who said no, the causes ranked with evidence and fixes, ids to quote, a redacted reproduction."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header

from wizard403.report import reproduction_for
from wizard403.report.markdown import DENIAL_FIELDS, LAYER_WORDS, WHO_WORDS
from wizard403.scrub import Scrubber
from wizard403.textsafe import md_fence, status_text
from wizard403.tui.app import ChecksUpdated
from wizard403.tui.keys import DEFAULT_KEYS
from wizard403.tui.markdown import SafeMarkdown
from wizard403.tui.owner import command_blocks, commands_heading, shown_causes
from wizard403.tui.text import md_plain, plain

QUERIES_STEP = "logs"  # the id of the step that shows the owner's log queries
QUERIES_LINK = "Step {n} holds, for each of these ids, the queries that find it in the owner's logs, ready to copy."
SOURCE_PREFIX = re.compile(r"^[\w./-]+(?: [\w./-]+)?: ")
WEIGHT_SUFFIX = re.compile(r"\s*\([+-]\d\.\d\d\)\s*$")


def plain_evidence(line: str) -> str:
    """An evidence line without the machinery: no check/signature id in front, no weight behind."""
    line = WEIGHT_SUFFIX.sub("", SOURCE_PREFIX.sub("", line))
    return line[:1].upper() + line[1:]


def denial_markdown(evidence: dict, md) -> str:
    """What the refusal says, one Markdown line of `label "value"` pairs, every value quoted as plain text."""
    parts = []
    for key, label in DENIAL_FIELDS:
        value = evidence.get(key)
        if not value or isinstance(value, (dict, list)):
            continue
        text = str(value)
        if key == "reset_time" and text.isdigit() and len(text) in (9, 10):
            text = dt.datetime.fromtimestamp(int(text), dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        text = text if len(text) <= 160 else text[:157] + "…"
        parts.append(f"{label} “{md(text)}”")
    return "; ".join(parts)


@dataclass(frozen=True)
class Commands:
    """Where a cause's commands go between the summary's Markdown parts (they are copyable blocks, not Markdown)."""

    cause: object


@dataclass(frozen=True)
class QueriesLink:
    """Where the button to the step with the owner's queries goes."""

    step: int


def queries_step(content) -> int:
    return next((s.number for s in content.steps if s.id == QUERIES_STEP), 6)


def summary_parts(session, expert: bool, running: bool, scrubber: Scrubber | None = None, queries_at: int = 6) -> list:
    """The summary as a list of parts: Markdown for `SafeMarkdown` (the wizard's own structure, and every text that
    came from the session, the server's words, the evidence, ids, the reproduction, scrubbed and escaped so it reads
    as written), with a `Commands` part after each cause that has commands and a `QueriesLink` after the ids."""
    if session is None:
        return ["No session yet."]
    scrubber = scrubber or Scrubber.for_session(session)
    parts: list = []
    out: list[str] = []

    def md(text: object) -> str:
        return md_plain(scrubber.scrub(str(text)))

    def flush() -> None:
        text = "\n".join(out).strip("\n")
        if text:
            parts.append(scrubber.scrub(text))  # a last pass: evidence and fixes quote what servers said
        out.clear()

    verdict = session.verdict
    out += ["# Summary", ""]
    if running:
        out += ["*Checks are still running; this summary will update.*", ""]
    if verdict.reproduced is False:
        out += ["**Access works from here now**: the refusal did not reproduce. The causes below explain what was seen earlier or on another machine.", ""]
    elif verdict.reproduced and not any(e.check == "baseline" for e in session.exchanges):
        out += ["**The recorded response is a refusal** (analysed offline, nothing was sent).", ""]
    elif verdict.reproduced:
        out += ["**The request is refused now** (reproduced).", ""]
    answered = [e for e in session.exchanges if e.check == "baseline" and e.status is not None]
    if verdict.reproduced is None and answered:  # answered, but neither a refusal nor a grant (a 404, a 400)
        said = md(status_text(answered[-1].status, answered[-1].reason))
        out += [f"**The server answered {said}**: neither a refusal nor access, so the 403 did not reproduce as such.", ""]
        out.append(f"**Who said no:** nobody refused: the answer was {said}.")
    else:
        out.append(f"**Who said no:** {md(LAYER_WORDS.get(verdict.who_refused, verdict.who_refused))}.")
    denial = session.check("denial-message")
    said = denial_markdown(denial.evidence, md) if denial is not None else ""
    if said:
        out += ["", f"**What the refusal says:** {said}"]
    if verdict.summary:
        out += ["", md(verdict.summary)]
    out.append("")
    causes = shown_causes(session, expert)
    if not causes:
        out += ["No cause ranked yet: run the checks or answer a few questions."]
    for i, cause in enumerate(causes, 1):
        score = f", score {cause.score:.2f}, {md(cause.id)}, layer {md(cause.layer)}" if expert else ""
        out += [f"## {i}. {md(cause.title)}", "", f"*Likelihood: {md(cause.likelihood)}{score}*", ""]
        if cause.explanation:
            out += [md(cause.explanation), ""]
        evidence = cause.evidence if expert else [plain_evidence(e) for e in cause.evidence[:3]]
        if evidence:
            out += ["**Why we think so**", ""] + [f"- {md(e)}" for e in evidence] + [""]
        if cause.fixes:
            out += ["**What to do**", ""]
            out += [f"- {md(f.text)} *({md(WHO_WORDS.get(f.who, f.who))}, {md(f.effort)})*" for f in cause.fixes]
            out.append("")
        if cause.commands:
            flush()
            parts.append(Commands(cause))
    if session.references:
        out += ["## Ids to quote to the owner", ""]
        out += [f"- **{md(r.kind)}**: {md(r.value)}" + (f" — {md(r.lookup)}" if r.lookup else "") for r in session.references]
        out.append("")
        if any(r.queries for r in session.references):
            out += [QUERIES_LINK.format(n=queries_at), ""]
            flush()
            parts.append(QueriesLink(queries_at))
    repro = reproduction_for(session)
    if repro:
        from wizard403.redact import redact_text
        from wizard403.scrub import session_secrets

        out += ["## Minimal reproduction (redacted)", "", md_fence(scrubber.scrub(redact_text(repro, session_secrets(session))), "sh"), ""]
    out += [
        "> **Do not work around the block.** Disabling, tricking or bypassing a security control to get past a 403 "
        "creates risk and may be illegal. Send this report to the owner instead.",
    ]
    flush()
    return parts


def summary_markdown(session, expert: bool, running: bool, scrubber: Scrubber | None = None, queries_at: int = 6) -> str:
    """The summary's Markdown parts as one document (the commands and the link to the queries are widgets)."""
    parts = summary_parts(session, expert, running, scrubber, queries_at)
    return "\n\n".join(p for p in parts if isinstance(p, str))


def _shape(parts: list, scrubber: Scrubber) -> tuple:
    """What decides the summary's widgets: the kind of each part, and the commands as shown (scrubbed)."""
    say = scrubber.shown

    def kind(part) -> tuple:
        if isinstance(part, str):
            return ("md",)
        if isinstance(part, QueriesLink):
            return ("link", part.step)
        return ("cmd", tuple((say(c.tool), c.who, c.purpose, say(c.why), say(c.text)) for c in part.cause.commands))

    return tuple(kind(p) for p in parts)


class SummaryBody(Vertical):
    """The summary's parts in order: Markdown, each cause's commands as copyable blocks, the link to step 6."""

    def __init__(self, parts: list, **kwargs) -> None:
        super().__init__(**kwargs)
        self.parts = parts
        self._drawn: tuple = ()  # the shape of the parts as last composed (a cause may change in place)

    def compose(self) -> ComposeResult:
        first = True
        scrubber = self.app.scrubber
        self._drawn = _shape(self.parts, scrubber)
        for part in self.parts:
            if isinstance(part, str):
                yield SafeMarkdown(part, id="summary-text" if first else None, classes="summary-part")
                first = False
            elif isinstance(part, Commands):
                with Vertical(classes="summary-commands"):
                    yield commands_heading()
                    yield from command_blocks(part.cause, scrubber)
            else:
                with Horizontal(classes="summary-link"):
                    yield Button(plain(f"Open the log queries (step {part.step}) →"), id="to-queries", compact=True)

    def update(self, parts: list) -> None:
        """Redraw: the Markdown parts in place when the layout is the same, else every part afresh."""
        self.parts = parts
        if _shape(parts, self.app.scrubber) != self._drawn:
            self.refresh(recompose=True)
            return
        widgets = list(self.query(".summary-part").results(SafeMarkdown))
        for widget, text in zip(widgets, (p for p in parts if isinstance(p, str))):
            if text != widget.source:
                widget.update(text)


class SummaryScreen(Screen):
    BINDINGS = [
        Binding(DEFAULT_KEYS["back"], "back", "Back", id="back", tooltip="Back to the steps"),
        Binding(DEFAULT_KEYS["export"], "export", "Export", id="export"),
        Binding(DEFAULT_KEYS["change"], "change", "Change", id="change", tooltip="Record a change and re-test"),
        Binding(DEFAULT_KEYS["rerun-all"], "rerun_all", "Re-run all", id="rerun-all"),
        Binding(DEFAULT_KEYS["log-queries"], "log_queries", "Log queries", id="log-queries", show=False,
                tooltip="The queries that find the ids in the owner's logs (step 6)"),
    ]

    _pending = None  # the timer of a redraw asked for while checks run

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="summary-main"):
            yield SummaryBody(self._parts(), id="summary-body")
            with Horizontal(id="nav"):
                yield Button("← Back to the steps", id="back")
                yield Button("Did it fix it? Record a change", id="change")
                yield Button("Export the report", id="export", variant="primary")
        yield Footer(compact=True)

    def _parts(self) -> list:
        app = self.app
        return summary_parts(app.session, app.expert, bool(app.running), app.scrubber, queries_step(app.content))

    def on_checks_updated(self, message: ChecksUpdated) -> None:
        """Redraw when the summary changed: at once when all checks are done, at most every half second before
        (re-mounting the Markdown on each of a run's check events made the wizard crawl)."""
        if message.check_id is None:
            self.redraw()
        elif self._pending is None:
            self._pending = self.set_timer(0.5, self.redraw)

    def redraw(self) -> None:
        if self._pending is not None:
            self._pending.stop()
            self._pending = None
        self.query_one(SummaryBody).update(self._parts())

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#export")
    def action_export(self) -> None:
        self.app.show_export()

    @on(Button.Pressed, "#change")
    def action_change(self) -> None:
        self.app.show_change()

    def action_rerun_all(self) -> None:
        self.app.run_analysis()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "log_queries":
            session = self.app.session
            return session is not None and any(r.queries for r in session.references)
        return True

    @on(Button.Pressed, "#to-queries")
    def action_log_queries(self) -> None:
        """Back to the steps, on the one with the owner's queries, its first query focused."""
        app = self.app
        app.pop_screen()
        app.goto_step(queries_step(app.content))
        app.screen.focus_copy = True
