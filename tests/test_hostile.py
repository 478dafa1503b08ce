"""The lab's hostile corner, on the wire; and `wizard403 check` on every hostile scenario, as a user runs it.

Server text is data: on stderr and in the Markdown report it never carries a control character, never becomes a
heading, a link or HTML; JSON and TOML keep it exactly.
"""

from __future__ import annotations

import http.server
import json
import re
import socket
import subprocess
import sys
import threading
import tomllib

import httpx
import pytest

from wizard403.lab import ALL_SCENARIOS, HOSTILE_SCENARIOS, SCENARIOS, Lab, scenario, start_lab
from wizard403.lab import hostile
from wizard403.model import CAUSE_IDS


@pytest.fixture(scope="module")
def lab():
    with start_lab() as running:
        yield running


def raw_answer(lab: Lab, scenario_id: str) -> tuple[bytes, bytes]:
    """(head, body) exactly as the lab wrote them to the socket."""
    target = lab.url(scenario_id)[len(lab.base_url):]
    request = f"GET {target} HTTP/1.1\r\nHost: {lab.host}:{lab.port}\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection((lab.host, lab.port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return head, body


# --- the catalogue ------------------------------------------------------------------------------------------------


def test_hostile_scenarios_are_their_own_group_and_found_by_id_path_and_url(lab):
    assert HOSTILE_SCENARIOS and all(s.hostile for s in HOSTILE_SCENARIOS)
    assert not any(s.hostile for s in SCENARIOS)
    ids = [s.id for s in ALL_SCENARIOS]
    paths = [s.path for s in ALL_SCENARIOS]
    assert len(set(ids)) == len(ids) and len(set(paths)) == len(paths)
    for s in HOSTILE_SCENARIOS:
        assert s.expected_cause in CAUSE_IDS and s.description.count(".") >= 2, s.id
        assert s.path.startswith("/hostile/")
        assert scenario(s.id) is s and scenario(s.path) is s and scenario(lab.url(s.id)) is s


def test_demo_list_shows_the_hostile_scenarios_under_their_own_heading():
    from tests.test_cli import run

    proc = run("demo", "--list")
    assert proc.returncode == 0
    before, heading, after = proc.stdout.partition("Hostile scenarios")
    assert heading, proc.stdout
    assert all(s.id in before for s in SCENARIOS)
    assert all(s.id in after and s.id not in before for s in HOSTILE_SCENARIOS)


def test_the_lab_stays_loopback_only_and_lists_the_hostile_corner(lab):
    assert lab.host == "127.0.0.1"
    index = httpx.get(lab.base_url + "/", timeout=5).text
    assert "Hostile scenarios" in index
    assert all(f'href="{s.path}"' in index for s in HOSTILE_SCENARIOS)


# --- on the wire: exactly the bytes designed ----------------------------------------------------------------------


def test_markup_is_in_every_header_the_reason_phrase_and_the_body(lab):
    head, body = raw_answer(lab, "hostile-markup")
    lines = head.decode("utf-8").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 403 Forbidden ") and all(m in lines[0] for m in hostile.MARKUP_STRINGS)
    own = [line for line in lines[1:] if not line.lower().startswith(("date:", "content-length:", "connection:"))]
    assert len(own) >= 8
    for line in own:
        assert "[" in line and "]" in line, line
    text = body.decode("utf-8")
    assert all(m in text for m in hostile.MARKUP_STRINGS)


def test_escape_sequences_go_out_raw(lab):
    head, body = raw_answer(lab, "hostile-escapes")
    for sequence in (hostile.TITLE, hostile.CLIPBOARD, hostile.CLEAR, hostile.RED, hostile.C1, hostile.RLO):
        assert sequence.encode("utf-8") in head, sequence
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 403 Forbidden" + (hostile.TITLE + hostile.CLEAR + hostile.RLO).encode()
    assert b"\x1b]52;c;cHduZWQ=\x07" in body and b"\x00" in body and b"\x7f" in body


def test_bytes_that_are_not_utf8_and_a_latin1_reason_go_out_raw(lab):
    head, body = raw_answer(lab, "hostile-bytes")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 403 Acc\xe8s refus\xe9"
    assert b"X-Broken: " + hostile.INVALID_UTF8 in head
    assert b"X-Latin1: Fran\xe7ois" in head and "X-Utf8: café ✓".encode() in head
    assert hostile.INVALID_UTF8 in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_huge_and_numerous_headers(lab):
    head, _body = raw_answer(lab, "hostile-headers")
    lines = head.split(b"\r\n")[1:]
    huge = next(line for line in lines if line.startswith(b"X-Huge: "))
    assert len(huge) - len(b"X-Huge: ") == 16 * 1024
    assert sum(line.startswith(b"X-Filler-") for line in lines) == 200


def test_nested_json_is_five_thousand_levels_deep(lab):
    _head, body = raw_answer(lab, "hostile-nested-json")
    assert body.count(b'{"error":') == 5000 and body.rstrip().endswith(b"}" * 5000)


def test_bracketed_query_string_arrives_and_is_echoed(lab):
    assert lab.url("hostile-query").endswith("?" + scenario("hostile-query").query)
    head, _body = raw_answer(lab, "hostile-query")
    assert b"X-Query: q=[@click=app.quit]&tags[]=['a=b']&f=[b]x[/b]" in head
    assert lab.requests[-1].path == "/hostile/search?" + scenario("hostile-query").query


def test_realm_challenges_are_four_headers_with_quotes_commas_and_equals(lab):
    head, _body = raw_answer(lab, "hostile-realm")
    challenges = [line[len(b"WWW-Authenticate: "):].decode() for line in head.split(b"\r\n")
                  if line.startswith(b"WWW-Authenticate: ")]
    assert challenges == list(hostile.CHALLENGES)
    assert '\\"inner\\"' in challenges[0] and "with=commas" in challenges[0]


def test_markdown_block_page(lab):
    head, body = raw_answer(lab, "hostile-markdown")
    text = body.decode("utf-8")
    assert "# You are blocked" in text and "[support](https://evil.example/phish)" in text
    assert "&lt;script&gt;" in text and "| col | umn |" in text and "````" in text
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 403 Forbidden | # heading | `tick` <b>"


def test_bare_status_line_has_no_reason_phrase(lab):
    head, body = raw_answer(lab, "hostile-bare-status")
    assert head.split(b"\r\n")[0] == b"HTTP/1.0 403"
    assert body == b"Forbidden\n"


# --- `wizard403 check` on every hostile scenario: quoted, never obeyed --------------------------------------------

# What a terminal would act on: C0 controls but tab and newline, DEL, C1 controls, bidirectional overrides/isolates.
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# The headings the report itself writes; server text inside one is only ever in a code span.
OWN_HEADINGS = re.compile(
    r"^(403 report: [A-Z]+ <code>$|Where the evidence came from$|Minimal reproduction$|The six steps$|Step \d: |"
    r"Likely causes, most likely first$|\d+\. |References for the owner's logs$|Changes tried$|Every request sent$|"
    r"For the site owner: find this request in your logs$|<code> <code>( \(.*\))?$)"
)
# One exact header (or reason phrase, key "reason") per scenario that the JSON and TOML reports must keep as sent.
EXACT = {
    "hostile-markup": {"reason": f"Forbidden {hostile.MARKUP}", "x-request-id": f"req-{hostile.LIST_REPR}=",
                       "server": f"{hostile.QUIT}nginx{hostile.BOLD}"},
    "hostile-escapes": {"reason": f"Forbidden{hostile.TITLE}{hostile.CLEAR}{hostile.RLO}", "x-title": hostile.TITLE,
                        "x-clipboard": hostile.CLIPBOARD, "x-c1": hostile.C1, "x-del": "a\x7fb"},
    "hostile-bytes": {"reason": "Accès refusé", "x-latin1": "François", "x-utf8": "café ✓",
                      "x-broken": hostile.INVALID_UTF8.decode("latin-1")},
    "hostile-headers": {"x-filler-200": f"value 200 {hostile.LIST_REPR}"},
    "hostile-nested-json": {"content-type": "application/json"},
    "hostile-query": {"x-query": scenario("hostile-query").query},
    "hostile-realm": {"www-authenticate": ", ".join(hostile.CHALLENGES)},
    "hostile-markdown": {"reason": "Forbidden | # heading | `tick` <b>", "x-request-id": "``req`42``"},
    "hostile-bare-status": {"reason": ""},
}


def check(lab: Lab, scenario_id: str, fmt: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wizard403", "check", lab.url(scenario_id), "--format", fmt],
        capture_output=True, timeout=120, check=False,
    )


def inline_text(token) -> str:
    return "".join(child.content for child in token.children or [] if child.type in ("text", "code_inline"))


def heading_words(token) -> str:
    """A heading's own words, with each code span (where server text may stand) as <code>."""
    return "".join("<code>" if c.type == "code_inline" else c.content for c in token.children or [] if c.type in ("text", "code_inline"))


def test_exact_table_covers_every_hostile_scenario():
    assert set(EXACT) == {s.id for s in HOSTILE_SCENARIOS}


@pytest.mark.parametrize("scenario_id", [s.id for s in HOSTILE_SCENARIOS])
def test_check_markdown_quotes_server_text_and_nothing_reaches_the_terminal(lab, scenario_id):
    from markdown_it import MarkdownIt

    proc = check(lab, scenario_id, "md")
    stderr, stdout = proc.stderr.decode("utf-8"), proc.stdout.decode("utf-8")
    assert proc.returncode == 3, stderr
    assert "Traceback" not in stderr and "failed unexpectedly" not in stderr, stderr
    assert not CONTROL_RE.search(stderr), [m.group(0) for m in CONTROL_RE.finditer(stderr)]
    assert not CONTROL_RE.search(stdout), [m.group(0) for m in CONTROL_RE.finditer(stdout)]
    tokens = MarkdownIt("commonmark").enable("table").parse(stdout)
    flat = tokens + [child for t in tokens for child in (t.children or [])]
    kinds = {t.type for t in flat}
    assert not kinds & {"link_open", "image", "html_block", "html_inline"}, kinds
    headings = [heading_words(tokens[i + 1]) for i, t in enumerate(tokens) if t.type == "heading_open"]
    for heading in headings:
        assert OWN_HEADINGS.match(heading), heading
    rows = [i for i, t in enumerate(tokens) if t.type == "tr_open"]
    for i in rows:  # a table row keeps its three cells, whatever pipes the server text held
        cells = []
        j = i + 1
        while tokens[j].type != "tr_close":
            if tokens[j].type == "inline":
                cells.append(inline_text(tokens[j]))
            j += 1
        assert len(cells) in (3,), cells
    if scenario_id == "hostile-markdown":
        cells = [inline_text(t) for t in tokens if t.type == "inline"]
        assert any("Forbidden | # heading | `tick` <b>" in c for c in cells), "the reason phrase lost its pipes"
        assert "# You are blocked" in stdout  # shown, inside the fenced exchange
    if scenario_id == "hostile-escapes":
        assert "␛]0;pwned" in stdout and "␛]0;pwned" in stderr  # made visible, not dropped


@pytest.mark.parametrize("fmt", ["json", "toml"])
@pytest.mark.parametrize("scenario_id", [s.id for s in HOSTILE_SCENARIOS])
def test_check_json_and_toml_keep_the_exact_text(lab, scenario_id, fmt):
    proc = check(lab, scenario_id, fmt)
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 3, stderr
    assert not CONTROL_RE.search(stderr)
    assert b"\x1b" not in proc.stdout and b"\x07" not in proc.stdout  # escaped as the format requires
    text = proc.stdout.decode("utf-8")
    # C1 controls (U+009B is CSI to some terminals), bidi overrides and line separators are legal raw in JSON and
    # TOML strings; written raw, `cat report.json` would reorder or drive the terminal. They arrive escaped.
    raw = [hex(ord(c)) for c in text if 0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069]
    assert not raw, raw
    report = json.loads(text) if fmt == "json" else tomllib.loads(text)
    baseline = report["exchanges"][0]
    assert baseline["check"] == "baseline" and baseline["status"] == 403
    for name, value in EXACT[scenario_id].items():
        got = baseline["reason"] if name == "reason" else baseline["response_headers"][name]
        assert got == value, (name, got)
    if scenario_id == "hostile-headers":
        assert len(baseline["response_headers"]["x-huge"]) == 16 * 1024
        assert sum(k.startswith("x-filler-") for k in baseline["response_headers"]) == 200


def test_a_bare_status_line_reads_403_never_403_colon(lab):
    proc = check(lab, "hostile-bare-status", "md")
    stderr, stdout = proc.stderr.decode(), proc.stdout.decode()
    assert "refused with 403: the problem reproduces" in stderr
    assert "refused with 403: the problem reproduces" in stdout
    assert "403 :" not in stderr and "403 :" not in stdout
    assert "\nHTTP/1.0 403\n" in stdout


def test_on_a_200_nobody_said_no(lab):
    proc = check(lab, "ok", "md")
    assert proc.returncode == 0
    top = proc.stdout.decode().split("## ")[0]
    assert "**Who said no:** nobody: access was granted" in top
    assert "does not tell yet" not in top


@pytest.fixture
def redirect_to_a_dead_port():
    """A real server on loopback whose only answer is a redirect to a port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    target = f"http://127.0.0.1:{dead}/moved"

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/start", target
    finally:
        server.shutdown()
        server.server_close()


def test_a_redirect_to_a_dead_port_names_the_host_that_answered(redirect_to_a_dead_port):
    start, target = redirect_to_a_dead_port
    first = start.split("/")[2]
    proc = subprocess.run([sys.executable, "-m", "wizard403", "check", start], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 4, proc.stderr
    said = f"{first} answered with a redirect to {target}, which could not be reached"
    assert said in proc.stderr
    assert f"`{first}` answered with a redirect to `{target}`, which could not be reached" in proc.stdout
    assert "server could not be reached" not in proc.stdout.lower() + proc.stderr.lower()
    assert "**Who said no:** nobody yet: the request got no answer." in proc.stdout


def test_report_renders_a_saved_hostile_session_as_safely_as_check(lab, tmp_path):
    """The TOML keeps the exact text; `wizard403 report` on it quotes that text again, never obeys it."""
    for s in HOSTILE_SCENARIOS:
        saved = tmp_path / f"{s.id}.toml"
        made = subprocess.run([sys.executable, "-m", "wizard403", "check", lab.url(s.id), "-q", "-o", str(saved)],
                              capture_output=True, timeout=120, check=False)
        assert made.returncode == 3, made.stderr
        shown = subprocess.run([sys.executable, "-m", "wizard403", "report", str(saved), "--format", "md"],
                               capture_output=True, timeout=60, check=False)
        assert shown.returncode == 0, shown.stderr
        text = shown.stdout.decode("utf-8")
        assert not CONTROL_RE.search(text), s.id
        assert text.startswith("# 403 report: GET `"), s.id
