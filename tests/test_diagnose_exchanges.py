"""Every recorded exchange in tests/exchanges/ through the offline analysis, checked against its [expect] table.

The files are written from the research (vendor docs, producers' source, captured responses), not from the
signatures, so that a signature tuned to one fixture and wrong in general shows up here as a failure elsewhere.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from wizard403.diagnose import analyse_exchange, match_exchange
from wizard403.model import CAUSE_IDS, Exchange

EXCHANGES = Path(__file__).parent / "exchanges"
FILES = sorted(EXCHANGES.glob("*.toml"))
AT = dt.datetime(2026, 11, 22, 9, 15, tzinfo=dt.timezone.utc)


def load_exchange(path: Path) -> tuple[Exchange, dict]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    request, response = data["request"], data["response"]
    body = response.get("body", "")
    exchange = Exchange(
        check="recorded",
        method=request.get("method", "GET"),
        url=request["url"],
        status=response["status"],
        reason=response.get("reason", ""),
        request_headers=[tuple(h) for h in request.get("headers", [])],
        response_headers=[tuple(h) for h in response.get("headers", [])],
        body=body.encode("utf-8"),
        at=AT,
    )
    return exchange, data["expect"]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_recorded_exchange(path: Path) -> None:
    exchange, expect = load_exchange(path)
    session = analyse_exchange(exchange)
    top = session.causes[0]
    ranking = ", ".join(f"{c.id} {c.score:.2f}" for c in session.causes[:4])
    assert top.id == expect["cause"], f"{path.name}: first cause {top.id} ({ranking})"
    assert top.likelihood == expect["likelihood"], f"{path.name}: {top.id} is {top.likelihood} ({ranking})"
    if "who" in expect:
        assert session.verdict.who_refused == expect["who"], session.verdict.summary
    if "reproduced" in expect:
        assert session.verdict.reproduced is expect["reproduced"]
    refs = {(r.kind, r.value) for r in session.references}
    for kind, value in expect.get("references", {}).items():
        assert (kind, value) in refs, f"{path.name}: reference {kind}={value} not in {sorted(refs)}"
    for ref in session.references:
        assert ref.at == AT and ref.source and ref.lookup
    if "fields" in expect:
        extracted: dict[str, str] = {}
        for hit in match_exchange(exchange):
            extracted.update(hit.extracted)
        for name, value in expect["fields"].items():
            assert extracted.get(name) == value, f"{path.name}: field {name} = {extracted.get(name)!r}"
    for cause_id in expect.get("not_causes", []):
        assert top.id != cause_id
        cause = next((c for c in session.causes if c.id == cause_id), None)
        assert cause is None or cause.likelihood == "low", f"{path.name}: {cause_id} is {cause.likelihood}"
    # Every cause names its evidence; the summary is one sentence.
    assert top.evidence and top.fixes and top.title
    assert session.verdict.summary.endswith(".") and "\n" not in session.verdict.summary


def test_every_cause_has_two_recorded_exchanges_from_different_files() -> None:
    """The catalogue is exercised for every cause of DESIGN.md §3 (unknown is what is left when nothing fits)."""
    seen: dict[str, list[str]] = {}
    for path in FILES:
        _, expect = load_exchange(path)
        seen.setdefault(expect["cause"], []).append(path.stem)
    missing = [c for c in CAUSE_IDS if c != "unknown" and len(seen.get(c, [])) < 2]
    assert not missing, f"causes with fewer than two recorded exchanges: {missing}"
