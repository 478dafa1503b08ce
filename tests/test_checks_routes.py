"""The alternate-route probe and the server-side checks, against Debian's nginx on loopback.

nginx's `allow 127.0.0.2; deny all;` is a real IP allowlist: the normal route (from 127.0.0.1) is refused, and each
alternate route the user really has (--alt-source 127.0.0.2, an HTTP or SOCKS5 proxy whose connections leave from
127.0.0.2, another published address of the host) turns it into a 200. nginx's own error log is then scanned.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys

import pytest

from tests.ipv6 import needs_ipv6
from tests.peers import Socks5Proxy
from tests.test_checks_conduct import RecordingServer, Reply, result, run, self_signed, session_for
from wizard403.headless import exit_code_for

ALLOWLIST = "location / { allow 127.0.0.2; deny all; }"


@pytest.fixture
def socks_proxy():
    proxy = Socks5Proxy()
    yield proxy
    proxy.stop()


# ---------------------------------------------------------------- nginx: the IP allowlist


def _baseline_exchange(session):
    return next(e for e in session.exchanges if e.check == "baseline")


def test_alt_source_turns_the_allowlisted_403_into_200(nginx):
    server = nginx(ALLOWLIST, {"index.html": "<h1>inside</h1>"})
    session = run(session_for(server.url("/")), alt_sources=["127.0.0.2"])
    base = _baseline_exchange(session)
    assert base.route == "normal" and base.status == 403
    alt = result(session, "alt-route")
    assert alt.status == "fail"
    assert alt.evidence["routes"] == {"normal": 403, "alt-source 127.0.0.2": 200}
    assert "depends on where the request comes from" in alt.summary
    assert session.causes[0].id == "ip-block"
    # nginx saw both addresses: the baseline from 127.0.0.1, the probe from 127.0.0.2.
    log = server.access_log.read_text()
    assert log.startswith("127.0.0.1 ") and "\n127.0.0.2 " in log
    # Every other check stayed on the normal route.
    assert {e.route for e in session.exchanges if e.check != "alt-route"} == {"normal"}


def test_alt_proxy_turns_it_into_200_and_the_report_says_so(nginx, egress_proxy):
    server = nginx(ALLOWLIST, {"index.html": "<h1>inside</h1>"})
    proc = subprocess.run(
        [sys.executable, "-m", "wizard403", "check", server.url("/"), "--alt-proxy", egress_proxy.url,
         "--format", "json", "--timeout", "2", "-q"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 3, proc.stderr
    report = json.loads(proc.stdout)
    alt = next(c for c in report["checks"] if c["id"] == "alt-route")
    assert alt["status"] == "fail"
    assert alt["evidence"]["routes"] == {"normal": 403, f"alt-proxy {egress_proxy.url}": 200}
    assert report["causes"][0]["id"] == "ip-block"
    assert any(line.startswith("alt-route:") for line in report["causes"][0]["evidence"])
    routes = {(e["check"], e["route"], e["status"]) for e in report["exchanges"]}
    assert ("baseline", "normal", 403) in routes and ("alt-route", f"alt-proxy {egress_proxy.url}", 200) in routes
    assert egress_proxy.seen, "the probe really went through the proxy"


def test_alt_proxy_over_socks5(nginx, socks_proxy):
    server = nginx(ALLOWLIST, {"index.html": "<h1>inside</h1>"})
    session = run(session_for(server.url("/")), alt_proxies=[socks_proxy.url])
    assert result(session, "alt-route").evidence["routes"] == {"normal": 403, f"alt-proxy {socks_proxy.url}": 200}
    assert socks_proxy.seen == [("127.0.0.1", server.port)]


def test_deny_all_is_the_same_from_every_route_and_the_log_says_why(nginx):
    server = nginx("location / { deny all; }")
    session = run(session_for(server.url("/report.pdf")), alt_sources=["127.0.0.2"], log_file=str(server.error_log))
    alt = result(session, "alt-route")
    assert alt.status == "pass" and "not what matters" in alt.summary
    assert alt.supports["ip-block"] < 0
    scan = result(session, "log-scan")
    assert scan.status == "fail", scan.summary
    assert "allow/deny rule" in scan.summary and "127.0.0.1" in scan.summary
    assert scan.evidence["clients"] == ["127.0.0.1", "127.0.0.2"]
    assert all("access forbidden by rule" in line for line in scan.evidence["lines"])


def test_a_folder_without_index_is_told_apart(nginx):
    server = nginx("location / { autoindex off; }", {"docs/readme.txt": "hello"})
    session = run(session_for(server.url("/docs/")), log_file=str(server.error_log))
    who = result(session, "who-refused")
    assert who.evidence["layer"] == "server" and "folder" in who.summary
    scan = result(session, "log-scan")
    assert "folder that has no index file" in scan.summary
    assert scan.supports["directory-listing"] >= 0.4
    assert session.causes[0].id == "directory-listing"


def test_a_token_rule_separates_a_good_token_from_a_bad_one(nginx):
    rule = 'location / { if ($http_authorization != "Bearer good") { return 403; } }'
    server = nginx(rule, {"index.html": "ok"})
    bad = run(session_for(server.url("/"), headers=[("Authorization", "Bearer bad")]))
    anonymous = result(bad, "anonymous-retry")
    assert anonymous.status == "warn" and anonymous.evidence == {"with_credentials": 403, "without_credentials": 403,
                                                                 "same_body": True}
    assert result(bad, "token-inspect").evidence["length"] == 3
    assert exit_code_for(bad) == 3
    good = run(session_for(server.url("/"), headers=[("Authorization", "Bearer good")]))
    assert result(good, "baseline").status == "pass" and exit_code_for(good) == 0
    probes = [c.id for c in good.checks if c.status == "skipped" and "not refused from here" in c.summary]
    assert "alt-route" not in probes  # no route was given: skipped for that reason instead
    assert {"parent-resource", "head-vs-get"} <= set(probes)


def test_a_log_file_that_cannot_be_read_is_one_sentence(nginx, tmp_path):
    server = nginx("location / { deny all; }")
    session = run(session_for(server.url("/")), log_file=str(tmp_path / "missing.log"))
    scan = result(session, "log-scan")
    assert scan.status == "error" and scan.summary.endswith("cannot be read: it does not exist.")
    session = run(session_for(server.url("/")), log_file=str(tmp_path))
    assert "is a folder" in result(session, "log-scan").summary


# ---------------------------------------------------------------- the host's other published addresses


@pytest.fixture
def two_family_host(monkeypatch, tmp_path):
    """`localhost` published on 127.0.0.1 and ::1, TLS on both, only the IPv6 side admits the request."""
    cert, key = self_signed(tmp_path, "localhost")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    names: list[str | None] = []
    ctx.sni_callback = lambda sock, name, _ctx: names.append(name)

    def respond(seen):
        ok = seen.client == "::1"
        return Reply(200 if ok else 403, [("Content-Type", "text/plain"), ("X-Host-Seen", seen.headers.get("host") or "")],
                     b"welcome" if ok else b"not from here")

    v4 = RecordingServer(respond, "127.0.0.1", tls=ctx)
    port = v4.port
    v6 = None
    for _ in range(20):  # the same port on ::1
        try:
            v6 = RecordingServer(respond, "::1", tls=ctx, port=port)
            break
        except OSError:
            v4.stop()
            v4 = RecordingServer(respond, "127.0.0.1", tls=ctx)
            port = v4.port
    assert v6 is not None

    async def both(url, timeout):
        return ["127.0.0.1", "::1"]

    monkeypatch.setattr("wizard403.checks.runner.published_addresses", both)
    yield f"https://localhost:{port}/", v4, v6, names
    v4.stop()
    v6.stop()


@needs_ipv6
def test_each_published_address_is_tried_with_host_and_sni_kept(two_family_host):
    url, v4, v6, sni = two_family_host
    session = run(session_for(url), insecure=True)
    alt = result(session, "alt-route")
    assert alt.status == "fail", alt.summary
    assert alt.evidence["routes"] == {"normal": 403, "address 127.0.0.1 (IPv4)": 403, "address ::1 (IPv6)": 200}
    assert "address ::1 (IPv6)" in alt.summary
    assert [s.headers.get("host") for s in v6.seen] == [url.split("/")[2]]
    assert sni and set(sni) == {"localhost"}


@needs_ipv6
def test_address_routes_are_not_tried_through_a_proxy(two_family_host, egress_proxy):
    url, v4, v6, _ = two_family_host
    session = run(session_for(url), insecure=True, proxy=egress_proxy.url)
    assert result(session, "alt-route").status == "skipped"
    assert v6.seen == []


def test_published_addresses_of_a_literal_or_unknown_host_are_none():
    from wizard403.checks.client import published_addresses

    assert asyncio.run(published_addresses("http://127.0.0.1:1/", 1)) == []
    assert asyncio.run(published_addresses("http://nothing.invalid/", 1)) == []
    assert "127.0.0.1" in asyncio.run(published_addresses("http://localhost/", 1))
