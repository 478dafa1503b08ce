"""Benchmark: `wizard403 check --har` and `wizard403 sanitize` of a 100 MB / 5,000-entry HAR against `json.load`.

Targets (issue 14): `check --har` within 1.0x the wall time of a bare `json.load` of the same file and within 2x the
file's size in peak memory; `sanitize` within 3.0x json.load's time and 2x the file's size. Every figure is a whole
process (interpreter start, imports, reading, the report or the copy written), its wall time around spawn and exit
and its peak memory the maximum resident set size the kernel reports for that one child (os.wait4). The three are
run in turn, `--runs` times, so that they share the machine's load; times are the best run, memory the lowest.

The file is built in a temporary directory from the real browser exports in tests/fixtures/real-har/ (entries
replicated, bodies filled with real page text, a 403 block page every 500 entries).

    .venv/bin/python bench/bench_har.py [--size-mb 100] [--entries 5000] [--runs 3] [--code DIR]

`--code DIR` measures another checkout of wizard403 (for a before/after comparison) against the same file.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL_HARS = ROOT / "tests" / "fixtures" / "real-har"

BLOCK_PAGE = (
    "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>"
    "<h1>Sorry, you have been blocked</h1><p>Cloudflare Ray ID: <strong>8a1b2c3d4e5f{n:04d}</strong></p></body></html>"
)
BASELINE = "import json, sys\nwith open(sys.argv[1], encoding='utf-8') as fh:\n    json.load(fh)\n"
TARGETS = {"check": (1.0, 2.0), "sanitize": (3.0, 2.0)}  # (time ratio to json.load, peak memory / file size)


def build_har(path: Path, size_bytes: int, entries: int) -> int:
    """Write a HAR of about `size_bytes` with `entries` entries; returns the number of refused entries in it."""
    pool: list[dict] = []
    texts: list[str] = []
    for name in ("cnn-chrome.har", "cnn-firefox.har", "humanssuck.net.har"):
        doc = json.loads((REAL_HARS / name).read_text(encoding="utf-8"))
        for entry in doc["log"]["entries"]:
            pool.append(entry)
            text = entry.get("response", {}).get("content", {}).get("text")
            if isinstance(text, str) and len(text) > 200:
                texts.append(text)
    filler = "\n".join(texts)
    base_size = sum(len(json.dumps(e)) for e in pool) / len(pool)
    per_entry_text = max(0, int(size_bytes / entries - base_size))
    refused = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"log": {"version": "1.2", "creator": {"name": "wizard403 bench", "version": "1"}, "entries": [\n')
        for i in range(entries):
            entry = copy.deepcopy(pool[i % len(pool)])
            entry["request"]["url"] = f"{entry['request']['url']}{'&' if '?' in entry['request']['url'] else '?'}n={i}"
            response = entry.setdefault("response", {})
            content = response.setdefault("content", {})
            if i % 500 == 250:
                response["status"], response["statusText"] = 403, "Forbidden"
                content.update(mimeType="text/html", text=BLOCK_PAGE.format(n=i))
                content["size"] = len(content["text"])
                refused += 1
            else:
                start = (i * 7919) % max(1, len(filler) - 1)
                chunk = (filler[start:] + filler) * (per_entry_text // max(1, len(filler)) + 1)
                content["text"] = chunk[:per_entry_text]
                content["size"] = per_entry_text
                if response.get("status") in (401, 403):
                    response["status"] = 200
            fh.write(json.dumps(entry))
            fh.write(",\n" if i < entries - 1 else "\n")
        fh.write("]}}\n")
    return refused


def _entry(path: Path, number: int) -> dict:
    """Entry `number` (from 1) of the built file, which has one entry a line."""
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if n == number:
                return json.loads(line.rstrip().rstrip(","))
    raise ValueError(number)


def measure(argv: list[str], code: Path, ok: tuple[int, ...] = (0,), tmp: Path | None = None) -> tuple[float, int]:
    """(wall seconds, peak resident bytes) of one whole process.

    Each run is what an installed wizard403 does: its modules' bytecode is written once and then read (pip writes
    .pyc files at install time; an editable checkout with PYTHONDONTWRITEBYTECODE=1, as on these machines, would
    otherwise compile ~100 modules from source at every start), and its cache folder is the bench's own, empty at
    the first run (that run's time is printed apart)."""
    env = dict(os.environ, PYTHONPATH=str(code))
    if tmp is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(PYTHONPYCACHEPREFIX=str(tmp / "pyc"), WIZARD403_CACHE_DIR=str(tmp / "cache"))
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok:
        raise SystemExit(f"{argv[1:4]} exited {proc.returncode}: {err.decode(errors='replace')[-500:]}")
    return seconds, usage.ru_maxrss * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=100)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout of wizard403 to measure")
    args = parser.parse_args()
    code = args.code.resolve()
    python = sys.executable

    with tempfile.TemporaryDirectory(prefix="wizard403-bench-") as tmp:
        path, copy_path, report = Path(tmp) / "big.har", Path(tmp) / "shared.har", Path(tmp) / "report.json"
        refused = build_har(path, int(args.size_mb * 1024 * 1024), args.entries)
        size = path.stat().st_size
        one = Path(tmp) / "one.har"  # the same refused entry alone: what `check` costs whatever the file's size
        one.write_text(json.dumps({"log": {"version": "1.2", "entries": [_entry(path, 251)]}}))
        print(f"built {path.name}: {size / 1024 / 1024:.1f} MB, {args.entries} entries, {refused} refused")
        commands = {
            "json.load": ([python, "-c", BASELINE, str(path)], (0,)),
            "check": ([python, "-m", "wizard403", "check", "--har", str(path), "--format", "json",
                       "--output", str(report)], (3,)),  # fmt: skip
            "sanitize": ([python, "-m", "wizard403", "sanitize", str(path), str(copy_path)], (0,)),
            "check, 1 entry": ([python, "-m", "wizard403", "check", "--har", str(one), "--format", "json",
                                "--output", str(report.with_suffix(".one"))], (3,)),  # fmt: skip
        }
        results: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (argv, ok) in commands.items():
                results[name].append(measure(argv, code, ok, Path(tmp)))
        found = json.loads(report.read_text())
        assert found["target"]["source"] == "har", found["target"]
        copy_size = copy_path.stat().st_size
        assert copy_size > size // 2, (copy_size, size)

    base_time = min(t for t, _ in results["json.load"])
    base_peak = min(m for _, m in results["json.load"])
    print(f"{'':12} {'wall':>8} {'peak RSS':>10} {'time ratio':>11} {'memory/file':>12}")
    print(f"{'json.load':12} {base_time:7.2f}s {base_peak / 2**20:8.0f} MB {1.0:10.2f}x {base_peak / size:11.2f}x")
    ok = True
    for name in ("check", "sanitize"):
        seconds = min(t for t, _ in results[name])
        peak = min(m for _, m in results[name])
        time_target, memory_target = TARGETS[name]
        passed = seconds / base_time <= time_target and peak / size <= memory_target
        ok = ok and passed
        print(
            f"{name:12} {seconds:7.2f}s {peak / 2**20:8.0f} MB {seconds / base_time:10.2f}x {peak / size:11.2f}x"
            f"   target <= {time_target:.1f}x time, <= {memory_target:.1f}x memory: {'ok' if passed else 'MISSED'}"
        )
    first = results["check"][0][0]
    print(f"{'check, cold':12} {first:7.2f}s   (its first run: bytecode and catalogue cache still to be written)")
    seconds = min(t for t, _ in results["check, 1 entry"])
    print(f"{'check, 1 entry':12} {seconds:5.2f}s   (the same refused entry alone: start-up and analysis, not the file)")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
