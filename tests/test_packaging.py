"""The built wheel carries content/ and works from an installed (non-editable) copy, without the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_content_and_loads_it_without_the_source_tree(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check", "-w", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next((tmp_path / "dist").glob("wizard403-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "wizard403/_content/causes.toml" in names
    assert any(n.startswith("wizard403/_content/signatures/") for n in names)
    assert any(n.startswith("wizard403/_content/steps/") for n in names)
    assert "wizard403/tui/wizard.tcss" in names

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import wizard403, wizard403.content as c, wizard403.diagnose.catalogue as k\n"
        "content = c.load_content()\n"
        "print(wizard403.__file__)\n"
        "print(c.shipped_content_dir())\n"
        "print(len(content.steps), len(content.causes), len(k.catalogue_for(content).producers))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "WIZARD403_CACHE_DIR": str(tmp_path / "cache")}, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    module_file, content_dir, counts = run.stdout.splitlines()
    assert module_file.startswith(str(site)) and content_dir.startswith(str(site))
    steps, causes, producers = map(int, counts.split())
    assert steps == 6 and causes == 17 and producers > 50
