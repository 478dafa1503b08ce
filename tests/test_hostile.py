"""The lab's hostile corner, on the wire; and `wizard403 check` on every hostile scenario, as a user runs it.

Server text is data: on stderr and in the Markdown report it never carries a control character, never becomes a
heading, a link or HTML; JSON and TOML keep it exactly.
"""

from __future__ import annotations

import socket

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
