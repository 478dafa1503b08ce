"""The words of the cue phrases read back from the cache folder are exactly what the phrases read as, and a cache
that is stale, damaged or cannot be written never changes what a cue matches or stops a run."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from wizard403.content import load_content
from wizard403.diagnose import cues
from wizard403.diagnose.cues import PhraseWords, load_cuebook

MESSAGES = ["Daily Limit Exceeded for this project", "Your IP address 10.0.0.1 is not allowed", "Accès refusé",
            "The request signature we calculated does not match", "CSRF token missing or incorrect"]


def cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("cue-words-*.msgpack"))


def no_reading(monkeypatch):
    def refuse(*args):
        raise AssertionError("a phrase was read again although its words were cached")

    monkeypatch.setattr(cues, "_phrase_words", refuse)


def readings(book) -> list:
    return [[(h.cue.id, h.phrase, h.quote) for h in book.match(text, 403, frozenset())] for text in MESSAGES]


def test_the_cached_cue_book_is_the_one_the_phrases_make(tmp_path, monkeypatch):
    dirs = load_content().dirs
    built = load_cuebook(dirs)
    assert len(cache_files(tmp_path)) == 1, "the first run writes the cache"
    no_reading(monkeypatch)
    cached = load_cuebook(dirs)  # would fail if any phrase were read into words again
    assert cached == built
    assert readings(cached) == readings(built) and any(readings(built))


@pytest.mark.parametrize("damage", [
    lambda path: path.write_bytes(b"\x00not msgpack"),
    lambda path: path.write_bytes(path.read_bytes()[:100]),
    lambda path: path.write_bytes(msgspec.msgpack.encode(["another key", {"daily limit": ["daily", "limit"]}])),
    lambda path: path.write_bytes(msgspec.msgpack.encode([msgspec.msgpack.decode(path.read_bytes())[0],
                                                          {"daily limit": []}])),
    lambda path: path.write_bytes(msgspec.msgpack.encode({"words": 1})),
])
def test_a_damaged_or_stale_cache_is_read_past(tmp_path, damage):
    dirs = load_content().dirs
    built = load_cuebook(dirs)
    [path] = cache_files(tmp_path)
    damage(path)
    assert load_cuebook(dirs) == built
    assert load_cuebook(dirs) == built, "the cache written again is good"


def test_changed_code_makes_the_cache_stale(tmp_path, monkeypatch):
    dirs = load_content().dirs
    built = load_cuebook(dirs)
    [path] = cache_files(tmp_path)
    key, words = msgspec.msgpack.decode(path.read_bytes())
    words = {phrase: ["zzz"] for phrase in words}  # what another version of words_of might have made
    path.write_bytes(msgspec.msgpack.encode([key, words]))
    monkeypatch.setattr(PhraseWords, "FORMAT", PhraseWords.FORMAT + 1)
    assert load_cuebook(dirs) == built


def test_an_edited_phrase_is_read_anew_and_only_this_runs_phrases_are_kept(tmp_path):
    folder = tmp_path / "content"
    folder.mkdir()
    cue = '[[cues]]\nid = "x"\ncause = "waf"\nweight = 0.5\nphrases = ["{}"]\n'
    (folder / "cues.toml").write_text(cue.format("our shield said no"), encoding="utf-8")
    assert [h.cue.id for h in load_cuebook([folder]).match("Our shield said NO", 403, frozenset())] == ["x"]
    (folder / "cues.toml").write_text(cue.format("the gate is shut"), encoding="utf-8")
    book = load_cuebook([folder])
    assert [h.cue.id for h in book.match("The gate is SHUT", 403, frozenset())] == ["x"]
    assert book.match("Our shield said NO", 403, frozenset()) == []
    [path] = cache_files(tmp_path)
    assert list(msgspec.msgpack.decode(path.read_bytes())[1]) == ["the gate is shut"]


def test_an_unwritable_cache_folder_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("WIZARD403_CACHE_DIR", str(blocker))
    dirs = load_content().dirs
    assert load_cuebook(dirs) == load_cuebook(dirs)
