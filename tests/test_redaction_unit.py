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
