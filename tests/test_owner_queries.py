"""The owner's queries: one for every reference kind, each valid in its language, and no id can break out of one.

Every query is checked as far as its language allows: SQL by sqlglot's Athena parser, GraphQL by graphql-core,
jq by Debian's jq itself (compiled and run on a record holding the id), shell by bash -n and then by running it
against stub commands that record their arguments, KQL / Logs Insights / Cloud Logging by a tokenizer that knows
their string syntax. A hostile id (quotes, pipes, `$(...)`, backticks, newlines, an escape sequence) must arrive as
one literal equal to itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys

import graphql
import pytest
import sqlglot
import tomllib

from tests.inert import check_shell
from wizard403.checks.references import LOOKUPS
from wizard403.content import load_content, load_content_from, shipped_content_dir
from wizard403.diagnose.catalogue import REFERENCE_KINDS, catalogue_for
from wizard403.errors import ContentError
from wizard403.model import Exchange, Headers, Reference, Session, Target
from wizard403.owner_queries import LANGUAGES, load_queries, queries_for
from wizard403.report import render
from wizard403.report.tree import session_from_tree
from wizard403.textsafe import one_line, visible

AT = dt.datetime(2026, 11, 22, 9, 15, 30, tzinfo=dt.timezone.utc)
HOSTILE_IDS = [
    "abc'def\"ghi",
    "x|y; rm -rf ~ && echo $(touch PWNED) `touch PWNED2`",
    "line one\nline two\r\n'; DROP TABLE logs; --",
    "\x1b]0;pwned\x07 \\\" \\' \\(.x) }} {{id}} $HOME",
    "ünïcødé \u202e reversed",
]
PLAIN_ID = "8a1b2c3d4e5f6071-LAX"
RAY = "8a1b2c3d4e5f6071"  # Cloudflare's logs and API know the Ray ID without its data-centre suffix


def searched(kind: str, value: str) -> str:
    """The value a query searches for: one line, and a Ray ID without its suffix."""
    return RAY if kind == "cf-ray" and value == PLAIN_ID else one_line(value)


def all_kinds() -> set[str]:
    """Every reference kind the diagnosis can extract: named groups, declared refs, the check's header ids, the time."""
    declared = {kind for p in catalogue_for(load_content()).producers for s in p.signatures for kind in s.refs.values()}
    declared |= {kind for p in catalogue_for(load_content()).producers for kind in p.refs.values()}
    return set(REFERENCE_KINDS) | declared | set(LOOKUPS)


def session_with(kind: str, value: str, source: str = "", path: str = "/admin/report", server: str = "") -> Session:
    url = f"https://shop.example.com{path}"
    headers = Headers([("Server", server)]) if server else Headers()
    ex = Exchange(check="baseline", method="GET", url=url, status=403, reason="Forbidden", response_headers=headers,
                  at=AT, local_address="203.0.113.9:51000")
    session = Session(target=Target(url=url))
    session.exchanges.append(ex)
    session.references.append(Reference(kind, value, source, AT))
    return session


def filled(kind: str, value: str, source: str = "", **kw) -> list:
    session = session_with(kind, value, source, **kw)
    return queries_for(session.references[0], session, load_queries(tuple(load_content().dirs)))


SOURCES = {  # sources that select the vendor-specific queries, as the catalogue and the references check name them
    "request-id": ["", "Amazon API Gateway", "Google front end / Cloud Load Balancing", "GitLab", "Okta",
                   "Azure API Management", "Azure Resource Manager", "Netlify"],
    "amz-request-id": ["AWS", "Amazon S3", "Amazon API Gateway"],
    "ms-request-id": ["Azure Storage", "Azure API Management"],
    "utc-time": [""],
}


def every_query(value: str):
    for kind in sorted(all_kinds() | {"utc-time"}):
        for source in SOURCES.get(kind, [""]):
            servers = ["", "AmazonS3 CloudFront", "Microsoft-Azure-Application-Gateway/v2", "Google Frontend"] \
                if kind == "utc-time" else [""]
            for server in servers:
                for query in filled(kind, value, source, server=server):
                    yield kind, source, query


# ------------------------------------------------------------------------------------------------ coverage


def test_every_reference_kind_the_diagnosis_extracts_has_a_query_holding_the_id():
    kinds = all_kinds() - {"utc-time"}
    assert {"cf-ray", "akamai-reference", "amz-request-id", "audit-id", "azure-ref", "transaction-id"} <= kinds
    for kind in kinds:
        queries = filled(kind, PLAIN_ID)
        assert queries, f"no query for the reference kind {kind}"
        assert any(searched(kind, PLAIN_ID) in q.text for q in queries), kind


def test_a_time_reference_gets_queries_with_the_path_and_the_window():
    queries = filled("utc-time", "2026-11-22T09:15:30Z")
    assert len(queries) >= 4
    by_path = [q for q in queries if "/admin/report" in q.text]
    assert len(by_path) == len(queries) - 1  # all but the look-up by client address
    nginx = next(q for q in queries if "/var/log/nginx/access.log" in q.text)
    assert "22/Nov/2026:09:10:" in nginx.text and "22/Nov/2026:09:20:" in nginx.text and "22/Nov/2026:09:21:" not in nginx.text
    by_client = next(q for q in queries if "203.0.113.9" in q.text)
    assert by_client.language == "shell"


def test_vendor_queries_follow_who_produced_the_reference():
    s3 = [q.text for q in filled("amz-request-id", "R1", "Amazon S3")]
    gateway = [q.text for q in filled("amz-request-id", "R1", "Amazon API Gateway")]
    assert any("s3_access_logs_db" in t for t in s3) and not any("s3_access_logs_db" in t for t in gateway)
    assert any("filter @message like" in t for t in gateway)
    assert any("trace:" in q.text for q in filled("request-id", "abc", "Google front end / Cloud Load Balancing"))
    aws_time = filled("utc-time", "2026-11-22T09:15:30Z", server="CloudFront")
    assert any("httpRequest.uri" in q.text for q in aws_time)
    assert not any("httpRequest.uri" in q.text for q in filled("utc-time", "2026-11-22T09:15:30Z", server="nginx"))


def test_cloudflare_graphql_query_filters_by_ray_and_window():
    query = next(q for q in filled("cf-ray", PLAIN_ID, "Cloudflare") if q.language == "graphql")
    doc = graphql.parse(query.text)
    strings = {node.value for node in _graphql_strings(doc)}
    assert {RAY, "2026-11-22T09:10:30Z", "2026-11-22T09:20:30Z"} <= strings
    assert "firewallEventsAdaptive" in query.text and "rayName" in query.text


# ------------------------------------------------------------------------------------------------ validity per language


def _graphql_strings(doc):
    found = []

    class Visitor(graphql.Visitor):
        def enter_string_value(self, node, *_):
            found.append(node)

    graphql.visit(doc, Visitor())
    return found


def _string_tokens(text: str, quote: str = '"') -> list[str]:
    """The decoded double-quoted strings of a KQL / Insights / Cloud Logging query; fails on an unterminated one."""
    out, i = [], 0
    while i < len(text):
        if text[i] == quote:
            j, buf = i + 1, []
            while True:
                assert j < len(text), f"unterminated string in {text!r}"
                if text[j] == "\\":
                    buf.append(text[j : j + 2])
                    j += 2
                    continue
                if text[j] == quote:
                    break
                assert text[j] not in "\n\r", f"raw newline inside a string in {text!r}"
                buf.append(text[j])
                j += 1
            out.append(json.loads(quote + "".join(buf) + quote))
            i = j + 1
        else:
            i += 1
    return out


def _outside_strings(text: str) -> str:
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


KQL_OPERATORS = {"where", "project", "union", "order", "sort", "take", "limit", "summarize", "extend", "join"}
INSIGHTS_COMMANDS = {"fields", "filter", "sort", "limit", "stats", "parse", "display", "dedup"}


def check_kql(text: str, value: str) -> None:
    assert visible(value) in _string_tokens(text)
    bare = _outside_strings(text)
    assert bare.count("(") == bare.count(")")
    segments = [s.strip() for s in bare.split("|")]
    assert re.match(r"^(union\b|[A-Za-z]\w*\s*$)", segments[0]), segments[0]
    for segment in segments[1:]:
        assert segment.split()[0] in KQL_OPERATORS, segment


def check_insights(text: str, value: str) -> None:
    assert value in _string_tokens(text)
    for segment in _outside_strings(text).split("|"):
        assert segment.split()[0] in INSIGHTS_COMMANDS, segment


def check_logging(text: str, value: str) -> None:
    assert value in _string_tokens(text)
    for line in _outside_strings(text).splitlines():
        assert re.fullmatch(r'\s*[A-Za-z_][\w."/-]*\s*(:|=|>=|<=|!=|>|<)\s*(""|\d+)\s*', line), line


def check_sql(text: str, value: str) -> None:
    tree = sqlglot.parse_one(text, read="athena")
    assert value in [lit.this for lit in tree.find_all(sqlglot.exp.Literal) if lit.is_string]


def check_graphql(text: str, value: str) -> None:
    assert value in {node.value for node in _graphql_strings(graphql.parse(text))}


def check_json(text: str, value: str) -> None:
    assert value in json.loads(text).values()


def check_jq(text: str, value: str) -> None:
    jq = shutil.which("jq")
    assert jq, "jq is needed for this test (Debian's jq; .ci/run installs it)"
    subprocess.run([jq, "-n", text], check=True, capture_output=True, timeout=20)
    record = {"auditID": value, "correlation_id": value, "stage": "ResponseComplete"}
    out = subprocess.run([jq, "-c", text], input=json.dumps(record), capture_output=True, text=True, timeout=20)
    assert out.returncode == 0 and out.stdout.strip(), (text, out.stderr)


def check_text(text: str, value: str) -> None:
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f]", text)


CHECKS = {"sql": check_sql, "kql": check_kql, "graphql": check_graphql, "jq": check_jq, "json": check_json,
          "logging": check_logging, "insights": check_insights, "text": check_text}


def test_every_language_the_queries_use_has_a_checker():
    used = {t.language for t in load_queries(tuple(load_content().dirs))}
    assert used <= set(CHECKS) | {"shell"} and used <= set(LANGUAGES) and len(used) >= 8


@pytest.mark.parametrize("value", [PLAIN_ID] + HOSTILE_IDS, ids=["plain"] + [f"hostile{i}" for i in range(len(HOSTILE_IDS))])
def test_every_query_is_valid_and_a_hostile_id_stays_one_literal(value, tmp_path):
    seen = set()
    for kind, source, query in every_query(value):
        if query.text in seen:
            continue
        seen.add(query.text)
        if kind == "utc-time":
            continue  # the time queries hold our own values; the path is checked below
        if query.language == "shell":
            check_shell(query.text, searched(kind, value), tmp_path)
        else:
            CHECKS[query.language](query.text, searched(kind, value))
    assert len(seen) >= 20


def test_a_hostile_path_cannot_break_out_of_the_time_queries(tmp_path):
    path = "/a'b/$(touch PWNED)/`touch PWNED2`;x|y"
    session = session_with("utc-time", "2026-11-22T09:15:30Z", path=path)
    queries = queries_for(session.references[0], session, load_queries(tuple(load_content().dirs)))
    assert queries
    for q in queries:
        if q.language == "shell":
            check_shell(q.text, one_line(path), tmp_path, expect="client_ip" not in q.look_for and "203.0.113.9" not in q.text)
        elif q.language in ("kql", "insights", "logging"):
            assert path in _string_tokens(q.text)


# ------------------------------------------------------------------------------------------------ in the reports


def test_reports_carry_the_queries_and_toml_keeps_them():
    session = session_with("cf-ray", PLAIN_ID, "Cloudflare")
    from wizard403.owner_queries import attach_queries

    attach_queries(session, load_content())
    data = json.loads(render(session, "json"))
    ref = data["references"][0]
    assert ref["queries"] and all({"tool", "language", "text"} <= set(q) for q in ref["queries"])
    assert any(RAY in q["text"] for q in ref["queries"])
    assert data["schema"] == "wizard403/1"
    again = session_from_tree(tomllib.loads(render(session, "toml")))
    assert again.references[0].queries == session.references[0].queries
    md = render(session, "md")
    section = md[md.index("## For the site owner"):]
    assert "```graphql" in section and RAY in section and "Look for:" in section


def test_check_against_the_lab_waf_gives_the_owner_a_cloudflare_query(lab):
    out = subprocess.run(
        [sys.executable, "-m", "wizard403", "check", lab.url("waf"), "--format", "json", "--quiet"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "NO_PROXY": "*"},
    )
    assert out.returncode == 3, out.stderr
    report = json.loads(out.stdout)
    rays = [r for r in report["references"] if r["kind"] == "cf-ray"]
    assert rays
    for ray in rays:
        texts = [q["text"] for q in ray["queries"]]
        assert any(ray["value"].split("-")[0] in t and "firewallEventsAdaptive" in t for t in texts)
    times = [r for r in report["references"] if r["kind"] == "utc-time"]
    assert times and not times[0].get("queries")  # the edge refused: the origin's nginx log never saw it
    out = subprocess.run(
        [sys.executable, "-m", "wizard403", "check", lab.url("ip-allowlist"), "--format", "json", "--quiet"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "NO_PROXY": "*"},
    )
    times = [r for r in json.loads(out.stdout)["references"] if r["kind"] == "utc-time"]
    assert times and any("/internal/" in q["text"] and "nginx" in q["text"] for q in times[0]["queries"])


def test_a_hostile_request_id_from_a_response_stays_inert_in_every_query(tmp_path):
    hostile = "id'\"$(touch PWNED)`touch PWNED2`|x"
    raw = tmp_path / "response.txt"
    raw.write_bytes(
        b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nX-Request-Id: " + hostile.encode() + b"\r\n\r\nno\r\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "wizard403", "check", "--response", str(raw), "--format", "json", "--quiet"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert out.returncode == 3, out.stderr
    refs = [r for r in json.loads(out.stdout)["references"] if r["value"] == hostile]
    assert refs and refs[0]["queries"]
    for q in refs[0]["queries"]:
        if q["language"] == "shell":
            check_shell(q["text"], hostile, tmp_path)
    assert not any(tmp_path.glob("PWNED*"))


# ------------------------------------------------------------------------------------------------ content


def test_an_overlay_adds_a_query_for_its_own_siem(tmp_path):
    overlay = tmp_path / "org"
    overlay.mkdir()
    (overlay / "queries.toml").write_text(
        '[[query]]\nid = "splunk"\nkinds = ["cf-ray"]\ntool = "Splunk"\nlanguage = "text"\n'
        'text = "index=edge ray={{id}}"\nlook_for = "the rule"\n'
    )
    content = load_content_from(shipped_content_dir(), overlay)
    session = session_with("cf-ray", PLAIN_ID)
    texts = [q.text for q in queries_for(session.references[0], session, load_queries(tuple(content.dirs)))]
    assert f"index=edge ray={RAY}" in texts and len(texts) >= 3


@pytest.mark.parametrize(
    "body, key",
    [
        ('[[query]]\nid = "x"\nkinds = ["cf-ray"]\ntool = "t"\nlanguage = "cobol"\ntext = "{{id}}"\nlook_for = "l"\n', "query[1].language"),
        ('[[query]]\nid = "x"\nkinds = ["cf-ray"]\ntool = "t"\nlanguage = "text"\ntext = "{{ip}}"\nlook_for = "l"\n', "query[1].text"),
        ('[[query]]\nid = "x"\nkinds = []\ntool = "t"\nlanguage = "text"\ntext = "{{id}}"\nlook_for = "l"\n', "query[1].kinds"),
        ('[[query]]\nid = "x"\nkinds = ["a"]\ntool = "t"\nlanguage = "text"\ntext = "{{id}}"\nlook_for = "l"\nfoo = 1\n', "query[1].foo"),
        ('[[query]]\nid = "x"\nkinds = ["a"]\ntool = "t"\nlanguage = "shell"\ntext = "{{query:nope}}"\nlook_for = "l"\n', "query[1].text"),
    ],
)
def test_a_broken_query_file_names_the_file_and_the_key(tmp_path, body, key):
    overlay = tmp_path / "org"
    overlay.mkdir()
    (overlay / "queries.toml").write_text(body)
    with pytest.raises(ContentError) as err:
        load_queries((shipped_content_dir(), overlay))
    assert "queries.toml" in str(err.value) and key in str(err.value)
