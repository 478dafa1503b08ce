"""The passive checks on recorded answers (as with --response or --har): vendor denials, tokens, challenges,
limits, caches and log lines, each read the way a user sees it in the report. Nothing is sent in these tests.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import time
from email.utils import format_datetime

import pytest

from tests.test_checks_conduct import result
from wizard403.checks import run_checks
from wizard403.checks.challenges import parse_challenges
from wizard403.model import Exchange, Headers, ProbeOptions, Session, Target

URL = "https://api.example.com/v1/things/42"


def recorded(status=403, headers=(), body=b"", url=URL, method="GET", request_headers=(), log_file=None,
             browser_user_agent=None, at=None) -> Session:
    session = Session(Target(url=url, method=method, headers=Headers(list(request_headers)),
                             browser_user_agent=browser_user_agent, source="response"))
    ex = Exchange("recorded", method, url, status=status, request_headers=Headers(list(request_headers)),
                  response_headers=Headers(list(headers)), body=body)
    if at is not None:
        ex.at = at
    session.exchanges.append(ex)
    asyncio.run(run_checks(session, ProbeOptions(log_file=log_file), live=False))
    return session


def jwt(claims: dict, alg: str = "RS256") -> str:
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': alg, 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk"


# ---------------------------------------------------------------- step 1


def test_several_challenges_in_one_header_and_across_headers():
    found = parse_challenges([
        'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
        "Negotiate YIIBhQYGKwYBBQUCoIIBeTCCAXWgMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHgYKKwYBBAGCNwICCg==",
    ])
    assert [c.scheme for c in found] == ["Newauth", "Basic", "Negotiate"]
    assert found[0].params == {"realm": "apps", "type": "1", "title": 'Login to "apps"'}
    assert found[1].get("realm") == "simple"
    assert found[2].token68.endswith("==")


def test_insufficient_scope_among_other_challenges():
    header = 'Basic realm="x", Bearer realm="api", error="insufficient_scope", scope="repo:write admin", error_description="needs more"'
    session = recorded(headers=[("WWW-Authenticate", header)], request_headers=[("Authorization", "Bearer " + jwt(
        {"scope": "repo:read", "exp": time.time() + 600, "aud": "https://api.example.com"}))])
    challenge = result(session, "www-authenticate")
    assert challenge.status == "fail"
    assert challenge.evidence["missing_scopes"] == ["repo:write", "admin"]
    assert challenge.evidence["challenges"] == ["Basic realm=x", "Bearer realm=api"]
    assert '("needs more")' in challenge.summary


def test_jwt_problems_not_yet_valid_wrong_audience_unsigned():
    now = time.time()
    token = jwt({"sub": "bob", "nbf": now + 3600, "exp": now + 7200, "aud": ["https://other.example.net"]}, alg="none")
    session = recorded(request_headers=[("Authorization", f"Bearer {token}")])
    read = result(session, "token-inspect")
    problems = " ".join(read.evidence["problems"])
    assert "not valid before" in problems and "other.example.net, not for api.example.com" in problems
    assert "unsigned (alg none)" in problems
    assert read.status == "fail" and read.supports["credentials"] >= 0.3


def test_clock_skew_is_measured_against_the_servers_date():
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    server_date = format_datetime(now + dt.timedelta(minutes=20), usegmt=True)
    token = jwt({"sub": "carol", "exp": (now + dt.timedelta(minutes=10)).timestamp(), "aud": "https://api.example.com"})
    session = recorded(headers=[("Date", server_date)], request_headers=[("Authorization", f"Bearer {token}")], at=now)
    read = result(session, "token-inspect")
    assert read.evidence["server_clock_offset_s"] == 1200
    problems = " ".join(read.evidence["problems"])
    # By the server's clock the token has already expired, though this computer thinks it has 10 minutes left.
    assert "expired 10 min ago" in problems and "20 min ahead" in problems


def test_a_current_token_is_described_without_revealing_it():
    token = jwt({"sub": "dana", "scp": ["Files.Read", "User.Read"], "exp": time.time() + 3000, "aud": "https://api.example.com",
                 "iss": "https://login.example.com/"})
    session = recorded(request_headers=[("Authorization", f"Bearer {token}")])
    read = result(session, "token-inspect")
    assert read.status == "pass" and "dana" in read.summary and "Files.Read User.Read" in read.summary
    assert token.split(".")[2] not in repr(read)


@pytest.mark.parametrize(
    "header, value, kind",
    [
        ("Authorization", "Bearer ghp_" + "a" * 36, "GitHub classic personal access token"),
        ("Authorization", "Bearer github_pat_" + "b" * 60, "GitHub fine-grained"),
        ("Private-Token", "glpat-" + "c" * 20, "GitLab"),
        ("Authorization", "Bearer xoxb-1234-5678-abcdef", "Slack bot token"),
        ("X-Api-Key", "AKIAABCDEFGHIJKLMNOP", "AWS long-term access key"),
        ("Authorization", "Bearer pk_live_0123456789abcdef", "publishable key"),
    ],
)
def test_opaque_token_prefixes_name_the_credential(header, value, kind):
    read = result(recorded(request_headers=[(header, value)]), "token-inspect")
    assert kind in read.evidence["kind"]
    assert value not in repr(read)


def test_basic_credentials_show_the_user_only():
    pair = base64.b64encode(b"erin:hunter2").decode()
    read = result(recorded(request_headers=[("Authorization", f"Basic {pair}")]), "token-inspect")
    assert read.evidence["user"] == "erin" and "hunter2" not in repr(read)


# ---------------------------------------------------------------- step 2


def test_aws_iam_message_gives_principal_action_resource_and_policy_layer():
    message = (
        "User: arn:aws:sts::123456789012:assumed-role/Resizer/fn is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::photos-bucket/cat.jpg" because no identity-based policy allows the s3:GetObject action'
    )
    body = f"<Error><Code>AccessDenied</Code><Message>{message}</Message><RequestId>ABC123DEF456</RequestId></Error>".encode()
    session = recorded(headers=[("Content-Type", "application/xml"), ("x-amz-request-id", "ABC123DEF456")], body=body)
    denial = result(session, "denial-message")
    assert denial.evidence["principal"] == "arn:aws:sts::123456789012:assumed-role/Resizer/fn"
    assert denial.evidence["action"] == "s3:GetObject"
    assert denial.evidence["resource"] == "arn:aws:s3:::photos-bucket/cat.jpg"
    assert denial.evidence["policy_layer"] == "no identity-based policy allows it"
    assert denial.status == "fail" and denial.supports["permissions"] >= 0.4
    assert any(r.kind == "amz-request-id" and r.value == "ABC123DEF456" for r in session.references)


def test_aws_explicit_deny_in_a_service_control_policy():
    body = json.dumps({"__type": "AccessDeniedException", "message": (
        "User: arn:aws:iam::111122223333:user/ana is not authorized to perform: ec2:RunInstances on resource: "
        "arn:aws:ec2:eu-west-1:111122223333:instance/* with an explicit deny in a service control policy")}).encode()
    denial = result(recorded(headers=[("Content-Type", "application/x-amz-json-1.1")], body=body), "denial-message")
    assert denial.evidence["policy_layer"] == "explicit deny in a service control policy"
    assert "cloud-platform team" in denial.summary


def test_kubernetes_status_names_user_verb_resource_and_namespace():
    body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
                       "message": 'pods is forbidden: User "system:serviceaccount:ci:deployer" cannot list resource "pods" '
                                  'in API group "" in the namespace "prod"'}).encode()
    session = recorded(headers=[("Content-Type", "application/json"), ("Audit-Id", "4f8c-11aa")], body=body)
    denial = result(session, "denial-message")
    assert (denial.evidence["principal"], denial.evidence["action"], denial.evidence["resource"], denial.evidence["namespace"]) == (
        "system:serviceaccount:ci:deployer", "list", "pods", "prod")
    assert "kubectl auth can-i" in denial.summary
    assert any(r.kind == "audit-id" and r.value == "4f8c-11aa" for r in session.references)


def test_kubernetes_anonymous_user_means_the_credentials_were_not_seen():
    body = json.dumps({"kind": "Status", "message": 'nodes is forbidden: User "system:anonymous" cannot list resource "nodes" '
                                                    'in API group "" at the cluster scope', "code": 403}).encode()
    denial = result(recorded(headers=[("Content-Type", "application/json")], body=body), "denial-message")
    assert denial.supports["credentials"] >= 0.4 and "not recognised" in denial.summary


def test_github_scopes_granted_against_accepted():
    session = recorded(
        headers=[("Content-Type", "application/json"), ("X-OAuth-Scopes", "repo, user"), ("X-Accepted-OAuth-Scopes", "admin:org"),
                 ("X-GitHub-Request-Id", "C0DE:1A2B:3C4D")],
        body=b'{"message": "Must have admin rights to Repository.", "documentation_url": "https://docs.github.com/rest"}',
    )
    denial = result(session, "denial-message")
    assert denial.evidence["missing_scope"] == "admin:org" and denial.evidence["granted_scopes"] == "repo, user"
    assert "your token has repo, user" in denial.summary


def test_github_fine_grained_permission_header():
    denial = result(recorded(headers=[("X-Accepted-GitHub-Permissions", "contents=write; pull_requests=write")],
                             body=b'{"message": "Resource not accessible by integration"}'), "denial-message")
    assert denial.evidence["missing_permission"] == "contents=write; pull_requests=write"
    assert "contents=write or pull_requests=write" in denial.summary


@pytest.mark.parametrize(
    "code, detail, cause",
    [
        ("AuthorizationPermissionMismatch", "", "permissions"),
        ("AuthorizationSourceIPMismatch", "", "ip-block"),
        ("AuthenticationFailed", "Signature not valid in the specified time frame: Start [x] - Expiry [y] - Current [z]", "signed-url"),
    ],
)
def test_azure_storage_error_codes(code, detail, cause):
    body = (f"<?xml version='1.0'?><Error><Code>{code}</Code><Message>Nope.\nRequestId:8a1b2c3d-0000-1111-2222-333344445555\n"
            f"Time:2026-01-01T00:00:00Z</Message><AuthenticationErrorDetail>{detail}</AuthenticationErrorDetail></Error>").encode()
    session = recorded(headers=[("x-ms-error-code", code), ("x-ms-request-id", "8a1b2c3d-0000-1111-2222-333344445555")], body=body)
    denial = result(session, "denial-message")
    assert denial.evidence["source"] == "Azure Storage"
    assert max(denial.supports, key=denial.supports.get) == cause


def test_google_api_not_enabled_is_configuration():
    body = json.dumps({"error": {"code": 403, "message": "Drive API has not been used in project 123 before or it is disabled.",
                                 "status": "PERMISSION_DENIED", "details": [{"reason": "SERVICE_DISABLED"}]}}).encode()
    denial = result(recorded(headers=[("Content-Type", "application/json")], body=body), "denial-message")
    assert denial.supports["config"] >= 0.4 and "not enabled" in denial.summary


# ---------------------------------------------------------------- step 3 and 4


def test_csrf_signs_of_spring_and_of_a_bare_unsafe_request():
    spring = recorded(body=b'{"message": "Invalid CSRF Token \'null\' was found on the request parameter \'_csrf\'"}',
                      headers=[("Content-Type", "application/json")], method="POST")
    assert result(spring, "csrf-evidence").evidence["framework"] == "Spring Security"
    bare = recorded(body=b"<h1>403</h1>", method="DELETE", request_headers=[("Cookie", "sid=1")])
    csrf = result(bare, "csrf-evidence")
    assert csrf.status == "warn" and "neither an Origin nor a Referer" in csrf.summary


def test_problem_xml_is_read_too():
    body = (b'<?xml version="1.0"?><problem xmlns="urn:ietf:rfc:7807"><type>https://ex.com/probs/locked</type>'
            b"<title>Account locked</title><detail>Too many failed sign-ins.</detail></problem>")
    problem = result(recorded(headers=[("Content-Type", "application/problem+xml")], body=body), "problem-details")
    assert problem.evidence["title"] == "Account locked" and '"Too many failed sign-ins."' in problem.summary


@pytest.mark.parametrize(
    "headers, body, expect",
    [
        ([("RateLimit-Limit", "100"), ("RateLimit-Remaining", "0"), ("RateLimit-Reset", "90")], b"", "0 of 100 requests left"),
        ([("RateLimit", "limit=10, remaining=0, reset=30")], b"", "0 of 10 requests left"),
        ([("Retry-After", "120")], b'{"error": {"errors": [{"reason": "userRateLimitExceeded"}]}}', "wait 120 s"),
        ([], b"You have exceeded a secondary rate limit. Please wait a few minutes.", "used up your allowance"),
    ],
)
def test_rate_limit_header_families_and_wording(headers, body, expect):
    limit = result(recorded(headers=headers, body=body), "rate-limit-headers")
    assert limit.status == "fail" and expect in limit.summary


def test_remaining_requests_rule_out_a_rate_limit():
    limit = result(recorded(headers=[("X-RateLimit-Remaining", "4999"), ("X-RateLimit-Limit", "5000")]), "rate-limit-headers")
    assert limit.status == "pass" and limit.supports["rate-limit"] < 0


def test_client_network_filter_is_not_blamed_on_the_site():
    body = b"<html><body>ERROR: Access control configuration prevents your request from being allowed at this time.</body></html>"
    who = result(recorded(headers=[("Server", "squid/5.7"), ("Content-Type", "text/html")], body=body), "who-refused")
    assert who.evidence["layer"] == "client" and "IT team" in who.summary


def test_cdn_presence_is_not_a_cdn_block():
    body = b"<html><body>You are not a member of this project.</body></html>"
    who = result(recorded(headers=[("Server", "cloudflare"), ("CF-Ray", "8a1b2c3d4e5f6789-AMS"), ("Content-Type", "text/html")],
                          body=body), "who-refused")
    assert who.evidence["layer"] == "application"
    assert "Cloudflare" in who.evidence["on_path"] and "only passed the answer along" in who.summary


def test_cache_hit_from_a_cdn_header():
    cache = result(recorded(headers=[("CF-Cache-Status", "HIT"), ("Age", "812")]), "cache-evidence")
    assert cache.status == "warn" and "cf-cache-status: HIT" in cache.summary
    miss = result(recorded(headers=[("CF-Cache-Status", "DYNAMIC"), ("Cache-Control", "private")]), "cache-evidence")
    assert miss.status == "pass" and miss.supports["cached-403"] < 0


def test_references_from_block_pages():
    body = (b"<html><title>Access Denied</title><h1>Access Denied</h1>You don't have permission to access this server."
            b"<p>Reference&#32;#18.2d351ab8.1557333295.a4e16ab</p></html>")
    session = recorded(headers=[("Server", "AkamaiGHost")], body=body)
    refs = result(session, "references")
    ref = next(r for r in session.references if r.kind == "akamai-reference")
    assert ref.value.endswith("1557333295.a4e16ab") and "Error Translator" in ref.lookup
    assert "Akamai" in refs.summary


# ---------------------------------------------------------------- step 6: log files


def _log(tmp_path, lines: list[str]):
    path = tmp_path / "error.log"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _apache_time(when: dt.datetime) -> str:
    return when.astimezone().strftime("%a %b %d %H:%M:%S.123456 %Y")


@pytest.mark.parametrize(
    "line, meaning, cause",
    [
        ("[{t}] [authz_core:error] [pid 41:tid 7] [client 203.0.113.9:50312] AH01630: client denied by server configuration: /var/www/html/v1/things/42",
         "access rule", "ip-block"),
        ("[{t}] [autoindex:error] [pid 41] [client 203.0.113.9:50312] AH01276: Cannot serve directory /var/www/html/v1/things/42/: "
         "No matching DirectoryIndex (index.html) found, and server-generated directory index forbidden by Options directive",
         "no index file", "directory-listing"),
        ("[{t}] [core:error] [pid 41] [client 203.0.113.9:50312] AH00035: access to /v1/things/42 denied (filesystem path "
         "'/var/www/html/v1') because search permissions are missing on a component of the path", "search permission", "file-permissions"),
        ('[{t}] [security2:error] [pid 41] [client 203.0.113.9:50312] ModSecurity: Access denied with code 403 (phase 2). '
         '[id "949110"] [msg "Inbound Anomaly Score Exceeded (Total Score: 10)"] [uri "/v1/things/42"] [unique_id "Zx1"]',
         "web application firewall", "waf"),
    ],
)
def test_apache_and_modsecurity_lines_are_explained(tmp_path, line, meaning, cause):
    now = dt.datetime.now(dt.timezone.utc)
    other = line.replace("/v1/things/42", "/elsewhere")
    log = _log(tmp_path, [other.format(t=_apache_time(now)), line.format(t=_apache_time(now))])
    scan = result(recorded(log_file=log), "log-scan")
    assert scan.status == "fail", scan.summary
    assert meaning in scan.summary and "203.0.113.9" in scan.summary
    assert max(scan.supports, key=scan.supports.get) == cause
    assert len(scan.evidence["lines"]) == 1
    if cause == "waf":
        assert scan.evidence["modsecurity_rules"] == ["949110"] and "rule 949110" in scan.summary


def test_old_log_lines_are_shown_but_weigh_less(tmp_path):
    old = (dt.datetime.now() - dt.timedelta(days=3)).strftime("%Y/%m/%d %H:%M:%S")
    log = _log(tmp_path, [f'{old} [error] 7#7: *1 access forbidden by rule, client: 10.1.1.1, server: x, '
                          f'request: "GET /v1/things/42 HTTP/1.1", host: "api.example.com"'])
    scan = result(recorded(log_file=log), "log-scan")
    assert "older than this run" in scan.summary and scan.supports["ip-block"] < 0.3


def test_access_log_alone_says_the_request_reached_the_server(tmp_path):
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")
    log = _log(tmp_path, [f'198.51.100.4 - - [{stamp}] "GET /v1/things/42 HTTP/1.1" 403 153 "-" "curl/8.5.0"'])
    scan = result(recorded(log_file=log), "log-scan")
    assert scan.status == "info" and "198.51.100.4" in scan.summary and "error log" in scan.summary


def test_a_log_without_this_path_says_it_may_be_the_wrong_log(tmp_path):
    scan = result(recorded(log_file=_log(tmp_path, ["2026/01/01 00:00:00 [notice] 1#1: start worker processes"])), "log-scan")
    assert "no line about /v1/things/42" in scan.summary


def test_a_recorded_token_is_judged_at_the_time_of_the_recording():
    """An old HAR must not call its token expired because years have passed since it was recorded."""
    import asyncio
    import base64
    import datetime as dt
    import json as _json

    from wizard403.content import load_content
    from wizard403.headless import analyse
    from wizard403.model import Exchange, Headers, ProbeOptions, Session, Target

    def part(obj) -> str:
        return base64.urlsafe_b64encode(_json.dumps(obj).encode()).decode().rstrip("=")

    recorded = dt.datetime(2024, 5, 2, 10, 0, tzinfo=dt.timezone.utc)
    exp = int((recorded + dt.timedelta(hours=1)).timestamp())
    token = f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': 'bob', 'exp': exp, 'iat': exp - 7200})}.c2lnbmF0dXJlX3NpZ25hdHVyZQ"
    headers = Headers([("Authorization", f"Bearer {token}")])
    target = Target(url="https://api.example.test/v1/x", headers=headers, source="har")
    session = Session(target=target)
    session.exchanges.append(Exchange("recorded", "GET", target.url, status=403, reason="Forbidden", request_headers=headers, at=recorded))
    asyncio.run(analyse(session, ProbeOptions(), load_content(), live=False))
    reading = session.check("token-inspect")
    assert reading.status == "pass" and "expired" not in reading.summary


def test_the_layers_that_only_passed_a_refusal_along_are_named_in_one_sentence():
    from wizard403.checks.network import _passed_along

    assert _passed_along(["Cloudflare"]) == " Cloudflare was on the path but only passed the answer along."
    assert _passed_along(["a CDN (Fastly or Varnish)", "An HTTP cache on the path", "Rate-limit headers"]) == (
        " A CDN (Fastly or Varnish), an HTTP cache on the path and rate-limit headers were on the path but only"
        " passed the answer along.")
