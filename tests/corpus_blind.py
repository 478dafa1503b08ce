"""A blind view of the corpus for a second reading (tests/corpus_readings.toml): each record shown only as the
Exchange the engine reads (status, reason, response headers, body, request method/url/headers), under a neutral
number, never with its id, key line, why, cause, source or product, since an id like "x-rate-limit-1" gives away
the label.

Run: python tests/corpus_blind.py --part held|dev [--from N] [--count K] [--unread]
     python tests/corpus_blind.py --part held --ids 3,7   (after reading: the numbers' record ids, to store readings)

--unread shows only records that have no reading yet (records added after the reading was made).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.corpus_records import load_readings, load_records  # noqa: E402

BODY_SHOWN = 1600


def part(name: str, unread: bool = False):
    records = [r for r in load_records() if r.held_out == (name == "held")]
    if unread:
        readings = load_readings()
        records = [r for r in records if r.id not in readings]
    return records


def show(n: int, rec) -> str:
    ex = rec.exchange()
    lines = [f"=== #{n}", f"{ex.method} {ex.url}"]
    lines += [f"  > {k}: {v}" for k, v in ex.request_headers]
    lines.append(f"< {ex.status} {ex.reason}")
    lines += [f"  < {k}: {v}" for k, v in ex.response_headers]
    body = ex.body.decode("utf-8", "replace")
    if body.strip():
        cut = body[:BODY_SHOWN] + (f" ...[{len(body) - BODY_SHOWN} more]" if len(body) > BODY_SHOWN else "")
        lines.append("  body: " + cut.replace("\n", "\n        "))
    else:
        lines.append("  body: (empty)")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("held", "dev"), required=True)
    parser.add_argument("--from", dest="start", type=int, default=1)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--unread", action="store_true")
    parser.add_argument("--ids", help="comma-separated numbers: print their record ids (for storing readings)")
    args = parser.parse_args()
    records = part(args.part, args.unread)
    if args.ids:
        for n in (int(x) for x in args.ids.split(",")):
            print(n, records[n - 1].id)
        return 0
    for n in range(args.start, min(len(records), args.start + args.count - 1) + 1):
        print(show(n, records[n - 1]))
    print(f"--- {len(records)} records in this part")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
