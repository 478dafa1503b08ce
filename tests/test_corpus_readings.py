"""The blind second reading (tests/corpus_readings.toml) is test data the bench trusts: every reading is a cause id,
every id names a record of the corpus, and the blind view it was made with shows nothing of a record's label."""

from __future__ import annotations

from tests.corpus_blind import show
from tests.corpus_records import READINGS, Record, load_readings, load_records
from wizard403.model import CAUSE_IDS


def test_every_reading_is_a_cause_id_or_unknown():
    readings = load_readings()
    assert readings, f"no readings in {READINGS}"
    wrong = {rid: cause for rid, cause in readings.items() if cause not in CAUSE_IDS}
    assert not wrong, f"not cause ids: {wrong}"


def test_every_reading_names_a_record_of_the_corpus():
    ids = {r.id for r in load_records()}
    stray = sorted(set(load_readings()) - ids)
    assert not stray, f"readings for ids that are not in tests/corpus: {stray}"


def test_a_missing_readings_file_means_nothing_read(tmp_path):
    assert load_readings(tmp_path / "absent.toml") == {}


def test_the_blind_view_depends_on_the_exchange_alone():
    """Reading blind means never seeing the id, key line, why, cause, source or product (an id such as
    'x-rate-limit-1' gives the label away): with every one of those replaced, the view stays the same."""
    masked = {"id": "masked", "vendor": "masked", "product": "masked", "source": "https://masked.invalid/",
              "key_line": "masked", "cause": "unknown", "why": "masked"}
    for n, rec in enumerate(load_records(), 1):
        shown = show(n, rec)
        assert f"< {rec.data['status']}" in shown
        assert shown == show(n, Record({**rec.data, **masked}, rec.path, rec.index)), f"{rec.where} leaks its label"
