"""The compiled catalogue read back from the cache folder matches exactly what the files compile to, and a cache
that is stale, corrupt or cannot be written never changes a diagnosis or stops a run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_diagnose import VENDOR, overlay_with
from tests.test_diagnose_exchanges import FILES, load_exchange
from wizard403.content import load_content
from wizard403.diagnose import catalogue_cache
from wizard403.diagnose.catalogue import load_catalogue
from wizard403.diagnose.signatures import match_with

ROOT = Path(__file__).resolve().parent.parent


def cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("catalogue-*.msgpack"))


def hits(catalogue, exchange) -> list[tuple]:
    return [(h.name, h.proves, h.layer, h.causes, h.extracted, h.references, h.line) for h in match_with(catalogue, exchange)]


def test_the_cached_catalogue_matches_every_recorded_exchange_as_the_files_do(tmp_path):
    dirs = load_content().dirs
    built = load_catalogue(dirs)
    assert len(cache_files(tmp_path)) == 1, "the first run writes the cache"
    cached = load_catalogue(dirs)
    regexes = [m.regex for p in cached.producers for s in p.signatures for m in s.all + s.any if m.regex is not None]
    assert regexes and all(isinstance(r, catalogue_cache.LazyPattern) for r in regexes), "the second run reads the cache"
    assert catalogue_cache._freeze(cached, "k") == catalogue_cache._freeze(built, "k")
    assert [p.source for p in cached.producers] == [p.source for p in built.producers] and cached.files == built.files
    assert len(FILES) > 40
    for path in FILES:
        exchange, _ = load_exchange(path)
        assert hits(cached, exchange) == hits(built, exchange), path.name


def test_matchers_that_shared_a_regex_share_it_again_when_read_back(tmp_path):
    dirs = load_content().dirs
    load_catalogue(dirs)
    cached = load_catalogue(dirs)
    by_slot: dict[int, set[int]] = {}
    for producer in cached.producers:
        for sig in producer.signatures:
            for m in sig.all + sig.any + sig.none + sig.extract:
                if m.regex is not None:
                    by_slot.setdefault(m.slot, set()).add(id(m.regex))
    assert by_slot and all(len(ids) == 1 for ids in by_slot.values())


def test_a_lazy_pattern_compiles_once_and_behaves_as_the_regex(tmp_path):
    lazy = catalogue_cache.LazyPattern(r"ray id: (?P<cf_ray>[0-9a-f]{16})", re.IGNORECASE, {"cf_ray": 1})
    assert lazy.groupindex == {"cf_ray": 1} and lazy._compiled is None
    found = lazy.search("Cloudflare Ray ID: 8a1b2c3d4e5f0250")
    assert found.group("cf_ray") == "8a1b2c3d4e5f0250"
    assert lazy.findall("RAY ID: 0123456789abcdef") == ["0123456789abcdef"]
    assert lazy.compiled() is lazy.compiled()


def test_an_edited_file_is_compiled_again(tmp_path):
    overlay = overlay_with(tmp_path / "overlay", "acme.toml", VENDOR)
    dirs = [overlay]
    assert load_catalogue(dirs).producer("acme-shield").name == "Acme Shield"
    overlay_with(tmp_path / "overlay", "acme.toml", VENDOR.replace('name = "Acme Shield"', 'name = "Acme Shield 2"'))
    assert load_catalogue(dirs).producer("acme-shield").name == "Acme Shield 2"
    assert len(cache_files(tmp_path)) == 1, "one cache file per list of folders, replaced when a file changes"
    overlay_with(tmp_path / "overlay", "acme.toml", VENDOR.replace("^blocked; id=", "^blocked; id=("))
    with pytest.raises(Exception, match="not a valid regular expression"):
        load_catalogue(dirs)  # a broken file is told every time, whatever the cache holds


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", b"\x93\x01\x02\x03"])
def test_a_corrupt_cache_file_is_ignored_and_replaced(tmp_path, damage):
    dirs = load_content().dirs
    built = load_catalogue(dirs)
    (path,) = cache_files(tmp_path)
    path.write_bytes(damage)
    again = load_catalogue(dirs)
    assert catalogue_cache._freeze(again, "k") == catalogue_cache._freeze(built, "k")
    assert path.read_bytes() != damage


def test_a_cache_folder_that_cannot_be_made_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("WIZARD403_CACHE_DIR", str(blocker / "cache"))
    first = load_catalogue(load_content().dirs)
    second = load_catalogue(load_content().dirs)
    assert catalogue_cache._freeze(first, "k") == catalogue_cache._freeze(second, "k")


def test_the_cache_goes_to_xdg_cache_home_by_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "WIZARD403_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    code = "from wizard403.content import load_content; from wizard403.diagnose.catalogue import load_catalogue; load_catalogue(load_content().dirs)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60)
    written = list((tmp_path / "xdg" / "wizard403").glob("catalogue-*.msgpack"))
    assert len(written) == 1 and (written[0].stat().st_mode & 0o777) == 0o600
