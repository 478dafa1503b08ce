"""What a report says was sent, and when, is what was sent and when.

A URL's user:password goes out the way curl sends it (a Basic header) only when no Authorization header is given;
the signed-out retry drops it too. A response read from a file is dated by its Date header, so the owner's queries
search the right minutes.
"""

from __future__ import annotations

import json

from wizard403.cli import main
from wizard403.lab.tokens import mint_token


def check_json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["check", *args, "--format", "json", "--quiet"])
    return code, json.loads(capsys.readouterr().out)


def test_an_explicit_token_wins_over_user_info_and_the_report_shows_the_header_sent(lab, capsys):
    url = lab.url("insufficient-scope").replace("http://", "http://u:p@")
    code, report = check_json(capsys, url, "--token", mint_token("valid"))
    assert code == 0
    sent = [r for r in lab.requests if r.path == "/api/admin/users"][-len(report["exchanges"]):]
    assert sent and all(not (r.headers.get("authorization") or "").startswith("Basic") for r in sent)
    base = next(e for e in report["exchanges"] if e["check"] == "baseline")
    assert base["status"] == 200 and base["request_headers"]["Authorization"].startswith("Bearer [redacted")
    assert "u:p@" not in json.dumps(report)


def test_user_info_alone_is_sent_as_basic_and_the_signed_out_retry_drops_it(lab, capsys):
    url = lab.url("insufficient-scope").replace("http://", "http://alice:s3cret-pw@")
    code, report = check_json(capsys, url)
    by_check = {e["check"]: e for e in report["exchanges"]}
    assert by_check["baseline"]["request_headers"]["Authorization"].startswith("Basic [redacted")
    assert "Authorization" not in by_check["anonymous-retry"]["request_headers"]
    assert "s3cret-pw" not in json.dumps(report)


def test_a_response_file_is_dated_by_its_date_header(tmp_path, capsys):
    raw = tmp_path / "r.http"
    raw.write_bytes(b"HTTP/1.1 403 Forbidden\r\nDate: Wed, 02 Dec 2026 14:05:11 GMT\r\nContent-Type: text/plain\r\n"
                    b"X-Request-Id: abc123\r\n\r\nno\r\n")
    code, report = check_json(capsys, "https://shop.example.com/orders", "--response", str(raw))
    assert code == 3
    when = {r["kind"]: r.get("at") for r in report["references"]}
    assert when["utc-time"] == "2026-12-02T14:05:11Z" and when["request-id"] == "2026-12-02T14:05:11Z"
    texts = [q["text"] for r in report["references"] for q in r.get("queries", [])]
    assert any("2026-12-02 14:00:11 UTC" in t for t in texts)  # journalctl's window around the answer's time


def test_a_response_without_its_url_gets_no_query_on_a_made_up_path(tmp_path, capsys):
    raw = tmp_path / "r.http"
    raw.write_bytes(b"HTTP/1.1 403 Forbidden\r\nDate: Wed, 02 Dec 2026 14:05:11 GMT\r\nServer: nginx\r\n\r\nno\r\n")
    code, report = check_json(capsys, "--response", str(raw))
    assert code == 3
    for ref in report["references"]:
        for query in ref.get("queries", []):
            assert "grep -F -- /" not in query["text"] and "'\"GET /'" not in query["text"]
