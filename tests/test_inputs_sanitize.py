"""sanitize_har: the shareable copy keeps the evidence and loses every secret."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from wizard403.errors import InputError
from wizard403.inputs.har import open_har
from wizard403.inputs.sanitize import sanitize_har
from wizard403.redact import fingerprint, inert_cookie_value, redact_header

FIXTURES = Path(__file__).parent / "fixtures" / "har"
REAL = Path(__file__).parent / "fixtures" / "real-har"

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsInNjb3BlIjoicmVwb3J0czpyZWFkIiwiZXhwIjoxNzAwMDAwMDAwfQ"
    ".Zm9yZ2VkLXNpZ25hdHVyZS1ub3QtYS1yZWFsLW9uZQ"
)
JWT_SIGNATURE = "Zm9yZ2VkLXNpZ25hdHVyZS1ub3QtYS1yZWFsLW9uZQ"
LOGIN_SECRETS = {
    "old session cookie": "s%3Aold-7f3a9c1e55b24d0e8a1f",
    "new session cookie": "s%3Anew-2b8e4f6a90c1d3e5f7a9",
    "csrf token": "csrf-Q2hyb21lRGV2VG9vbHNGaXh0dXJl",
    "password": "hunter2-Correct-Horse",
    "jwt signature": JWT_SIGNATURE,
}
VENDOR_SECRETS = {
    "s3 signature": "9f2c4b7a1e0d3c6b5a49f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3",
    "s3 credential": "AKIAIOSFODNN7EXAMPLE",
    "github token": "4f1c9e2b7a8d3f6e0c5b1a9d8e7f6c5b4a3d2e1f",
    "api key": "ak_live_51HxFAKEKEYvalue0000",
}
BASIC = base64.b64encode(b"bob:Sup3rS3cret!").decode()


def _all_text(path: Path) -> str:
    """The copy as text, with base64 bodies decoded too: a secret must not hide in either."""
    text = path.read_text(encoding="utf-8")
    decoded = []
    for entry in json.loads(text)["log"]["entries"]:
        content = entry.get("response", {}).get("content", {})
        if content.get("encoding") == "base64":
            decoded.append(base64.b64decode(content["text"]).decode("utf-8", "replace"))
    return text + "\n".join(decoded)


@pytest.mark.parametrize(
    "name, secrets",
    [("chrome-login-403.har", LOGIN_SECRETS), ("firefox-vendors.har", VENDOR_SECRETS),
     ("safari-basic-auth.har", {"basic credentials": BASIC})],
)  # fmt: skip
def test_no_secret_survives(tmp_path, name, secrets):
    src = FIXTURES / name
    original = src.read_text()
    assert all(secret in original for secret in secrets.values())  # the fixture really holds them
    dst = tmp_path / f"shared-{name}"
    sanitize_har(src, dst)
    copy = _all_text(dst)
    leaked = [label for label, secret in secrets.items() if secret in copy]
    assert leaked == []


def test_copy_is_still_a_har_with_the_same_evidence(tmp_path):
    dst = tmp_path / "shared.har"
    report = sanitize_har(FIXTURES / "chrome-login-403.har", dst)
    assert report.entries == 8
    json.loads(dst.read_text())  # plain JSON
    before, after = open_har(FIXTURES / "chrome-login-403.har"), open_har(dst)
    assert [(e.index, e.status, e.refused) for e in after.entries] == [
        (e.index, e.status, e.refused) for e in before.entries
    ]
    page = after.exchange(6)
    assert "You do not have access to report 42." in page.text and not page.body_truncated
    assert after.exchange(8).body == before.exchange(8).body  # the image is untouched
    # The analysis around the refused request still works on the copy.
    related = "\n".join(after.related(6))
    assert "sign-in page" in related and "did not send it" in related


def test_fingerprints_match_the_reports(tmp_path):
    dst = tmp_path / "shared.har"
    sanitize_har(FIXTURES / "chrome-login-403.har", dst)
    text = dst.read_text()
    # The Authorization header reads exactly as a report would show it.
    assert redact_header("authorization", f"Bearer {JWT}") in text
    # A cookie value is the same fingerprint wherever it appears: header, cookies array, echoed in a page.
    session = fingerprint(LOGIN_SECRETS["old session cookie"])
    assert text.count(session) >= 3
    csrf = fingerprint(LOGIN_SECRETS["csrf token"])
    entries = json.loads(text)["log"]["entries"]
    login_page = entries[3]["response"]["content"]["text"]
    assert csrf in login_page and "csrfmiddlewaretoken" in login_page
    # The bearer token echoed in a body gets the same fingerprint as in the header.
    body = json.loads(entries[6]["response"]["content"]["text"])
    assert body["debug_token"] == fingerprint(JWT)


def test_a_jwt_seen_only_in_a_body_keeps_its_claims(tmp_path):
    other = JWT.rsplit(".", 1)[0] + ".c2Vjb25kLWZha2Utc2lnbmF0dXJlLWZvci10ZXN0cw"
    doc = json.loads((FIXTURES / "safari-basic-auth.har").read_text())
    doc["log"]["entries"][2]["response"]["content"]["text"] = f'<meta name="id" content="{other}">'
    src = tmp_path / "jwt.har"
    src.write_text(json.dumps(doc))
    sanitize_har(src, tmp_path / "out.har")
    page = open_har(tmp_path / "out.har").exchange(3).text
    assert "c2Vjb25kLWZha2Utc2lnbmF0dXJlLWZvci10ZXN0cw" not in page
    assert JWT.rsplit(".", 1)[0] + ".[redacted sha256:" in page  # claims readable, signature gone


def test_query_strings_forms_and_cookie_arrays(tmp_path):
    dst = tmp_path / "shared.har"
    report = sanitize_har(FIXTURES / "chrome-login-403.har", dst)
    entries = json.loads(dst.read_text())["log"]["entries"]
    post = entries[4]["request"]["postData"]
    assert "username=alice" in post["text"]
    params = {p["name"]: p["value"] for p in post["params"]}
    assert params["username"] == "alice" and params["password"] == fingerprint(LOGIN_SECRETS["password"])
    assert entries[4]["response"]["cookies"][0]["value"] == fingerprint(LOGIN_SECRETS["new session cookie"])
    assert report.headers and report.cookies and report.post_data and report.bodies
    vendors = tmp_path / "vendors.har"
    report = sanitize_har(FIXTURES / "firefox-vendors.har", vendors)
    s3 = json.loads(vendors.read_text())["log"]["entries"][3]["request"]
    query = {q["name"]: q["value"] for q in s3["queryString"]}
    assert query["X-Amz-Expires"] == "60" and query["X-Amz-Signature"].startswith("[redacted sha256:")
    assert "X-Amz-Date=20240101T000000Z" in s3["url"]
    assert report.query_params >= 2 and report.urls >= 1
    assert report.summary().startswith("Redacted in 9 entries:") and str(report) == report.summary()


def test_real_exports_lose_their_cookies(tmp_path):
    for name in ("cnn-chrome.har", "cnn-firefox.har"):
        src = REAL / name
        doc = json.loads(src.read_text())
        values = set()
        for entry in doc["log"]["entries"]:
            for header in entry["request"]["headers"]:
                if header["name"].lower() == "cookie":
                    values |= {p.split("=", 1)[1] for p in header["value"].split("; ") if "=" in p}
            values |= {c["value"] for c in entry["request"].get("cookies", [])}
        # a cookie whose value is only the site's own address is no credential: that address stays readable
        addresses = {v for v in values if inert_cookie_value(v)}
        values = {v for v in values if len(v) >= 12} - addresses
        assert len(values) > 5
        dst = tmp_path / name
        sanitize_har(src, dst)
        text = dst.read_text()
        assert [v for v in values if v in text] == []
        assert all(unquote(v) in text or v in text for v in addresses)
        assert len(open_har(dst)) == len(doc["log"]["entries"])


def test_bad_input_and_same_file(tmp_path):
    bad = tmp_path / "bad.har"
    bad.write_text('{"log": {}}')
    with pytest.raises(InputError, match="bad.har is not a HAR file: it has no log.entries list."):
        sanitize_har(bad, tmp_path / "out.har")
    assert not (tmp_path / "out.har").exists()
    same = tmp_path / "same.har"
    same.write_bytes((FIXTURES / "safari-basic-auth.har").read_bytes())
    with pytest.raises(InputError, match="different file"):
        sanitize_har(same, same)
    with pytest.raises(InputError, match="cannot write"):
        sanitize_har(same, tmp_path / "no-such-dir" / "out.har")


def test_the_copy_is_streamed_entry_by_entry_in_json_dump_layout(tmp_path, monkeypatch):
    import wizard403.inputs.sanitize as sanitize_module

    def whole_document(*args, **kwargs):
        raise AssertionError("the whole copy was built in memory")

    monkeypatch.setattr(sanitize_module.json, "dump", whole_document)
    src = REAL / "cnn-chrome.har"
    small = tmp_path / "small.har"
    report = sanitize_har(src, small)
    text = small.read_text(encoding="utf-8")
    doc = json.loads(text)
    # Below 20 MB: indented exactly as json.dump(indent=2) would lay the whole document out.
    assert text == json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    assert report.entries == len(doc["log"]["entries"]) == 292
    assert list(doc["log"]) == list(json.loads(src.read_text())["log"])  # members in their original order
    # Above it (here: forced), compact, with the same content.
    monkeypatch.setattr(sanitize_module, "_INDENT_LIMIT", 0)
    compact = tmp_path / "compact.har"
    sanitize_har(src, compact)
    assert "\n" not in compact.read_text(encoding="utf-8").rstrip("\n")
    assert json.loads(compact.read_text(encoding="utf-8")) == doc


def test_other_members_of_the_document_and_log_are_kept_in_order(tmp_path):
    doc = json.loads((FIXTURES / "safari-basic-auth.har").read_text())
    doc = {"comment": "top", "log": {"entries": doc["log"]["entries"], "pages": [{"title": f"Bearer {JWT}"}],
                                     "version": "1.2"}, "_extra": [1, 2.5, None, True]}  # fmt: skip
    src = tmp_path / "odd.har"
    src.write_text(json.dumps(doc))
    sanitize_har(src, tmp_path / "out.har")
    out = json.loads((tmp_path / "out.har").read_text())
    assert list(out) == ["comment", "log", "_extra"] and out["_extra"] == [1, 2.5, None, True]
    assert list(out["log"]) == ["entries", "pages", "version"]
    assert JWT_SIGNATURE not in out["log"]["pages"][0]["title"]


def test_repeated_header_and_cookie_lists_are_redacted_in_every_entry(tmp_path):
    """Entries repeat whole header and cookie lists (remembered once per copy): each entry's copy is redacted and
    counted, a list differing in one value is read again, and a value first seen in a repeated list is still
    hunted for in the bodies."""
    first_cookie, second_cookie = "sess-1f2e3d4c5b6a7988", "sess-99aa88bb77cc66dd"

    def entry(cookie: str, body: str) -> dict:
        headers = [{"name": "Cookie", "value": f"sid={cookie}"}, {"name": "Accept", "value": "text/html"}]
        return {
            "startedDateTime": "2024-01-01T00:00:00Z", "time": 1,
            "request": {"method": "GET", "url": "https://example.com/", "httpVersion": "HTTP/1.1", "headers": headers,
                        "cookies": [{"name": "sid", "value": cookie}], "queryString": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [], "cookies": [],
                         "content": {"size": len(body), "mimeType": "text/html", "text": body},
                         "redirectURL": "", "headersSize": -1, "bodySize": -1},
            "timings": {"send": 0, "wait": 1, "receive": 0},
        }  # fmt: skip

    entries = [entry(first_cookie, "<p>hello</p>"), entry(first_cookie, f"<p>echo {second_cookie}</p>"),
               entry(first_cookie, "<p>again</p>"), entry(second_cookie, f"<p>echo {first_cookie}</p>")]  # fmt: skip
    src = tmp_path / "repeated.har"
    src.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": entries}}))
    dst = tmp_path / "shared.har"
    report = sanitize_har(src, dst)
    copy = json.loads(dst.read_text())["log"]["entries"]
    for got, cookie in zip(copy, (first_cookie, first_cookie, first_cookie, second_cookie)):
        assert got["request"]["headers"][0]["value"] == f"sid={fingerprint(cookie)}"
        assert got["request"]["headers"][1]["value"] == "text/html"
    assert copy[1]["response"]["content"]["text"] == f"<p>echo {fingerprint(second_cookie)}</p>"
    assert copy[3]["response"]["content"]["text"] == f"<p>echo {fingerprint(first_cookie)}</p>"
    assert report.headers == 4 and report.cookies == 4 and report.bodies == 2
    assert first_cookie not in dst.read_text() and second_cookie not in dst.read_text()
