"""fastre.prefixed: the redaction patterns' fast `sub` gives exactly what `re` gives, on real recordings and on texts
built to trip it (words in every case, secrets at the edges, letters that case-folding treats as ASCII)."""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import pytest

from wizard403 import fastre, redact
from wizard403.fastre import FOLD_HAZARDS, prefixed, starts_of

FIXTURES = Path(__file__).parent / "fixtures"
PATTERNS = [redact.JWT_RE, *redact.TOKEN_PATTERNS, redact.BEARER_RE, redact.KEYVALUE_RE]
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVlLTEyMzQ1Ng"


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _recorded_strings() -> list[str]:
    found = []
    for path in sorted((FIXTURES / "real-har").glob("*.har")) + sorted((FIXTURES / "har").glob("*.har")):
        found += list(_strings(json.loads(path.read_text(encoding="utf-8"))))
    return found


def _tricky_strings() -> list[str]:
    rng = random.Random(403)
    pieces = [
        "password=hunter2x", '"token": "abc123def"', "'api_key':'k3y-value-0000'", "Session = 1234abcd",
        "Bearer abcdefgh1234", "BASIC   Zm9vOmJhcjEyMzQ=", "token\n=\n9999aaaa", JWT, "ghp_" + "a1" * 12,
        "github_pat_" + "B2" * 12, "xoxb-1234567890-abc", "AKIAIOSFODNN7EXAMPLE", "sk-" + "z9" * 12,
        "glpat-" + "q7" * 12, "[redacted sha256:0123abcd]", "bearer [redacted sha256:0123abcd]", "pas", "tok",
        "eyJ", "PaSsWoRd:", "x" * 300, "é" * 10, "İ", "\u017fession=abcd1234", "\u0131d_token=zz99zz99",
        "\u212aey", "SECRET=", "toktoktok=12345", "\"\"password\"\"=aa11", "csrfmiddlewaretoken=QWERTYUIOPASDFGH1",
    ]
    texts = []
    for _ in range(400):
        parts = [rng.choice(pieces) for _ in range(rng.randint(1, 40))]
        glue = rng.choice([" ", "", "\n", "&", ";", "<", "\"", "=", ","])
        texts.append(glue.join(parts))
    return texts


def _same(pattern, text):
    def repl(m):
        return f"<{m.group(0)}>"

    return pattern.sub(repl, text) == pattern.pattern_object.sub(repl, text)


@pytest.mark.parametrize("index", range(len(PATTERNS)))
def test_fast_sub_equals_re_on_recorded_and_tricky_texts(index):
    pattern = PATTERNS[index]
    assert isinstance(pattern, fastre.PrefixedPattern) and pattern.starts is not None
    texts = _recorded_strings() + _tricky_strings()
    long_texts = [t for t in texts if len(t) >= fastre.SHORT_TEXT]
    assert len(long_texts) > 100  # the search path, not only the short-text path, is exercised
    wrong = [t[:80] for t in texts if not _same(pattern, t)]
    assert wrong == []


def test_redact_text_is_unchanged_on_every_recorded_string(monkeypatch):
    texts = _recorded_strings() + _tricky_strings()
    fast = [redact.redact_text(t) for t in texts]
    monkeypatch.setattr(redact, "JWT_RE", redact.JWT_RE.pattern_object)
    monkeypatch.setattr(redact, "TOKEN_PATTERNS", tuple(p.pattern_object for p in redact.TOKEN_PATTERNS))
    monkeypatch.setattr(redact, "BEARER_RE", redact.BEARER_RE.pattern_object)
    monkeypatch.setattr(redact, "KEYVALUE_RE", redact.KEYVALUE_RE.pattern_object)
    plain = [redact.redact_text(t) for t in texts]
    assert [i for i, (a, b) in enumerate(zip(fast, plain)) if a != b] == []
    assert sum(a != t for a, t in zip(fast, texts)) > 100  # the rules really replaced things


def test_words_are_derived_from_the_pattern():
    assert starts_of(re.compile(r"\b(eyJ[A-Z]+)")) == (("eyJ",), 0, False)
    words, lead, nocase = starts_of(re.compile(r"(?i)[\"']?(?:password|token)\s*="))
    assert set(words) == {"passw", "token"} and lead == 1 and nocase
    assert starts_of(re.compile(r"\w+=")) is None  # no word to look for: plain re
    assert starts_of(re.compile(r"a?b?c?d?xyz")) is None  # too many optional characters before the word
    assert starts_of(re.compile(r"(?:ab|c)d")) == (("abd", "cd"), 0, False)
    assert starts_of(re.compile(r"(?:ab|)x")) is None  # an empty alternative leaves too short a word
    # A new rule needs nothing written down for it: its words come from the pattern.
    fresh = prefixed(re.compile(r"(?i)\bprivate_key\s*[:=]\s*\S+"))
    assert fresh.starts == (("priva",), 0, True)
    text = "x" * 500 + " PRIVATE_KEY = abc " + "y" * 500
    assert fresh.sub("[gone]", text) == fresh.pattern_object.sub("[gone]", text)


def test_fold_hazards_are_all_the_letters_case_folding_equates_with_ascii():
    letter = re.compile("(?i)[a-z]")
    found = {chr(c) for c in range(0x80, sys.maxunicode + 1) if letter.fullmatch(chr(c)) and not chr(c).lower().isascii()}
    assert found <= set(FOLD_HAZARDS) | {"\u212a"}
    text = ("\u017fecret=abcd1234 " * 40)
    assert redact.KEYVALUE_RE.sub(lambda m: "X", text) == redact.KEYVALUE_RE.pattern_object.sub(lambda m: "X", text)
    assert "X" in redact.KEYVALUE_RE.sub(lambda m: "X", text)  # the long s is a case-insensitive s for re


def test_lone_surrogates_and_partly_case_insensitive_patterns():
    text = "\udc80 token=abcd1234 " * 30
    assert redact.KEYVALUE_RE.sub(lambda m: "X", text) == redact.KEYVALUE_RE.pattern_object.sub(lambda m: "X", text)
    mixed = prefixed(re.compile(r"(?i:secret)=\d+"))
    for text in ("SECRET=12", "x" * 300 + " SeCrEt=99 " + "y" * 300):
        assert mixed.sub("[gone]", text) == mixed.pattern_object.sub("[gone]", text) != text


def test_non_ascii_case_insensitive_words_are_not_searched():
    # final sigma: re equates it with σ under IGNORECASE, lower() does not
    assert starts_of(re.compile(r"(?i)σημείο=\d+")) is None
    assert starts_of(re.compile(r"σημείο=\d+")) == (("σημεί",), 0, False)


def test_threads_scrubbing_different_texts_get_their_own_answers():
    import threading

    texts = ["x" * 400 + f" password=abc{n}def " + "y" * 400 for n in range(200)]
    expected = [redact.KEYVALUE_RE.pattern_object.sub(lambda m: "X", t) for t in texts]
    results: dict[int, list[str]] = {}

    def work(k):
        results[k] = [redact.KEYVALUE_RE.sub(lambda m: "X", t) for t in texts]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results.values())
