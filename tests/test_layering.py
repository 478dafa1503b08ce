"""One-way layering: the command line sits on top of the wizard and the core; the wizard never reaches back up
into the command line, and the core never reaches into either (so each can be used, and tested, alone)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "wizard403"


def imported_modules(path: Path, package_root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in `path`, relative imports resolved, `from a import b` as a.b."""
    parts = list(path.relative_to(package_root.parent).with_suffix("").parts)
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def offenders(folder_test, forbidden) -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if not folder_test(rel):
            continue
        for line, module in imported_modules(path):
            if forbidden(module):
                out.append(f"{rel}:{line} imports {module}")
    return out


def test_the_wizard_never_imports_the_command_line():
    found = offenders(lambda rel: rel.parts[0] == "tui", lambda m: m == "wizard403.cli" or m.startswith("wizard403.cli."))
    assert found == [], found


def test_the_core_never_imports_the_wizard():
    found = offenders(
        lambda rel: rel.parts[0] != "tui" and rel.name not in ("cli.py", "__main__.py"),
        lambda m: m == "wizard403.tui" or m.startswith("wizard403.tui."),
    )
    assert found == [], found


def test_the_checker_sees_relative_and_from_imports(tmp_path):
    """The scan itself must catch every spelling, or the two tests above could never fail."""
    root = tmp_path / "wizard403"
    (root / "tui" / "screens").mkdir(parents=True)
    probe = root / "tui" / "screens" / "probe.py"
    probe.write_text("from ...cli import parse_header\nfrom wizard403 import cli as c\nimport wizard403.cli\n")
    modules = [m for _, m in imported_modules(probe, root)]
    assert modules.count("wizard403.cli") == 3 and "wizard403.cli.parse_header" in modules
