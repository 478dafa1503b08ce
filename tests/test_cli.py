"""The command line contract (DESIGN.md §4), run as a user runs it: a real process, real servers on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tomllib

import pytest

from tests.peers import free_port
from tests.test_checks_conduct import Reply, raw_server, server_factory, tls_context  # noqa: F401 - fixtures


def run(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "wizard403", *args], capture_output=True, text=True, timeout=timeout, env=full_env, check=False
    )


def assert_one_sentence(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.startswith("wizard403:")]
    assert lines, proc.stderr


def test_check_refused_path_exits_3_with_report_keys(lab):
    proc = run("check", lab.url("waf"), "--format", "json", "-q")
    assert proc.returncode == 3, proc.stderr
    report = json.loads(proc.stdout)
    for key in ("schema", "created", "tool", "target", "checks", "answers", "causes", "references", "exchanges", "changes"):
        assert key in report
    assert report["exchanges"][0]["status"] == 403
    assert report["causes"], "a refused request must rank causes"
    assert {c["id"] for c in report["checks"]} >= {"baseline", "anonymous-retry"}


def test_check_toml_loads_back_with_report(lab, tmp_path):
    out = tmp_path / "r.toml"
    proc = run("check", lab.url("directory-listing"), "--output", str(out), "-q")
    assert proc.returncode == 3, proc.stderr
    tomllib.loads(out.read_text())
    md = run("report", str(out), "--format", "md")
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# 403 report: GET")
    assert "Who said no" in md.stdout


def test_check_granted_path_exits_0(lab):
    proc = run("check", lab.url("ok"), "--format", "toml", "-q")
    assert proc.returncode == 0, proc.stderr
    assert tomllib.loads(proc.stdout)["exchanges"][0]["status"] == 200


def test_a_live_404_is_reported_as_neither_refused_nor_granted(lab):
    """A 404 is not a reproduction of the 403: the report says what the server did answer, and never that the
    evidence was only recorded (it was probed live) or that some layer refused."""
    proc = run("check", lab.base_url + "/no-such-page-here", "--format", "md", "-q")
    assert proc.returncode == 0, proc.stderr
    assert "the server answered `404 Not Found`, which is neither a refusal nor access" in proc.stdout
    assert "**Who said no:** nobody refused" in proc.stdout
    assert "recorded evidence" not in proc.stdout and "which layer refused" not in proc.stdout


def test_closed_port_exits_4():
    proc = run("check", f"http://127.0.0.1:{free_port()}/", "--format", "json")
    assert proc.returncode == 4
    assert_one_sentence(proc)
    assert json.loads(proc.stdout)["exchanges"][0]["error_kind"] == "connect"


@pytest.mark.parametrize(
    "args, phrase",
    [
        (("check", "not a url"), "not a full URL"),
        (("check", "ftp://example.com/x"), "scheme 'ftp' is not supported"),
        (("check", "http://"), "no host name"),
        (("check", "http://127.0.0.1:99999/"), "not a valid URL"),
        (("check", "http://127.0.0.1/", "-H", "NoColonHere"), "not of the form 'Name: value'"),
        (("check", "http://127.0.0.1/", "--token-env", "WIZARD403_SURELY_UNSET"), "is not set"),
        (("check",), "give a URL"),
        (("check", "http://127.0.0.1/", "-X", "DELETE"), "--replay-unsafe"),
        (("check", "http://127.0.0.1/", "--bogus"), "nrecognized arguments"),
        (("report", "/nonexistent/session.toml"), "no such file"),
        (("demo", "no-such-scenario"), "unknown lab scenario"),
        (("check", "http://127.0.0.1/", "--log", "/nonexistent/error.log"), "server log /nonexistent/error.log does not exist"),
        (("check", "http://127.0.0.1/", "--log", "/"), "is a directory, not a file"),
    ],
)
def test_bad_input_exits_2_with_one_sentence(args, phrase):
    proc = run(*args)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert_one_sentence(proc)
    assert phrase in proc.stderr


def test_broken_session_and_unknown_schema_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("schema = 'wizard403/7'\n[target]\nurl = 'http://x/'\n")
    proc = run("report", str(bad))
    assert proc.returncode == 2 and "unknown schema version" in proc.stderr
    assert_one_sentence(proc)


def test_broken_content_overlay_exits_2(tmp_path, lab):
    (tmp_path / "causes.toml").write_text("[waf]\nprior = 'huge'\n")
    proc = run("check", lab.url("ok"), "--content", str(tmp_path))
    assert proc.returncode == 2
    assert_one_sentence(proc)
    assert "causes.toml" in proc.stderr and "prior" in proc.stderr


def test_help_and_version():
    proc = run("--help")
    assert proc.returncode == 0
    for word in ("demo", "lab", "check", "report", "sanitize", "--alt-proxy", "--har", "exit codes"):
        assert word in proc.stdout
    assert run("--version").stdout.startswith("wizard403 ")
    assert "--format" in run("check", "--help").stdout


def test_demo_list_names_every_scenario():
    from wizard403.lab import SCENARIOS

    proc = run("demo", "--list")
    assert proc.returncode == 0
    for scenario in SCENARIOS:
        assert scenario.id in proc.stdout


@pytest.mark.parametrize("scenario_id", [s.id for s in __import__("wizard403.lab", fromlist=["SCENARIOS"]).SCENARIOS if s.id != "ok"])
def test_every_lab_scenario_ranks_its_designed_cause_first(lab, tmp_path, scenario_id):
    """`wizard403 check` as a user runs it, with the alternate source a loopback machine really has."""
    from wizard403.lab import scenario, start_lab

    log = tmp_path / "error.log"
    with start_lab(error_log=log) as own_lab:
        # only the server's error log can tell file permissions apart, so that scenario gets a lab that writes one
        used = own_lab if scenario_id == "file-permissions" else lab
        method, url, headers, _ = used.request_for(scenario_id)
        args = ["check", url, "-X", method, "--format", "json", "-q", "--alt-source", "127.0.0.2", "--replay-unsafe"]
        for name, value in headers:
            args += ["-H", f"{name}: {value}"]
        if scenario_id == "file-permissions":
            args += ["--log", str(log)]
        proc = run(*args)
    assert proc.returncode == 3, proc.stderr
    report = json.loads(proc.stdout)
    assert report["causes"][0]["id"] == scenario(scenario_id).expected_cause
    assert len(report["exchanges"]) <= 12


def test_unreachable_report_says_so_and_blames_nobody(tmp_path):
    out = tmp_path / "r.md"
    proc = run("check", f"http://127.0.0.1:{free_port()}/x", "--output", str(out))
    assert proc.returncode == 4
    text = out.read_text()
    assert "could not be reached" in text
    assert "Most likely cause" not in text, "an unreachable server must not be diagnosed as a permission problem"


def test_output_into_a_missing_folder_is_refused_not_created(tmp_path, lab):
    missing = tmp_path / "no" / "such"
    proc = run("check", lab.url("ok"), "--output", str(missing / "r.md"))
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr
    assert not missing.exists()


def test_report_says_which_address_each_request_left_from(lab):
    proc = run("check", lab.url("ip-allowlist"), "--alt-source", "127.0.0.2", "--format", "json", "-q")
    report = json.loads(proc.stdout)
    by_route = {e["route"]: e for e in report["exchanges"]}
    assert by_route["normal"]["local_address"].startswith("127.0.0.1:")
    assert by_route["alt-source 127.0.0.2"]["local_address"].startswith("127.0.0.2:")
    md = run("check", lab.url("ip-allowlist"), "-q").stdout
    assert "**Sent from:** 127.0.0.1:" in md


def test_report_top_quotes_what_the_refusal_says(lab):
    from wizard403.lab import mint_token

    proc = run("check", lab.url("insufficient-scope"), "--token-env", "LAB_T", "-q", env={"LAB_T": mint_token("read-only")})
    top = proc.stdout.split("## ")[0]
    assert "**What the refusal says:** missing scope `admin`" in top


def test_an_error_sentence_that_quotes_input_carries_no_control_character():
    proc = run("check", "http://exa\x1b]0;pwned\x07mple.com/ a", "-H", "X-A\x1b[2J: b")
    assert proc.returncode == 2
    line = proc.stderr.strip()
    assert line.startswith("wizard403: ") and "\n" not in line
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    assert "␛]0;pwned" in proc.stderr  # shown, not hidden: the user sees what they typed


# ---------------------------------------------------------------- promises the lab's request log proves
# Each test below starts its own lab so its request log holds this run's requests and nothing else.

CREDENTIAL_NAMES = {"authorization", "cookie", "x-api-key"}


def test_signed_out_retry_sends_no_credential_at_all():
    """Step 1's "the same request without credentials": what reached the server, not what the report says."""
    from wizard403.lab import mint_token, start_lab

    token = mint_token("read-only")
    with start_lab() as own:
        # a budget of 2 buys exactly the baseline and the signed-out retry (the two most telling requests)
        proc = run("check", own.url("insufficient-scope"), "--token", token, "-b", "sid=s3ss10n-cookie",
                   "-H", "X-Api-Key: k-0123456789", "--budget", "2", "--format", "json", "-q")
        seen = own.requests
    assert proc.returncode == 3, proc.stderr
    assert len(seen) == 2, [(r.method, r.path) for r in seen]
    sent = [{n for n in r.headers.names() if n in CREDENTIAL_NAMES} for r in seen]
    assert sent[0] == CREDENTIAL_NAMES, "the baseline sends the request exactly as given"
    assert seen[0].headers.get("authorization") == f"Bearer {token}", "--token becomes a Bearer Authorization header"
    assert sent[1] == set(), f"the signed-out retry still sent {sent[1]}"
    report = json.loads(proc.stdout)
    retry = next(c for c in report["checks"] if c["id"] == "anonymous-retry")
    assert retry["evidence"] == {"with_credentials": 403, "without_credentials": 401}
    assert token not in proc.stdout and token.rsplit(".", 1)[1] not in proc.stdout


def test_default_check_sends_at_most_12_requests_where_more_would_tell_more():
    """The CLI's own default budget (not the request options' default), on a run that would spend more."""
    from wizard403.lab import mint_token, start_lab

    args = ["--token", mint_token("read-only"), "-b", "sid=1; theme=dark", "--whoami", "", "--format", "json", "-q"]
    for ip in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        args += ["--alt-source", ip]
    with start_lab() as own:
        args[args.index("--whoami") + 1] = own.base_url + "/whoami"
        generous = run("check", own.url("cached-403"), *args, "--budget", "40")
        wanted = len(own.requests)
    with start_lab() as own:
        args[args.index("--whoami") + 1] = own.base_url + "/whoami"
        default = run("check", own.url("cached-403"), *args)
        sent = len(own.requests)
    assert generous.returncode == default.returncode == 3, (generous.stderr, default.stderr)
    assert wanted > 12, f"the scenario must want more than 12 requests to prove the default (it wanted {wanted})"
    assert sent == 12 == len(json.loads(default.stdout)["exchanges"])
    skipped = [c for c in json.loads(default.stdout)["checks"] if c["status"] == "skipped" and "--budget" in c["summary"]]
    assert skipped and "limit of 12 requests" in skipped[0]["summary"]


def test_an_internal_error_is_exit_1_and_one_sentence():
    """A bug deep in the analysis (forced here) must still end as one sentence on stderr, never a traceback."""
    code = (
        "import wizard403.diagnose as d\n"
        "def broken(*a, **k): raise RuntimeError('forced for the test')\n"
        "d.diagnose = broken\n"
        "from wizard403.cli import main\n"
        "raise SystemExit(main(['check', '--response', {path!r}, '--status', '403', '-q']))\n"
    )
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as body:
        body.write("<h1>Forbidden</h1>")
    env = {k: v for k, v in os.environ.items() if k != "WIZARD403_DEBUG"}
    proc = subprocess.run([sys.executable, "-c", code.format(path=body.name)], capture_output=True, text=True,
                          timeout=60, env=env, check=False)
    os.unlink(body.name)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr
    assert len(lines) == 1, lines
    assert lines[0].startswith("wizard403: internal error") and "forced for the test" in lines[0]
    assert lines[0].endswith("Please report it.") and proc.stdout == ""


def test_evidence_from_a_file_is_probed_live_only_with_live(tmp_path):
    from wizard403.lab import start_lab

    recorded = tmp_path / "refusal.http"
    recorded.write_bytes(b"HTTP/1.1 403 Forbidden\r\nServer: nginx\r\nContent-Type: text/html\r\n\r\n"
                         b"<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1>"
                         b"</center><hr><center>nginx</center></body></html>\n")
    with start_lab() as own:
        offline = run("check", own.url("ip-allowlist"), "--response", str(recorded), "--format", "json", "-q")
        assert own.requests == [], "evidence from a file is analysed offline unless --live is given"
        live = run("check", own.url("ip-allowlist"), "--response", str(recorded), "--live", "--alt-source",
                   "127.0.0.2", "--format", "json", "-q")
        seen = own.requests
    assert offline.returncode == live.returncode == 3, (offline.stderr, live.stderr)
    assert [e["check"] for e in json.loads(offline.stdout)["exchanges"]] == ["recorded"]
    assert {("127.0.0.1", "/internal/"), ("127.0.0.2", "/internal/")} <= {(r.client_ip, r.path) for r in seen}
    assert len(json.loads(live.stdout)["exchanges"]) == len(seen) + 1  # what was sent, and the recording


def test_curl_file_is_the_request_sent(tmp_path):
    from wizard403.lab import start_lab

    with start_lab() as own:
        command = tmp_path / "copied.sh"
        command.write_text(f"curl '{own.url('stale-cookie')}' \\\n  -H 'Accept: text/html' \\\n"
                           "  -H 'Cookie: sessionid=from-the-curl-file-0001' --compressed\n")
        proc = run("check", "--curl-file", str(command), "--budget", "1", "--format", "json", "-q")
        seen = own.requests
    assert proc.returncode == 3, proc.stderr
    assert len(seen) == 1 and seen[0].path == "/app/dashboard"
    assert seen[0].headers.get("cookie") == "sessionid=from-the-curl-file-0001"
    assert seen[0].headers.get("accept") == "text/html"
    report = json.loads(proc.stdout)
    assert report["target"]["source"] == "curl" and "from-the-curl-file-0001" not in proc.stdout


def test_proxy_authorization_is_redacted_in_every_format_even_when_echoed(server_factory):  # noqa: F811 - fixture
    """A server that echoes the request (as httpbin does) puts the header into the body too: both are redacted."""
    echo = server_factory(lambda seen: Reply(403, [("Content-Type", "text/plain")],
                                             "\n".join(f"{k}: {v}" for k, v in seen.headers).encode()))
    # an NTLM proxy credential: not shaped like a Bearer or Basic value that text patterns would catch anyway
    credential = "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw=="
    secret = f"NTLM {credential}"
    for fmt in ("json", "toml", "md"):
        proc = run("check", echo.url("/x"), "-H", f"Proxy-Authorization: {secret}", "--budget", "2", "--format", fmt, "-q")
        assert proc.returncode == 3, proc.stderr
        assert credential not in proc.stdout and credential[:24] not in proc.stdout, fmt
        assert "Proxy-Authorization: NTLM [redacted sha256:" in proc.stdout, fmt
    assert echo.seen[0].headers.get("proxy-authorization") == secret  # it was sent as given, only the report hides it


def test_timeout_flag_bounds_a_request_to_a_server_that_never_answers(raw_server):  # noqa: F811 - fixture
    hanging = raw_server(lambda conn, stopped: stopped.wait(60))
    started = time.monotonic()
    proc = run("check", hanging.url, "--timeout", "1", "--budget", "1", "--format", "json", "-q")
    elapsed = time.monotonic() - started
    assert proc.returncode == 4, proc.stderr
    assert elapsed < 20, f"--timeout 1 took {elapsed:.0f} s against a server that holds a request for 60 s"
    baseline = next(c for c in json.loads(proc.stdout)["checks"] if c["id"] == "baseline")
    assert "did not answer in time" in baseline["summary"]


def test_insecure_flag_accepts_an_untrusted_certificate(server_factory, tls_context):  # noqa: F811 - fixtures
    server = server_factory(lambda seen: Reply(403, [("Content-Type", "text/plain")], b"nope"), tls=tls_context)
    strict = run("check", server.url("/"), "--budget", "1", "--format", "json", "-q")
    assert strict.returncode == 4, strict.stderr
    assert "certificate is not trusted" in next(c["summary"] for c in json.loads(strict.stdout)["checks"] if c["id"] == "baseline")
    lenient = run("check", server.url("/"), "--insecure", "--budget", "1", "--format", "json", "-q")
    assert lenient.returncode == 3, lenient.stderr
    assert json.loads(lenient.stdout)["exchanges"][0]["status"] == 403
