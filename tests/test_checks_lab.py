"""Each 403 of the project's lab is recognised by the check designed for it, probing the running lab live.

The lab records every request it receives, so the tests also see what the checks actually sent.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.test_checks_conduct import result, run
from wizard403.checks import run_checks
from wizard403.lab import start_lab
from wizard403.model import Exchange, Headers, ProbeOptions, Session, Target

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@pytest.fixture(scope="module")
def logged_lab(tmp_path_factory):
    """A lab of this module's own, writing its nginx-style error log to a file (for --log)."""
    log = tmp_path_factory.mktemp("lab") / "error.log"
    with start_lab(error_log=log) as running:
        running.log_path = log
        yield running


def scenario_session(lab, scenario_id: str, **target) -> Session:
    method, url, headers, body = lab.request_for(scenario_id)
    return Session(Target(url=url, method=method, headers=Headers(headers), body=body, **target))


def probe(lab, scenario_id: str, **options) -> Session:
    return run(scenario_session(lab, scenario_id), **options)


def test_expired_jwt_is_read_from_the_token(lab):
    session = probe(lab, "expired-token")
    token = result(session, "token-inspect")
    assert token.status == "fail" and "expired" in token.summary
    assert token.supports["credentials"] >= 0.4
    assert token.evidence["iss"] == "wizard403-lab" and token.evidence["sub"] == "alice@lab.example"
    challenge = result(session, "www-authenticate")
    assert challenge.evidence["error"] == "invalid_token"
    assert session.causes[0].id == "credentials"
    # The token itself appears nowhere in what is reported.
    _, _, headers, _ = lab.request_for("expired-token")
    secret = dict(headers)["Authorization"].split()[1]
    assert all(secret not in str(c.evidence) + c.summary + c.details for c in session.checks)


def test_insufficient_scope_names_the_missing_scope(lab):
    session = probe(lab, "insufficient-scope")
    challenge = result(session, "www-authenticate")
    assert challenge.status == "fail"
    assert challenge.evidence["missing_scopes"] == ["admin"] and challenge.evidence["token_scopes"] == ["reports:read"]
    assert "'admin'" in challenge.summary and "reports:read" in challenge.summary
    assert result(session, "token-inspect").status == "pass"  # the token itself is fine
    assert session.causes[0].id == "permissions"


def test_stale_cookie_is_found_by_the_clean_session(lab):
    session = probe(lab, "stale-cookie")
    clean = result(session, "incognito-retry")
    assert clean.status == "fail" and clean.evidence["clean_status"] == 200 and clean.evidence["status"] == 403
    assert clean.evidence["left_out"] == ["Cookie"]
    assert session.causes[0].id == "stale-session"


def test_incognito_sends_its_own_request_when_a_token_is_kept(lab):
    session = scenario_session(lab, "stale-cookie")
    session.target.headers.append(("X-Api-Key", "lab-key-123"))
    run(session)
    clean = next(e for e in session.exchanges if e.check == "incognito-retry")
    assert clean.request_headers.get("x-api-key") == "lab-key-123" and not clean.request_headers.has("cookie")
    assert result(session, "incognito-retry").evidence["kept"] == ["X-Api-Key"]


def test_cached_403_is_found_by_the_no_cache_retry(lab):
    before = len(lab.requests)
    session = probe(lab, "cached-403")
    assert result(session, "cache-evidence").status == "warn"
    fresh = result(session, "no-cache-retry")
    assert fresh.status == "fail" and fresh.evidence == {"status": 403, "fresh_status": 200}
    assert session.causes[0].id == "cached-403"
    asked = [r for r in lab.requests[before:] if r.headers.get("cache-control") == "no-cache"]
    assert len(asked) == 1 and asked[0].headers.get("pragma") == "no-cache"


def test_csrf_failure_is_recognised_live_with_replay_allowed(lab):
    before = len(lab.requests)
    session = probe(lab, "csrf", replay_unsafe=True)
    csrf = result(session, "csrf-evidence")
    assert csrf.status == "fail" and csrf.evidence["framework"] == "Django"
    assert csrf.evidence["reason"] == "CSRF token incorrect."
    assert session.causes[0].id == "csrf"
    posts = [r for r in lab.requests[before:] if r.method == "POST"]
    assert 1 <= len(posts) <= 2  # the baseline, and the no-credentials retry; never more replays than that


def test_csrf_failure_is_recognised_offline_from_a_recorded_answer(lab):
    import httpx

    method, url, headers, body = lab.request_for("csrf")
    answer = httpx.request(method, url, headers=headers, content=body)
    session = Session(Target(url=url, method=method, headers=Headers(headers), body=body, source="response"))
    session.exchanges.append(Exchange("recorded", method, url, status=answer.status_code, request_headers=Headers(headers),
                                      response_headers=Headers(answer.headers.multi_items()), body=answer.content))
    before = len(lab.requests)
    asyncio.run(run_checks(session, ProbeOptions(), live=False))
    assert len(lab.requests) == before, "offline analysis sends nothing"
    assert result(session, "csrf-evidence").status == "fail"


def test_rate_limit_is_read_from_the_headers(lab):
    session = probe(lab, "rate-limit")
    limit = result(session, "rate-limit-headers")
    assert limit.status == "fail" and "0 of 60 requests left" in limit.summary
    assert limit.evidence["remaining"] == 0 and limit.evidence["resource"] == "core"
    assert "Signing in" in limit.summary  # no token was sent: a bigger allowance is one fix
    assert session.causes[0].id == "rate-limit"


def test_waf_block_page_is_attributed_to_the_edge_with_its_ray_id(lab):
    session = probe(lab, "waf")
    who = result(session, "who-refused")
    assert who.status == "fail" and who.evidence["layer"] == "edge" and "Cloudflare" in who.summary
    refs = result(session, "references")
    base = next(e for e in session.exchanges if e.check == "baseline")
    ray = base.response_headers.get("cf-ray")
    assert f"cf-ray {ray}" in refs.evidence["ids"]
    ref = next(r for r in session.references if r.kind == "cf-ray")
    assert ref.value == ray and "Security > Events" in ref.lookup and ref.at == base.at
    assert any(r.kind == "utc-time" for r in session.references)
    assert session.causes[0].id == "waf"


def test_directory_listing_is_told_from_the_stock_page_on_a_folder(lab):
    session = probe(lab, "directory-listing")
    who = result(session, "who-refused")
    assert who.status == "fail" and "folder" in who.summary and who.evidence["layer"] == "server"
    assert session.causes[0].id == "directory-listing"


def test_ip_allowlist_is_found_by_the_alternate_source(lab):
    before = len(lab.requests)
    session = probe(lab, "ip-allowlist", alt_sources=["127.0.0.2"])
    alt = result(session, "alt-route")
    assert alt.status == "fail" and alt.evidence["routes"] == {"normal": 403, "alt-source 127.0.0.2": 200}
    assert session.causes[0].id == "ip-block"
    clients = {r.client_ip for r in lab.requests[before:]}
    assert clients == {"127.0.0.1", "127.0.0.2"}


def test_file_permissions_are_explained_by_the_log(logged_lab):
    session = probe(logged_lab, "file-permissions", log_file=str(logged_lab.log_path))
    scan = result(session, "log-scan")
    assert scan.status == "fail" and "may not read the file" in scan.summary
    assert "(13: Permission denied)" in scan.evidence["lines"][0]
    assert session.causes[0].id == "file-permissions"


def test_problem_details_are_shown_verbatim(lab):
    session = probe(lab, "app-rule")
    problem = result(session, "problem-details")
    assert '"Not enough credit for this export."' in problem.summary
    assert '"The annual export costs 50 credits and the account has 30 left."' in problem.summary
    assert problem.evidence["type"] == "https://lab.example/problems/out-of-credit"
    assert session.causes[0].id == "app-rule"


def test_api_gateway_missing_token_reads_as_a_wrong_path(lab):
    session = probe(lab, "not-found")
    denial = result(session, "denial-message")
    assert denial.status == "fail" and "does not exist" in denial.summary
    assert session.causes[0].id == "not-found"


def test_expired_signed_link_is_read_from_the_s3_error(lab):
    session = probe(lab, "signed-url")
    denial = result(session, "denial-message")
    assert "signed link has expired" in denial.summary and denial.evidence["error_code"] == "AccessDenied"
    assert result(session, "parent-resource").status == "skipped"  # a signed link opens one object only
    assert session.causes[0].id == "signed-url"


def test_drf_missing_credentials_means_sign_in(lab):
    session = probe(lab, "missing-credentials")
    assert "sign in" in result(session, "denial-message").summary
    assert session.causes[0].id == "credentials"


def test_whoami_names_the_account_on_the_same_origin_only(lab):
    session = scenario_session(lab, "insufficient-scope")
    run(session, whoami=lab.base_url + "/whoami")
    who = result(session, "whoami")
    assert who.status == "pass" and "alice@lab.example" in who.summary and who.evidence["has_scope"] == "reports:read"
    elsewhere = scenario_session(lab, "insufficient-scope")
    before = len(lab.requests)
    run(elsewhere, whoami="http://127.0.0.2:%d/whoami" % lab.port)
    assert result(elsewhere, "whoami").status == "skipped"
    assert "only ever sent to the site they were given for" in result(elsewhere, "whoami").summary
    assert all(r.path != "/whoami" for r in lab.requests[before:])


def test_user_agent_comparison_is_disclosed(lab):
    session = run(scenario_session(lab, "bot-challenge", browser_user_agent=CHROME))
    ua = result(session, "user-agent-compare")
    assert CHROME in ua.summary and ua.evidence["user_agent_sent"] == CHROME
    assert ua.evidence["status_with_other_user_agent"] == 403
    assert result(session, "who-refused").evidence["layer"] == "edge"
    assert session.causes[0].id == "bot-challenge"


def test_a_granted_page_sends_no_comparison_probes(lab):
    before = len(lab.requests)
    session = probe(lab, "ok")
    assert result(session, "baseline").status == "pass"
    assert len(lab.requests) - before == 1
