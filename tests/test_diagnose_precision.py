"""Evidence precision (issue 15): a producer's signature speaks only on an answer that producer can have given, and
one observation is one evidence line.

Every recorded exchange in tests/exchanges/ names in `[expect] producers` the producers it comes from (the service
that answered and those on its path: a CDN, the web server in front). A positive evidence line, or a line that
names what was seen on the response, may come only from one of those or from a generic layer: the standards' and
word-list files below and the cue layer. And no cause lists the same extracted message on two lines: readers that
saw the same message are named on one line.
"""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from tests.test_diagnose_exchanges import FILES, load_exchange
from wizard403.checks import run_checks
from wizard403.diagnose import analyse_exchange, diagnose, match_exchange
from wizard403.diagnose.catalogue import load_file
from wizard403.diagnose.message import extract_message
from wizard403.errors import ContentError
from wizard403.lab import SCENARIOS
from wizard403.model import Exchange, Headers, ProbeOptions, Session, Target

# Files of standards and word lists: they read any producer's answer, so they may speak on every exchange.
GENERIC_PRODUCERS = frozenset({
    "http-status", "api-error-words", "block-page-words", "bot-policy-words", "problem-details", "rfc6750",
    "rate-limit-headers", "session-markers", "http-cache", "cues",
})
# "producer/signature: text (+0.40)", also after "seen on the response: "
_NAMED = re.compile(r"^(?:seen on the response: )?([a-z0-9]+(?:-[a-z0-9]+)*)/[a-z0-9-]+: ")
_AGAINST = re.compile(r"\(-\d\.\d\d\)\s*$")
MESSAGE_FIELDS = ("error_message", "detail", "title", "block_reason")
MIN_WORDS = 4


def _flat(text: str) -> str:
    return " ".join(text.split()).casefold()


def producers_named(session) -> dict[str, list[str]]:
    """producer id -> the lines naming it that speak for a cause or say what was seen (lines against are left out)."""
    named: dict[str, list[str]] = {}
    for cause in session.causes:
        for line in cause.evidence:
            found = _NAMED.match(line)
            if found and not _AGAINST.search(line):
                named.setdefault(found.group(1), []).append(line)
    return named


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_no_evidence_from_a_producer_the_exchange_does_not_come_from(path):
    exchange, expect = load_exchange(path)
    assert "producers" in expect, f"{path.name}: [expect] producers is missing (the producers it comes from)"
    allowed = set(expect["producers"]) | GENERIC_PRODUCERS
    session = analyse_exchange(exchange)
    foreign = {p: lines for p, lines in producers_named(session).items() if p not in allowed}
    assert not foreign, f"{path.name}: evidence from {sorted(foreign)}: {foreign}"


def messages_of(exchange: Exchange) -> set[str]:
    """What the response says in sentences: every extracted message of a signature hit, and the headline a person
    reads first (only those of a few words: a bare "Forbidden" may be part of many lines)."""
    out = set()
    for hit in match_exchange(exchange):
        out.update(v for k, v in hit.extracted.items() if k in MESSAGE_FIELDS)
    out.add(extract_message(exchange).headline)
    return {_flat(m) for m in out if len(m.split()) >= MIN_WORDS}


def assert_each_message_once(session, exchange: Exchange, name: str) -> None:
    for cause in session.causes:
        lines = [_flat(line) for line in cause.evidence]
        assert len(lines) == len(set(lines)), f"{name}: {cause.id} repeats a line: {cause.evidence}"
        for message in messages_of(exchange):
            showing = [line for line in cause.evidence if message in _flat(line)]
            assert len(showing) <= 1, f"{name}: {cause.id} lists {message!r} {len(showing)} times: {showing}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_no_cause_lists_the_same_message_twice(path):
    exchange, _ = load_exchange(path)
    assert_each_message_once(analyse_exchange(exchange), exchange, path.name)


@pytest.mark.parametrize("scenario_id", [s.id for s in SCENARIOS if s.id != "ok"])
def test_no_cause_lists_the_same_message_twice_on_the_lab_offline(lab, scenario_id):
    """The lab's answers recorded, then analysed with every passive check (which quote the message too)."""
    method, url, headers, body = lab.request_for(scenario_id)
    answer = httpx.request(method, url, headers=headers, content=body)
    exchange = Exchange("recorded", method, url, status=answer.status_code, reason=answer.reason_phrase,
                        request_headers=Headers(headers), response_headers=Headers(answer.headers.multi_items()),
                        body=answer.content)
    session = Session(Target(url=url, method=method, headers=Headers(headers), body=body, source="response"))
    session.exchanges.append(exchange)
    asyncio.run(run_checks(session, ProbeOptions(), live=False))
    diagnose(session)
    assert session.causes
    assert_each_message_once(session, exchange, scenario_id)


def test_an_expired_login_read_three_ways_is_one_line_that_names_its_readers():
    path = next(p for p in FILES if p.stem == "credentials-ecr-token-expired")
    session = analyse_exchange(load_exchange(path)[0])
    credentials = next(c for c in session.causes if c.id == "credentials")
    lines = [line for line in credentials.evidence if not line.startswith("prior:")]
    assert len(lines) == 1, lines
    assert lines[0].startswith("container-registry/denied-expired-login: ")
    assert "api-error-words/sign-in-problem (+0.50)" in lines[0] and "container-registry/denied" in lines[0]
    assert lines[0].endswith("(+0.85)")
    assert credentials.likelihood == "high"  # the weights still count as the scoring says


# ------------------------------------------------------------------------------------------ producer markers


def _exchange(body: str, url: str = "https://api.example.net/v1/items", headers=()) -> Exchange:
    return Exchange("recorded", "GET", url, status=403, reason="Forbidden",
                    response_headers=Headers([("Content-Type", "application/json"), *headers]),
                    body=body.encode())


def test_a_google_reading_needs_a_google_answer():
    kubernetes = _exchange('{"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods is forbidden: '
                           'User \\"jane\\" cannot list resource \\"pods\\"","reason":"Forbidden","code":403}')
    assert not [h for h in match_exchange(kubernetes) if h.producer == "google-apis"]
    google = _exchange('{"error":{"code":403,"message":"The user does not have sufficient permissions for file x.",'
                       '"errors":[{"message":"The user does not have sufficient permissions for file x.",'
                       '"domain":"global","reason":"insufficientFilePermissions"}]}}')
    assert "google-apis/legacy-forbidden-reason" in {h.name for h in match_exchange(google)}


def test_a_header_copied_from_github_is_not_github_but_its_own_words_are():
    copied = _exchange('{"type":"error","error":{"message":"Your credentials lack one or more required privilege '
                       'scopes."}}', "https://api.bitbucket.org/2.0/repositories/acme/web",
                       [("X-Accepted-OAuth-Scopes", "pullrequest:write"), ("X-OAuth-Scopes", "repository")])
    assert not [h for h in match_exchange(copied) if h.producer == "github"]
    from_github = _exchange(copied.body.decode(), "https://api.github.com/repos/acme/web/pulls",
                            [("X-Accepted-OAuth-Scopes", "repo"), ("X-GitHub-Request-Id", "C0DE:1234:5678ABCD:9A")])
    assert "github/oauth-scopes" in {h.name for h in match_exchange(from_github)}
    # a GitHub sentence quoted without any header still reads as GitHub's (anywhere = true)
    quoted = _exchange('{"message":"Resource not accessible by integration"}', "https://corpus.invalid/")
    assert "github/token-lacks-permission" in {h.name for h in match_exchange(quoted)}


def test_a_foreign_mark_silences_a_producer():
    gcs = _exchange("<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>Access denied."
                    "</Message><Details>Anonymous caller does not have storage.objects.get access to the Google Cloud "
                    "Storage object.</Details></Error>", "https://storage.googleapis.com/bucket/key")
    producers = {h.producer for h in match_exchange(gcs)}
    assert "google-cloud-storage" in producers and "aws-s3" not in producers
    lambda_url = _exchange('{"Message":"Forbidden"}', "https://abc123.lambda-url.eu-west-1.on.aws/",
                           [("x-amzn-RequestId", "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a")])
    assert "aws-api-gateway/bare-forbidden" not in {h.name for h in match_exchange(lambda_url)}
    api = _exchange('{"message":"Forbidden"}', "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/x",
                    [("x-amzn-RequestId", "0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a")])
    assert "aws-api-gateway/bare-forbidden" in {h.name for h in match_exchange(api)}


VENDOR = """
[producer]
id = "acme"
name = "Acme"
layer = "edge"
lookup = "Ask Acme."
{producer_extra}

[[signatures]]
id = "block"
proves = "block"
{signature_extra}
all = [ {{ body = 'acme says no' }} ]
causes = {{ waf = 0.5 }}
line = "Acme said no."
"""


@pytest.mark.parametrize("producer_extra, signature_extra, problem", [
    ("", "anywhere = true", "producer.markers is missing"),
    ("markers = [ { header = 'x-acme', value = '(?P<error_code>.+)' } ]", "", "producer.markers[1] must not have named groups"),
    ("foreign = [ { body = '(' } ]", "", "producer.foreign[1].body is not a valid regular expression"),
    ("markers = [ { header = 'x-acme' } ]", "anywhere = 1", "signatures[1].anywhere must be true or false"),
])
def test_scope_mistakes_are_named_with_file_and_key(tmp_path, producer_extra, signature_extra, problem):
    path = tmp_path / "acme.toml"
    path.write_text(VENDOR.format(producer_extra=producer_extra, signature_extra=signature_extra))
    with pytest.raises(ContentError) as err:
        load_file(path)
    assert str(path) in str(err.value) and problem in str(err.value)

