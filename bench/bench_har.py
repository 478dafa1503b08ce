"""Benchmark: open a 100 MB / 5,000-entry HAR, list its refused entries and build one exchange.

Targets (DESIGN.md §9): within 2x the time of `json.load` of the same file, peak memory within 4x the file size.
The file is built in a temporary directory from the real browser exports in tests/fixtures/real-har/ (entries
replicated, bodies filled with real page text, a few refused responses mixed in). Each measurement runs in a fresh
interpreter; times are the best of several runs, memory is the tracemalloc peak of a separate run.

    .venv/bin/python bench/bench_har.py [--size-mb 100] [--entries 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL_HARS = ROOT / "tests" / "fixtures" / "real-har"

BLOCK_PAGE = (
    "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>"
    "<h1>Sorry, you have been blocked</h1><p>Cloudflare Ray ID: <strong>8a1b2c3d4e5f{n:04d}</strong></p></body></html>"
)

OURS = """
import sys, time
t0 = time.perf_counter()
from wizard403.inputs.har import open_har
archive = open_har(sys.argv[1], max_bytes=1 << 40)
refused = archive.refused_entries()
exchange = archive.exchange(refused[0].index)
assert exchange.status == 403 and exchange.body, exchange
print(time.perf_counter() - t0, len(refused))
"""
BASELINE = """
import sys, time, json
t0 = time.perf_counter()
with open(sys.argv[1], encoding="utf-8") as fh:
    doc = json.load(fh)
print(time.perf_counter() - t0, len(doc["log"]["entries"]))
"""


def _memory(code: str) -> str:
    """The same work under tracemalloc, printing the peak in bytes."""
    body = code.replace("t0 = time.perf_counter()", "import tracemalloc; tracemalloc.start()")
    body = body.replace("print(time.perf_counter() - t0,", "print(tracemalloc.get_traced_memory()[1],")
    return body


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


def _run(code: str, path: Path) -> tuple[float, str]:
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.split()
    return float(out[0]), out[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=100)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wizard403-bench-") as tmp:
        path = Path(tmp) / "big.har"
        refused = build_har(path, int(args.size_mb * 1024 * 1024), args.entries)
        size = path.stat().st_size
        print(f"built {path.name}: {size / 1024 / 1024:.1f} MB, {args.entries} entries, {refused} refused")

        base_times, our_times = [], []
        for _ in range(args.runs):
            base_times.append(_run(BASELINE, path)[0])
            seconds, found = _run(OURS, path)
            our_times.append(seconds)
            assert int(found) == refused, (found, refused)
        base_peak = _run(_memory(BASELINE), path)[0]
        our_peak = _run(_memory(OURS), path)[0]

    time_ratio = min(our_times) / min(base_times)
    memory_ratio = our_peak / size
    print(f"json.load:            {min(base_times):.3f} s, peak {base_peak / 1024 / 1024:.0f} MB")
    print(f"open_har + list + 1:  {min(our_times):.3f} s, peak {our_peak / 1024 / 1024:.0f} MB")
    print(f"time ratio   (target <= 2.0): {time_ratio:.2f}")
    print(f"memory ratio (target <= 4.0): {memory_ratio:.2f}  (json.load alone: {base_peak / size:.2f})")
    ok = time_ratio <= 2.0 and memory_ratio <= 4.0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
