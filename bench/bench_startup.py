"""`wizard403 --help` start-up as a ratio to `python -c "import argparse"`, both measured in this run (target <= 2),
and the import cost of the `check` path, which must not load Textual.

Usage: python bench/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable
    cases = {
        "python -c 'import argparse'": [py, "-c", "import argparse"],
        "wizard403 --help": [py, "-m", "wizard403", "--help"],
        "check path imports": [py, "-c", "import wizard403.cli, wizard403.headless, wizard403.checks, wizard403.diagnose, wizard403.report"],
    }
    for cmd in cases.values():  # warm the file cache
        timed(cmd)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, cmd in cases.items():
            samples[name].append(timed(cmd))
    base = statistics.median(samples["python -c 'import argparse'"])
    for name, values in samples.items():
        med = statistics.median(values)
        print(f"{name:<30} median {med * 1000:6.1f} ms  ratio {med / base:.2f}")
    textual = subprocess.run(
        [py, "-c", "import sys, wizard403.cli, wizard403.headless, wizard403.checks, wizard403.diagnose; print('textual' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"Textual imported on the check path: {textual} (must be False)")
    print(f"--help ratio: {statistics.median(samples['wizard403 --help']) / base:.2f} (target <= 2.00)")


if __name__ == "__main__":
    main()
