"""`sanitize` writes, byte for byte, what it wrote before it was made fast (issue 14).

The digests below are of the copies written by the implementation before the fast path (commit 88a37c0), with the
fingerprint key fixed, on the real browser exports and on planted.har (secrets in every place a HAR holds them,
echoed in long bodies beside the shapes the rules are most particular about: separators inside names, escaped
JSON, names a rule must not see because another match swallows them, non-ASCII text, characters that only
case-insensitively match ASCII letters). Indented copies (small files) and compact ones (files over 20 MB) both.
A change to what sanitize redacts shows here as a changed digest: that change must be deliberate, and the digest
regenerated with the reason in the commit. Regenerated once since: the CNN exports' cookie whose value is the site's
own address (http%3A%2F%2Fwww.cnn.com) is no longer hunted elsewhere (redact.inert_cookie_value), so that address
stays readable in Referer headers, URLs and bodies; old and new copies differ only where that one fingerprint stood.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from wizard403.inputs import sanitize as sanitize_module
from wizard403.inputs.sanitize import sanitize_har

FIXTURES = Path(__file__).parent / "fixtures"
SOURCES = {
    "cnn-chrome.har": FIXTURES / "real-har" / "cnn-chrome.har",
    "cnn-firefox.har": FIXTURES / "real-har" / "cnn-firefox.har",
    "humanssuck.net.har": FIXTURES / "real-har" / "humanssuck.net.har",
    "planted.har": FIXTURES / "planted" / "planted.har",
}
# (file, layout): (sha256 of the copy, distinct secrets hunted, the report's sentence)
GOLDEN = {
    ("cnn-chrome.har", "indent"): ("3e03b083d6895b1e6937e8610a46a5f3d7b5e0a6f111c78465784e070d51beb8", 217, "Redacted in 292 entries: 330 header values, 0 cookies, 59 query parameters, 0 form or body fields, 72 URLs, 0 response bodies, 3 other fields."),
    ("cnn-chrome.har", "compact"): ("bfd16a16acfca549a5864ad44c55a4d2b836a3bb963e86f7a454f9a3be8edb84", 217, "Redacted in 292 entries: 330 header values, 0 cookies, 59 query parameters, 0 form or body fields, 72 URLs, 0 response bodies, 3 other fields."),
    ("cnn-firefox.har", "indent"): ("ebfc45de18ef6a63137e86405c3151b8fc11630ab2817d62df1f61f8f455cf53", 56, "Redacted in 145 entries: 59 header values, 213 cookies, 11 query parameters, 0 form or body fields, 8 URLs, 3 response bodies."),
    ("cnn-firefox.har", "compact"): ("6c95ad1d8a8d8fe7ef5db198da8437c0afa188fa2cdbe2ce3db8db1019fb094d", 56, "Redacted in 145 entries: 59 header values, 213 cookies, 11 query parameters, 0 form or body fields, 8 URLs, 3 response bodies."),
    ("humanssuck.net.har", "indent"): ("6299723157c85e08b7b1ad7a6251a7212fd68b53830a66be57d5c059712e3701", 0, "Redacted in 4 entries: 0 header values, 0 cookies, 0 query parameters, 0 form or body fields, 0 URLs, 0 response bodies."),
    ("humanssuck.net.har", "compact"): ("8d6ca2dcee24d9b08d5816ad75c0e9822e53ee41d8b6315859e95664fde9e9a4", 0, "Redacted in 4 entries: 0 header values, 0 cookies, 0 query parameters, 0 form or body fields, 0 URLs, 0 response bodies."),
    ("planted.har", "indent"): ("5d98fa8f6301e9a0dfb68e76cb2598ae53e3d4f6d7204cf03b4fd9ff003ab9d5", 37, "Redacted in 24 entries: 144 header values, 72 cookies, 48 query parameters, 32 form or body fields, 48 URLs, 21 response bodies, 46 other fields."),
    ("planted.har", "compact"): ("477253ec61a6cc6709c0431cf604aca1b7def302c662b2722f3ef4bdda9e25cb", 37, "Redacted in 24 entries: 144 header values, 72 cookies, 48 query parameters, 32 form or body fields, 48 URLs, 21 response bodies, 46 other fields."),
}


def _golden_copy(src: Path, tmp_path: Path, monkeypatch, layout: str):
    """(report, sha256 of the copy) of a sanitize with the fixed key, indented or compact."""
    monkeypatch.setenv("WIZARD403_FINGERPRINT_KEY", "golden-key")
    if layout == "compact":
        monkeypatch.setattr(sanitize_module, "_INDENT_LIMIT", 0)
    dst = tmp_path / "shared.har"
    report = sanitize_har(src, dst)
    return report, hashlib.sha256(dst.read_bytes()).hexdigest()


@pytest.mark.parametrize("name, layout", sorted(GOLDEN))
def test_sanitized_copy_is_what_it_always_was(tmp_path, monkeypatch, name, layout):
    report, digest = _golden_copy(SOURCES[name], tmp_path, monkeypatch, layout)
    expected_digest, secrets, summary = GOLDEN[(name, layout)]
    assert (report.summary(), report.secrets) == (summary, secrets)
    assert digest == expected_digest


# big_har() of tests/fixtures/planted/make_planted.py: 300 entries of real page text (4.5 MB) with the tricky shapes
# and secrets written beside rule words (`api_<token>key=...`, `<token>=1`, `pass<cookie>word: ...`), so that
# replacing a registered secret makes or breaks what a rule sees next to it. Digests of the copies written by the
# implementation at commit 1e154d2 (before issue 14's second round of speed-ups), key fixed.
BIG_GOLDEN = {
    "indent": "78e1109db7afc366eaa37b12d8819966d331d6a027fa91139b20de50c2a1004d",
    "compact": "3d8e52f8457919294691764e2a25860c0e45509f249dd1554cf772e1082d515a",
}
BIG_SUMMARY = ("Redacted in 300 entries: 1200 header values, 300 cookies, 300 query parameters, 75 form or body fields, "
               "300 URLs, 284 response bodies.")  # fmt: skip


@pytest.fixture(scope="module")
def big_planted(tmp_path_factory) -> Path:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_planted", FIXTURES / "planted" / "make_planted.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path_factory.mktemp("big") / "big-planted.har"
    module.big_har(path)
    return path


@pytest.mark.parametrize("layout", sorted(BIG_GOLDEN))
def test_bigger_planted_copy_is_what_it_always_was(big_planted, tmp_path, monkeypatch, layout):
    report, digest = _golden_copy(big_planted, tmp_path, monkeypatch, layout)
    assert (report.summary(), report.secrets) == (BIG_SUMMARY, 54)
    assert digest == BIG_GOLDEN[layout]
