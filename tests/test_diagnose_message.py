"""The message extractor reads what a person reads on a refusal, in every body format, and survives hostile bodies."""

from __future__ import annotations

import time

import pytest

from wizard403.diagnose.message import extract_message, extract_text, split_code
from wizard403.model import Exchange


@pytest.mark.parametrize("code, words", [
    ("ACCESS_TOKEN_SCOPE_INSUFFICIENT", "access token scope insufficient"),
    ("AuthorizationPermissionMismatch", "authorization permission mismatch"),
    ("ipNotAllowed", "ip not allowed"),
    ("ip-not-allowed", "ip not allowed"),
    ("RequestTimeTooSkewed", "request time too skewed"),
    ("HTTPSRequired", "https required"),
])
def test_error_codes_read_as_their_words(code, words):
    assert split_code(code) == words


def test_google_status_envelope_at_depth():
    body = ('{"error":{"code":403,"message":"Request had insufficient authentication scopes.","status":'
            '"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo",'
            '"reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT","domain":"googleapis.com"}]}}')
    msg = extract_text(body, "application/json")
    assert msg.form == "json"
    assert msg.parts[0] == "Request had insufficient authentication scopes."
    assert "ACCESS_TOKEN_SCOPE_INSUFFICIENT" in msg.codes and "PERMISSION_DENIED" in msg.codes
    assert "access token scope insufficient" in msg.text and "permission denied" in msg.text
    assert "google rpc" not in msg.text  # the @type URL is not part of the message


def test_errors_array_and_error_description():
    msg = extract_text('{"errors":[{"detail":"IP not in allowlist"}],"error_description":"ipNotAllowed"}')
    assert "IP not in allowlist" in msg.parts and "ip not allowed" in msg.text


def test_xml_code_and_message():
    body = ("<?xml version='1.0'?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not "
            "authorized to perform this operation using this permission.</Message></Error>")
    msg = extract_text(body, "application/xml")
    assert msg.form == "xml" and msg.codes == ["AuthorizationPermissionMismatch"]
    assert msg.parts[0].startswith("This request is not authorized")


def test_html_title_headings_and_visible_text_without_scripts_or_styles():
    page = ("<html><head><title>Access &amp; denied</title><style>.x{content:'rate limit'}</style>"
            "<script>var s = '<h1>captcha</h1>';</script></head><body><!-- quota exceeded -->"
            "<h1>Sorry, you have been <b>blocked</b></h1><p>Please enable JavaScript</p></body></html>")
    msg = extract_text(page, "text/html")
    assert msg.form == "html" and msg.title == "Access & denied"
    assert "Sorry, you have been blocked" in msg.parts and "Please enable JavaScript" in msg.parts
    assert "captcha" not in msg.text and "rate limit" not in msg.text and "quota" not in msg.text


def test_plain_text_and_a_non_standard_reason_phrase():
    msg = extract_text("error code: 1020", "text/plain", reason="Blocked by network policy")
    assert msg.parts == ["error code: 1020", "Blocked by network policy"]
    assert extract_text("", reason="Forbidden").parts == []  # a standard phrase says nothing beyond the status


def test_invalid_utf8_is_read_lossily():
    ex = Exchange("recorded", "GET", "https://x.example/", status=403,
                  response_headers=[("Content-Type", "text/plain; charset=utf-8")], body=b"Zugriff verweigert \xff\xfe")
    assert extract_message(ex).parts[0].startswith("Zugriff verweigert")


@pytest.mark.parametrize("body, ctype", [
    ("[" * 200_000, "application/json"),
    ('{"a":' * 50_000 + "1" + "}" * 50_000, "application/json"),
    ("<" * 300_000, "text/html"),
    ("<title>" + "<h1>" * 60_000, "text/html"),
    ("<script>" * 60_000, "text/html"),
    ("<Code>" * 60_000, "application/xml"),
    ("<p>lorem ipsum dolor</p>" * 20_000, "text/html"),
])
def test_hostile_bodies_are_cheap_and_never_raise(body, ctype):
    start = time.perf_counter()
    msg = extract_text(body, ctype)
    assert time.perf_counter() - start < 0.5
    assert len(msg.text) <= 40_000


def test_a_flag_set_in_an_error_envelope_is_read_by_its_name():
    msg = extract_text('{"error":{"rateLimited":true,"retryable":false}}')
    assert "rate limited" in msg.text and "retryable" not in msg.text


def test_xml_leaves_that_name_a_message_whatever_the_schema():
    body = ("<?xml version='1.0'?><soap:Envelope xmlns:soap='x'><soap:Body><soap:Fault><faultcode>soap:Client"
            "</faultcode><faultstring>Quota exceeded for this key</faultstring><detail><RequestId>abc-123</RequestId>"
            "</detail></soap:Fault></soap:Body></soap:Envelope>")
    msg = extract_text(body, "text/xml")
    assert "Quota exceeded for this key" in msg.parts and "soap:Client" in msg.codes
    assert "abc-123" not in msg.text
    small = extract_text("<Response><Errors><Err>ipNotAllowed</Err></Errors></Response>", "application/xml")
    assert "ip not allowed" in small.text


def test_a_challenge_widget_named_in_the_markup_is_read():
    page = ('<html><title>Access denied</title><body><div id="px-captcha"></div>'
            '<script src="https://c.example.net/cdn-cgi/challenge-platform/h/g/orchestrate/v1?ray=1"></script>'
            '<form action="/search" id="site-search"></form></body></html>')
    msg = extract_text(page, "text/html")
    assert "px captcha" in msg.text and "challenge platform" in msg.text
    assert "search" not in msg.text  # only challenge widgets, not every form of the page
