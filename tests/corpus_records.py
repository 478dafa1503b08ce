"""The refusal corpus (tests/corpus/<group>/<vendor>.toml, format in the issue 11 brief): records, the fixed vendor
split, and each record as the Exchange the engine reads. Shared by tests/test_corpus.py and bench/bench_generalise.py.

The split is fixed in advance and never tuned: a vendor is held out when sha256(vendor) % 3 == 0. Whoever tunes the
language layer reads only development records; tools built on this module print held-out records only in aggregate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from wizard403.model import Exchange, Headers

CORPUS = Path(__file__).parent / "corpus"
READINGS = Path(__file__).parent / "corpus_readings.toml"
AT = dt.datetime(2026, 11, 22, 9, 15, tzinfo=dt.timezone.utc)
NO_URL = "https://corpus.invalid/"  # a record without a request: a neutral address that no signature knows
FIELDS_REQUIRED = ("id", "vendor", "product", "source", "key_line", "cause", "why", "status")
FIELDS_OPTIONAL = ("reason", "headers", "body", "request")
REQUEST_FIELDS = ("method", "url", "headers")


def held_out(vendor: str) -> bool:
    """The fixed split of the corpus: True for a held-out vendor."""
    return int(hashlib.sha256(vendor.encode()).hexdigest(), 16) % 3 == 0


@dataclass
class Record:
    data: dict
    path: Path
    index: int  # 1-based position in its file
    readable: bool = True  # set by the bench: whether the response has a message to read at all

    @property
    def id(self) -> str:
        return str(self.data.get("id", ""))

    @property
    def vendor(self) -> str:
        return str(self.data.get("vendor", ""))

    @property
    def cause(self) -> str:
        return str(self.data.get("cause", ""))

    @property
    def held_out(self) -> bool:
        return held_out(self.vendor)

    @property
    def where(self) -> str:
        return f"{self.path.parent.name}/{self.path.name} refusal[{self.index}]"

    def exchange(self) -> Exchange:
        d = self.data
        req = d.get("request") or {}
        return Exchange(
            check="recorded",
            method=str(req.get("method") or "GET"),
            url=str(req.get("url") or NO_URL),
            status=int(d["status"]),
            reason=str(d.get("reason") or ""),
            request_headers=_headers(req.get("headers")),
            response_headers=_headers(d.get("headers")),
            body=str(d.get("body") or "").encode("utf-8"),
            at=AT,
        )


def _headers(raw) -> Headers:
    if isinstance(raw, dict):
        return Headers({str(k): str(v) for k, v in raw.items()})
    if isinstance(raw, list):  # [["Name", "value"], ...]
        return Headers([(str(h[0]), str(h[1])) for h in raw if isinstance(h, (list, tuple)) and len(h) == 2])
    return Headers()


def corpus_files(dirs: list[Path] | None = None) -> list[Path]:
    roots = dirs or [CORPUS]
    files: list[Path] = []
    for root in roots:
        root = Path(root)
        # <group>/<vendor>.toml (a group folder may be a symlink, which "**" would not follow)
        files.extend(sorted(set(root.glob("*.toml")) | set(root.glob("*/*.toml"))) if root.is_dir() else [root])
    return files


def load_records(dirs: list[Path] | None = None) -> list[Record]:
    """Every [[refusal]] of every corpus file, in file order (a file that does not parse raises tomllib's error)."""
    out: list[Record] = []
    for path in corpus_files(dirs):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for i, raw in enumerate(data.get("refusal", []), 1):
            out.append(Record(raw, path, i))
    return out


def load_readings(path: Path | None = None) -> dict[str, str]:
    """The blind second reading (tests/corpus_readings.toml) by record id: the cause a careful person names first from
    the exchange alone, "unknown" when the exchange says nothing about the cause. {} when the file is missing: records
    added after the reading are simply not read yet."""
    path = path or READINGS
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.get("readings", {}).items()}
