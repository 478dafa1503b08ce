"""The headless core never imports Textual; `--help`, `check`, `report` and `lab` start without it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "wizard403"


def test_no_textual_import_outside_tui():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "tui" in path.relative_to(PACKAGE).parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "textual" or n.startswith("textual.") or n.startswith("rich") for n in names):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == [], f"textual/rich imported outside wizard403/tui/: {offenders}"


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return set(out.stdout.split())


def test_help_does_not_import_textual():
    mods = _modules_after(
        "import contextlib, io\nfrom wizard403.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main(['--help'])\n    except SystemExit:\n        pass"
    )
    assert "wizard403.cli" in mods
    assert "textual" not in mods


def test_check_does_not_import_textual(lab):
    url = lab.url("ok")
    mods = _modules_after(
        "import contextlib, io\nfrom wizard403.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    main(['check', '{url}', '--format', 'json'])"
    )
    assert "wizard403.checks.runner" in mods and "wizard403.diagnose" in mods
    assert "textual" not in mods


def test_offline_check_imports_no_network_stack():
    """`check --har` sends nothing: asyncio, httpx and ssl (a third of its start-up) are never imported."""
    har = Path(__file__).resolve().parent / "fixtures" / "har" / "chrome-login-403.har"
    mods = _modules_after(
        "import contextlib, io\nfrom wizard403.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    code = main(['check', '--har', {str(har)!r}, '--format', 'json'])\n"
        "assert code == 3, code"
    )
    assert "wizard403.checks.runner" in mods and "wizard403.diagnose" in mods
    assert not {"asyncio", "httpx", "ssl"} & mods
