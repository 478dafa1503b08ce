"""The rule engine: how checks, answers and signatures combine, what the verdict says, and how content extends it."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.borrowed import borrowed_runs_in, seed_hashes
from wizard403.content import load_content
from wizard403.diagnose import analyse_exchange, diagnose, explain_ranking, match_exchange, primary_exchange
from wizard403.diagnose.catalogue import catalogue_for, load_catalogue
from wizard403.diagnose.literals import required_literals
from wizard403.diagnose.scoring import HIGH_AT, MEDIUM_AT, UNKNOWN_BASE, combine, likelihood
from wizard403.diagnose.signatures import BODY_LIMIT
from wizard403.diagnose.verdict import TELLING_CHECKS
from wizard403.errors import ContentError
from wizard403.model import CAUSE_IDS, LAYERS, CheckResult, Exchange, Session, Target

ROOT = Path(__file__).resolve().parent.parent
T0 = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.timezone.utc)

NGINX_403 = b"<html>\n<head><title>403 Forbidden</title></head>\n<body>\n<center><h1>403 Forbidden</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n"


def exchange(status=403, body=b"", headers=(), check="baseline", url="https://api.example.test/v1/items/42",
             method="GET", request_headers=(), at=T0, error=None) -> Exchange:
    return Exchange(check=check, method=method, url=url, status=None if error else status,
                    response_headers=list(headers), request_headers=list(request_headers), body=body, at=at,
                    error=error)


def session_with(*exchanges: Exchange, checks=(), target=None) -> Session:
    target = target or Target(url="https://api.example.test/v1/items/42",
                              headers=[("Authorization", "Bearer abc.def.ghi")])
    return Session(target=target, exchanges=list(exchanges), checks=list(checks))


def plain_json_403() -> Exchange:
    return exchange(body=b'{"error":"forbidden"}', headers=[("Content-Type", "application/json")],
                    request_headers=[("Authorization", "Bearer abc.def.ghi")])


def rank(session: Session) -> list[str]:
    return [c.id for c in session.causes]


def cause(session: Session, cause_id: str):
    return next(c for c in session.causes if c.id == cause_id)


# --------------------------------------------------------------------------------------------------------------------
# Scoring rule


def test_combination_rule_is_the_documented_one():
    assert combine(0.45, []) == 0.45
    assert combine(0.45, [0.5]) == pytest.approx(0.725, abs=0.001)
    assert combine(0.45, [0.5, -0.4]) == pytest.approx(0.435, abs=0.001)
    assert combine(0.05, [0.99, 0.99]) < 1.0  # never certain
    assert likelihood(HIGH_AT) == "high" and likelihood(MEDIUM_AT) == "medium" and likelihood(MEDIUM_AT - 0.01) == "low"
    # No seed prior reaches "medium" on its own, and "unknown" starts above every prior.
    content = load_content()
    assert max(info.prior for info in content.causes.values()) < UNKNOWN_BASE < MEDIUM_AT


# --------------------------------------------------------------------------------------------------------------------
# Checks and answers move the ranking


def test_bare_403_leaves_unknown_first_and_says_what_would_tell():
    session = session_with(plain_json_403())
    diagnose(session)
    assert session.causes[0].id == "unknown" and session.causes[0].likelihood == "low"
    # The seeds' priors are listed even without evidence, and "unknown" explains what to do next.
    assert {"permissions", "credentials", "ip-block", "waf"} <= set(rank(session))
    unknown = session.causes[0]
    content = load_content()
    assert any(content.causes["permissions"].tells_apart in line for line in unknown.evidence)
    assert any(line.startswith("answer the question") for line in unknown.evidence)
    assert any(line.startswith("run the check anonymous-retry") for line in unknown.evidence)
    assert session.verdict.who_refused == "unknown"
    assert "to narrow it down" in session.verdict.summary
    assert session.verdict.reproduced is True


def test_anonymous_retry_result_moves_permissions_to_the_top_with_its_summary_as_evidence():
    result = CheckResult(
        id="anonymous-retry", step=1, status="fail",
        summary="Without credentials the server answers 401, with yours 403: you are signed in but not allowed.",
        supports={"permissions": 0.35, "credentials": -0.3},
    )
    before = session_with(plain_json_403())
    diagnose(before)
    after = session_with(plain_json_403(), checks=[result])
    diagnose(after)
    assert after.causes[0].id == "permissions"
    assert cause(after, "permissions").score > cause(before, "permissions").score
    assert cause(after, "credentials").score < cause(before, "credentials").score
    line = f"anonymous-retry: {result.summary}"
    assert any(e.startswith(line) and "(+0.35)" in e for e in cause(after, "permissions").evidence)
    assert any(e.startswith(line) and "(-0.30)" in e for e in cause(after, "credentials").evidence)
    assert "anonymous-retry" in explain_ranking(after)


def test_suggested_checks_exist_and_a_check_that_ran_is_not_suggested_again():
    content = load_content()
    assert {c for ids in TELLING_CHECKS.values() for c in ids} <= set(content.checks)
    assert set(TELLING_CHECKS) == set(CAUSE_IDS) - {"unknown"}
    ran = CheckResult(id="anonymous-retry", step=1, status="info", summary="Both answers are 403.")
    session = session_with(plain_json_403(), checks=[ran])
    diagnose(session)
    assert not any(line.startswith("run the check anonymous-retry") for line in cause(session, "unknown").evidence)


def test_skipped_check_lends_no_weight():
    result = CheckResult(id="alt-route", step=4, status="skipped", summary="No alternate route was given.",
                         supports={"ip-block": 0.5})
    session = session_with(plain_json_403(), checks=[result])
    diagnose(session)
    assert not any("alt-route" in e for e in cause(session, "ip-block").evidence)


def test_answer_yes_to_recent_role_change_raises_permissions_and_is_quoted():
    content = load_content()
    question = content.question("recent-role-change")
    assert question is not None and question.effects["yes"]["permissions"] > 0
    session = session_with(plain_json_403())
    diagnose(session)
    before = cause(session, "permissions").score
    session.set_answer(question.step, "recent-role-change", "yes")
    diagnose(session)
    permissions = cause(session, "permissions")
    assert permissions.score > before
    assert session.causes[0].id == "permissions"
    assert any("answer recent-role-change" in e and question.text in e and "answered yes" in e
               for e in permissions.evidence)
    # The question that was answered is no longer suggested.
    assert not any("(recent-role-change," in e for e in cause(session, "unknown").evidence)


def test_answer_can_argue_against_a_cause():
    session = session_with(plain_json_403())
    session.set_answer(4, "other-network-works", "no")
    diagnose(session)
    ip = cause(session, "ip-block")
    assert ip.score < load_content().causes["ip-block"].prior
    assert any("answer other-network-works" in e and "(-" in e for e in ip.evidence)


def test_ranking_is_deterministic_and_diagnose_is_repeatable():
    ex = exchange(body=b"<html>Cloudflare Ray ID: <strong>0123456789abcdef</strong></html>",
                  headers=[("CF-Ray", "0123456789abcdef-LAX"), ("Server", "cloudflare")])
    session = session_with(ex)
    diagnose(session)
    first = [(c.id, c.score, tuple(c.evidence)) for c in session.causes]
    diagnose(session)
    assert [(c.id, c.score, tuple(c.evidence)) for c in session.causes] == first
    # The header's Ray ID and the page's shorter copy of it are one reference, kept once, in its long form.
    assert [(r.kind, r.value) for r in session.references] == [("cf-ray", "0123456789abcdef-LAX")]
    # Equal scores keep the fixed order of model.CAUSE_IDS.
    order = {cid: i for i, cid in enumerate(CAUSE_IDS)}
    for a, b in zip(session.causes, session.causes[1:]):
        assert a.score > b.score or (a.score == b.score and order[a.id] < order[b.id])


def test_explain_ranking_names_both_causes_and_the_deciding_evidence():
    session = analyse_exchange(exchange(body=b'{"detail":"CSRF Failed: CSRF token missing."}', method="POST",
                                        headers=[("Content-Type", "application/json")]))
    sentence = explain_ranking(session)
    first, second = session.causes[0], session.causes[1]
    assert sentence.startswith(f"{first.id} ({first.score:.2f}")
    assert f"ranks above {second.id}" in sentence
    assert "django-rest-framework/csrf-failed" in sentence
    assert sentence.endswith(".") and "\n" not in sentence


# --------------------------------------------------------------------------------------------------------------------
# Which exchanges count, references, reproduced


def test_only_the_baseline_is_scored_but_references_come_from_every_exchange():
    baseline = exchange(body=NGINX_403, headers=[("Server", "cloudflare"), ("CF-Ray", "1111111111111111-AMS")])
    # Another check's exchange shows a Cloudflare block page: it names a reference, but does not score.
    other = exchange(check="user-agent-compare", at=T0 + dt.timedelta(seconds=3),
                     body=b"<html><span>Error</span> <span>1020</span> Cloudflare Ray ID: 2222222222222222</html>",
                     headers=[("Server", "cloudflare"), ("CF-Ray", "2222222222222222-AMS")])
    session = session_with(baseline, other)
    assert primary_exchange(session) is baseline
    diagnose(session)
    assert session.causes[0].id != "waf" and cause(session, "waf").likelihood == "low"
    assert session.verdict.who_refused == "server"
    refs = {(r.kind, r.value): r for r in session.references}
    assert ("cf-ray", "1111111111111111-AMS") in refs and ("cf-ray", "2222222222222222-AMS") in refs
    assert refs[("cf-ray", "2222222222222222-AMS")].at == T0 + dt.timedelta(seconds=3)
    assert refs[("cf-ray", "2222222222222222-AMS")].source == "Cloudflare"
    assert "Security" in refs[("cf-ray", "2222222222222222-AMS")].lookup


def test_last_good_baseline_wins_over_earlier_and_failed_ones():
    early = exchange(status=200, body=b"ok")
    late = exchange(body=NGINX_403, at=T0 + dt.timedelta(seconds=5))
    broken = exchange(error="connection reset", at=T0 + dt.timedelta(seconds=9))
    session = session_with(early, late, broken)
    assert primary_exchange(session) is late
    diagnose(session)
    assert session.verdict.reproduced is True


@pytest.mark.parametrize(
    ("exchanges", "expected"),
    [
        ([], None),
        ([exchange(error="timed out")], None),
        ([exchange(status=200, body=b"hello")], False),
        ([exchange(status=302, headers=[("Location", "/home")])], False),
        ([exchange(status=401)], True),
        ([exchange(status=404)], None),
        # A block page sent with 200 (F5 does that) is still a refusal.
        ([exchange(status=200, body=b"The requested URL was rejected. Please consult with your administrator.")], True),
    ],
)
def test_reproduced(exchanges, expected):
    session = session_with(*exchanges)
    diagnose(session)
    assert session.verdict.reproduced is expected
    assert session.verdict.who_refused in LAYERS + ("unknown",)
    assert session.verdict.summary.endswith(".")


def test_granted_access_says_so_and_blames_nobody():
    session = session_with(exchange(status=200, body=b"<html>welcome</html>",
                                    headers=[("Server", "cloudflare"), ("CF-Ray", "3333333333333333-SIN")]))
    diagnose(session)
    assert session.verdict.reproduced is False
    assert session.verdict.who_refused == "unknown"
    assert "not refused" in session.verdict.summary


def test_vendor_presence_alone_never_makes_the_edge_who_refused():
    headers = [("Server", "cloudflare"), ("CF-Ray", "4444444444444444-LAX"), ("X-Amz-Cf-Id", "a" * 40),
               ("Via", "1.1 google"), ("X-Azure-Ref", "0abcdefghijklmnopqrstu"), ("Server", "AkamaiGHost")]
    session = analyse_exchange(exchange(headers=headers, body=b""))
    assert all(h.proves == "presence" for h in match_exchange(session.exchanges[0]))
    assert session.verdict.who_refused == "unknown"
    assert cause(session, "waf").likelihood == "low"
    assert session.causes[0].id not in ("waf", "bot-challenge")


def test_api_refusal_without_any_credentials_points_at_sign_in():
    bare = exchange(body=b'{"error":"forbidden"}', headers=[("Content-Type", "application/json")])
    session = analyse_exchange(bare)
    assert any(e.startswith("http-status/api-request-without-credentials:") and "(+0.30)" in e
               for e in cause(session, "credentials").evidence)
    signed = analyse_exchange(plain_json_403())
    assert cause(signed, "credentials").score < cause(session, "credentials").score


def test_context_without_weight_is_shown_with_the_unknown_cause():
    head = exchange(method="HEAD", headers=[("Server", "AmazonS3"), ("x-amz-request-id", "ABCDEF1234567890")])
    session = analyse_exchange(head)
    unknown = cause(session, "unknown")
    assert any("http-status/head-has-no-body" in e and "GET" in e for e in unknown.evidence)
    assert any("aws-s3/presence" in e for e in unknown.evidence)
    assert ("amz-request-id", "ABCDEF1234567890") in {(r.kind, r.value) for r in session.references}


# --------------------------------------------------------------------------------------------------------------------
# Offline analysis


def test_analyse_exchange_builds_a_response_target():
    ex = exchange(check="recorded", method="POST", request_headers=[("Cookie", "a=1")], body=NGINX_403)
    session = analyse_exchange(ex)
    assert session.target.source == "response" and session.target.method == "POST"
    assert session.target.url == ex.url and session.target.cookies == {"a": "1"}
    assert session.exchanges == [ex] and not session.checks
    own = Target(url="https://other.example/", source="har")
    assert analyse_exchange(ex, own).target is own


# --------------------------------------------------------------------------------------------------------------------
# Matching


def test_match_exchange_reports_block_and_presence_with_extracted_fields():
    body = (b'{"kind":"Status","status":"Failure","message":"pods is forbidden: User \\"jane@example.com\\" cannot '
            b'delete resource \\"pods\\" in API group \\"\\" in the namespace \\"shop\\"","reason":"Forbidden","code":403}')
    hits = match_exchange(exchange(body=body, headers=[("Audit-Id", "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"),
                                                       ("Content-Type", "application/json")]))
    by_name = {h.name: h for h in hits}
    assert by_name["kubernetes/presence"].proves == "presence"
    rbac = by_name["kubernetes/rbac-denied"]
    assert rbac.proves == "block" and rbac.layer == "identity" and rbac.causes["permissions"] > 0.5
    assert rbac.extracted["principal"] == "jane@example.com"
    assert rbac.extracted["action"] == "delete" and rbac.extracted["namespace"] == "shop"
    assert ("audit-id", "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b") in rbac.references
    assert "jane@example.com" in rbac.line and "{" not in rbac.line


def test_matching_is_case_insensitive_by_default():
    lower = match_exchange(exchange(body=b"<h2>why have i been blocked?</h2>", headers=[("cf-ray", "5555555555555555")]))
    assert any(h.name == "cloudflare/blocked-page" for h in lower)


def test_body_is_matched_on_its_first_256_kib_only():
    marker = b"The requested URL was rejected. Please consult with your administrator."
    near = exchange(body=b" " * 1000 + marker)
    far = exchange(body=b" " * BODY_LIMIT + marker)
    assert any(h.name == "f5/asm-block-page" for h in match_exchange(near))
    assert not any(h.name == "f5/asm-block-page" for h in match_exchange(far))


@pytest.mark.parametrize(
    ("pattern", "flags", "text"),
    [
        (r"error(\s|</?\w+[^>]*>)*(code\s*:?\s*)?1020\b", re.I, "<span>ERROR</span> <b>1020</b>"),
        (r"(Access|Request) (denied|blocked)", 0, "Request blocked"),
        (r"x(abc)?yz", 0, "xyz"),
        (r"(foo){0,3}barbaz", re.I, "BARBAZ"),
        (r"(?=lookahead)look", re.I, "LOOKAHEAD"),
        (r"a{2,}bcd", 0, "aaabcd"),
        (r"caf\u00e9 latte", re.I, "CAFÉ LATTE"),
        (r"(?i:kelvin) scale", 0, "\u212aelvin scale"),
    ],
)
def test_literal_prefilter_never_hides_a_match(pattern, flags, text):
    regex = re.compile(pattern, flags)
    assert regex.search(text)
    groups = required_literals(regex) or ()
    folded = text.casefold()
    assert all(any(literal in folded for literal in group) for group in groups)


def test_literal_prefilter_agrees_with_plain_matching_on_every_shipped_body_regex():
    catalogue = catalogue_for(load_content())
    matchers = {m.slot: m for p in catalogue.producers for s in p.signatures
                for m in s.all + s.any + s.none + s.extract + p.extract if m.kind == "body"}
    assert sum(1 for m in matchers.values() if m.anchors) > 0.9 * len(matchers)
    bodies = [tomllib.loads(path.read_text(encoding="utf-8"))["response"].get("body", "")
              for path in sorted((ROOT / "tests" / "exchanges").glob("*.toml"))]
    assert len(bodies) > 40
    for matcher in matchers.values():
        for body in bodies:
            if matcher.regex.search(body) and matcher.anchors:
                folded = body.casefold()
                assert all(any(lit in folded for lit in group) for group in matcher.anchors), matcher.key


def test_failed_exchange_has_no_hits():
    assert match_exchange(exchange(error="dns")) == []


def test_catalogue_is_compiled_once_per_content():
    content = load_content()
    assert catalogue_for(content) is catalogue_for(content)


# --------------------------------------------------------------------------------------------------------------------
# Content: an overlay adds a vendor; a broken file is one clear error


VENDOR = """
[producer]
id = "acme-shield"
name = "Acme Shield"
layer = "edge"
lookup = "Search the Acme Shield console for the shield id."

[[signatures]]
id = "block"
proves = "block"
status = [403]
all = [ { header = "x-acme-shield", value = '^blocked; id=(?P<shield_id>[0-9a-f]{12})$' } ]
refs = { shield_id = "acme-shield-id" }
causes = { waf = 0.9, permissions = -0.5 }
line = "Acme Shield blocked the request (shield id {shield_id})."
"""


def overlay_with(tmp_path: Path, name: str, text: str) -> Path:
    sig_dir = tmp_path / "signatures"
    sig_dir.mkdir(parents=True, exist_ok=True)
    (sig_dir / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_new_vendor_file_in_an_overlay_changes_the_diagnosis(tmp_path):
    ex = exchange(body=b'{"error":"denied"}', headers=[("X-Acme-Shield", "blocked; id=0a1b2c3d4e5f"),
                                                      ("Content-Type", "application/json")],
                  request_headers=[("Authorization", "Bearer abc.def.ghi")])
    shipped = analyse_exchange(ex)
    assert shipped.causes[0].id != "waf" and shipped.verdict.who_refused == "unknown"

    content = load_content(overlay=overlay_with(tmp_path, "acme.toml", VENDOR))
    session = analyse_exchange(ex, content=content)
    top = session.causes[0]
    assert top.id == "waf" and top.likelihood == "high"
    assert any(e.startswith("acme-shield/block: Acme Shield blocked the request (shield id 0a1b2c3d4e5f)")
               for e in top.evidence)
    assert session.verdict.who_refused == "edge" and "Acme Shield" in session.verdict.summary
    ref = next(r for r in session.references if r.kind == "acme-shield-id")
    assert ref.value == "0a1b2c3d4e5f" and ref.source == "Acme Shield" and "console" in ref.lookup


def test_an_overlay_file_with_a_shipped_producer_id_replaces_it(tmp_path):
    replacement = """
[producer]
id = "cloudflare"
name = "Cloudflare (our tuning)"
layer = "edge"
lookup = "Ask the web team."

[[signatures]]
id = "presence"
proves = "presence"
all = [ { header = "cf-ray" } ]
line = "Cloudflare carried this."
"""
    content = load_content(overlay=overlay_with(tmp_path, "cf.toml", replacement))
    catalogue = catalogue_for(content)
    producer = catalogue.producer("cloudflare")
    assert producer.name == "Cloudflare (our tuning)" and [s.id for s in producer.signatures] == ["presence"]
    assert len([p for p in catalogue.producers if p.id == "cloudflare"]) == 1


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        (VENDOR.replace("^blocked; id=", "^blocked; id=("), "signatures[1].all[1].value", "not a valid regular expression"),
        (VENDOR.replace("waf = 0.9", "wafs = 0.9"), "signatures[1].causes.wafs", "not a cause id"),
        (VENDOR.replace("waf = 0.9", "waf = 1.5"), "signatures[1].causes.waf", "between -1.0 and 1.0"),
        (VENDOR.replace("waf = 0.9", 'waf = "high"'), "signatures[1].causes.waf", "must be a number"),
        (VENDOR.replace('proves = "block"', 'proves = "block"\nseverity = 3'), "signatures[1].severity", "not a known key"),
        (VENDOR.replace('proves = "block"', 'proves = "maybe"'), "signatures[1].proves", "must be one of block, presence"),
        (VENDOR.replace('layer = "edge"', 'layer = "cloud"'), "producer.layer", "must be one of"),
        (VENDOR.replace("header = ", "headr = "), "signatures[1].all[1].headr", "not a known key"),
        (VENDOR.replace('refs = { shield_id = "acme-shield-id" }\n', ""), "signatures[1].all[1]", "named group (shield_id)"),
        (VENDOR.replace("(shield id {shield_id})", "({shield})"), "signatures[1].line", "{shield}"),
        (VENDOR.replace('lookup = "Search the Acme Shield console for the shield id."\n', ""), "producer.lookup", "is missing"),
        (VENDOR.replace("[[signatures]]", "[[signature]]"), "signature", "not a known key"),
        (VENDOR + "\n[[signatures]]\nid = \"block\"\nproves = \"presence\"\nstatus = [403]\nline = \"x.\"\n",
         "signatures[2].id", 'repeats "block"'),
        (VENDOR.replace("status = [403]\nall", "status = [3]\nall"), "signatures[1].status[1]", "status code"),
        ("[producer\nid = 1", "", "not valid TOML"),
    ],
)
def test_a_broken_signature_file_is_one_content_error_naming_file_and_key(tmp_path, text, key, problem):
    overlay_with(tmp_path, "acme.toml", text)
    with pytest.raises(ContentError) as err:
        load_catalogue([tmp_path])
    message = str(err.value)
    assert message.startswith(str(tmp_path / "signatures" / "acme.toml") + ":")
    assert key in message and problem in message
    assert "\n" not in message


def test_duplicate_producer_ids_in_one_dir_are_an_error(tmp_path):
    overlay_with(tmp_path, "a.toml", VENDOR)
    overlay_with(tmp_path, "b.toml", VENDOR)
    with pytest.raises(ContentError, match=r"b\.toml: producer\.id \"acme-shield\" is already used by .*a\.toml"):
        load_catalogue([tmp_path])


# --------------------------------------------------------------------------------------------------------------------
# The shipped catalogue


def test_shipped_catalogue_covers_every_cause_and_reads_well():
    catalogue = catalogue_for(load_content())
    supported = {cid for p in catalogue.producers for s in p.signatures for cid, w in s.causes.items() if w > 0}
    assert supported == set(CAUSE_IDS) - {"unknown"}
    assert len(catalogue.producers) >= 50
    for producer in catalogue.producers:
        assert producer.lookup.endswith((".", ")")), producer.id
        for sig in producer.signatures:
            assert sig.line[:1].isupper() and sig.line.endswith((".", ")", "}")), f"{producer.id}/{sig.id}"
            if sig.proves == "presence":
                # Caveat 1 of the research: being on the path never speaks for a block by that vendor.
                assert sig.causes.get("waf", 0) <= 0.4 and sig.causes.get("bot-challenge", 0) <= 0, sig.id


def test_signature_texts_are_our_own_words_not_the_seeds():
    assert len(seed_hashes()) > 1000, "tests/fixtures/borrowed-runs.txt lost the seeds' runs"
    catalogue = catalogue_for(load_content())
    for producer in catalogue.producers:
        for text in [producer.lookup] + [s.line for s in producer.signatures]:
            assert borrowed_runs_in(text, seed_hashes()) == [], f"{producer.id}: {text}"


def test_diagnosis_does_not_import_textual():
    code = "import sys, wizard403.diagnose; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_a_near_tie_is_reported_as_a_close_call_not_a_finding():
    """A stock nginx page on a folder-like admin path: directory listing and IP rule are nearly level."""
    from wizard403.diagnose import analyse_exchange
    from wizard403.model import Exchange, Headers

    page = b"<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ex = Exchange("recorded", "GET", "https://intranet.example.com/internal/", status=403, reason="Forbidden",
                  response_headers=Headers([("Server", "nginx"), ("Content-Type", "text/html")]), body=page)
    session = analyse_exchange(ex)
    first, second = session.causes[0], session.causes[1]
    assert {first.id, second.id} == {"directory-listing", "ip-block"}
    assert first.likelihood == "low" and second.likelihood == "low"
    assert first.evidence[0].startswith("too close to call")
    assert "narrow it down" in session.verdict.summary


def test_an_evidence_line_never_shows_a_blank_for_a_value_the_response_did_not_give():
    """Google names the missing permission only sometimes: without it the sentence drops its aside instead of
    reading "(missing: (not shown))"; with it, the permission is quoted."""
    def lines(body: str) -> list[str]:
        exchange = Exchange("recorded", "GET", "https://storage.googleapis.com/b/o", status=403,
                            body=body.encode(), response_headers={"Content-Type": "application/json"})
        return [line for cause in analyse_exchange(exchange).causes for line in cause.evidence]

    bare = lines('{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}')
    said = [line for line in bare if "lacks a permission for this call" in line]
    assert said and not any("not shown" in line or "missing:" in line for line in said)
    named = lines('{"error":{"code":403,"message":"Permission \'storage.objects.get\' denied on resource (or it may '
                  'not exist).","status":"PERMISSION_DENIED"}}')
    assert any("storage.objects.get" in line for line in named)


def test_asides_keep_the_values_they_have():
    from wizard403.diagnose.signatures import _filled

    line = "lacks a scope (required: {missing_scope}; granted: {granted_scopes}); ask again."
    assert _filled(line, {"missing_scope": "repo"}) == "lacks a scope (required: repo); ask again."
    assert _filled(line, {}) == "lacks a scope; ask again."
    assert _filled("reset at {reset_time}.", {}) == "reset at (not shown)."
