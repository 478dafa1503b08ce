"""Parsed content files read back from the cache folder are exactly what parsing them gives."""

from __future__ import annotations

import tomllib
from pathlib import Path

from wizard403 import tomlcache
from wizard403.content import read_toml, shipped_content_dir


def kept(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / tomlcache.FOLDER).glob("*.msgpack"))


def test_every_content_file_reads_back_as_it_parses(tmp_path):
    files = sorted(shipped_content_dir().rglob("*.toml"))
    assert len(files) > 50
    first = [read_toml(path) for path in files]
    assert len(kept(tmp_path)) == len({p.read_bytes() for p in files}), "every content file is plain TOML: all kept"
    second = [read_toml(path) for path in files]
    for path, a, b, parsed in zip(files, first, second, (tomllib.loads(p.read_text("utf-8")) for p in files)):
        assert a == b == parsed, path
        assert repr(b) == repr(parsed), path  # same types and key order, not only equal values


def test_an_edited_file_is_parsed_again(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('a = "one"\n')
    assert read_toml(path) == {"a": "one"}
    path.write_text('a = "two"\n')
    assert read_toml(path) == {"a": "two"}


def test_tables_msgpack_cannot_carry_exactly_are_not_kept(tmp_path):
    path = tmp_path / "dates.toml"
    path.write_text("when = 2026-11-22T09:00:00Z\nday = 2026-11-22\nbig = 18446744073709551616\n")
    assert kept(tmp_path) == []
    for _ in range(2):
        table = read_toml(path)
        assert table == tomllib.loads(path.read_text()) and kept(tmp_path) == []


def test_a_damaged_entry_is_parsed_again(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('a = [1, 2.5, true, "x"]\n')
    read_toml(path)
    (entry,) = kept(tmp_path)
    for damage in (b"", b"\xc1", b"\x93\x01\x02\x03"):  # empty, invalid, a list instead of a table
        entry.write_bytes(damage)
        assert read_toml(path) == {"a": [1, 2.5, True, "x"]}


def test_an_unwritable_cache_folder_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("WIZARD403_CACHE_DIR", str(blocker / "cache"))
    path = tmp_path / "x.toml"
    path.write_text('a = "one"\n')
    assert read_toml(path) == {"a": "one"} == read_toml(path)
