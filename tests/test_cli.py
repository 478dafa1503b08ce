"""The command line contract (DESIGN.md §4), run as a user runs it: a real process, real servers on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest

from tests.peers import free_port


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
