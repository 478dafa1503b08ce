"""The language layer: cue phrases read in the message of refusals no signature was written for, the request's
context as evidence, and content/cues.toml validated with errors naming file and key."""

from __future__ import annotations

import asyncio

import pytest

from tests.test_checks_conduct import result
from wizard403.checks import run_checks
from wizard403.content import load_content
from wizard403.diagnose import analyse_exchange
from wizard403.diagnose.context import credential_places, facts_of
from wizard403.diagnose.cues import cuebook_for, load_cuebook
from wizard403.diagnose.engine import diagnose
from wizard403.errors import ContentError
from wizard403.model import Exchange, Headers, ProbeOptions, Session, Target

UA = [("User-Agent", "curl/8.5.0"), ("Accept", "*/*")]


def first(status, body="", ctype="application/json", headers=(), url="https://api.unknown-vendor.example/v1/x",
          request_headers=UA, reason=""):
    ex = Exchange("recorded", "GET", url, status=status, reason=reason, request_headers=Headers(list(request_headers)),
                  response_headers=Headers([("Content-Type", ctype), *headers]), body=body.encode("utf-8"))
    session = analyse_exchange(ex)
    return session.causes[0], session


# ---------------------------------------------------------------- reading services no signature knows


@pytest.mark.parametrize("status, body, ctype, cause", [
    (403, '{"error":{"code":"DAILY_QUOTA_EXCEEDED","message":"You have used all of today\'s calls."}}',
     "application/json", "rate-limit"),
    (429, "<Response><Code>ThrottlingException</Code><Message>Slow down.</Message></Response>", "text/xml",
     "rate-limit"),
    (403, '{"status":"fail","reason":"ipNotAllowed"}', "application/json", "ip-block"),
    (403, "<html><title>Bot policy</title><h1>Please identify your client</h1><p>Set a descriptive User-Agent "
          "and respect our robot policy.</p></html>", "text/html", "bot-challenge"),
    (403, "<html><title>Zugriff verweigert</title><p>Ihre Anfrage wurde aus Sicherheitsgründen blockiert.</p></html>",
     "text/html", "waf"),
    (403, "Blocked request. This host (\"dev.internal.example\") is not allowed.", "text/plain", "config"),
    (403, '{"message":"XSRF check failed: the crumb is missing"}', "application/json", "csrf"),
    (403, '{"detail":"Directory listing is not allowed here"}', "application/json", "directory-listing"),
])
def test_a_refusal_of_an_unknown_service_is_read_by_its_words(status, body, ctype, cause):
    top, session = first(status, body, ctype)
    assert top.id == cause, [(c.id, c.score) for c in session.causes[:3]]
    assert any(line.startswith("cues/") for line in top.evidence)
    assert top.likelihood in ("medium", "high")


def test_a_stock_page_that_only_restates_the_status_stays_unknown():
    page = "<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1><p>Access denied.</p></body></html>"
    top, session = first(403, page, "text/html")
    assert top.id == "unknown"
    assert len(session.causes) > 1  # the ranking still lists the causes that remain possible


def test_the_producer_wins_where_its_signature_knows_the_page():
    page = ("<html><title>Attention Required! | Cloudflare</title><h1>Sorry, you have been blocked</h1>"
            "<p>You do not have permission. Error 1020</p><p>Cloudflare Ray ID: 6b993ced1a281004</p></html>")
    top, _ = first(403, page, "text/html", headers=[("Server", "cloudflare")])
    assert top.id == "waf" and not any(line.startswith("cues/") for line in top.evidence)


def test_a_success_status_is_read_only_for_clear_refusal_words():
    top, _ = first(200, "<html><title>Welcome</title><p>Security settings and your profile</p></html>", "text/html")
    assert top.id == "unknown"
    top, _ = first(200, '{"status":"0","message":"NOTOK","result":"Max rate limit reached"}')
    assert top.id == "rate-limit"


# ---------------------------------------------------------------- context as evidence


S3_MISMATCH = ("<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match "
               "the signature you provided. Check your key and signing method.</Message></Error>")


def test_signature_wording_on_a_presigned_url_is_the_link_not_the_key():
    url = "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=60&X-Amz-Signature=<sig>"
    top, session = first(403, S3_MISMATCH, "application/xml", headers=[("Server", "AmazonS3")], url=url)
    assert top.id == "signed-url", [(c.id, c.score) for c in session.causes[:3]]
    header_signed = UA + [("Authorization", "AWS4-HMAC-SHA256 Credential=<key>/s3, Signature=<sig>")]
    top, _ = first(403, S3_MISMATCH, "application/xml", headers=[("Server", "AmazonS3")],
                   url="https://b.s3.amazonaws.com/k", request_headers=header_signed)
    assert top.id == "credentials"


def test_time_skew_on_a_signed_request_points_at_the_clock_or_expiry():
    body = ('{"error":{"code":"RequestExpired","message":"Request has expired: the request time is too far '
            'from the server time."}}')
    signed = UA + [("Authorization", "AWS4-HMAC-SHA256 Credential=<key>"), ("X-Amz-Date", "20240101T000000Z")]
    top, _ = first(403, body, request_headers=signed)
    assert top.id == "signed-url"


def test_an_anonymous_caller_means_the_credentials_were_not_applied():
    body = ('{"error":{"code":403,"message":"Anonymous caller does not have storage.objects.get access to the '
            'object.","errors":[{"reason":"forbidden"}]}}')
    top, session = first(403, body, request_headers=UA + [("Authorization", "Bearer <token>")])
    assert top.id == "credentials", [(c.id, c.score) for c in session.causes[:3]]
    permissions = next(c for c in session.causes if c.id == "permissions")
    assert permissions.score < top.score


@pytest.mark.parametrize("url, headers, place", [
    ("https://api.telegram.org/bot123456789:AAE-abcdefghijklmnopqrstuvwxyz012345/getMe", [], "url path"),
    ("https://api.telegram.org/bot<token>/getMe", [], "url path"),
    ("https://x.example/v1?access_token=abc", [], "query access_token"),
    ("https://user:pw@x.example/", [], "url user info"),
    ("https://x.example/", [("Cookie", "sid=1")], "cookie"),
    ("https://x.example/", [("X-Custom-Auth-Token", "t")], "x-custom-auth-token"),
])
def test_credentials_are_found_wherever_the_request_carries_them(url, headers, place):
    assert place in credential_places(url, Headers(headers))
    ex = Exchange("recorded", "GET", url, status=403, request_headers=Headers(UA + headers))
    assert "credentials-sent" in facts_of(ex) and "no-credentials" not in facts_of(ex)


def test_no_credentials_only_when_the_request_is_known():
    assert "no-credentials" in facts_of(Exchange("recorded", "GET", "https://x.example/", request_headers=UA))
    assert facts_of(Exchange("recorded", "GET", "https://x.example/")) == frozenset()


def _scope_session(request_headers):
    challenge = 'Bearer realm="api", error="insufficient_scope", scope="repo:write admin"'
    session = Session(Target(url="https://api.example.com/x", headers=Headers(request_headers), source="response"))
    session.exchanges.append(Exchange("recorded", "GET", "https://api.example.com/x", status=403,
                                      request_headers=Headers(request_headers),
                                      response_headers=Headers([("WWW-Authenticate", challenge)])))
    asyncio.run(run_checks(session, ProbeOptions(), live=False))
    diagnose(session)
    return session


def test_insufficient_scope_with_no_token_sent_does_not_call_a_token_valid():
    session = _scope_session(UA)
    check = result(session, "www-authenticate")
    assert "valid" not in check.summary and "no token" in check.summary
    assert "'repo:write' and 'admin'" in check.summary
    assert session.causes[0].id == "credentials"
    assert not any("is valid but lacks" in line for c in session.causes for line in c.evidence)


def test_insufficient_scope_with_a_token_names_every_scope():
    session = _scope_session(UA + [("Authorization", "Bearer opaque-token-value")])
    check = result(session, "www-authenticate")
    assert "valid but lacks" in check.summary and "'repo:write' and 'admin'" in check.summary
    assert session.causes[0].id == "permissions"


# ---------------------------------------------------------------- content validation


def test_shipped_cues_load_and_cover_every_cause_but_unknown_and_cached():
    book = cuebook_for(load_content())
    causes = {c.cause for c in book.cues}
    assert causes >= {"permissions", "credentials", "ip-block", "waf", "bot-challenge", "rate-limit", "csrf",
                      "signed-url", "app-rule", "directory-listing", "file-permissions", "stale-session",
                      "not-found", "client-network", "config"}


@pytest.mark.parametrize("text, message", [
    ('[[cues]]\nid = "x"\ncause = "nope"\nweight = 0.5\nphrases = ["a b"]', "cues[1].cause is not a cause id"),
    ('[[cues]]\nid = "x"\ncause = "waf"\nweight = 1.5\nphrases = ["a b"]', "cues[1].weight must be between"),
    ('[[cues]]\nid = "x"\ncause = "waf"\nweight = 0.5\nphrases = ["ab*"]', "cues[1].phrases[1] has a word"),
    ('[[cues]]\nid = "x"\ncause = "waf"\nweight = 0.5\nphrases = ["~ blocked"]', "cues[1].phrases[1] must start"),
    ('[[cues]]\nid = "x"\ncause = "waf"\nweight = 0.5\nwhen = ["moon"]\nphrases = ["a"]', "cues[1].when[1] must be"),
    ('[[cues]]\nid = "x"\ncause = "waf"\nweight = 0.5\ncolour = 1\nphrases = ["a"]', "cues[1].colour is not a known"),
    ('[settings]\ndamping = 2\n', "settings.damping must be between"),
    ('[[cues]]\nid = "x"\ncause = "waf"\nweight = 0.5\nphrases = ["a"]\n[[cues]]\nid = "x"\ncause = "waf"\n'
     'weight = 0.5\nphrases = ["b"]', 'cues[2].id repeats "x"'),
    ('[[cues]]\nid = "x"\ncause = "waf"\nweight = 0.5\nnot_status = [1000]\nphrases = ["a"]',
     "cues[1].not_status must be a non-empty list of status codes"),
    ("[[cues]\n", "not valid TOML"),
])
def test_a_broken_cues_file_is_one_sentence_naming_file_and_key(tmp_path, text, message):
    (tmp_path / "cues.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_cuebook([tmp_path])
    assert str(err.value).startswith(str(tmp_path / "cues.toml")) and message in str(err.value)


def test_an_overlay_cue_replaces_the_shipped_one_with_its_id(tmp_path):
    shipped = load_content().dirs[0]
    (tmp_path / "cues.toml").write_text(
        '[[cues]]\nid = "waf-named"\ncause = "waf"\nweight = 0.3\nphrases = ["our shield said no"]\n', encoding="utf-8")
    book = load_cuebook([shipped, tmp_path])
    waf = next(c for c in book.cues if c.id == "waf-named")
    assert waf.weight == 0.3 and waf.phrases == ("our shield said no",)
    hits = book.match("Our shield said NO", 403, frozenset())
    assert [h.cue.id for h in hits] == ["waf-named"]


def test_phrases_fold_case_and_accents_and_allow_prefixes_and_any_word(tmp_path):
    (tmp_path / "cues.toml").write_text(
        '[[cues]]\nid = "a"\ncause = "waf"\nweight = 0.5\nphrases = ["acces refuse"]\n'
        '[[cues]]\nid = "b"\ncause = "rate-limit"\nweight = 0.5\nphrases = ["quota exceed*"]\n'
        '[[cues]]\nid = "c"\ncause = "ip-block"\nweight = 0.5\nphrases = ["ip ~ blocked"]\n', encoding="utf-8")
    book = load_cuebook([tmp_path])
    assert [h.cue.id for h in book.match("ACCÈS REFUSÉ", 403, frozenset())] == ["a"]
    assert [h.cue.id for h in book.match("Quota exceeded for today", 403, frozenset())] == ["b"]
    assert [h.cue.id for h in book.match("your IP was blocked", 403, frozenset())] == ["c"]
    assert book.match("your IP is fine", 403, frozenset()) == []


def test_a_token_in_the_path_is_not_called_no_credentials():
    url = "https://api.telegram.org/bot123456789:AAE-abcdefghijklmnopqrstuvwxyz012345/sendMessage"
    _, session = first(403, '{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}',
                       url=url)
    assert session.causes[0].id == "app-rule"
    assert not any("no credentials at all" in line for c in session.causes for line in c.evidence)
    _, bare = first(403, '{"ok":false,"description":"Forbidden"}', url="https://api.example.com/v1/x")
    assert any("no credentials at all" in line for c in bare.causes for line in c.evidence)



def test_when_nothing_points_anywhere_the_ranking_still_lists_the_possible_causes_and_layers():
    top, session = first(403, "", "text/plain")
    assert top.id == "unknown"
    listed = {c.id: c.layer for c in session.causes[1:]}
    assert listed.get("permissions") == "identity" and listed.get("ip-block") == "network"
    assert any(line.startswith("to confirm or rule out permissions") for line in top.evidence)


def test_the_longest_reading_wins_over_a_shorter_one_inside_it():
    top, session = first(403, '{"statusCode":"403","error":"Unauthorized","message":"new row violates row-level '
                              'security policy for table \\"objects\\""}')
    assert top.id == "permissions", [(c.id, c.score) for c in session.causes[:3]]
    assert not any(line.startswith("cues/waf") for c in session.causes for line in c.evidence)


def test_permission_words_on_a_401_are_read_as_a_sign_in_problem():
    """A 401 says the sign-in was not accepted, whatever words come with it; the same words on a 403 are a permission."""
    on_401, _ = first(401, "permission denied - invalid ticket", "text/plain")
    on_403, _ = first(403, "permission denied - you may not change this folder", "text/plain")
    assert on_401.id == "credentials" and on_403.id == "permissions"


def test_spelling_variants_read_as_one_word(tmp_path):
    (tmp_path / "cues.toml").write_text(
        '[[cues]]\nid = "a"\ncause = "permissions"\nweight = 0.5\nphrases = ["unauthorized organization policy"]\n',
        encoding="utf-8")
    book = load_cuebook([tmp_path])
    assert [h.cue.id for h in book.match("Unauthorised: Organisation policies forbid it", 403, frozenset())] == ["a"]


def test_a_hint_for_a_rare_cause_is_not_outranked_by_a_bare_prior():
    """One weak reading (an item its owner made not exportable) beats the permissions prior, at low likelihood."""
    top, session = first(403, '{"err":"File not exportable"}', request_headers=UA + [("Authorization", "Bearer abc.def")])
    assert top.id == "app-rule" and top.likelihood == "low"
    permissions = next(c for c in session.causes if c.id == "permissions")
    assert permissions.score < top.score and any(line.startswith("other-evidence:") for line in permissions.evidence)


# ---------------------------------------------------------------- the request's context when the message says nothing


def _method_first(method, status, url, request_headers, body="", ctype="text/html"):
    ex = Exchange("recorded", method, url, status=status, request_headers=Headers(list(request_headers)),
                  response_headers=Headers([("Content-Type", ctype)]), body=body.encode("utf-8"))
    session = analyse_exchange(ex)
    return session.causes[0], session


def test_a_change_sent_from_a_browser_page_and_refused_in_silence_points_at_the_anti_forgery_check():
    origin = UA + [("Origin", "https://app.example.com"), ("Content-Type", "application/x-www-form-urlencoded")]
    top, _ = _method_first("POST", 403, "https://app.example.com/settings", origin)
    assert top.id == "csrf" and any("Origin" in line for line in top.evidence)
    # a GET, or a POST no browser page sent, says nothing of the kind
    assert _method_first("GET", 403, "https://app.example.com/settings", origin)[0].id == "unknown"
    assert _method_first("POST", 403, "https://app.example.com/settings", UA)[0].id == "unknown"
    # and when the message names a cause, the message decides
    top, _ = _method_first("POST", 403, "https://app.example.com/settings", origin,
                           body="<p>Your IP address 203.0.113.9 is not allowed to use this site.</p>")
    assert top.id == "ip-block"


def test_an_anti_forgery_token_refused_with_a_bare_400_is_the_token_check():
    sent = UA + [("Cookie", ".AspNetCore.Antiforgery.x1=cookie-value"), ("RequestVerificationToken", "form-token")]
    top, _ = _method_first("POST", 400, "https://app.example.com/orders", sent)
    assert top.id == "csrf"


@pytest.mark.parametrize("url, cause", [
    ("https://files.example.com/a/report.pdf?Expires=1700000000&Signature=abc&Key-Pair-Id=K1", "signed-url"),
    ("https://www.example.com/static/themes/", "directory-listing"),
    ("https://www.example.com/.git/config", "app-rule"),
    ("https://www.example.com/.abc/", "app-rule"),  # a hidden folder: the dot rule, before any listing
])
def test_a_bare_refusal_of_a_telling_address_names_the_first_suspect(url, cause):
    top, _ = _method_first("GET", 403, url, UA)
    assert top.id == cause and top.likelihood == "low"


def test_an_api_address_ending_in_a_slash_is_not_taken_for_a_folder():
    assert _method_first("GET", 403, "https://api.example.com/api/v2/users/", UA)[0].id == "unknown"


def test_a_page_without_words_that_only_runs_a_script_is_a_javascript_challenge():
    page = '<script src="/149e9513/2d206a39/ips.js?KP_UIDz=abc&amp;x-kpsdk-im=def"></script>'
    top, session = _method_first("GET", 429, "https://shop.example.com/", UA, body=page)
    assert top.id == "bot-challenge", [(c.id, c.score) for c in session.causes[:3]]
    # a page with a title and words is read by its words, not by its script
    page = "<html><title>Maintenance</title><script>x()</script><p>We are down for maintenance.</p></html>"
    assert _method_first("GET", 503, "https://shop.example.com/", UA, body=page)[0].id != "bot-challenge"


# ---------------------------------------------------------------- reading what a person reads


@pytest.mark.parametrize("status, body, cause", [
    (403, "Forbidden request from remote IP address: 203.0.113.9. Does not match the allowed list", "ip-block"),
    (403, 'open() "/var/www/html/css/site.css" failed (13: Permission denied)', "file-permissions"),
    (403, "stat .: permission denied", "file-permissions"),
    (403, "Forbidden: bot can't initiate conversation with a user", "app-rule"),
    (403, "Upload blocked: the file is locked by another user", "app-rule"),  # "blocked" only restates the refusal
    (403, "Access blocked. Set a custom HTTP User-Agent that identifies your application.", "bot-challenge"),
    (429, "You exceeded your current quota, please check your plan and billing details.", "app-rule"),
    (403, "Cross-site POST form submissions are forbidden", "csrf"),
    (429, '{"code":429,"msg":"请求过于频繁，请稍后再试"}', "rate-limit"),
    (403, '{"error":"アクセス権限がありません"}', "permissions"),
    (401, '{"message":"Неверный токен авторизации"}', "credentials"),
    (403, '{"message":"권한이 없습니다"}', "permissions"),
    (403, '{"message":"Ваш IP-адрес заблокирован"}', "ip-block"),
])
def test_refusals_are_read_in_their_own_words_and_languages(status, body, cause):
    top, session = first(status, body, "text/plain", request_headers=())
    assert top.id == cause, [(c.id, c.score) for c in session.causes[:3]]


def test_names_and_possessives_read_as_words_whatever_they_spell(tmp_path):
    (tmp_path / "cues.toml").write_text(
        '[[cues]]\nid = "a"\ncause = "config"\nweight = 0.5\nphrases = ["host ~ is not allowed"]\n'
        '[[cues]]\nid = "b"\ncause = "config"\nweight = 0.5\nphrases = ["organization policy"]\n'
        '[[cues]]\nid = "c"\ncause = "app-rule"\nweight = 0.5\nphrases = ["protected branch"]\n', encoding="utf-8")
    book = load_cuebook([tmp_path])
    assert [h.cue.id for h in book.match('Host "shop.dev.example.com:8443" is not allowed', 403, frozenset())] == ["a"]
    assert [h.cue.id for h in book.match("blocked by your organization's policy", 403, frozenset())] == ["b"]
    assert [h.cue.id for h in book.match("You may not push to protected branches", 403, frozenset())] == ["c"]


def test_an_address_in_the_message_is_quoted_as_an_address():
    top, _ = first(403, "Requests from 198.51.100.7 are not allowed", "text/plain", request_headers=())
    assert top.id == "ip-block"
    assert any(line.startswith('cues/ip-block-named: the message reads "<address> ') for line in top.evidence)


def test_a_resource_path_echoed_in_the_message_is_not_read_as_words():
    body = ("{\"error\":{\"code\":403,\"message\":\"Permission 'secretmanager.versions.access' denied for resource "
            "'projects/billing-prod/secrets/key/versions/latest'.\"}}")
    _, session = first(403, body, request_headers=UA + [("Authorization", "Bearer abc.def")])
    assert not any("billing" in line for c in session.causes for line in c.evidence if line.startswith("cues/"))


def test_a_body_quoted_without_headers_is_read_by_its_shape_but_a_stock_page_only_points_at_the_server_layers():
    ex = Exchange("recorded", "GET", "https://api.unknown-vendor.example/v1/x", status=403,
                  body=b'{"message":"Only admins are allowed to delete projects"}')
    session = analyse_exchange(ex)
    assert session.causes[0].id == "permissions"
    assert any("api-error-words/no-permission" in line for line in session.causes[0].evidence)
    stock = Exchange("recorded", "GET", "https://www.example.com/x", status=403,
                     body=b"Forbidden\nYou don't have permission to access /x on this server.")
    ranked = [c.id for c in analyse_exchange(stock).causes]
    # the page itself says nothing: "unknown" first, then the server's own layers (its address and deny rules, its
    # files, a WAF inside it), ahead of the account's permissions and credentials
    assert ranked[0] == "unknown"
    assert ranked.index("ip-block") < ranked.index("permissions") and ranked.index("ip-block") < ranked.index("credentials")
    assert {"config", "file-permissions", "waf"} <= set(ranked[:7])


def test_a_generic_canonical_status_lets_the_message_name_the_cause():
    body = ('{"error":{"code":403,"message":"This domain (shop.web.app) is not authorized to run this operation. Add '
            'it to the OAuth redirect domains list in the Firebase console -> Authentication -> Settings -> '
            'Authorized domains tab.","status":"PERMISSION_DENIED"}}')
    top, _ = first(403, body, request_headers=UA + [("Authorization", "Bearer abc.def")])
    assert top.id == "config"


@pytest.mark.parametrize("status, reason, cause", [
    (999, "Request denied", {"bot-challenge", "ip-block"}),
    (999, "No Hacking", {"waf"}),
    (511, "Network Authentication Required", {"client-network"}),
    (402, "Payment Required", {"app-rule"}),
])
def test_private_and_telling_statuses_are_read(status, reason, cause):
    top, _ = first(status, "", "text/plain", reason=reason)
    assert top.id in cause


def test_a_context_cue_needs_its_facts_and_its_line(tmp_path):
    (tmp_path / "cues.toml").write_text('[[cues]]\nid = "x"\ncause = "csrf"\nweight = 0.4\nwhen = ["state-changing"]\n',
                                        encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_cuebook([tmp_path])
    assert "cues[1].phrases is missing" in str(err.value) and "when and line" in str(err.value)


S3_DENIED = b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
PRESIGNED = ("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240101T000000Z"
             "&X-Amz-Expires={lifetime}&X-Amz-Signature=abc")


def _denied_link(url: str, date: str | None) -> list:
    headers = Headers({"Date": date}) if date else Headers()
    return analyse_exchange(Exchange("recorded", "GET", url, status=403, response_headers=headers, body=S3_DENIED)).causes


def test_a_signed_link_past_its_own_expiry_by_the_servers_clock_reads_as_expired():
    ranked = _denied_link(PRESIGNED.format(lifetime=60), "Mon, 01 Jan 2024 01:00:00 GMT")
    assert ranked[0].id == "signed-url" and ranked[0].likelihood == "high"
    assert any("expiry" in line for line in ranked[0].evidence)
    # the evidence quotes both times, so the user sees by how much the link was late
    assert any("2024-01-01 00:01:00 UTC" in line and "2024-01-01 01:00:00 UTC" in line for line in ranked[0].evidence)


def test_a_link_still_inside_its_lifetime_or_without_the_servers_date_is_not_called_expired():
    # an hour into a two-hour link: the link's time is fine, so a plain AccessDenied is not blamed on it
    assert _denied_link(PRESIGNED.format(lifetime=7200), "Mon, 01 Jan 2024 01:00:00 GMT")[0].id != "signed-url"
    # no Date header: a link quoted years later is not "expired" by today's clock
    assert _denied_link(PRESIGNED.format(lifetime=60), None)[0].likelihood != "high"


def test_the_lifetimes_of_other_signed_links_are_read_too():
    from wizard403.diagnose.context import link_window

    start, end = link_window("https://a.blob.core.windows.net/c/b?sv=2020&st=2024-01-01T02:00:00Z"
                             "&se=2024-01-02T00:00:00Z&sp=r&sig=abc")
    assert (start.isoformat(), end.isoformat()) == ("2024-01-01T02:00:00+00:00", "2024-01-02T00:00:00+00:00")
    assert link_window("https://d.cloudfront.net/k?Expires=1700000000&Signature=a&Key-Pair-Id=K")[1].year == 2023
    start, end = link_window("https://b.cos.ap-beijing.myqcloud.com/k?q-sign-algorithm=sha1"
                             "&q-sign-time=1700000000;1700003600&q-signature=abc")
    assert (end - start).total_seconds() == 3600
    early = _denied_link("https://a.blob.core.windows.net/c/b?sv=2020&st=2024-01-01T02:00:00Z&se=2024-01-02T00:00:00Z"
                         "&sp=r&sig=abc", "Mon, 01 Jan 2024 01:00:00 GMT")
    assert early[0].id == "signed-url"
    assert any("valid at 2024-01-01 02:00:00 UTC" in line for line in early[0].evidence)


def test_a_context_line_quotes_only_values_its_facts_give(tmp_path):
    cue = '[[cues]]\nid = "x"\ncause = "signed-url"\nweight = 0.4\nwhen = ["{when}"]\nline = "ends at {{{name}}}"\n'
    (tmp_path / "cues.toml").write_text(cue.format(when="signed-url", name="link_expire"), encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_cuebook([tmp_path])
    assert "cues[1].line quotes {link_expire}, which is not a value the context gives" in str(err.value)
    (tmp_path / "cues.toml").write_text(cue.format(when="signed-url", name="link_expires"), encoding="utf-8")
    with pytest.raises(ContentError) as err:
        load_cuebook([tmp_path])
    assert "needs one of the facts link-expired" in str(err.value)


def test_a_refused_change_that_hands_out_an_anti_forgery_token_points_at_the_csrf_check():
    """SAP Gateway answers a POST without its token with "x-csrf-token: Required"; Roblox-style APIs send a fresh
    X-CSRF-Token with "Token Validation Failed": the token to echo, not a bad credential."""
    for headers, body in (
        ({"x-csrf-token": "Required", "Content-Type": "text/plain"}, b"CSRF token validation failed"),
        ({"x-csrf-token": "fresh-token-value", "Access-Control-Expose-Headers": "X-CSRF-TOKEN",
          "Content-Type": "application/json"}, b'{"code":0,"message":"Token Validation Failed"}'),
    ):
        exchange = Exchange("recorded", "POST", "https://api.example.net/v1/things", status=403,
                            request_headers=Headers({"Cookie": "session=abc"}), response_headers=Headers(headers),
                            body=body)
        causes = analyse_exchange(exchange).causes
        assert causes[0].id == "csrf", [c.id for c in causes]
        assert any("csrf" in line.lower() for line in causes[0].evidence)
    # a message that names its cause speaks louder than the header; a CORS list naming the header is no header
    loud = Exchange("recorded", "POST", "https://api.example.net/v1/things", status=403,
                    request_headers=Headers({"Cookie": "session=abc"}),
                    response_headers=Headers({"x-csrf-token": "fresh", "Content-Type": "application/json"}),
                    body=b'{"message":"API rate limit exceeded"}')
    ranked = analyse_exchange(loud).causes
    assert ranked[0].id == "rate-limit" and not any("too close to call" in line for line in ranked[0].evidence)
    listed = Exchange("recorded", "POST", "https://api.example.net/v1/things", status=403,
                      request_headers=Headers({"Cookie": "session=abc"}),
                      response_headers=Headers({"Access-Control-Expose-Headers": "X-CSRF-TOKEN"}),
                      body=b'{"code":0,"message":"Token Validation Failed"}')
    assert analyse_exchange(listed).causes[0].id != "csrf"
    # the same header on a GET's refusal says nothing about the refusal
    exchange = Exchange("recorded", "GET", "https://api.example.net/v1/things", status=403,
                        request_headers=Headers({"Cookie": "session=abc"}),
                        response_headers=Headers({"x-csrf-token": "fresh"}), body=b"")
    assert analyse_exchange(exchange).causes[0].id != "csrf"


def test_a_silent_refusal_of_a_scripts_default_user_agent_names_the_policy_without_guessing_it():
    exchange = Exchange("recorded", "GET", "https://data.example.org/feed.xml", status=403,
                        request_headers=Headers({"User-Agent": "python-requests/2.31.0"}), body=b"")
    causes = analyse_exchange(exchange).causes
    assert causes[0].id == "unknown", "a User-Agent alone does not make the refusal's cause known"
    listed = {c.id: c for c in causes}
    assert "bot-challenge" in listed
    assert any("default User-Agent" in line for line in listed["bot-challenge"].evidence)
    browser = Exchange("recorded", "GET", "https://data.example.org/feed.xml", status=403,
                       request_headers=Headers({"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}), body=b"")
    assert "bot-challenge" not in {c.id for c in analyse_exchange(browser).causes}
