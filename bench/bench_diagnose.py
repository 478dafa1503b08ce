"""Benchmark of the diagnosis: signature matching and the whole offline analysis, on a few thousand varied exchanges.

Run: python bench/bench_diagnose.py [--count N]

Reports exchanges per second, microseconds per exchange, microseconds per exchange per signature file, and a ratio
against a baseline measured in the same run on the same bodies: one re.search pass of a single compiled pattern
(the least any body-matching diagnosis has to do).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wizard403.content import load_content  # noqa: E402
from wizard403.diagnose import analyse_exchange  # noqa: E402
from wizard403.diagnose.catalogue import catalogue_for  # noqa: E402
from wizard403.diagnose.signatures import BODY_LIMIT, match_with  # noqa: E402
from wizard403.model import Exchange  # noqa: E402

WORDS = ("account", "order", "lorem", "ipsum", "dolor", "settings", "profile", "search", "result", "item", "price",
         "shipping", "report", "status", "update", "delete", "welcome", "contact", "privacy", "terms")
AT = dt.datetime(2026, 11, 22, 9, 15, tzinfo=dt.timezone.utc)


def recorded() -> list[Exchange]:
    """The hand-written exchanges of the test suite: real shapes of many producers' responses."""
    out = []
    for path in sorted((ROOT / "tests" / "exchanges").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        req, resp = data["request"], data["response"]
        out.append(Exchange(check="recorded", method=req.get("method", "GET"), url=req["url"], status=resp["status"],
                            reason=resp.get("reason", ""), request_headers=[tuple(h) for h in req.get("headers", [])],
                            response_headers=[tuple(h) for h in resp.get("headers", [])],
                            body=resp.get("body", "").encode("utf-8"), at=AT))
    return out


def filler(rng: random.Random, size: int) -> str:
    parts, total = [], 0
    while total < size:
        line = "<p>" + " ".join(rng.choice(WORDS) for _ in range(12)) + "</p>\n"
        parts.append(line)
        total += len(line)
    return "".join(parts)


def varied(count: int, seed: int = 403) -> list[Exchange]:
    """Recorded exchanges, plus copies with padded bodies, other statuses and ordinary pages (most traffic is not
    a block page, and some bodies are large)."""
    rng = random.Random(seed)
    base = recorded()
    out: list[Exchange] = []
    while len(out) < count:
        kind = rng.random()
        if kind < 0.4:
            ex = rng.choice(base)
            out.append(ex)
        elif kind < 0.75:  # a recorded refusal inside a bigger page
            ex = rng.choice(base)
            pad = filler(rng, rng.choice((512, 4096, 32768)))
            text = ex.body.decode("utf-8")
            out.append(Exchange(check="recorded", method=ex.method, url=ex.url, status=ex.status, reason=ex.reason,
                                request_headers=ex.request_headers, response_headers=ex.response_headers,
                                body=(pad + text + pad).encode("utf-8"), at=AT))
        else:  # an ordinary page or API answer, sometimes large
            size = rng.choice((200, 2048, 16384, 131072))
            ctype = rng.choice(("text/html; charset=utf-8", "application/json"))
            body = filler(rng, size) if ctype.startswith("text/html") else '{"items":[' + ",".join(
                f'{{"id":{i},"name":"{rng.choice(WORDS)}"}}' for i in range(size // 24)) + "]}"
            headers = [("Content-Type", ctype), ("Server", rng.choice(("nginx", "cloudflare", "Apache", "AmazonS3")))]
            out.append(Exchange(check="recorded", method="GET", url=f"https://site{len(out)}.example/p/{len(out)}",
                                status=rng.choice((200, 200, 403, 404, 401)), response_headers=headers,
                                body=body.encode("utf-8"), at=AT))
    return out


def timed(fn, items) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000, help="how many exchanges (default 3000)")
    args = parser.parse_args()

    content = load_content()
    t0 = time.perf_counter()
    catalogue = catalogue_for(content)
    compile_ms = (time.perf_counter() - t0) * 1000
    files = len(catalogue.files)
    signatures = sum(len(p.signatures) for p in catalogue.producers)
    exchanges = varied(args.count)
    body_bytes = sum(min(len(e.body), BODY_LIMIT) for e in exchanges)

    # Baseline: decode each body and run one compiled pattern over it once.
    pattern = re.compile(r"Cloudflare Ray ID", re.IGNORECASE)
    baseline = timed(lambda e: pattern.search(e.body[:BODY_LIMIT].decode("utf-8", "replace")), exchanges)

    match_with(catalogue, exchanges[0])  # warm up
    matching = timed(lambda e: match_with(catalogue, e), exchanges)
    full = timed(lambda e: analyse_exchange(e, content=content), exchanges[: max(1, len(exchanges) // 3)])
    full_n = max(1, len(exchanges) // 3)

    n = len(exchanges)
    us = matching / n * 1e6
    print(f"catalogue: {files} signature files, {signatures} signatures, compiled in {compile_ms:.1f} ms")
    print(f"exchanges: {n} ({body_bytes / n / 1024:.1f} KiB of body on average)")
    print(f"signature matching: {n / matching:,.0f} exchanges/s, {us:.1f} us per exchange, "
          f"{us / files:.2f} us per exchange per signature file")
    print(f"whole offline analysis (matching + scoring + verdict): {full_n / full:,.0f} exchanges/s, "
          f"{full / full_n * 1e6:.1f} us per exchange")
    print(f"baseline (one re.search of one compiled pattern per body): {baseline / n * 1e6:.1f} us per exchange")
    print(f"ratio matching / baseline: {matching / baseline:.1f}x "
          f"(the catalogue runs {signatures} signatures; per signature file: {matching / baseline / files:.2f}x)")


if __name__ == "__main__":
    main()
