"""The comparison: both requests (redacted), every difference ranked (the culprit first once found, noise at the end),
what to do, and "Find the culprit", which replays the pair live with `compare --live`'s own narrowing.

Everything shown comes from `wizard403.compare` (the same tree as `compare --format json`, redacted and scrubbed
there), scrubbed again with both requests' and the session's secrets, and drawn as plain Content. Within a session
the working request feeds the diagnosis as `--working FILE` does, and a culprit found live moves the ranking.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, ProgressBar, Static
from textual.worker import Worker, WorkerState

from wizard403.textsafe import one_line
from wizard403.tui.keys import DEFAULT_KEYS
from wizard403.tui.text import line, lines, plain, styled

HOW_TO_TEST = "Press 'Find the culprit' to test them."
EMPTY = ("Nothing to rank: the two requests are sent alike. Look at what is not in them: the network each one comes "
         "from (step 4 tries another route), when each was sent, and the state of the account.")
OFFLINE = ("This session is recorded evidence analysed offline, so nothing is replayed from here; start wizard403 "
           "with --live to find the culprit.")
COLUMNS = (("relevance", 9), ("kind", 6), ("name", 16), ("working", 18), ("refused", 18))  # then "why", the rest
RELEVANCE_STYLE = {"high": "bold", "medium": "", "low": "dim"}



def clip(text: str, width: int) -> str:
    """One line of at most `width` cells, with an ellipsis when cut."""
    text = one_line(text)
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def why_of(row: dict[str, Any]) -> str:
    return row["why"] + (f" Not replayed: {row['not_replayed']}." if row.get("not_replayed") else "")


class CompareScreen(Screen):
    """The two requests side by side; live, the culprit found in a worker that never blocks the screen."""

    BINDINGS = [
        Binding(DEFAULT_KEYS["back"], "back", "Back", id="back"),
        Binding(DEFAULT_KEYS["find-culprit"], "find", "Find the culprit", id="find-culprit"),
        Binding(DEFAULT_KEYS["summary"], "summary", "Summary", id="summary"),
        Binding(DEFAULT_KEYS["next"], "diagnose", "Diagnose", id="next"),
    ]

    def __init__(self, working, refused, in_session: bool) -> None:
        from wizard403.compare import differences
        from wizard403.compare.report import comparison_scrubber

        super().__init__(name="compare")
        self.working, self.refused, self.in_session = working, refused, in_session
        self.diffs = differences(working, refused)
        self.narrowed = None
        self.sent = 0
        self.rows: list[dict[str, Any]] = []
        self._scrubber = comparison_scrubber(working, refused)

    # ---------------------------------------------------------------- what may be shown

    def shown(self, text: object) -> str:
        """Outside text scrubbed of both requests' secrets and the session's (controls are made visible later)."""
        return self.app.scrubber.scrub(self._scrubber.scrub(str(text)))

    def cell(self, text: object, width: int, style: str = ""):
        return styled(clip(self.shown(text), width), style) if style else plain(clip(self.shown(text), width))

    @property
    def options(self):
        """The run's options (budget, routes, timeout, unsafe replay), through the refused curl command's proxy."""
        options = self.app.options
        return dataclasses.replace(options, proxy=self.refused.proxy) if self.refused.proxy else options

    @property
    def can_replay(self) -> bool:
        return not self.in_session or self.app.live

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "summary":
            return self.in_session
        if action == "diagnose":
            return not self.in_session
        if action == "find":
            return self.can_replay
        return True

    # ---------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="compare-main"):
            yield Static(styled("Compared: the request that works and the refused one", "bold"), id="compare-title")
            yield Static("", id="compare-verdict", markup=False)
            yield Static("", id="compare-sides", markup=False)
            yield Static("", id="compare-progress", markup=False)
            bar = ProgressBar(total=self.options.budget, show_eta=False, show_percentage=False, id="compare-bar")
            bar.display = False
            yield bar
            yield Static(styled("Differences, most likely culprit first", "bold"), id="compare-heading", classes="section")
            table = DataTable(id="differences", cursor_type="row", zebra_stripes=True)
            yield table
            yield Static("", id="compare-detail", markup=False)
            yield Static("", id="compare-noise", markup=False, classes="section")
            yield Static("", id="compare-advice", markup=False, classes="section")
            yield Static("", id="compare-notes", markup=False, classes="section")
            yield Static("", id="compare-requests", markup=False, classes="section")
            with Horizontal(id="nav"):
                yield Button("← Back", id="back")
                yield Button(plain(f"Find the culprit (up to {self.options.budget} requests)"), id="find", variant="primary",
                             disabled=not self.can_replay)
                if not self.in_session:
                    yield Button("Diagnose the refused request →", id="diagnose")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.draw()
        self.put("#compare-progress", plain("" if self.can_replay else OFFLINE))
        if self.in_session:
            self.feed_diagnosis()
        self.query_one("#differences" if self.rows else "#find", DataTable if self.rows else Button).focus()

    def draw(self) -> None:
        """Everything from the comparison's tree (drawn again when the live search has ended)."""
        from wizard403.compare.report import advice_for, compare_tree

        tree = compare_tree(self.working, self.refused, self.diffs, self.narrowed, how_to_test=HOW_TO_TEST)
        culprits = {(c["kind"], c["name"]) for c in tree["culprits"]}
        self.rows = [d for d in tree["differences"] if not d.get("noise")]
        noise = [d for d in tree["differences"] if d.get("noise")]
        self.query_one("#compare-verdict", Static).update(styled(self.shown(tree["verdict"]), "bold"))
        self.query_one("#compare-sides", Static).update(lines([self._side_line(tree, role) for role in ("working", "refused")]))
        self._fill_table(culprits)
        heading = self.query_one("#compare-heading", Static)
        heading.display = self.query_one("#differences", DataTable).display = bool(self.rows)
        if not tree["differences"]:
            self.put("#compare-detail", plain(EMPTY))
        elif not self.rows:
            self.put("#compare-detail", plain("Every difference is noise, listed below: none of them explains a refusal."))
        self.put("#compare-noise", self._noise_text(noise))
        advice = advice_for(tree)
        self.put("#compare-advice", line(("What to do: ", "bold"), self.shown(advice)) if advice else plain(""))
        notes = [plain(f"- {self.shown(note)}") for note in tree.get("notes", [])]
        self.put("#compare-notes", lines([styled("Notes", "bold"), *notes]) if notes else plain(""))
        self.put("#compare-requests", self._requests_text(tree.get("requests", [])))

    def put(self, selector: str, content) -> None:
        """Show `content` in one of the view's paragraphs; an empty paragraph takes no room."""
        widget = self.query_one(selector, Static)
        widget.update(content)
        widget.display = bool(content.plain.strip())

    def _side_line(self, tree: dict[str, Any], role: str):
        side = tree[role]
        status = f" (answered {side['status']})" if "status" in side else ""
        request = one_line(self.shown(f"{side['method']} {side['url']}"))
        return line((f"{role.capitalize()}: ", "bold"), request, status, ("  from ", "dim"), one_line(self.shown(side["from"])))

    def _fill_table(self, culprits: set[tuple[str, str]]) -> None:
        table = self.query_one("#differences", DataTable)
        table.clear(columns=True)
        fixed = sum(width for _, width in COLUMNS) + 2 * (len(COLUMNS) + 1) + 6  # cell padding, margins, scrollbar
        why_width = max(24, max(self.app.size.width, 80) - fixed)
        for label, width in COLUMNS + (("why", why_width),):
            table.add_column(label, width=width, key=label)
        for i, row in enumerate(self.rows):
            culprit = (row["kind"], row["name"]) in culprits
            relevance = RELEVANCE_STYLE[row["relevance"]]
            table.add_row(
                styled("◆ culprit", "bold red") if culprit else self.cell(row["relevance"], 9, relevance),
                self.cell(row["kind"], 6),
                self.cell(row["name"], 16, "bold" if culprit else ""),
                self.cell(row["working"], 18),
                self.cell(row["refused"], 18),
                self.cell(why_of(row), why_width),
                key=str(i),
            )
        if self.rows:
            self._show_detail(0)

    def _show_detail(self, index: int) -> None:
        if not 0 <= index < len(self.rows):
            return
        row = self.rows[index]
        self.put("#compare-detail", lines([
            line((f"{row['kind']} ", "bold"), (one_line(self.shown(row["name"])), "bold"), f"  ({row['relevance']})"),
            line(("  working: ", "dim"), one_line(self.shown(row["working"]))),
            line(("  refused: ", "dim"), one_line(self.shown(row["refused"]))),
            line(("  why: ", "dim"), one_line(self.shown(why_of(row)))),
        ]))

    def _noise_text(self, noise: list[dict[str, Any]]):
        if not noise:
            return plain("")
        shown = [styled("Noise (differs on every request; not a cause)", "bold")]
        shown += [line(("- ", "dim"), f"{row['kind']} ", (one_line(self.shown(row["name"])), "bold"), ": ",
                       one_line(self.shown(row["why"]))) for row in noise]
        return lines(shown)

    def _requests_text(self, requests: list[dict[str, Any]]):
        if not requests:
            return plain("")
        shown = [styled(f"Every request sent ({len(requests)} of at most {self.options.budget})", "bold")]
        for i, ex in enumerate(requests, 1):
            took = ", ".join(ex.get("took_over", [])) or "nothing (the refused request as it is)"
            shown.append(line(f"{i}. ", one_line(self.shown(f"{ex['method']} {ex['url']}")), " → ",
                              str(ex.get("status", "no answer")), ("; took over: ", "dim"), one_line(self.shown(took))))
        return lines(shown)

    @on(DataTable.RowHighlighted, "#differences")
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    # ---------------------------------------------------------------- the diagnosis

    def feed_diagnosis(self) -> None:
        """As `--working FILE`: the session's working request, and the check that weighs it, run again (on the app,
        so leaving this view does not stop it)."""
        self.app.session.target.working = self.working
        self.app.run_worker(rerun_comparison_check(self.app), group="compare-feed", exit_on_error=False)

    # ---------------------------------------------------------------- find the culprit

    @on(Button.Pressed, "#find")
    def action_find(self) -> None:
        if not self.can_replay:
            self.app.notify(OFFLINE, severity="warning")
            return
        if any(w.group == "compare" and w.is_running for w in self.workers):
            return
        self.find_culprit()

    @work(exclusive=True, group="compare", exit_on_error=False)
    async def find_culprit(self) -> None:
        from wizard403.compare.narrow import find_culprits

        options = self.options
        bar = self.query_one("#compare-bar", ProgressBar)
        self.query_one("#find", Button).disabled = True
        self.sent = 0
        bar.update(total=options.budget, progress=0)
        bar.display = True

        def on_send(what: str) -> None:
            self.sent += 1
            shown = min(self.sent, options.budget)
            bar.update(progress=shown)
            self.put("#compare-progress", line(("Finding the culprit: ", "bold"),
                                               f"request {shown} of at most {options.budget}, ", one_line(self.shown(what)), "…"))

        self.put("#compare-progress", line(("Finding the culprit: ", "bold"), f"up to {options.budget} requests…"))
        self.narrowed = await find_culprits(self.working, self.refused, self.diffs, options, on_send=on_send)
        self.working.narrowed = self.narrowed
        used = len(self.narrowed.exchanges)
        self.put("#compare-progress", line(("Done: ", "bold"), f"{used} of at most {options.budget} requests sent."))
        bar.update(progress=used)
        self.query_one("#find", Button).disabled = False
        self.draw()
        if self.in_session:
            self.feed_diagnosis()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "compare":
            return
        if event.state == WorkerState.ERROR:
            err = event.worker.error
            self.put("#compare-progress", plain(self.shown(f"The search stopped: {type(err).__name__}: {err}")))
        if event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            self.query_one("#find", Button).disabled = not self.can_replay

    # ---------------------------------------------------------------- navigation

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.workers.cancel_group(self, "compare")  # a search under way stops: nothing more is sent
        self.app.pop_screen()

    def action_summary(self) -> None:
        self.app.show_summary()

    @on(Button.Pressed, "#diagnose")
    def action_diagnose(self) -> None:
        """Open the wizard on the refused request, with the working one weighed as `--working FILE` is."""
        from wizard403.errors import WizardError
        from wizard403.model import ProbeOptions, Session
        from wizard403.tui.screens.start import check_unsafe

        refused = self.refused
        session = Session(target=refused.target)
        session.target.working = self.working
        if refused.exchange is not None:  # an entry of a HAR: its recorded answer, analysed offline
            session.exchanges.append(refused.exchange)
            self.app.begin(session, ProbeOptions(), live=False)
            return
        try:
            check_unsafe(refused.target, self.options)
        except WizardError as err:
            self.put("#compare-progress", plain(self.shown(str(err))))
            return
        self.app.begin(session, self.options, live=True)


async def rerun_comparison_check(app) -> None:
    """Run the working-comparison check again once the checks still running have finished (a new run of the
    checks would cancel them)."""
    from textual.worker import WorkerCancelled, WorkerFailed

    for worker in [w for w in app.workers if w.group == "checks" and w.is_running]:
        try:
            await worker.wait()
        except (WorkerCancelled, WorkerFailed):
            pass
    app.run_analysis(["working-comparison"])
