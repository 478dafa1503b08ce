"""The lazy HAR reader: bodies stay undecoded until an entry is examined, broken files name the entry, big files
show their progress, and what only Python's own parser accepts still opens."""

from __future__ import annotations

import io
import json
from pathlib import Path

import msgspec
import pytest

import wizard403.inputs.har as har_module
import wizard403.inputs.harfile as harfile
from wizard403.cli import main
from wizard403.errors import InputError
from wizard403.inputs.har import open_har

FIXTURES = Path(__file__).parent / "fixtures" / "har"
LOGIN = FIXTURES / "chrome-login-403.har"
VENDORS = FIXTURES / "firefox-vendors.har"
BIG_BODY = "<p>" + "a long page of news " * 5000 + "</p>"  # 100 KB


def _with_big_bodies(tmp_path: Path, source: Path = VENDORS) -> Path:
    doc = json.loads(source.read_text())
    for entry in doc["log"]["entries"]:
        content = entry["response"].setdefault("content", {})
        if entry["response"]["status"] == 200 and "html" not in content.get("mimeType", ""):
            content.update(text=BIG_BODY, mimeType="text/css", size=len(BIG_BODY))
    path = tmp_path / "big-bodies.har"
    path.write_text(json.dumps(doc))
    return path


def test_only_the_examined_entry_is_decoded_in_full(tmp_path, monkeypatch):
    path = _with_big_bodies(tmp_path)
    decoded = []
    real = har_module.decode

    def counting(value):
        if isinstance(value, msgspec.Raw) and len(value) > 50_000:
            decoded.append(len(value))
        return real(value)

    monkeypatch.setattr(har_module, "decode", counting)
    archive = open_har(path)
    assert decoded == []  # listing: no body decoded
    assert [e.index for e in archive.refused_entries()] == [2, 3, 4, 5, 6, 7]
    index = archive.first_refused().index
    archive.target(index), archive.exchange(index), archive.related(index), archive.related_facts(index)
    assert decoded == []  # the refused entry has a small body; the big ones stay raw
    page = archive.exchange(8)
    assert page.text == BIG_BODY and len(decoded) == 1  # decoded once, when asked for


def test_the_summaries_match_a_full_decode(tmp_path):
    for path in [*FIXTURES.glob("*.har"), *(Path(__file__).parent / "fixtures" / "real-har").glob("*.har")]:
        lazy = open_har(path)
        eager = har_module.HarArchive(json.loads(path.read_text()), name=path.name)
        assert lazy.entries == eager.entries, path.name
        assert lazy.credentials_stripped() == eager.credentials_stripped()
        for entry in lazy.refused_entries()[:3]:
            assert lazy.related_facts(entry.index) == eager.related_facts(entry.index)
            assert lazy.exchange(entry.index) == eager.exchange(entry.index)


def test_find_entries_by_method_path_and_host():
    archive = open_har(LOGIN)
    assert [e.index for e in archive.find(path="/reports/42")] == [1, 3, 6]
    assert [e.index for e in archive.find(method="post")] == [5]
    assert [e.index for e in archive.find(method="GET", path="/v1/reports/42", host="API.example.test")] == [7]
    assert archive.find(host="elsewhere.test") == []


def _message(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        open_har(path)
    return str(caught.value)


def test_a_cut_file_names_the_entry_it_stops_in(tmp_path):
    text = LOGIN.read_text()
    path = tmp_path / "cut.har"
    path.write_text(text[: text.index('"https://app.example.test/reports/42"', text.index("/login?next")) + 10])
    message = _message(path)
    assert message.startswith("cut.har is not a complete HAR file: its JSON stops in the middle of entry ")
    number = int(message.split("of entry ")[1].split(" ")[0])
    assert 2 <= number <= 8


def test_broken_json_names_line_column_and_entry(tmp_path):
    path = tmp_path / "broken.har"
    path.write_text('{"log": {"version": "1.2", "entries": [\n{"request": {"url": "https://h.test/"}},\n{"request": }\n]}}')
    assert _message(path) == "broken.har is not a HAR file: its JSON is broken at line 3, column 13 in entry 2 (Expecting value)."
    path.write_text('{"log": {"pages": [}, "entries": []}}')
    assert _message(path) == "broken.har is not a HAR file: its JSON is broken at line 1, column 20 (Expecting value)."


def test_what_only_pythons_parser_reads_still_opens(tmp_path):
    doc = json.loads(LOGIN.read_text())
    text = json.dumps(doc).replace('"time": 0', '"time": NaN', 1)
    path = tmp_path / "nan.har"
    path.write_text(text)
    assert len(open_har(path)) == 8
    doc["log"]["entries"][0]["response"]["content"]["text"] = "\ud800 lone surrogate"
    path.write_text(json.dumps(doc))
    archive = open_har(path)
    assert "lone surrogate" in archive.exchange(1).text


def test_progress_is_reported_while_reading(tmp_path):
    path = tmp_path / "padded.har"
    path.write_bytes(LOGIN.read_bytes() + b" " * (21 * 1024 * 1024))  # trailing whitespace is valid JSON
    seen = []
    assert len(open_har(path, progress=lambda done, total: seen.append((done, total)))) == 8
    size = path.stat().st_size
    assert seen[-1] == (size, size) and [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) >= 3
    stream = io.StringIO()
    report = harfile.stderr_progress(path, stream)
    for done, total in seen:
        report(done, total)
    lines = stream.getvalue().splitlines()
    assert lines[-1] == "wizard403: reading padded.har: 21 MB of 21 MB" and len(lines) == len(seen)
    assert harfile.stderr_progress(LOGIN) is None  # small files read silently


def test_check_and_sanitize_show_progress_for_big_files(tmp_path, capsys):
    path = tmp_path / "padded.har"
    path.write_bytes(LOGIN.read_bytes() + b"\n" * (21 * 1024 * 1024))
    assert main(["check", "--har", str(path), "--entry", "7", "--format", "json", "--output", str(tmp_path / "r.json")]) == 3
    assert "wizard403: reading padded.har: 21 MB of 21 MB" in capsys.readouterr().err
    assert main(["sanitize", str(path), str(tmp_path / "safe.har")]) == 0
    assert "wizard403: reading padded.har: 21 MB of 21 MB" in capsys.readouterr().err
    assert main(["check", "--har", str(LOGIN), "--entry", "7", "--format", "json", "--output", str(tmp_path / "s.json")]) == 3
    assert "reading" not in capsys.readouterr().err


def test_broken_json_is_told_before_a_missing_entries_list(tmp_path):
    path = tmp_path / "cut.har"
    path.write_text('{"log": 5, "pages": [{"title": "cut off')
    assert "cut.har is not a complete HAR file" in _message(path)
    path.write_text('{"log": 5, "pages": []}')
    assert _message(path) == "cut.har is not a HAR file: it has no log.entries list."


def test_the_encoding_is_checked_across_chunk_boundaries(tmp_path, monkeypatch):
    """A mapped file is checked a chunk at a time: a character cut by a chunk's end is whole, a bad byte in a later
    chunk after ASCII ones is still found."""
    monkeypatch.setattr(harfile, "READ_CHUNK", 7)  # every few bytes: boundaries fall inside characters
    doc = json.loads(LOGIN.read_text())
    doc["log"]["entries"][0]["response"]["content"]["text"] = "café ✓ 😀 " * 50
    path = tmp_path / "wide-chars.har"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert open_har(path).exchange(1).text == "café ✓ 😀 " * 50
    bad = tmp_path / "late-latin1.har"
    bad.write_bytes(json.dumps(doc).encode()[:-2] + ', "comment": "caf\xe9"}}'.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        open_har(bad)
    cut = tmp_path / "cut-char.har"
    cut.write_bytes(json.dumps(doc).encode()[:-2] + ', "comment": "\xe2\x9c"}}'.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        open_har(cut)


def test_a_file_that_cannot_be_mapped_is_read(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("no mapping here")

    monkeypatch.setattr(harfile.mmap, "mmap", refuse)
    archive = open_har(LOGIN)
    assert len(archive) == 8 and archive.exchange(7).status == 403


def _reading(path: Path) -> list:
    from wizard403.scrub import HarSecrets

    registry = HarSecrets()
    archive = open_har(path, secrets=registry)
    out = [archive.creator, archive.warnings, archive.credentials_stripped(), sorted(registry.scrubber.secrets)]
    for entry in archive.entries:
        i = entry.index
        out.append((entry, archive.exchange(i), archive.target(i), archive.related_facts(i)))
    return out


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.har")) + sorted((FIXTURES.parent / "real-har").glob("*.har")),
                         ids=lambda p: p.name)
def test_the_one_pass_records_read_every_entry_as_decoding_it_in_full_does(path, monkeypatch):
    """open_har reads the file once into typed records; every summary, exchange, target, related fact and secret
    is what the entries' raw slices decoded one by one give."""
    one_pass = _reading(path)
    assert isinstance(open_har(path).source.entries[0], har_module._EntryRecord), "the one pass is taken"
    monkeypatch.setattr(har_module, "_RECORDS", None)  # outlined into raw slices, each entry decoded on its own
    assert not isinstance(open_har(path).source.entries[0], har_module._EntryRecord)
    assert one_pass == _reading(path)


def test_a_file_whose_entries_do_not_fit_the_records_is_read_entry_by_entry(tmp_path):
    doc = json.loads(LOGIN.read_text())
    doc["log"]["entries"][2]["response"] = "not an object"  # no request-and-response shape: a record cannot hold it
    path = tmp_path / "odd.har"
    path.write_text(json.dumps(doc))
    archive = open_har(path)
    assert isinstance(archive.source.entries[0], msgspec.Raw)
    assert len(archive) == 8 and archive.exchange(7).status == 403
