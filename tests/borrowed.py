"""The copy guard's facts: hashed runs of eight words from the seeds and research notes, kept in tests/fixtures.

The articles themselves live outside the repository (shared/); a clean clone anywhere must still be able to tell
whether a text of ours repeats one of their sentences, so the guard compares hashes of word runs, not the prose.
"""

from __future__ import annotations

import hashlib
import re
import sys
from functools import lru_cache
from pathlib import Path

RUNS_FILE = Path(__file__).parent / "fixtures" / "borrowed-runs.txt"


def words(text: str) -> list[str]:
    """Lowercase words without punctuation, so that quoting style and case cannot hide a copied sentence."""
    return re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "").replace("'", ""))


def run_hash(run: tuple[str, ...] | list[str]) -> str:
    return hashlib.sha256(" ".join(run).encode()).hexdigest()[:16]


def hashed_runs(text: str) -> dict[str, str]:
    """Every run of eight words of `text`, by its hash."""
    ws = words(text)
    return {run_hash(ws[i : i + 8]): " ".join(ws[i : i + 8]) for i in range(len(ws) - 7)}


@lru_cache(maxsize=2)
def borrowed_hashes(kinds: tuple[str, ...] = ("seed", "research")) -> frozenset[str]:
    """The hashes of the runs from the seed articles, the research notes, or both (each line: hash and kind)."""
    rows = (line.split() for line in RUNS_FILE.read_text(encoding="utf-8").splitlines() if line[:1] not in ("", "#"))
    return frozenset(digest for digest, kind in rows if kind in kinds)


def seed_hashes() -> frozenset[str]:
    return borrowed_hashes(("seed",))


def borrowed_runs_in(text: str, hashes: frozenset[str] | None = None) -> list[str]:
    """The runs of `text` that stand in the seeds or research notes."""
    known = borrowed_hashes() if hashes is None else hashes
    return [run for digest, run in hashed_runs(text).items() if digest in known]


def write_runs_file(sources: dict[str, list[Path]]) -> int:
    """Regenerate the fixture from the source texts: `python -m tests.borrowed SHARED_FOLDER`."""
    digests = set()
    for kind, paths in sources.items():
        for path in paths:
            digests |= {f"{digest} {kind}" for digest in hashed_runs(path.read_text(encoding="utf-8"))}
    header = (
        "# sha256 (first 16 hex digits) and source kind of every run of 8 consecutive lower-case words in the seed articles and the\n"
        "# research notes (shared/seeds/*.txt, shared/research/*.md); made by `python -m tests.borrowed SHARED`.\n"
        "# Facts about those texts, not their prose: the copy guards in test_content.py and test_diagnose.py read this.\n"
    )
    RUNS_FILE.write_text(header + "\n".join(sorted(digests)) + "\n", encoding="utf-8")
    return len(digests)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.borrowed SHARED_FOLDER (the folder holding seeds/ and research/)")
    folder = Path(sys.argv[1])
    files = {"seed": sorted(folder.glob("seeds/*.txt")), "research": sorted(folder.glob("research/*.md"))}
    if not all(files.values()):
        sys.exit(f"no seeds or research notes under {folder}")
    print(write_runs_file(files), "runs from", sum(map(len, files.values())), "files")
