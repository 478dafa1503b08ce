"""Bring-your-own-evidence through the command line: HAR, raw response and curl input, offline by default.

The offline runs happen with sockets forbidden in the process, so a single connection attempt fails the test.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from wizard403.cli import main

HARS = Path(__file__).parent / "fixtures" / "har"


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("offline analysis opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def check_json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["check", *args, "--format", "json", "-q"])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, json.loads(out.out) if out.out.strip() else {}


@pytest.mark.parametrize(
    "har, entry, cause",
    [
        ("firefox-vendors.har", 2, "waf"),
        ("firefox-vendors.har", 3, "bot-challenge"),
        ("firefox-vendors.har", 4, "signed-url"),
        ("firefox-vendors.har", 5, "rate-limit"),
        ("chrome-login-403.har", 7, "permissions"),
        ("chrome-login-403.har", 6, "stale-session"),  # the sign-in redirect and unsent cookies before it decide
        ("safari-basic-auth.har", 2, "directory-listing"),
    ],
)
def test_har_entries_are_diagnosed_offline(no_network, capsys, har, entry, cause):
    code, report = check_json(capsys, "--har", str(HARS / har), "--entry", str(entry))
    assert code == 3
    assert report["causes"][0]["id"] == cause
    assert [e["check"] for e in report["exchanges"]] == ["recorded"]
    assert report["target"]["source"] == "har"


def test_har_without_entry_takes_the_first_refused_one(no_network, capsys):
    # entries 6 (app.example.test/reports/42) and 7 (api.example.test/v1/reports/42) are both refused
    code, report = check_json(capsys, "--har", str(HARS / "chrome-login-403.har"))
    assert code == 3
    assert report["target"]["url"] == "https://app.example.test/reports/42"
    assert report["exchanges"][0]["url"] == "https://app.example.test/reports/42"
    assert "sign-in" in report["target"]["related"]


def test_har_entry_out_of_range_is_one_sentence(no_network, capsys):
    code = main(["check", "--har", str(HARS / "safari-basic-auth.har"), "--entry", "99"])
    err = capsys.readouterr().err
    assert code == 2 and "no entry 99" in err and err.count("\n") == 1


def test_real_browser_exports_without_a_403_say_so(no_network, capsys):
    code = main(["check", "--har", str(Path(__file__).parent / "fixtures" / "real-har" / "humanssuck.net.har")])
    err = capsys.readouterr().err
    assert code == 2 and "no refused request" in err


def test_raw_response_block_page_offline(no_network, capsys, tmp_path):
    raw = tmp_path / "resp.txt"
    raw.write_text(
        "HTTP/1.1 403 Forbidden\r\nServer: AkamaiGHost\r\nMime-Version: 1.0\r\nContent-Type: text/html\r\n\r\n"
        "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \n"
        "You don't have permission to access \"http&#58;&#47;&#47;www&#46;example&#46;com&#47;\" on this server.<P>\n"
        "Reference&#32;&#35;18&#46;6f2c1602&#46;1700000000&#46;1b2c3d4e\n</BODY>\n</HTML>\n"
    )
    code, report = check_json(capsys, "--response", str(raw), "http://www.example.com/")
    assert code == 3
    assert report["causes"][0]["id"] in ("waf", "ip-block", "bot-challenge")
    assert any(r["kind"] == "akamai-reference" for r in report["references"])
    assert report["verdict"]["who_refused"] == "edge"


def test_body_only_with_status(no_network, capsys, tmp_path):
    body = tmp_path / "page.html"
    body.write_text("<h1>Forbidden</h1><p>CSRF verification failed. Request aborted.</p>")
    code, report = check_json(capsys, "--response", str(body), "--status", "403")
    assert code == 3 and report["causes"][0]["id"] == "csrf"


def test_from_curl_probes_live_with_the_browser_request(lab, capsys):
    from wizard403.lab import mint_token

    token = mint_token("read-only")
    command = (
        f"curl '{lab.url('insufficient-scope')}' -H 'accept: application/json' "
        f"-H 'authorization: Bearer {token}' -H 'user-agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36' "
        "--compressed"
    )
    code, report = check_json(capsys, "--from-curl", command)
    assert code == 3
    assert report["target"]["source"] == "curl"
    assert report["causes"][0]["id"] == "permissions"
    assert token not in json.dumps(report)


def test_sanitize_command_writes_a_shareable_har(tmp_path):
    dst = tmp_path / "safe.har"
    proc = subprocess.run(
        [sys.executable, "-m", "wizard403", "sanitize", str(HARS / "chrome-login-403.har"), str(dst)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(dst.read_text())
    assert data["log"]["entries"]
    original = (HARS / "chrome-login-403.har").read_text()
    secret_values = [c["value"] for e in json.loads(original)["log"]["entries"] for c in e["request"].get("cookies", []) if len(c["value"]) > 6]
    assert secret_values, "the fixture carries cookies to redact"
    for value in secret_values:
        assert value not in dst.read_text()
