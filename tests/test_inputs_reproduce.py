"""to_curl: a command that reproduces the request, round-trips through parse_curl, and leaks nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from wizard403.inputs.curl import parse_curl
from wizard403.inputs.har import open_har
from wizard403.model import Headers, Target
from wizard403.redact import fingerprint
from wizard403.reproduce import NOISE_HEADERS, to_curl

FIXTURES = Path(__file__).parent / "fixtures" / "har"
BASH = shutil.which("bash")

SECRET_TOKEN = "tok-4c8e1f2a9b7d3e5f6a0c"
SECRET_COOKIE = "sess-0f9e8d7c6b5a4f3e2d1c"
SECRET_PASSWORD = "pa55-w0rd-not-real"
SECRET_SIG = "5e6f7a8b9c0d1e2f3a4b"

SECRET_TARGET = Target(
    url=f"https://api.example.test/v1/files/7?version=3&sig={SECRET_SIG}",
    method="PUT",
    headers=Headers(
        [
            ("Authorization", f"Bearer {SECRET_TOKEN}"),
            ("Cookie", f"session={SECRET_COOKIE}; lang=en"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Api-Key", "key-1a2b3c4d5e6f"),
            ("Referer", f"https://app.example.test/share?token={SECRET_TOKEN}"),
            ("sec-ch-ua", '"Chromium";v="124"'),
            ("accept-language", "en-GB"),
        ]
    ),
    body=f"name=report&password={SECRET_PASSWORD}".encode(),
)
SECRETS = (SECRET_TOKEN, SECRET_COOKIE, SECRET_PASSWORD, SECRET_SIG, "key-1a2b3c4d5e6f")


def _awkward_targets() -> list[Target]:
    har = open_har(FIXTURES / "chrome-login-403.har")
    return [
        har.target(5),  # a form POST with cookies
        har.target(7),  # a bearer JWT
        open_har(FIXTURES / "firefox-vendors.har").target(4),  # a presigned URL
        Target("https://h.test/a b?q=it's&x=\"y\"", headers={"X-Quote": "it's \"quoted\" $HOME `ls` \\n"}),
        Target("https://h.test/", method="POST", headers={"Content-Type": "application/json"},
               body='{"text": "line one\nline two\ttab", "emoji": "☃"}'.encode()),  # fmt: skip
        Target("https://h.test/", method="POST", body=b"no content type"),
        Target("https://h.test/", method="POST", body=b"\xff\xfe raw bytes \x01"),
        Target("https://h.test/", method="HEAD"),
        Target("https://h.test/", method="OPTIONS", headers={"Origin": "https://o.test"}),
        Target("https://h.test/", method="GET", body=b"a=1"),
        Target("https://h.test/", method="DELETE", headers={"X-Empty": ""}),
        SECRET_TARGET,
    ]


@pytest.mark.parametrize("target", _awkward_targets(), ids=lambda t: f"{t.method}-{t.url[:30]}")
def test_round_trip_through_parse_curl(target):
    command = to_curl(target, redact=False, all_headers=True)
    back = parse_curl(command)
    assert back.warnings == []
    assert back.target.method == target.method
    assert back.target.url == target.url
    assert list(back.target.headers) == list(target.headers)
    assert back.target.body == target.body


def test_default_keeps_the_headers_that_matter_and_drops_browser_noise():
    back = parse_curl(to_curl(SECRET_TARGET, redact=False)).target
    kept = [(n, v) for n, v in SECRET_TARGET.headers if n.lower() not in NOISE_HEADERS and not n.startswith("sec-")]
    assert list(back.headers) == kept
    assert (back.method, back.url, back.body) == (SECRET_TARGET.method, SECRET_TARGET.url, SECRET_TARGET.body)


def test_browser_copy_becomes_much_shorter():
    target = open_har(FIXTURES / "chrome-login-403.har").target(6)
    full, short = to_curl(target, all_headers=True), to_curl(target)
    assert "sec-ch-ua" in full and "sec-ch-ua" not in short and "accept-language" not in short
    assert len(short) < len(full)


def test_redacted_command_has_no_secret_and_the_report_fingerprints():
    command = to_curl(SECRET_TARGET)
    assert [s for s in SECRETS if s in command] == []
    assert f"Bearer {fingerprint(SECRET_TOKEN)}" in command
    assert f"session={fingerprint(SECRET_COOKIE)}" in command
    assert f"password={fingerprint(SECRET_PASSWORD)}" in command
    assert "version=3" in command and "name=report" in command
    back = parse_curl(command)  # still a command curl (and we) can read
    assert back.target.method == "PUT" and back.warnings == []


def test_redacted_is_the_default_for_every_fixture_request():
    for name, secrets in (
        ("chrome-login-403.har", ("s%3Aold-7f3a9c1e55b24d0e8a1f", "hunter2-Correct-Horse", "Zm9yZ2VkLXNpZ25hdHVyZS")),
        ("firefox-vendors.har", ("9f2c4b7a1e0d3c6b5a49f8e7", "4f1c9e2b7a8d3f6e0c5b", "ak_live_51HxFAKEKEYvalue0000")),
    ):
        archive = open_har(FIXTURES / name)
        for entry in archive.entries:
            command = to_curl(archive.target(entry.index))
            assert [s for s in secrets if s in command] == [], (name, entry.index)


def _argv_from_bash(command: str, env: dict[str, str]) -> list[str]:
    """Run the command in a real bash with `curl` replaced by a function that prints its arguments."""
    script = 'curl() { printf "%s\\0" "$@"; }\n' + command
    out = subprocess.run([BASH, "-c", script], capture_output=True, env={**os.environ, **env}, check=True).stdout
    return [a.decode("utf-8", "surrogateescape") for a in out.split(b"\0")[:-1]]


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@pytest.mark.parametrize("target", _awkward_targets(), ids=lambda t: f"{t.method}-{t.url[:30]}")
def test_bash_reads_the_quoting_as_we_do(target):
    command = to_curl(target, redact=False, all_headers=True)
    if command.startswith("#"):
        pytest.fail("every target here has a short body")
    argv = _argv_from_bash(command, {})
    assert argv == parse_curl_words(command)


def parse_curl_words(command: str) -> list[str]:
    from wizard403.inputs.shell import split_command

    return split_command(command).words[1:]


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
def test_placeholders_are_filled_in_by_the_shell():
    command = to_curl(SECRET_TARGET, placeholders=True)
    assert [s for s in SECRETS if s in command] == []
    assert "$TOKEN" in command and "$COOKIE_SESSION" in command and "$PASSWORD" in command
    assert "$SIG" in command and "$X_API_KEY" in command
    env = {
        "TOKEN": SECRET_TOKEN,
        "COOKIE_SESSION": SECRET_COOKIE,
        "COOKIE_LANG": "en",
        "PASSWORD": SECRET_PASSWORD,
        "SIG": SECRET_SIG,
        "X_API_KEY": "key-1a2b3c4d5e6f",
    }
    argv = _argv_from_bash(command, env)
    # With the variables set, the shell hands curl exactly the original request.
    filled = parse_curl("curl " + " ".join(_posix_quote(a) for a in argv)).target
    assert (filled.method, filled.url, filled.body) == (SECRET_TARGET.method, SECRET_TARGET.url, SECRET_TARGET.body)
    assert filled.headers.get("authorization") == f"Bearer {SECRET_TOKEN}"
    assert filled.cookies == {"session": SECRET_COOKIE, "lang": "en"}
    assert filled.headers.get("referer") == SECRET_TARGET.headers.get("referer")


def _posix_quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def test_huge_or_nul_bodies_are_left_out_with_a_note():
    big = Target("https://h.test/", method="POST", headers={"Content-Type": "application/octet-stream"},
                 body=b"x" * 20000)  # fmt: skip
    command = to_curl(big)
    assert command.startswith("# The 19 KB request body is not included")
    assert "--data-binary @request-body.bin" in command and "xxxx" not in command
    assert "not included" in to_curl(Target("https://h.test/", method="POST", body=b"a\0b"))


def test_short_requests_fit_on_one_line():
    assert to_curl(Target("https://h.test/a")) == "curl https://h.test/a"
    assert to_curl(Target("https://h.test/a", method="HEAD")) == "curl https://h.test/a -I"
