"""Does the diagnosis generalise? The refusal corpus (tests/corpus/**) scored offline, vendors split in advance.

Run: python bench/bench_generalise.py [--corpus DIR ...] [--show-dev] [--held-out-confusion] [--dev-only]

Every record becomes one recorded Exchange (status, reason, headers, body and the request when the source gave it)
and goes through the same offline analysis as `wizard403 check --response`. Printed for DEV and HELD-OUT vendors
separately: first-cause accuracy, top-3 accuracy, how often `unknown` comes first, how often a "high" (and a
"medium") first cause is right, the confusion of the misses, and against the blind second reading
(tests/corpus_readings.toml: the cause a person names from the exchange alone, "unknown" when it says nothing) how
often that reading agrees with the label (the ceiling from the response alone), how many records carry no evidence,
and the engine's accuracy on the records that do; records without a reading are counted as "not read". HELD-OUT is
the honest figure: no cue word or weight was tuned on those vendors, and this script never prints one of their
records (only counts). `--show-dev` lists every missed DEV record with its key line and ranking, for tuning.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.corpus_records import load_readings, load_records  # noqa: E402
from wizard403.content import load_content  # noqa: E402
from wizard403.diagnose import analyse_exchange  # noqa: E402
from wizard403.diagnose.message import extract_message  # noqa: E402
from wizard403.textsafe import one_line  # noqa: E402


READABLE_AT = 20  # characters of extracted message below which a record has (almost) nothing to read


def evaluate(records, content):
    rows = []
    for rec in records:
        exchange = rec.exchange()
        session = analyse_exchange(exchange, content=content)
        ranked = [(c.id, c.score, c.likelihood) for c in session.causes]
        rec.readable = len(extract_message(exchange).text.strip()) >= READABLE_AT
        rows.append((rec, ranked))
    return rows


def _share(part: int, whole: int) -> str:
    return f"{part:4d} / {whole:<4d} {part / whole:6.1%}" if whole else f"{part:4d} / {whole:<4d}    n/a"


def against_reading(rows, readings: dict[str, str]) -> list[str]:
    """The blind reading as a ceiling: a record whose exchange says nothing about its cause (reading "unknown") cannot
    be diagnosed from the response alone, by a person or by the engine. Counts only (held-out records stay unseen)."""
    read = [(rec, ranked, readings[rec.id]) for rec, ranked in rows if rec.id in readings]
    not_read = len(rows) - len(read)
    agree = sum(1 for rec, _, reading in read if reading == rec.cause)
    evident = [(rec, ranked, reading) for rec, ranked, reading in read if reading != "unknown"]
    e_agree = sum(1 for rec, _, reading in evident if reading == rec.cause)
    e_first = sum(1 for rec, ranked, _ in evident if ranked and ranked[0][0] == rec.cause)
    n_first = sum(1 for rec, ranked, reading in read if reading == "unknown" and ranked and ranked[0][0] == rec.cause)
    both = [(rec, ranked) for rec, ranked, reading in evident if reading == rec.cause]
    b_first = sum(1 for rec, ranked in both if ranked and ranked[0][0] == rec.cause)
    return [f"  blind reading (tests/corpus_readings.toml): {len(read)} read, {not_read} not read",
            f"    reading agrees with label    : {_share(agree, len(read))}  (ceiling from the exchange alone)",
            f"    no evidence (reading unknown): {_share(len(read) - len(evident), len(read))}",
            f"    no evidence, engine right    : {_share(n_first, len(read) - len(evident))}",
            f"    with evidence, reading agrees: {_share(e_agree, len(evident))}",
            f"    with evidence, engine right  : {_share(e_first, len(evident))}",
            f"    where reading = label, engine: {_share(b_first, len(both))}"]


def summarise(name: str, rows, readings: dict[str, str] | None = None, misses_shown: bool = True) -> list[str]:
    n = len(rows)
    if not n:
        return [f"{name}: no records"]
    first = sum(1 for rec, ranked in rows if ranked and ranked[0][0] == rec.cause)
    top3 = sum(1 for rec, ranked in rows if rec.cause in [c for c, _, _ in ranked[:3]])
    unknown = sum(1 for _, ranked in rows if ranked and ranked[0][0] == "unknown")
    vendors = len({rec.vendor for rec, _ in rows})
    readable = [(rec, ranked) for rec, ranked in rows if rec.readable]
    r_n = max(1, len(readable))
    r_first = sum(1 for rec, ranked in readable if ranked and ranked[0][0] == rec.cause)
    r_unknown = sum(1 for _, ranked in readable if ranked and ranked[0][0] == "unknown")
    lines = [f"{name}: {n} records from {vendors} vendors",
             f"  first cause right : {first:4d} / {n}  {first / n:6.1%}",
             f"  top-3 right       : {top3:4d} / {n}  {top3 / n:6.1%}",
             f"  unknown first     : {unknown:4d} / {n}  {unknown / n:6.1%}",
             f"  with a message to read (>= {READABLE_AT} characters): {len(readable)} records, first cause right "
             f"{r_first} ({r_first / r_n:.1%}), unknown first {r_unknown} ({r_unknown / r_n:.1%})"]
    for level in ("high", "medium", "low"):
        said = [(rec, ranked) for rec, ranked in rows if ranked and ranked[0][0] != "unknown" and ranked[0][2] == level]
        right = sum(1 for rec, ranked in said if ranked[0][0] == rec.cause)
        share = f"{right / len(said):6.1%}" if said else "   n/a"
        lines.append(f"  first is {level:<6}    : {len(said):4d} times, right {right:4d}  {share}")
    if readings is not None:
        lines += against_reading(rows, readings)
    misses = Counter((rec.cause, ranked[0][0] if ranked else "-") for rec, ranked in rows
                     if not ranked or ranked[0][0] != rec.cause)
    if misses and not misses_shown:
        lines.append(f"  misses: {sum(misses.values())} (their confusion is shown with --held-out-confusion)")
    elif misses:
        lines.append("  misses (labelled -> ranked first):")
        for (want, got), count in sorted(misses.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"    {count:3d}  {want} -> {got}")
    return lines


def explain(rid: str, records, content) -> None:
    from wizard403.diagnose.context import facts_of
    from wizard403.diagnose.cues import cuebook_for

    rec = next((r for r in records if r.id == rid), None)
    if rec is None or rec.held_out:
        print(f"\n{rid}: no such DEV record (held-out records are never shown)")
        return
    ex = rec.exchange()
    msg = extract_message(ex)
    facts = facts_of(ex)
    hits = cuebook_for(content).match(msg.text, ex.status, facts)
    session = analyse_exchange(ex, content=content)
    print(f"\n{rid} [{rec.cause}] status {ex.status} form {msg.form} facts {sorted(facts)}")
    print("  text:", one_line(msg.text)[:400])
    print("  cues:", ", ".join(f"{h.cue.id}<{h.quote}>" for h in hits))
    for c in session.causes[:3]:
        print(f"  {c.id} {c.score:.2f} {c.likelihood}")
        for e in c.evidence[:4]:
            print("     ", one_line(e)[:150])


def blind_probes(content):
    """(right, count) for the even (tuned on) and the odd (never tuned on) half of the blind probes."""
    from tests.test_diagnose_readings import PROBES, _probe_exchange

    if not PROBES.exists():
        return None
    import tomllib

    probes = tomllib.loads(PROBES.read_text(encoding="utf-8"))["probe"]
    right = [analyse_exchange(_probe_exchange(p), content=content).causes[0].id == p["cause"] for p in probes]
    return (sum(right[0::2]), len(right[0::2])), (sum(right[1::2]), len(right[1::2]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="append", type=Path, help="corpus folder or file (default tests/corpus)")
    parser.add_argument("--show-dev", action="store_true", help="list every missed DEV record (never held-out ones)")
    parser.add_argument("--held-out-confusion", action="store_true",
                        help="also print the held-out misses' confusion counts (counts only; off by default, since "
                             "even counts tell a tuner which families the held-out vendors miss)")
    parser.add_argument("--explain", metavar="ID", action="append", default=[],
                        help="print what the engine read in one DEV record (refused for held-out records)")
    parser.add_argument("--dev-only", action="store_true",
                        help="print DEV figures only (no held-out or never-tuned probe figures): for tuning runs, so "
                             "the held-out figure is looked at once, at the end")
    args = parser.parse_args()

    content = load_content()
    records = load_records(args.corpus)
    start = time.perf_counter()
    rows = evaluate(records, content)
    elapsed = time.perf_counter() - start
    dev = [row for row in rows if not row[0].held_out]
    held = [row for row in rows if row[0].held_out]
    print(f"corpus: {len(rows)} records, {len({r.vendor for r in records})} vendors; analysed in {elapsed:.2f} s "
          f"({elapsed / max(1, len(rows)) * 1e3:.1f} ms per record)")
    readings = load_readings()
    print("\n".join(summarise("DEV", dev, readings)))
    if not args.dev_only:
        print("\n".join(summarise("HELD-OUT", held, readings, misses_shown=args.held_out_confusion)))
    probes = blind_probes(content)
    if probes:
        (e_right, e_n), (o_right, o_n) = probes
        never = "" if args.dev_only else f", never-tuned half {o_right}/{o_n} ({o_right / o_n:.1%})"
        print(f"BLIND PROBES (tests/fixtures/readings/probes-2.toml, written without seeing the engine): "
              f"tuned half {e_right}/{e_n} ({e_right / e_n:.1%}){never}")
    for rid in args.explain:
        explain(rid, records, content)
    if args.show_dev:
        print("\nmissed DEV records:")
        for rec, ranked in dev:
            if ranked and ranked[0][0] == rec.cause:
                continue
            top = ", ".join(f"{c} {s:.2f}" for c, s, _ in ranked[:4])
            print(f"- {rec.id} [{rec.cause}] -> {top}\n    {one_line(rec.data.get('key_line', ''))[:200]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
