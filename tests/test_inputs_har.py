"""HAR import: real browser exports, recordings with refused requests inside, and every kind of bad file."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

import wizard403.inputs.harfile as harfile
from wizard403.errors import InputError
from wizard403.inputs.har import DEFAULT_MAX_HAR_BYTES, MAX_HAR_ENV, HarArchive, open_har

FIXTURES = Path(__file__).parent / "fixtures" / "har"
REAL = Path(__file__).parent / "fixtures" / "real-har"
LOGIN = FIXTURES / "chrome-login-403.har"
VENDORS = FIXTURES / "firefox-vendors.har"
SAFARI = FIXTURES / "safari-basic-auth.har"


@pytest.mark.parametrize("name, count", [("cnn-chrome.har", 292), ("cnn-firefox.har", 145), ("humanssuck.net.har", 4)])
def test_real_exports_import_completely(name, count):
    path = REAL / name
    if not path.exists():
        pytest.fail(f"the real HAR exports are missing: {path}")
    archive = open_har(path)
    raw_count = len(json.loads(path.read_text())["log"]["entries"])
    assert len(archive.entries) == raw_count == count
    assert archive.refused_entries() == [] and archive.first_refused() is None
    assert [e.index for e in archive.ordered()] == list(range(1, count + 1))
    for entry in archive.entries:
        exchange = archive.exchange(entry.index)
        assert exchange.check == "recorded" and exchange.url == entry.url
        assert archive.target(entry.index).source == "har"
        archive.related(entry.index)


def test_chrome_redirects_and_joined_set_cookie_headers_are_understood():
    archive = open_har(REAL / "cnn-chrome.har")
    exchange = archive.exchange(2)  # cnn.com -> www.cnn.com -> …
    assert exchange.redirects == ["http://cnn.com/"]
    first = archive.exchange(1)
    assert first.response_headers.get_all("set-cookie") == [
        "countryCode=BG; Domain=.cnn.com; Path=/",
        "geoData=plovdiv|16|4000|BG|EU; Domain=.cnn.com; Path=/",
    ]
    assert first.at.isoformat() == "2017-11-13T12:03:02.550000+00:00"


def test_refused_entries_come_first_with_their_reason():
    archive = open_har(VENDORS)
    refused = archive.refused_entries()
    assert [(e.index, e.status) for e in refused] == [(2, 403), (3, 403), (4, 403), (5, 403), (6, 200), (7, 202)]
    assert "Incapsula" in refused[4].reason and "x-amzn-waf-action" in refused[5].reason
    assert refused[0].reason == "status 403"
    ordered = archive.ordered()
    assert [e.index for e in ordered] == [2, 3, 4, 5, 6, 7, 1, 8, 9]
    assert archive.first_refused().index == 2


def test_vendor_bodies_are_available_for_the_diagnosis():
    archive = open_har(VENDORS)
    cloudflare = archive.exchange(2)
    assert cloudflare.status == 403 and cloudflare.reason == "Forbidden"
    assert "Sorry, you have been blocked" in cloudflare.text
    assert cloudflare.response_headers.get("cf-ray") == "8a1b2c3d4e5f6789-FRA"
    assert archive.exchange(3).response_headers.get("cf-mitigated") == "challenge"
    s3 = archive.exchange(4)
    assert "<Code>AccessDenied</Code>" in s3.text and s3.content_type == "application/xml"
    github = archive.exchange(5)
    assert github.response_headers.get("x-ratelimit-remaining") == "0"
    assert github.at.isoformat() == "2024-06-01T06:02:00+00:00"  # +02:00 in the file, UTC here


def test_truncated_and_base64_bodies():
    vendors = open_har(VENDORS)
    assert vendors.exchange(9).body_truncated  # 500,000 bytes declared, a few recorded
    assert not vendors.exchange(8).body_truncated
    login = open_har(LOGIN)
    page = login.exchange(6)
    assert page.body.startswith(b"<html><title>403 Forbidden</title>") and not page.body_truncated
    logo = login.exchange(8)
    assert logo.body.startswith(b"\x89PNG\r\n\x1a\n")


def test_target_is_the_request_as_the_browser_sent_it():
    archive = open_har(LOGIN)
    target = archive.target(6)
    assert (target.method, target.url, target.source) == ("GET", "https://app.example.test/reports/42", "har")
    assert not any(name.startswith(":") for name, _ in target.headers)  # HTTP/2 pseudo-headers dropped
    assert target.cookies == {"session": "s%3Aold-7f3a9c1e55b24d0e8a1f", "theme": "dark"}
    assert target.browser_user_agent.startswith("Mozilla/5.0 (X11; Linux x86_64)")
    assert "HAR entry 6 of 8" in target.notes[0]
    post = archive.target(5)
    assert post.method == "POST" and b"password=hunter2-Correct-Horse" in post.body


def test_cookies_array_is_used_when_the_headers_have_none(tmp_path):
    doc = json.loads(SAFARI.read_text())
    doc["log"]["entries"][1]["request"]["cookies"] = [{"name": "sid", "value": "v1"}, {"name": "lang", "value": "fr"}]
    path = tmp_path / "cookies.har"
    path.write_text(json.dumps(doc))
    assert open_har(path).target(2).headers.get("cookie") == "sid=v1; lang=fr"


def test_related_finds_the_login_redirect_the_missing_cookie_and_the_earlier_success():
    archive = open_har(LOGIN)
    sentences = archive.related(6)
    text = "\n".join(sentences)
    assert "Entry 3" in text and "sign-in page" in text  # the redirect to /login before it
    assert "csrftoken" in text and "did not send it" in text  # set by entry 4, never sent
    assert "cookie session with a different value from the one entry 5 set" in text  # an old session cookie
    assert "Entry 1 got 200 for the same URL" in text
    assert "Entry 5" in text and "redirected to this URL" in text
    for secret in ("s%3Aold-7f3a9c1e55b24d0e8a1f", "s%3Anew-2b8e4f6a90c1d3e5f7a9", "csrf-Q2hyb21lRGV2VG9vbHNGaXh0dXJl"):
        assert secret not in text  # sentences name cookies, never their values


def test_related_is_quiet_when_nothing_happened_before():
    archive = open_har(VENDORS)
    assert archive.related(2) == []
    # A deleted cookie (Max-Age=0 in entry 5's response) is not reported as missing.
    assert not any("messages" in s for s in open_har(LOGIN).related(6))


def test_sparse_safari_export():
    archive = open_har(SAFARI)
    assert archive.creator == "WebKit Web Inspector 1.0"
    assert [e.status for e in archive.refused_entries()] == [401, 403]
    exchange = archive.exchange(3)  # no statusText, no headers, no body, no time
    assert exchange.status == 200 and exchange.reason == "" and exchange.body == b""
    assert archive.target(2).headers.get("authorization", "").startswith("Basic ")


def test_unknown_entry_number():
    archive = open_har(SAFARI)
    with pytest.raises(InputError, match="has no entry 9; its entries are numbered 1 to 3"):
        archive.exchange(9)


def test_entries_without_a_url_are_skipped_but_keep_numbering(tmp_path):
    doc = json.loads(SAFARI.read_text())
    doc["log"]["entries"].insert(0, {"request": {"method": "GET"}, "response": {"status": 200}})
    doc["log"]["entries"].insert(0, "not an entry")
    path = tmp_path / "odd.har"
    path.write_text(json.dumps(doc))
    archive = open_har(path)
    assert [e.index for e in archive.entries] == [3, 4, 5]
    assert archive.warnings and "2 entries" in archive.warnings[0]


def test_status_as_text_and_odd_types_do_not_crash(tmp_path):
    doc = {"log": {"entries": [{"request": {"url": "https://h.test/", "headers": "oops"},
                                "response": {"status": "403", "headers": [None, {"name": "X"}], "content": []},
                                "startedDateTime": "yesterday", "time": "slow"}]}}  # fmt: skip
    path = tmp_path / "odd.har"
    path.write_text(json.dumps(doc))
    archive = open_har(path)
    assert archive.first_refused().status == 403
    exchange = archive.exchange(1)
    assert exchange.status == 403 and exchange.elapsed_ms == 0


def _error(path: Path, **kwargs) -> str:
    with pytest.raises(InputError) as caught:
        open_har(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and message.endswith(".")
    return message


def test_truncated_json(tmp_path):
    path = tmp_path / "capture.har"
    path.write_bytes((REAL / "cnn-firefox.har").read_bytes()[:100_000])
    assert "capture.har is not a complete HAR file" in _error(path)


def test_broken_json_in_the_middle(tmp_path):
    path = tmp_path / "capture.har"
    path.write_text('{"log": {"entries": [ {"request": } ]}}')
    assert "its JSON is broken at line 1" in _error(path)


@pytest.mark.parametrize(
    "content, words",
    [
        ('{"foo": 1}', "evidence.har is not a HAR file: it has no log.entries list."),
        ('{"log": {"entries": {}}}', "it has no log.entries list"),
        ('[{"log": 1}]', "it holds a JSON list"),
        ("hello, this is text", "text that is not JSON"),
        ('{"log": {"version": "1.2", "entries": []}}', "evidence.har holds no requests"),
        ('{"log": {"entries": [1, 2]}}', "none of its entries is a request"),
    ],
)
def test_not_a_har(tmp_path, content, words):
    path = tmp_path / "evidence.har"
    path.write_text(content)
    assert words in _error(path)


def test_binary_gzip_zip_empty_missing_and_directory(tmp_path):
    binary = tmp_path / "blob.har"
    binary.write_bytes(os.urandom(64) + b"\x00" * 64)
    assert "binary data" in _error(binary)
    zipped = tmp_path / "capture.har.gz"
    zipped.write_bytes(gzip.compress(LOGIN.read_bytes()))
    assert "gzip-compressed" in _error(zipped)
    archive = tmp_path / "capture.zip"
    archive.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    assert "zip archive" in _error(archive)
    empty = tmp_path / "empty.har"
    empty.write_bytes(b"")
    assert "empty.har is empty" in _error(empty)
    assert "does not exist" in _error(tmp_path / "nope.har")
    assert "is a directory" in _error(tmp_path)


def test_latin1_file_is_refused_with_a_sentence(tmp_path):
    path = tmp_path / "latin.har"
    path.write_bytes('{"log": {"entries": [], "comment": "café"}}'.encode("latin-1"))
    assert "not UTF-8 text" in _error(path)


def test_utf8_bom_and_utf16_files_are_read(tmp_path):
    text = SAFARI.read_text()
    bom = tmp_path / "bom.har"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert len(open_har(bom)) == 3
    wide = tmp_path / "wide.har"
    wide.write_bytes(text.encode("utf-16"))
    assert len(open_har(wide)) == 3


def _sparse(tmp_path, megabytes: int) -> Path:
    sparse = tmp_path / "capture.har"
    with open(sparse, "wb") as fh:
        fh.truncate(megabytes * 1024 * 1024)  # sparse: big on paper, nothing on disk
    return sparse


def _no_reading(monkeypatch):
    def no_reading(*args, **kwargs):
        raise AssertionError("the file was opened although it is over the limit")

    monkeypatch.setattr(harfile, "open", no_reading, raising=False)


def test_size_limit_follows_the_memory_available_and_is_checked_before_reading(tmp_path, monkeypatch):
    sparse = _sparse(tmp_path, 700)
    monkeypatch.setattr(harfile, "available_memory", lambda: 768 * 1024 * 1024)
    _no_reading(monkeypatch)
    message = _error(sparse)
    assert message == (
        "capture.har is 700 MB; reading it needs about 1.0 GB of memory and 768 MB is available: "
        "free some memory, or set WIZARD403_MAX_HAR_MB to try anyway."
    )
    # With memory to spare the same file is read (and found not to be JSON).
    monkeypatch.undo()
    monkeypatch.setattr(harfile, "available_memory", lambda: 4 * 1024**3)
    assert "binary data" in _error(sparse)


def test_size_limit_without_memory_figures_is_512_mb(tmp_path, monkeypatch):
    sparse = _sparse(tmp_path, 700)
    monkeypatch.setattr(harfile, "available_memory", lambda: None)
    _no_reading(monkeypatch)
    message = _error(sparse)
    assert message == "capture.har is 700 MB, over the 512 MB limit; set WIZARD403_MAX_HAR_MB to raise it."


def test_size_limit_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(MAX_HAR_ENV, "0.001")
    assert "over the 1 KB limit" in _error(LOGIN)
    monkeypatch.setenv(MAX_HAR_ENV, "1")
    assert len(open_har(LOGIN)) == 8
    monkeypatch.setenv(MAX_HAR_ENV, "lots")
    assert "WIZARD403_MAX_HAR_MB must be a positive number" in _error(LOGIN)
    # An explicit limit from the caller wins over the environment.
    monkeypatch.setenv(MAX_HAR_ENV, "0.001")
    assert len(open_har(LOGIN, max_bytes=DEFAULT_MAX_HAR_BYTES - 1)) == 8


def test_archive_from_an_in_memory_document():
    doc = json.loads(LOGIN.read_text())
    archive = HarArchive(doc, name="pasted.har")
    assert archive.first_refused().index == 6


def test_a_recording_without_any_credentials_is_flagged_as_possibly_sanitised(tmp_path):
    doc = json.loads(VENDORS.read_text())
    for entry in doc["log"]["entries"]:
        entry["request"]["headers"] = [h for h in entry["request"]["headers"] if h["name"].lower() != "authorization"]
    path = tmp_path / "stripped.har"
    path.write_text(json.dumps(doc))
    assert any("sanitised HAR" in note for note in open_har(path).target(2).notes)
    assert not any("sanitised HAR" in note for note in open_har(VENDORS).target(2).notes)
