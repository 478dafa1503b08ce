"""Reports: the three views of one tree, a lossless TOML round trip, and clear errors for bad session files."""

from __future__ import annotations

import datetime as dt
import json
import tomllib

import pytest

from wizard403.errors import SessionFileError
from wizard403.model import Answer, Cause, Change, CheckResult, Exchange, Fix, Headers, Reference, Session, Target, Verdict
from wizard403.report import load_session, render, session_to_tree

T0 = dt.datetime(2026, 11, 22, 9, 15, tzinfo=dt.timezone.utc)


def sample_session() -> Session:
    target = Target(
        url="https://api.example.com/v1/items/42",
        headers=Headers([("Authorization", "Bearer abcdefghijklmnop"), ("Accept", "application/json")]),
    )
    s = Session(target=target, created=T0)
    s.exchanges.append(
        Exchange(
            check="baseline",
            method="GET",
            url=target.url,
            status=403,
            reason="Forbidden",
            elapsed_ms=84,
            request_headers=target.headers,
            response_headers=Headers([("Content-Type", "application/json"), ("cf-ray", "6b993ced1a281004-LAX")]),
            body=b'{"message": "Forbidden"}',
            at=T0,
        )
    )
    s.checks.append(CheckResult("anonymous-retry", 1, "fail", "401 without credentials, 403 with them", {"status": 401}, supports={"permissions": 0.25}))
    s.answers.append(Answer(1, "recent-role-change", "yes", "moved teams on Monday"))
    s.causes.append(Cause("permissions", "Your account is missing a permission", "high", 0.82, "identity", ["anonymous-retry: 401 vs 403"], [Fix("Ask an admin", "easy", "admin")]))
    s.references.append(Reference("cf-ray", "6b993ced1a281004-LAX", "Cloudflare", T0, "Search Security Events"))
    s.changes.append(Change(T0, "Admin added role Reader", "200 after change"))
    s.verdict = Verdict("identity", "You are signed in but not allowed.", True)
    return s


def test_toml_round_trip_loses_nothing(tmp_path):
    first = render(sample_session(), "toml")
    path = tmp_path / "s.toml"
    path.write_text(first)
    again = render(load_session(path), "toml")
    assert tomllib.loads(again) == tomllib.loads(first)


def test_toml_and_json_hold_the_same_keys():
    s = sample_session()
    from_toml = tomllib.loads(render(s, "toml"))
    from_json = json.loads(render(s, "json"))
    assert set(from_toml) == set(from_json)
    for key in ("schema", "created", "tool", "target", "checks", "answers", "causes", "references", "exchanges", "changes"):
        assert key in from_toml
    assert from_toml["schema"] == "wizard403/1"
    assert from_json["causes"][0]["id"] == "permissions"
    assert from_json["created"] == "2026-11-22T09:15:00Z"


def test_markdown_leads_with_verdict_cause_and_reference():
    md = render(sample_session(), "md")
    top = md.split("## ")[0]
    assert "Who said no" in top and "Your account is missing a permission" in top
    assert "6b993ced1a281004-LAX" in top
    assert "abcdefghijklmnop" not in md


def test_json_session_loads_too(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(render(sample_session(), "json"))
    assert load_session(path).answers[0].note == "moved teams on Monday"


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("schema = 'wizard403/9'\n[target]\nurl='http://x'\n", "unknown schema version 'wizard403/9'"),
        ("this is = = not toml", "not valid TOML"),
        ("title = 'a cv'\n", "no 'schema' key"),
        ("schema = 'wizard403/1'\n", "'target' is missing"),
        ("schema = 'wizard403/1'\n[target]\nurl='http://x'\n[[answers]]\nstep=1\n", "incomplete"),
    ],
)
def test_bad_session_files_give_one_sentence(tmp_path, text, phrase):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SessionFileError) as err:
        load_session(path)
    assert phrase in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_and_binary_session_files(tmp_path):
    with pytest.raises(SessionFileError, match="no such file"):
        load_session(tmp_path / "nope.toml")
    blob = tmp_path / "blob.toml"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    with pytest.raises(SessionFileError, match="not a text file"):
        load_session(blob)


def test_tree_has_no_secret():
    tree = session_to_tree(sample_session())
    assert "abcdefghijklmnop" not in json.dumps(tree, default=str)
