"""Real secrets in real inputs never reach any output: reports in three formats, the autosave, stderr.

A bearer JWT, a session cookie, an X-Api-Key, an X-Amz-Signature in the query, user:pass@ in the URL and in the
proxy go through a real `wizard403 check` run against the lab; none appears anywhere, and the fingerprints are
the same in two runs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from wizard403 import redact
from wizard403.lab import mint_token

COOKIE_SECRET = "s3ss10nV4lu3-0f-th3-cust0m3r"
API_KEY = "ak_live_9f8e7d6c5b4a39281706"
SIGNATURE = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
URL_PASSWORD = "url-pa55w0rd-xyz"
PROXY_PASSWORD = "pr0xy-pa55-qwerty"


def _run(args, env):
    return subprocess.run([sys.executable, "-m", "wizard403", *args], capture_output=True, text=True, env=env, timeout=60, check=False)


def test_no_secret_in_any_written_output(lab, egress_proxy, tmp_path):
    jwt = mint_token("read-only")
    signature_part = jwt.rsplit(".", 1)[1]
    host = lab.base_url.split("://", 1)[1]
    url = f"http://alice:{URL_PASSWORD}@{host}/api/admin/users?X-Amz-Signature={SIGNATURE}&X-Amz-Expires=60"
    proxy = f"http://bob:{PROXY_PASSWORD}@{egress_proxy.url.split('://', 1)[1]}"
    env = {**os.environ, "LAB_TOKEN": jwt, "NO_PROXY": ""}
    outputs = {}
    for run_no in (1, 2):
        for fmt in ("toml", "md", "json"):
            out = tmp_path / f"run{run_no}.{fmt}"
            proc = _run(
                [
                    "check", url, "--token-env", "LAB_TOKEN", "-b", f"sessionid={COOKIE_SECRET}; theme=dark",
                    "-H", f"X-Api-Key: {API_KEY}", "--alt-proxy", proxy, "--output", str(out),
                ],
                env,
            )
            assert proc.returncode in (0, 3), proc.stderr
            outputs[f"{run_no}.{fmt}"] = out.read_text() + proc.stderr + proc.stdout
    assert egress_proxy.seen, "the alternate route through the proxy was really used"
    secrets = [jwt, signature_part, COOKIE_SECRET, API_KEY, SIGNATURE, URL_PASSWORD, PROXY_PASSWORD]
    for name, text in outputs.items():
        for secret in secrets:
            assert secret not in text, f"{secret[:12]}… leaked into {name}"
    # the claims may be shown, the signature never; fingerprints are stable across runs
    fp = redact.fingerprint(COOKIE_SECRET)
    assert fp in outputs["1.toml"] and fp in outputs["2.toml"]
    assert redact.fingerprint(API_KEY) in outputs["1.json"]
    assert redact.fingerprint(jwt) in outputs["1.md"] and redact.fingerprint(jwt) in outputs["2.md"]
    fingerprints = lambda text: sorted(set(re.findall(r"\[redacted sha256:[0-9a-f]{8}\]", text)))  # noqa: E731
    assert fingerprints(outputs["1.toml"]) == fingerprints(outputs["2.toml"])
    assert json.loads(outputs["1.json"].split("\nwizard403:")[0])["secret_fingerprints"]


def test_every_written_file_is_private_and_never_written_through_a_symlink(tmp_path):
    """The state folder is 0700; reports, the autosave and the recent list are 0600; a symlink planted where a
    file goes is replaced, and the file it pointed to is left as it was."""
    from wizard403 import autosave
    from wizard403.model import Session, Target

    victim = tmp_path / "victim.txt"
    victim.write_text("untouched\n")
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    (state / "recent.txt").symlink_to(victim)
    autosave.remember_target("https://alice:pw-recent-9@h.example/x?token=tok-recent-9", "GET")
    recent = state / "recent.txt"
    assert not recent.is_symlink() and victim.read_text() == "untouched\n"
    assert recent.stat().st_mode & 0o777 == 0o600 and state.stat().st_mode & 0o777 == 0o700
    assert "pw-recent-9" not in recent.read_text() and "tok-recent-9" not in recent.read_text()
    saved = autosave.save(Session(target=Target(url="https://h.example/")))
    assert saved.stat().st_mode & 0o777 == 0o600

    response = tmp_path / "r.txt"
    response.write_text("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nno\r\n")
    out = tmp_path / "report.toml"
    out.symlink_to(victim)
    proc = _run(["check", "https://h.example/", "--response", str(response), "--output", str(out), "-q"], dict(os.environ))
    assert proc.returncode == 3, proc.stderr
    assert not out.is_symlink() and out.stat().st_mode & 0o777 == 0o600 and victim.read_text() == "untouched\n"
    assert 'schema = "wizard403/1"' in out.read_text()
    tree = __import__("tomllib").loads(out.read_text())
    assert tree["fingerprints"]["key"] == "user" and re.fullmatch(r"[0-9a-f]{8}", tree["fingerprints"]["key_id"])


def test_an_organisation_overlay_adds_secret_names_to_check_and_sanitize(tmp_path):
    overlay = tmp_path / "acme"
    overlay.mkdir()
    (overlay / "secrets.toml").write_text('[headers]\nexact = ["X-Acme-Badge"]\n[query]\nexact = ["acme_sso"]\n')
    response = tmp_path / "r.txt"
    response.write_text("HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nbadge badgeCANARY77 refused\r\n")
    args = ["check", "https://h.example/x?acme_sso=ssoCANARY88", "--response", str(response), "-H", "X-Acme-Badge: badgeCANARY77", "--format", "json"]
    plain = _run(args, dict(os.environ))
    assert "badgeCANARY77" in plain.stdout, "without the overlay the name is not known (the test can fail)"
    proc = _run([*args, "--content", str(overlay)], dict(os.environ))
    assert proc.returncode == 3, proc.stderr
    assert "badgeCANARY77" not in proc.stdout + proc.stderr and "ssoCANARY88" not in proc.stdout + proc.stderr
    har = tmp_path / "in.har"
    entry = {"request": {"method": "GET", "url": "https://h.example/?acme_sso=ssoCANARY88", "headers": [{"name": "X-Acme-Badge", "value": "badgeCANARY77"}]},
             "response": {"status": 403, "headers": [], "content": {"text": "badgeCANARY77", "mimeType": "text/plain"}}}
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    proc = _run(["sanitize", str(har), str(tmp_path / "out.har"), "--content", str(overlay)], dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    clean = (tmp_path / "out.har").read_text()
    assert "badgeCANARY77" not in clean and "ssoCANARY88" not in clean
