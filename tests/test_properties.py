"""Property tests: arbitrary text (markup, escapes, backticks, pipes, Markdown, shell syntax) pushed through every
core function that turns session data into something a person sees or pastes.

Each property is what a user would notice if it broke: a control character reaching the terminal, a report whose
structure (headings, tables, lists) changes with what a server wrote, a link or HTML appearing in a ticket, a
pasted curl command that runs something or sends a different header than the one recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from wizard403.checks.registry import status_text, unanswered_text
from wizard403.content import load_content
from wizard403.diagnose import diagnose, explain_ranking
from wizard403.headless import progress_line, verdict_line
from wizard403.lab import hostile
from wizard403.model import Answer, Cause, Change, CheckResult, Exchange, Fix, Headers, Reference, Session, Target, Verdict
from wizard403.report import render
from wizard403.report.markdown import describe_denial, who_said_no
from wizard403.textsafe import md_text
from wizard403.reproduce import to_curl
from wizard403.scrub import Scrubber

CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
PIECES = [
    hostile.QUIT, hostile.SCREENSHOT, hostile.BOLD, hostile.LIST_REPR, "[/]", "[@click=app.notify('x')]",
    hostile.TITLE, hostile.CLIPBOARD, hostile.CLEAR, hostile.RED, hostile.C1, hostile.RLO, "\u2066", "\x00", "\x7f",
    "\r", "\n", "\r\n", "\t", "    ", "`", "``", "```", "````", "|", "\\|", "\\", "# ", "## ", "> ", "- ", "* ", "1. ",
    "---", "===", "[x](https://evil.example/)", "![i](https://evil.example/i.png)", "<https://evil.example/>",
    "[ref]: https://evil.example/", "<script>alert(1)</script>", "<b>", "</div>", "<!-- c -->", "&amp;", "&#27;",
    "&lt;", "*em*", "_em_", "**", "~~", "$(touch pwned)", "`id`", "${HOME}", "'", '"', ";", "&&", "é", "✓",
]
SAFE_END = st.sampled_from(["x", "`", "|", "]", "\\", "*", "_", "é"])
# Text as a hostile server writes it, ending in something visible (so that "present or empty" never changes).
hostile_text = st.builds(
    lambda parts, end: "".join(parts) + end,
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=10),
    SAFE_END,
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
MD = MarkdownIt("commonmark").enable("table")


def session_with(text: str, url_text: str = "x") -> Session:
    """A session holding `text` wherever outside text can land: the exchange, checks, causes, ids, notes."""
    target = Target(url=f"https://api.example.com/v1/{url_text}", headers=Headers([("Accept", text)]), notes=[text])
    s = Session(target=target, created=T0)
    s.exchanges.append(Exchange(
        check="baseline", method="GET", url=target.url, status=403, reason=text, elapsed_ms=5,
        request_headers=target.headers, response_headers=Headers([("X-Text", text), ("Server", text)]),
        body=text.encode("utf-8"), at=T0,
    ))
    s.exchanges.append(Exchange(check="alt-route", method="GET", url=target.url, route=f"alt-proxy {text}",
                                error=text, error_kind="connect", at=T0, redirects=[f"https://a.example/{text}"]))
    s.checks.append(CheckResult("baseline", 1, "fail", f"The request is refused with 403 {text}.", {"status": 403}))
    s.checks.append(CheckResult("denial-message", 2, "info", text, {"error_message": text, "action": text}))
    s.answers.append(Answer(1, "recent-role-change", "yes", text))
    s.causes.append(Cause("permissions", text, "high", 0.8, "identity", [text, f"denial: {text}"],
                          [Fix(text, "easy", "admin")], explanation=text))
    s.references.append(Reference("request-id", text, "server", T0, text))
    s.changes.append(Change(T0, text, text))
    s.verdict = Verdict("identity", text, True)
    return s


def structure(markdown: str) -> list[tuple[str, int]]:
    """The block structure of a Markdown text: (token type, nesting level), without the inline content."""
    return [(t.type, t.level) for t in MD.parse(markdown) if t.type != "inline"]


def md_tokens(markdown: str):
    tokens = MD.parse(markdown)
    return tokens + [child for t in tokens for child in (t.children or [])]


BENIGN = render(session_with("x"), "md")


@SETTINGS
@given(hostile_text)
def test_markdown_report_quotes_any_text(text):
    md = render(session_with(text), "md")
    assert not CONTROL_RE.search(md)
    assert structure(md) == structure(BENIGN)  # no heading, table row, list item or block added or lost
    kinds = {t.type for t in md_tokens(md)}
    assert not kinds & {"link_open", "image", "html_block", "html_inline"}, kinds


@SETTINGS
@given(hostile_text)
def test_json_and_toml_reports_parse_and_agree(text):
    session = session_with(text)
    from_json = json.loads(render(session, "json"))
    from_toml = tomllib.loads(render(session, "toml"))
    assert from_json["exchanges"][0]["reason"] == from_toml["exchanges"][0]["reason"]
    assert from_json["exchanges"][0]["response_headers"] == from_toml["exchanges"][0]["response_headers"]


@SETTINGS
@given(hostile_text)
def test_prose_and_quoted_values_never_become_markup(text):
    mid_line = [md_text(text), who_said_no(text, None)]
    line_start = [md_text(text), describe_denial({"error_message": text, "action": text})]
    for piece in mid_line + line_start:
        assert "\n" not in piece and not CONTROL_RE.search(piece)
        document = f"| a | b |\n|---|---|\n| {piece} | x |\n\n- **Said:** {piece}\n\nIt said {piece}\n"
        if piece in line_start:
            document += f"\n- {piece}\n\n{piece}\n"
        tokens = md_tokens(document)
        kinds = {t.type for t in tokens}
        assert not kinds & {"link_open", "image", "html_block", "html_inline", "heading_open", "em_open",
                            "fence", "code_block", "hr", "blockquote_open", "s_open"}, (piece, kinds)
        assert [t.type for t in tokens].count("td_open") == 2
        assert [t.type for t in tokens].count("strong_open") == 1  # only the document's own **Said:**


@SETTINGS
@given(hostile_text, hostile_text)
def test_check_progress_and_verdict_lines_are_one_visible_line(summary, title):
    session = session_with(summary)
    scrubber = Scrubber.for_session(session)
    line = progress_line(CheckResult(summary, 1, "fail", summary), scrubber)
    assert "\n" not in line and not CONTROL_RE.search(line)
    session.causes[0].title = title
    for code in (0, 3, 4):
        final = verdict_line(session, code, None)
        assert "\n" not in final and not CONTROL_RE.search(final)
    ex = session.exchanges[0]
    assert status_text(ex).startswith("403") and " :" not in status_text(Exchange("b", "GET", "u", status=403))
    assert isinstance(unanswered_text(session.exchanges[1]), str)


@pytest.fixture(scope="module")
def content():
    return load_content()


@SETTINGS
@given(text=hostile_text)
def test_diagnosis_texts_never_carry_the_servers_controls(content, text):
    """The verdict and the ranking sentence are the wizard's words: server text may not leak into them raw."""
    session = session_with(text)
    session.checks.clear()
    session.causes.clear()
    diagnose(session, content)
    sentence = explain_ranking(session, content)
    for said in [session.verdict.summary, sentence] + [c.title for c in session.causes]:
        assert isinstance(said, str) and not CONTROL_RE.search(said), said


# --- the reproduction command: safe to paste into a shell ---------------------------------------------------------

BASH = shutil.which("bash")
# Replace curl by a function printing its arguments NUL-separated: what the shell would really have passed.
ECHO_ARGS = "curl() { printf '%s\\0' \"$@\"; }\n"


def shell_args(command: str, env: dict | None = None) -> list[str]:
    proc = subprocess.run([BASH, "-c", ECHO_ARGS + command], capture_output=True, timeout=10, check=True, env=env)
    return proc.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1]


header_value = hostile_text.filter(lambda t: "\x00" not in t)


@pytest.mark.skipif(BASH is None, reason="bash is part of every Debian system the suite runs on")
@SETTINGS
@given(header_value)
def test_curl_command_passes_header_values_exactly_and_runs_nothing(tmp_path_factory, value):
    cwd = tmp_path_factory.mktemp("paste")
    target = Target(url="http://127.0.0.1:9/p?q=1", headers=Headers([("X-Text", value)]))
    command = to_curl(target, redact=False)
    assert not CONTROL_RE.search(command.replace("\n", "")), command  # nothing for the terminal to act on
    args = shell_args(f"cd {cwd} && " + command)
    assert args[args.index("-H") + 1] == f"X-Text: {value}"
    assert list(cwd.iterdir()) == []  # `$(touch pwned)` stayed text


@pytest.mark.skipif(BASH is None, reason="bash is part of every Debian system the suite runs on")
@SETTINGS
@given(header_value)
def test_curl_command_with_placeholders_keeps_the_rest_exact(value):
    target = Target(url="http://127.0.0.1:9/p", headers=Headers([("Authorization", "Bearer sekrit-token-1234567"),
                                                              ("X-Text", value)]))
    command = to_curl(target, placeholders=True)
    assert "sekrit-token-1234567" not in command
    assert not CONTROL_RE.search(command.replace("\n", ""))
    args = shell_args(command, env={"TOKEN": "T", "PATH": "/usr/bin:/bin"})
    headers = [args[i + 1] for i, a in enumerate(args) if a == "-H"]
    assert "Authorization: Bearer T" in headers
    assert f"X-Text: {value}" in headers
