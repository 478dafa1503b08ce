"""Redaction rules on their own: stable fingerprints, structure kept, secrets gone."""

from __future__ import annotations

from wizard403 import redact

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MTcwMDAwMDAwMCwic2NvcGUiOiJyZWFkIn0."
    "Zm9vYmFyc2lnbmF0dXJlMTIzNDU2Nzg5MA"
)


def test_fingerprint_is_stable_and_short():
    assert redact.fingerprint("s3cret-token") == redact.fingerprint("s3cret-token")
    assert redact.fingerprint("s3cret-token") != redact.fingerprint("s3cret-tokeN")
    assert redact.FINGERPRINT_RE.fullmatch(redact.fingerprint("x"))


def test_authorization_keeps_scheme_and_hides_token():
    out = redact.redact_header("Authorization", f"Bearer {JWT}")
    assert out.startswith("Bearer [redacted sha256:")
    assert JWT not in out and "Zm9vYmFy" not in out


def test_cookie_names_stay_values_go():
    out = redact.redact_header("Cookie", "sessionid=abc123def456; theme=dark")
    assert "sessionid=[redacted sha256:" in out and "abc123def456" not in out
    assert "theme=" in out


def test_url_password_and_query_signature():
    url = "https://bob:hunter2pass@files.example.com/a.pdf?X-Amz-Signature=deadbeefcafe1234&X-Amz-Expires=300"
    out = redact.redact_url(url)
    assert "hunter2pass" not in out and "deadbeefcafe1234" not in out
    assert "bob:" in out and "X-Amz-Expires=300" in out and "files.example.com/a.pdf" in out


def test_free_text_jwt_keeps_claims_hides_signature():
    out = redact.redact_text(f"token was {JWT} ok")
    head, payload, _ = JWT.split(".")
    assert f"{head}.{payload}." in out
    assert "Zm9vYmFyc2lnbmF0dXJlMTIzNDU2Nzg5MA" not in out


def test_free_text_known_secrets_and_key_values():
    out = redact.redact_text('{"password": "pa55word!", "user": "bob"} ghp_abcdefghijklmnopqrstuvwxyz0123456789', {"bob-the-secret"})
    assert "pa55word!" not in out and "ghp_abcdefghijklmnopqrstuvwxyz0123456789" not in out
    assert '"user": "bob"' in out


def test_redaction_is_idempotent():
    once = redact.redact_header("Cookie", "a=verysecretvalue")
    assert redact.redact_header("Cookie", once) == once
    assert redact.redact_url(redact.redact_url("https://x/?token=abcdefgh")) == redact.redact_url("https://x/?token=abcdefgh")


def test_prose_about_credentials_stays_readable():
    text = "Send it as 'Authorization: Bearer' followed by the token; stale-session: Confirmed when a fresh session works."
    assert redact.redact_text(text) == text


# ---------------------------------------------------------------- the name lists (content/secrets.toml), one test each

import base64  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import html  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import tomllib  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import quote  # noqa: E402

import pytest  # noqa: E402

from wizard403.content import load_secret_names, shipped_content_dir  # noqa: E402
from wizard403.errors import ContentError  # noqa: E402
from wizard403.scrub import Scrubber  # noqa: E402

LISTS = tomllib.loads((shipped_content_dir() / "secrets.toml").read_text())
SECRET = "Zq8vCANARYw3x"


def spellings(name: str) -> list[str]:
    """A name as people write it: as listed, lower snake case, camelCase, upper case."""
    words = [w for w in re.split(r"[-_.\s]", name) if w]
    return [name, "_".join(w.lower() for w in words), words[0].lower() + "".join(w.title() for w in words[1:]), name.upper()]


@pytest.mark.parametrize("name", LISTS["headers"]["exact"])
def test_every_listed_header_hides_its_value_in_every_spelling(name):
    for spelled in spellings(name):
        value = f"sid={SECRET}" if spelled.lower() in ("cookie", "set-cookie") else f"Bearer {SECRET}" if "auth" in spelled.lower() else SECRET
        assert SECRET not in redact.redact_header(spelled, value), spelled
        assert SECRET in redact.secrets_of_headers([(spelled, value)]) or value in redact.secrets_of_headers([(spelled, value)])


@pytest.mark.parametrize("fragment", LISTS["headers"]["contains"])
def test_a_header_named_with_a_listed_fragment_is_secret(fragment):
    assert redact.is_secret_header(f"X-Acme-{fragment}-Value")
    assert SECRET not in redact.redact_header(f"x_acme_{fragment}", SECRET)


@pytest.mark.parametrize("name", LISTS["headers"]["not"])
def test_headers_listed_as_not_secret_stay_readable(name):
    assert not redact.is_secret_header(name)
    assert redact.redact_header(name, "true") == "true"


@pytest.mark.parametrize("name", LISTS["headers"]["urls"])
def test_url_headers_are_redacted_as_urls(name):
    value = f"https://app.example/cb?code={SECRET}&sig={SECRET}x&state=ok"
    out = redact.redact_header(name, value)
    assert SECRET not in out and "state=ok" in out and "app.example/cb" in out
    assert SECRET in redact.secrets_of_headers([(name, value)])


@pytest.mark.parametrize("name", LISTS["query"]["exact"])
def test_every_listed_query_name_hides_its_value(name):
    for spelled in spellings(name) + [f"{name}[]", f"user[{name}]"]:
        url = f"https://h.example/p?{quote(spelled, safe='[]')}={SECRET}&page=2"
        out = redact.redact_url(url)
        assert SECRET not in out and "page=2" in out, spelled
        assert SECRET in redact.secrets_of_url(url)
        # the same pair inside a log line or a page is found too
        assert SECRET not in redact.apply_rules(f'GET /p?{spelled}={SECRET} HTTP/1.1')


@pytest.mark.parametrize("fragment", LISTS["query"]["contains"])
def test_a_query_name_with_a_listed_fragment_is_secret(fragment):
    assert SECRET not in redact.redact_url(f"https://h/?my_{fragment}_v2={SECRET}")


@pytest.mark.parametrize("name", LISTS["query"]["not"] + LISTS["fields"]["not"])
def test_query_and_field_names_listed_as_not_secret_stay(name):
    assert redact.redact_url(f"https://h/?{name}=bearer7") == f"https://h/?{name}=bearer7"


@pytest.mark.parametrize("name", LISTS["fields"]["exact"])
def test_every_listed_body_field_is_found_at_any_depth_in_json_form_and_multipart(name):
    doc = json.dumps({"data": {"items": [{"user": "bob", name: SECRET}]}})
    assert SECRET in redact.secrets_of_body(doc, "application/json")
    assert SECRET in redact.secrets_of_body(f"user=bob&{quote(name)}={SECRET}", "application/x-www-form-urlencoded")
    multipart = (
        f'--XyZ\r\nContent-Disposition: form-data; name="user"\r\n\r\nbob\r\n'
        f'--XyZ\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{SECRET}\r\n--XyZ--\r\n'
    )
    assert SECRET in redact.secrets_of_body(multipart, "multipart/form-data; boundary=XyZ")
    # unregistered, a server's JSON echo of the field is still caught by the name rule
    assert SECRET not in redact.apply_rules(json.dumps({"error": "bad", name: SECRET}))


@pytest.mark.parametrize("fragment", LISTS["fields"]["contains"])
def test_a_body_field_with_a_listed_fragment_is_secret(fragment):
    assert SECRET in redact.secrets_of_json(json.dumps({f"db_{fragment}_old": SECRET}))


@pytest.mark.parametrize("path", LISTS["paths"], ids=lambda p: p["id"])
def test_every_path_pattern_hides_its_token(path):
    regex = re.compile(path["regex"])
    secret = regex.search(path["example"]).group("secret")
    assert secret not in redact.redact_url(path["example"])
    assert secret not in redact.apply_rules(f"posting to {path['example']} failed")
    assert secret in redact.secrets_of_url(path["example"])


def test_issue_names_are_all_covered():
    for header in ("X-Functions-Key", "X-Auth-Key", "DD-APPLICATION-KEY", "X-Master-Key", "X-Access-Key", "X-Auth",
                   "X-Authorization", "Authentication", "X-Goog-Iap-Jwt-Assertion", "X-Ms-Client-Principal",
                   "X-Webhook-Sig", "X-Pat", "Key", "x_api_key", "apiKey"):
        assert redact.is_secret_header(header), header
    for param in ("pin", "ticket", "hash", "hmac", "SAMLResponse", "token[]", "user[password]"):
        assert redact.is_secret_param(param), param
    for field in ("password", "passphrase", "private_key"):
        assert redact.is_secret_field(field), field
    assert not redact.is_secret_header("WWW-Authenticate") and not redact.is_secret_header("Content-Type")
    assert not redact.is_secret_field("code"), "an error code in a JSON body is evidence"


def test_user_name_alone_is_a_secret_but_names_an_account_with_a_password():
    assert "tokuser123" not in redact.redact_url("https://tokuser123@h.example/x")
    assert "tokuser123" in redact.secrets_of_url("https://tokuser123@h.example/x")
    out = redact.redact_url("https://alice:pw12345@h.example/x")
    assert out.startswith("https://alice:[redacted sha256:") and "pw12345" not in out


def test_nested_url_encoded_url_keeps_its_encoding_and_loses_its_token():
    url = "https://a.example/login?return_to=https%3A%2F%2Fb.example%2Fcb%3Faccess_token%3Dnestedtok99%26x%3D1&q=1"
    out = redact.redact_url(url)
    assert "nestedtok99" not in out and out.startswith("https://a.example/login?return_to=https%3A%2F%2Fb.example%2Fcb%3Faccess_token%3D[redacted")
    assert out.endswith("%26x%3D1&q=1")


# ---------------------------------------------------------------- one scrubber, every encoding


def test_scrubber_replaces_a_secret_in_every_form_a_server_echoes():
    secret = 'pa55 "w0rd"/<&>é'
    scrubber = Scrubber([secret])
    raw = secret.encode()
    forms = {
        "as is": secret,
        "percent": quote(secret, safe=""),
        "percent lower": re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(secret, safe="")),
        "base64": base64.b64encode(raw).decode(),
        "base64 unpadded": base64.b64encode(raw).decode().rstrip("="),
        "json": json.dumps(secret)[1:-1],
        "json ascii": json.dumps(secret, ensure_ascii=True)[1:-1],
        "html": html.escape(secret),
        "repr": repr(secret)[1:-1],
        "bytes repr": repr(raw)[2:-1],
    }
    fp = redact.fingerprint(secret)
    for kind, form in forms.items():
        out = scrubber.scrub(f"echo: <{form}> end")
        assert form not in out and fp in out, kind


def test_basic_credentials_echoed_decoded_and_encoded_are_caught():
    value = "Basic " + base64.b64encode(b"alice:s3cr3t-pass").decode()
    scrubber = Scrubber()
    scrubber.add_headers([("Authorization", value)])
    for text in ("user alice:s3cr3t-pass rejected", f"got {value[6:]}", "password s3cr3t-pass"):
        assert "s3cr3t-pass" not in scrubber.scrub(text) and value[6:] not in scrubber.scrub(text)


def test_longest_secret_wins_and_text_without_secrets_is_unchanged():
    scrubber = Scrubber(["abcd1234", "abcd1234efgh5678"])
    out = scrubber.scrub("x abcd1234efgh5678 y abcd1234 z")
    assert out == f"x {redact.fingerprint('abcd1234efgh5678')} y {redact.fingerprint('abcd1234')} z"
    plain = "GET /index.html 403 Forbidden, nothing secret here at all"
    assert scrubber.scrub(plain) == plain


def test_scrub_bytes_keeps_binary_intact_around_a_secret():
    scrubber = Scrubber(["binsecret77"])
    out = scrubber.scrub_bytes(b"\x89PNG\x00\xffbinsecret77\x00")
    assert out.startswith(b"\x89PNG\x00\xff") and b"binsecret77" not in out and out.endswith(b"\x00")


def test_server_echoes_nobody_registered_are_caught_by_the_rules():
    xml = "<Error><Code>SignatureDoesNotMatch</Code><SignatureProvided>0a1b2c3d4e5f</SignatureProvided></Error>"
    assert "0a1b2c3d4e5f" not in redact.apply_rules(xml) and "SignatureDoesNotMatch" in redact.apply_rules(xml)
    assert "hunterpass" not in redact.apply_rules('{"detail": "bad login", "password": "hunterpass"}')
    assert "csrfvalue99" not in redact.apply_rules('<input type="hidden" name="csrfmiddlewaretoken" value="csrfvalue99">')
    assert '"code": "AccessDenied"' in redact.apply_rules('{"code": "AccessDenied"}')


# ---------------------------------------------------------------- fingerprints that cannot be reversed


def _digest_of(fp: str) -> str:
    return re.fullmatch(r"\[redacted sha256:([0-9a-f]{8})\]", fp).group(1)


def test_a_pin_fingerprint_cannot_be_reversed_without_the_key(monkeypatch):
    monkeypatch.delenv("WIZARD403_FINGERPRINT_KEY", raising=False)
    pin = "4821"
    fp = redact.fingerprint(pin)
    digest = _digest_of(fp)
    guesses = [f"{i:04d}" for i in range(10000)]
    # what an attacker holding only the report can try: plain SHA-256, and HMAC under keys anyone could guess
    plain = [g for g in guesses if hashlib.sha256(g.encode()).hexdigest()[:8] == digest]
    keyed = [
        g for key in (b"", b"wizard403", b"wizard403-fingerprint", b"secret")
        for g in guesses if hmac.new(key, g.encode(), hashlib.sha256).hexdigest()[:8] == digest
    ]
    assert pin not in plain and pin not in keyed, "a guess was confirmed without the key"
    assert len(plain) + len(keyed) <= 1, "no guess is confirmed (a chance collision at most)"
    # with the key (this machine's, in the state folder) the same PIN is recognised
    assert redact.fingerprint(pin) == fp and redact.fingerprint_info()["key"] == "user"


def test_the_user_key_is_private_and_an_organisation_key_makes_reports_compare(tmp_path, monkeypatch):
    monkeypatch.delenv("WIZARD403_FINGERPRINT_KEY", raising=False)
    state = Path(tmp_path / "state")
    mine = redact.fingerprint("shared-token-1")
    key_file = state / redact.KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600 and state.stat().st_mode & 0o777 == 0o700
    monkeypatch.setenv("WIZARD403_STATE_DIR", str(tmp_path / "other-user"))
    theirs = redact.fingerprint("shared-token-1")
    assert mine != theirs, "two machines' own keys do not compare"
    monkeypatch.setenv("WIZARD403_FINGERPRINT_KEY", "acme-support-2026")
    org_here = redact.fingerprint("shared-token-1")
    monkeypatch.setenv("WIZARD403_STATE_DIR", str(tmp_path / "state"))
    assert redact.fingerprint("shared-token-1") == org_here, "an organisation key compares across machines"
    assert redact.fingerprint_info()["key"] == "organisation"


# ---------------------------------------------------------------- the content file's own checks


def _names_file(tmp_path, text: str) -> Path:
    overlay = tmp_path / "overlay"
    overlay.mkdir(exist_ok=True)
    (overlay / "secrets.toml").write_text(text)
    return overlay


@pytest.mark.parametrize(
    "text, message",
    [
        ('[headers]\nexact = "X-Foo"\n', r"secrets.toml: \[headers\].exact must be an array of strings"),
        ("[headers]\nfoo = []\n", r"\[headers\].foo is not a known key"),
        ("[[paths]]\nid = 'x'\nregex = '('\nexample = 'a'\n", r"paths\[1\].regex is not a valid regular expression"),
        ("[[paths]]\nid = 'x'\nregex = 'a+'\nexample = 'a'\n", r"paths\[1\].regex must mark the secret with a group named secret"),
        ("[[paths]]\nid = 'x'\nregex = '(?P<secret>b+)'\nexample = 'a'\n", r"paths\[1\].example is not matched by the regex"),
        ("[[paths]]\nid = 'slack-webhook'\nregex = '(?P<secret>a)'\nexample = 'a'\n", r'paths\[1\].id "slack-webhook" is used by more than one'),
        ("[query]\nexact = ['--']\n", r"\[query\].exact\[1\] must hold a letter or digit"),
    ],
)
def test_a_broken_overlay_names_the_file_and_key(tmp_path, text, message):
    with pytest.raises(ContentError, match=message):
        load_secret_names(_names_file(tmp_path, text))


def test_an_overlay_adds_names_and_never_removes_any(tmp_path):
    overlay = _names_file(tmp_path, '[headers]\nexact = ["X-Acme-Badge"]\n[query]\nexact = ["acme_sso"]\n')
    try:
        names = redact.use_secret_names(overlay)
        assert len(names.files) == 2
        assert redact.is_secret_header("x_acme_badge") and redact.is_secret_param("acmeSso")
        assert redact.is_secret_header("Authorization"), "shipped names stay"
        assert "badge77x" not in redact.redact_header("X-Acme-Badge", "badge77x")
    finally:
        redact.use_secret_names(None)
    assert not redact.is_secret_header("X-Acme-Badge")


# ---------------------------------------------------------------- errors never echo input


@pytest.mark.parametrize(
    "call",
    [
        lambda: __import__("wizard403.cli", fromlist=["x"]).validate_url("http://alice:PWcanary9@host:99999/"),
        lambda: __import__("wizard403.cli", fromlist=["x"]).validate_url("http://alice:PWcanary9@ho st/"),
        lambda: __import__("wizard403.cli", fromlist=["x"]).validate_url("alice:PWcanary9@host/"),
        lambda: __import__("wizard403.cli", fromlist=["x"]).parse_header("Authorization Bearer PWcanary9"),
        lambda: __import__("wizard403.cli", fromlist=["x"]).parse_header("X-Api-Key PWcanary9"),
    ],
)
def test_input_error_sentences_show_the_input_redacted(call):
    from wizard403.errors import InputError

    with pytest.raises(InputError) as caught:
        call()
    assert "PWcanary9" not in str(caught.value) and "[redacted sha256:" in str(caught.value)


def test_a_cookie_that_holds_only_a_web_address_is_no_secret_but_a_capability_link_is():
    from wizard403.redact import inert_cookie_value, secrets_of_headers

    assert inert_cookie_value("http%3A%2F%2Fwww.cnn.com") and inert_cookie_value("https://shop.example.com/en/cart/")
    for value in ("https://x.example/s/a1b2c3d4e5", "https://x.example/reset?token=abc", "https://u:pw@x.example/",
                  "https://x.example/#access_token=abc", "sessid-8f3a9c", "12345678"):
        assert not inert_cookie_value(value), value
    found = secrets_of_headers([("Cookie", "edition=http%3A%2F%2Fwww.cnn.com; sid=8f3a9c27d1e4")])
    assert "8f3a9c27d1e4" in found and "http%3A%2F%2Fwww.cnn.com" not in found


def test_a_google_access_token_is_redacted_wherever_it_sits():
    from wizard403.redact import apply_rules

    token = "ya29.a0AfH6SMBq3kD9xYzT7wVbNcM2pLq8rS1tUvWx"
    for text in (f"403 Client Error: Forbidden for url: https://x.test/u/{token}/files",
                 f"the token was {token}, sent as is", f'{{"access":"{token}"}}'):
        assert token not in apply_rules(text) and "ya29.a0Af" not in apply_rules(text)
