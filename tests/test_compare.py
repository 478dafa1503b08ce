"""`wizard403 compare`: the difference that matters is ranked first offline, and found live within the budget.

Live tests run against the project's own lab on loopback: each pair of requests differs in six or more ways, of which
one decides (an API version header, a token's scope, a stale session cookie, the client's User-Agent, the source
address). The lab's request log counts what was sent and shows that the conduct rules held.
"""

from __future__ import annotations

import copy
import json
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import tomllib

from wizard403.cli import main
from wizard403.compare import differences, load_pair
from wizard403.lab import start_lab
from wizard403.lab.app import STALE_SESSION
from wizard403.lab.tokens import mint_token

REAL_HAR = Path(__file__).parent / "fixtures" / "real-har" / "cnn-chrome.har"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


@pytest.fixture(scope="module")
def pair_lab():
    running = start_lab()
    yield running
    running.stop()


def curl_file(path: Path, url: str, headers: list[tuple[str, str]], cookies: str = "", agent: str = "") -> Path:
    words = ["curl", url] + [w for name, value in headers for w in ("-H", f"{name}: {value}")]
    if cookies:
        words += ["-b", cookies]
    if agent:
        words += ["-A", agent]
    path.write_text(shlex.join(words) + "\n")
    return path


def noisy_pair(tmp: Path, base: str, working_extra: list, refused_extra: list, working_agent: str = BROWSER,
               refused_agent: str = BROWSER, working_cookies: str = "", refused_cookies: str = "") -> tuple[Path, Path]:
    """Two requests to the same address that differ in six harmless ways plus whatever the extras add."""
    working = curl_file(
        tmp / "working.txt", f"{base}?_=1733212800000&lang=en",
        [("Accept-Language", "en-GB"), ("traceparent", "00-aaaa-01"), ("Referer", f"{base}/from-home"),
         ("X-Client-Name", "portal")] + working_extra,
        cookies="; ".join(c for c in ("_ga=GA1.1.111", working_cookies) if c), agent=working_agent,
    )
    refused = curl_file(
        tmp / "refused.txt", f"{base}?_=1733299200000&lang=de",
        [("Accept-Language", "de-DE"), ("traceparent", "00-bbbb-01"), ("Referer", f"{base}/from-office"),
         ("X-Client-Name", "mobile")] + refused_extra,
        cookies="; ".join(c for c in ("_ga=GA1.1.222", refused_cookies) if c), agent=refused_agent,
    )
    return working, refused


def run_compare(capsys, *args: str) -> tuple[int, dict]:
    code = main(["compare", *args, "--format", "json", "--quiet"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def sent_to(lab, path: str, since: int) -> list:
    return [r for r in lab.requests[since:] if r.path.split("?")[0] == path]


# ------------------------------------------------------------------------------------------------ live, in the lab


def test_live_finds_the_required_header_among_many_differences(pair_lab, tmp_path, capsys):
    base = f"{pair_lab.base_url}/api/v2/orders"
    working, refused = noisy_pair(tmp_path, base, [("X-Client-Release", "2")], [])
    before = len(pair_lab.requests)
    code, report = run_compare(capsys, str(working), str(refused), "--live")
    assert code == 0
    real = [d for d in report["differences"] if not d.get("noise")]
    assert len(report["differences"]) >= 6 and len(real) >= 4
    assert report["culprits"] == [{"kind": "header", "name": "X-Client-Release"}]
    assert report["live"]["complete"] is True
    sent = sent_to(pair_lab, "/api/v2/orders", before)
    assert 2 <= len(sent) <= 12 and len(sent) == len(report["requests"])
    assert "X-Client-Release" in report["verdict"]


def test_live_finds_the_token_scope(pair_lab, tmp_path, capsys):
    base = f"{pair_lab.base_url}/api/admin/users"
    good, weak = mint_token("valid"), mint_token("read-only")
    working, refused = noisy_pair(tmp_path, base, [("Authorization", f"Bearer {good}")],
                                  [("Authorization", f"Bearer {weak}")])
    code, report = run_compare(capsys, str(working), str(refused), "--live")
    assert code == 0
    assert report["culprits"] == [{"kind": "token", "name": "scope"}]
    assert report["differences"][0]["name"] == "scope"
    assert len(report["requests"]) <= 12
    text = json.dumps(report)
    assert good not in text and weak not in text and good.split(".")[2] not in text


def test_live_finds_the_stale_session_cookie(pair_lab, tmp_path, capsys):
    login = httpx.get(f"{pair_lab.base_url}/login")
    fresh = login.cookies["sessionid"]
    base = f"{pair_lab.base_url}/app/dashboard"
    working, refused = noisy_pair(tmp_path, base, [], [], working_cookies=f"sessionid={fresh}",
                                  refused_cookies=f"sessionid={STALE_SESSION}")
    code, report = run_compare(capsys, str(working), str(refused), "--live")
    assert code == 0
    assert report["culprits"] == [{"kind": "cookie", "name": "sessionid"}]
    assert fresh not in json.dumps(report) and STALE_SESSION not in json.dumps(report)


def test_live_finds_the_user_agent(pair_lab, tmp_path, capsys):
    base = f"{pair_lab.base_url}/catalog/feed"
    working, refused = noisy_pair(tmp_path, base, [], [], refused_agent="curl/8.5.0")
    code, report = run_compare(capsys, str(working), str(refused), "--live")
    assert code == 0
    assert report["culprits"] == [{"kind": "client", "name": "User-Agent"}]


def test_live_says_when_the_route_is_the_difference(pair_lab, tmp_path, capsys):
    base = f"{pair_lab.base_url}/internal/"
    working, refused = noisy_pair(tmp_path, base, [], [])
    code, report = run_compare(capsys, str(working), str(refused), "--live", "--alt-source", "127.0.0.2")
    assert code == 0
    assert report["live"]["route"].startswith("from 127.0.0.2") or "127.0.0.2" in report["live"]["route"]
    assert "alternate route" in report["verdict"]
    assert len(report["requests"]) <= 12


def test_the_budget_caps_the_search_and_says_what_was_narrowed(pair_lab, tmp_path, capsys):
    base = f"{pair_lab.base_url}/api/v2/orders"
    working, refused = noisy_pair(tmp_path, base, [("X-Client-Release", "2")], [])
    before = len(pair_lab.requests)
    code, report = run_compare(capsys, str(working), str(refused), "--live", "--budget", "3")
    assert code == 0
    assert len(sent_to(pair_lab, "/api/v2/orders", before)) == 3
    assert report["live"]["complete"] is False
    assert any("budget" in note for note in report["notes"])
    assert report["culprits"]  # the smallest set proven so far, not nothing


def test_conduct_no_client_address_header_and_no_unsafe_replay(pair_lab, tmp_path, capsys):
    base = f"{pair_lab.base_url}/api/v2/orders"
    working, refused = noisy_pair(tmp_path, base, [("X-Client-Release", "2"), ("X-Forwarded-For", "10.0.0.1")], [])
    before = len(pair_lab.requests)
    code, report = run_compare(capsys, str(working), str(refused), "--live")
    assert code == 0
    for request in pair_lab.requests[before:]:
        assert not request.headers.has("x-forwarded-for")
    xff = next(d for d in report["differences"] if d["name"].lower() == "x-forwarded-for")
    assert "never sends" in xff["not_replayed"]
    post = curl_file(tmp_path / "post.txt", base, [("X-Client-Release", "2")])
    post.write_text(post.read_text().replace("curl ", "curl -X POST ", 1))
    before = len(pair_lab.requests)
    code, report = run_compare(capsys, str(post), str(refused), "--live")
    assert code == 0
    assert all(r.method in ("GET", "HEAD", "OPTIONS") for r in pair_lab.requests[before:])


def test_credentials_never_go_to_another_origin(pair_lab, tmp_path, capsys):
    other = start_lab()
    try:
        good = mint_token("valid")
        working = curl_file(tmp_path / "w.txt", f"{other.base_url}/api/admin/users", [("Authorization", f"Bearer {good}")])
        refused = curl_file(tmp_path / "r.txt", f"{pair_lab.base_url}/api/admin/users", [])
        before = len(pair_lab.requests)
        code, report = run_compare(capsys, str(working), str(refused), "--live")
        assert code == 0
        assert not any(r.headers.has("authorization") for r in pair_lab.requests[before:])
        token = next(d for d in report["differences"] if d["kind"] == "token")
        assert "another origin" in token["not_replayed"]
    finally:
        other.stop()


def test_an_unreachable_refused_side_exits_4(tmp_path, capsys):
    working = curl_file(tmp_path / "w.txt", "http://127.0.0.1:9/x", [("X-Client-Release", "2")])
    refused = curl_file(tmp_path / "r.txt", "http://127.0.0.1:9/x", [])
    code = main(["compare", str(working), str(refused), "--live", "--quiet", "--timeout", "2"])
    assert code == 4
    assert "could not be reached" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------ offline ranking


def _first_real(working: Path, refused: Path) -> dict:
    w, r = load_pair(working, refused)
    return next(d for d in differences(w, r) if not d.noise)


def test_offline_ranks_the_expired_token_first(tmp_path):
    from wizard403.lab.tokens import mint_token as mint

    expired = mint("expired")
    fresh = mint("valid")
    working, refused = noisy_pair(tmp_path, "https://api.example.com/v1/reports", [("Authorization", f"Bearer {fresh}")],
                                  [("Authorization", f"Bearer {expired}")])
    top = _first_real(working, refused)
    assert (top.kind, top.name) == ("token", "exp") and top.relevance == "high"


def test_offline_ranks_scope_cookie_and_user_agent_first(tmp_path):
    cases = [
        ([("Authorization", f"Bearer {mint_token('valid')}")], [("Authorization", f"Bearer {mint_token('read-only')}")],
         {}, ("token", "scope")),
        ([], [], {"working_cookies": "sessionid=aaaa1111", "refused_cookies": "sessionid=bbbb2222"}, ("cookie", "sessionid")),
        ([], [], {"refused_agent": "python-requests/2.31"}, ("client", "User-Agent")),
    ]
    for i, (w_extra, r_extra, kw, expected) in enumerate(cases):
        folder = tmp_path / str(i)
        folder.mkdir()
        working, refused = noisy_pair(folder, "https://shop.example.com/account", w_extra, r_extra, **kw)
        top = _first_real(working, refused)
        assert (top.kind, top.name) == expected, (expected, top)


def _har_pair(tmp: Path, edit) -> tuple[Path, Path]:
    """Two HARs made from one real Chrome entry: the working copy answered 200, the refused copy 403 with an edit."""
    doc = json.loads(REAL_HAR.read_text())
    entry = next(e for e in doc["log"]["entries"] if e["response"]["status"] == 200 and e["request"]["method"] == "GET")
    working_doc = copy.deepcopy(doc)
    working_doc["log"]["entries"] = [copy.deepcopy(entry)]
    refused_entry = copy.deepcopy(entry)
    refused_entry["response"]["status"] = 403
    refused_entry["response"]["statusText"] = "Forbidden"
    refused_entry["startedDateTime"] = "2014-08-19T10:00:00.000Z"
    edit(working_doc["log"]["entries"][0]["request"], refused_entry["request"])
    refused_doc = copy.deepcopy(doc)
    refused_doc["log"]["entries"] = [refused_entry]
    w, r = tmp / "working.har", tmp / "refused.har"
    w.write_text(json.dumps(working_doc))
    r.write_text(json.dumps(refused_doc))
    return w, r


def _set(req: dict, name: str, value: str | None) -> None:
    req["headers"] = [h for h in req["headers"] if h["name"].lower() != name.lower()]
    if value is not None:
        req["headers"].append({"name": name, "value": value})


def test_offline_har_pairs_from_a_real_export(tmp_path, capsys):
    def ua(w, r):
        _set(r, "User-Agent", "curl/7.68.0")

    def cookie(w, r):
        _set(w, "Cookie", "sessionid=good1234; _ga=GA1.1")
        _set(r, "Cookie", "sessionid=old98765; _ga=GA1.2")

    def scope(w, r):
        _set(w, "Authorization", f"Bearer {mint_token('valid')}")
        _set(r, "Authorization", f"Bearer {mint_token('read-only')}")

    for name, edit, expected in (("ua", ua, ("client", "User-Agent")), ("cookie", cookie, ("cookie", "sessionid")),
                                 ("scope", scope, ("token", "scope"))):
        folder = tmp_path / name
        folder.mkdir()
        w, r = _har_pair(folder, edit)
        code, report = run_compare(capsys, str(w), str(r))
        assert code == 0
        first = next(d for d in report["differences"] if not d.get("noise"))
        assert (first["kind"], first["name"]) == expected
        assert report["working"]["status"] == 200 and report["refused"]["status"] == 403
        assert report["culprits"] == [] and report["requests"] == []


# ------------------------------------------------------------------------------------------------ outputs and errors


def test_markdown_puts_the_culprit_first_and_says_what_to_do(pair_lab, tmp_path):
    base = f"{pair_lab.base_url}/api/v2/orders"
    working, refused = noisy_pair(tmp_path, base, [("X-Client-Release", "2")], [])
    out = subprocess.run([sys.executable, "-m", "wizard403", "compare", str(working), str(refused), "--live"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    md = out.stdout
    table = md[md.index("## Differences"):]
    first_row = [line for line in table.splitlines() if line.startswith("| **culprit**")]
    assert first_row and "X-Client-Release" in first_row[0]
    assert "## What to do" in md and "## Noise" in md and "traceparent" in md
    assert "\x1b" not in md and "\x1b" not in out.stderr


def test_toml_and_json_hold_the_same_keys(tmp_path, capsys):
    working, refused = noisy_pair(tmp_path, "https://api.example.com/x", [("X-Client-Release", "2")], [])
    main(["compare", str(working), str(refused), "--format", "toml", "--quiet"])
    as_toml = tomllib.loads(capsys.readouterr().out)
    code, as_json = run_compare(capsys, str(working), str(refused))
    assert set(as_toml) == set(as_json) >= {"schema", "working", "refused", "differences", "culprits", "requests"}
    assert as_toml["schema"] == "wizard403/1"
    for row in as_json["differences"]:
        assert {"kind", "name", "working", "refused", "relevance", "why"} <= set(row)
        assert row["relevance"] in ("high", "medium", "low")


@pytest.mark.parametrize(
    "args, says",
    [
        (["missing-a.txt", "missing-b.txt"], "does not exist"),
        (["--working-entry", "3", "{curl}", "{curl}"], "applies to a HAR"),
        (["{text}", "{curl}"], "no curl command"),
        (["{curl}", "{har}", "--refused-entry", "999"], "no entry 999"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(tmp_path, args, says):
    curl = curl_file(tmp_path / "c.txt", "https://example.com/", [])
    text = tmp_path / "t.txt"
    text.write_text("hello\n")
    har = tmp_path / "h.har"
    har.write_text(REAL_HAR.read_text())
    argv = [a.format(curl=curl, text=text, har=har) for a in args]
    out = subprocess.run([sys.executable, "-m", "wizard403", "compare", *argv], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)
    assert out.returncode == 2
    assert says in out.stderr and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_check_with_working_feeds_the_ranking(pair_lab, tmp_path, capsys):
    base = f"{pair_lab.base_url}/catalog/feed"
    working, refused = noisy_pair(tmp_path, base, [], [], refused_agent="curl/8.5.0")
    code = main(["check", "--curl-file", str(refused), "--working", str(working), "--format", "json", "--quiet"])
    report = json.loads(capsys.readouterr().out)
    assert code == 3
    comparison = next(c for c in report["checks"] if c["id"] == "working-comparison")
    assert "User-Agent" in comparison["summary"]
    assert report["causes"][0]["id"] == "bot-challenge"


def test_a_curl_proxy_is_honoured_by_the_live_replay(tmp_path, capsys):
    working = curl_file(tmp_path / "w.txt", "http://127.0.0.1:9/x", [("X-Client-Release", "2")])
    refused = curl_file(tmp_path / "r.txt", "http://127.0.0.1:9/x", [])
    for side in (working, refused):
        side.write_text(side.read_text().replace("curl ", "curl -x http://127.0.0.1:1 ", 1))
    code = main(["compare", str(working), str(refused), "--live", "--quiet", "--timeout", "2", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 4 and report["requests"] and report["requests"][0].get("status") is None


def test_a_timeout_of_zero_is_bad_input(tmp_path, capsys):
    working, refused = noisy_pair(tmp_path, "https://api.example.com/x", [], [])
    assert main(["compare", str(working), str(refused), "--live", "--timeout", "0"]) == 2
    assert "--timeout" in capsys.readouterr().err


def test_each_replay_says_what_it_took_over_and_an_early_budget_end_says_so(pair_lab, tmp_path, capsys):
    base = f"{pair_lab.base_url}/api/v2/orders"
    working, refused = noisy_pair(tmp_path, base, [("X-Client-Release", "2")], [])
    code, report = run_compare(capsys, str(working), str(refused), "--live")
    assert report["requests"][0]["took_over"] == []
    assert any("header X-Client-Release" in row["took_over"] for row in report["requests"][1:])
    code, report = run_compare(capsys, str(working), str(refused), "--live", "--budget", "1")
    assert "budget ran out" in report["verdict"] and "--live" not in report["verdict"]


def test_report_on_a_comparison_says_what_the_file_is(tmp_path, capsys):
    working, refused = noisy_pair(tmp_path, "https://api.example.com/x", [("X-Client-Release", "2")], [])
    out = tmp_path / "cmp.toml"
    assert main(["compare", str(working), str(refused), "-o", str(out), "--quiet"]) == 0
    assert main(["report", str(out)]) == 2
    assert "comparison written by 'wizard403 compare'" in capsys.readouterr().err


def test_the_scope_row_names_what_the_refused_token_lacks_and_exp_reads_as_a_time(tmp_path):
    working, refused = noisy_pair(tmp_path, "https://api.example.com/admin",
                                  [("Authorization", f"Bearer {mint_token('valid')}")],
                                  [("Authorization", f"Bearer {mint_token('read-only')}")])
    w, r = load_pair(working, refused)
    scope = next(d for d in differences(w, r) if d.name == "scope")
    assert "lacks reports:write, admin" in scope.why
    expired_pair = noisy_pair(tmp_path, "https://api.example.com/admin", [("Authorization", f"Bearer {mint_token('valid')}")],
                              [("Authorization", f"Bearer {mint_token('expired')}")])
    exp = next(d for d in differences(*load_pair(*expired_pair)) if d.name == "exp")
    assert " UTC (" in exp.refused


def test_a_culprit_found_live_leads_the_working_comparison_and_its_weights(tmp_path):
    """Offline the colleague's token looks most telling; once a live replay has shown that the release header is what
    turns the refusal into a success (the wizard's "Find the culprit"), the check says so and weighs only that."""
    import asyncio

    from wizard403.compare.narrow import Narrowed
    from wizard403.content import load_content
    from wizard403.headless import analyse
    from wizard403.model import ProbeOptions, Session

    working, refused = noisy_pair(tmp_path, "https://api.example.com/v2/orders",
                                  [("X-Client-Release", "2"), ("Authorization", f"Bearer {mint_token('valid')}")], [])
    w, r = load_pair(working, refused)
    session = Session(target=r.target)
    session.target.working = w

    def check():
        asyncio.run(analyse(session, ProbeOptions(), load_content(), live=False, only=["working-comparison"]))
        return session.check("working-comparison")

    offline = check()
    assert "token Authorization" in offline.summary and max(offline.supports, key=offline.supports.get) == "credentials"
    w.narrowed = Narrowed(culprits=[("header", "x-client-release")], complete=True)
    live = check()
    assert "Taking over header X-Client-Release from the working request" in live.summary
    assert live.supports == {"app-rule": 0.3} and live.evidence["culprits"] == ["header X-Client-Release"]
