"""Proof that a generated shell command is inert: bash parses it, and run against stub commands it runs nothing
injected and passes each outside value through as one intact argument."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

STUBBED = ("grep", "journalctl", "aws", "az", "gcloud", "head", "curl", "jq", "kubectl", "gh", "namei", "sudo",
           "nginx", "apachectl")


def check_shell(text: str, value: str, tmp: Path, expect: bool = True) -> None:
    """bash parses it, and run against stub commands it runs no injected command and passes the value intact
    (as is, or JSON-escaped when it sits inside a query that is itself one argument)."""
    subprocess.run(["bash", "-n", "-c", text], check=True, timeout=20)
    stubs = tmp / "bin"
    stubs.mkdir(exist_ok=True)
    log = tmp / "argv.jsonl"
    recorder = f"#!{sys.executable}\nimport json, sys\nopen({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
    for name in STUBBED:
        (stubs / name).write_text(recorder)
        (stubs / name).chmod(0o755)
    log.unlink(missing_ok=True)
    env = {"PATH": str(stubs), "HOME": str(tmp)}
    subprocess.run(["/bin/bash", "-c", text], cwd=tmp, env=env, capture_output=True, timeout=20)
    assert not any(tmp.glob("PWNED*")), f"the id ran as a command: {text!r}"
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    assert calls, text
    forms = (value, json.dumps(value, ensure_ascii=True)[1:-1])
    assert not expect or any(form in arg for argv in calls for arg in argv for form in forms), (value, calls)
