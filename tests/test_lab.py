"""The 403 lab, exercised over real loopback sockets with httpx (and, where installed, compared with real nginx)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from wizard403.errors import InputError
from wizard403.lab import SCENARIOS, Lab, mint_token, scenario, start_lab
from wizard403.lab.producers import presigned_query
from wizard403.model import CAUSE_IDS

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
CHROME_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    log = tmp_path_factory.mktemp("lab") / "error.log"
    with start_lab(error_log=log) as running:
        running.error_log_path = log  # for the test that reads it back
        yield running


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=5) as c:
        yield c


@pytest.fixture(scope="module")
def from_127_0_0_2():
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=5) as c:
        yield c


def hit(lab: Lab, client: httpx.Client, scenario_id: str) -> httpx.Response:
    method, url, headers, body = lab.request_for(scenario_id)
    return client.request(method, url, headers=headers, content=body)


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# --- the catalogue ------------------------------------------------------------------------------------------------


def test_catalogue_is_consistent():
    ids = [s.id for s in SCENARIOS]
    paths = [s.path for s in SCENARIOS]
    assert len(set(ids)) == len(ids) and len(set(paths)) == len(paths)
    for s in SCENARIOS:
        assert s.expected_cause in CAUSE_IDS, s.id
        assert s.path.startswith("/") and s.title and s.description.count(".") >= 2, s.id
    required = {"ok", "expired-token", "insufficient-scope", "missing-credentials", "ip-allowlist", "stale-cookie",
                "cached-403", "csrf", "waf", "rate-limit", "directory-listing"}
    assert required <= set(ids)


def test_scenario_lookup_by_id_path_or_url():
    assert scenario("waf").path == "/search"
    assert scenario("/api/admin/users").id == "insufficient-scope"
    assert scenario("http://127.0.0.1:8403/internal/").id == "ip-allowlist"
    with pytest.raises(InputError, match=r"unknown lab scenario 'nope'; choose one of: ok, expired-token"):
        scenario("nope")


# --- every scenario, as a user hits it ----------------------------------------------------------------------------

# id -> (status, header name -> regex, body regex)
DESIGNED = {
    "ok": (200, {"content-type": "text/html"}, r"Lab Reports"),
    "expired-token": (403, {"www-authenticate": r'^Bearer error="invalid_token", error_description="[^"]*expired'},
                      r'"error":"invalid_token"'),
    "insufficient-scope": (403, {"www-authenticate": r'^Bearer error="insufficient_scope", scope="admin", '
                                                     r'error_description="'}, r'"insufficient_scope"'),
    "missing-credentials": (403, {"content-type": r"^application/json$"},
                            r'^\{"detail":"Authentication credentials were not provided\."\}$'),
    "ip-allowlist": (403, {"server": r"^nginx$", "content-type": r"^text/html$"}, r"<center>nginx</center>"),
    "stale-cookie": (403, {"content-type": "text/html"}, r"session is no longer valid"),
    "cached-403": (403, {"age": r"^5234$", "x-cache": r"^HIT$", "cache-control": r"^public, max-age=86400$",
                         "via": r"^1\.1 lab-cache$"}, r"403 Forbidden"),
    "csrf": (403, {"content-type": r"^text/html"}, r"CSRF verification failed\. Request aborted\..*"
                                                   r"CSRF token incorrect\."),
    "waf": (403, {"server": r"^cloudflare$", "cf-ray": r"^[0-9a-f]{16}-[A-Z]{3}$"},
            r"Error 1020.*Access denied.*Why have I been blocked\?.*Cloudflare Ray ID"),
    "rate-limit": (403, {"x-ratelimit-limit": r"^60$", "x-ratelimit-remaining": r"^0$", "x-ratelimit-used": r"^60$",
                         "x-ratelimit-reset": r"^\d{10}$"}, r'"message": "API rate limit exceeded for 127\.0\.0\.1\.'),
    "directory-listing": (403, {"server": r"^nginx$"}, r"<title>403 Forbidden</title>"),
    "signed-url": (403, {"server": r"^AmazonS3$", "x-amz-request-id": r"^[0-9A-F]{16}$"},
                   r"<Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>3600<"),
    "bot-challenge": (403, {"cf-mitigated": r"^challenge$", "server": r"^cloudflare$"},
                      r"<title>Just a moment\.\.\.</title>.*/cdn-cgi/challenge-platform/"),
    "app-rule": (403, {"content-type": r"^application/problem\+json$"}, r'"type":"[^"]*out-of-credit"'),
    "not-found": (403, {"x-amzn-errortype": r"^MissingAuthenticationTokenException$"},
                  r'^\{"message":"Missing Authentication Token"\}$'),
    "file-permissions": (403, {"server": r"^nginx$"}, r"<h1>403 Forbidden</h1>"),
    "client-release": (403, {"content-type": r"^application/problem\+json$"}, r'"title":"Client release header required"'),
    "browser-only": (403, {"cache-control": r"^no-store$"}, r"Automated access is not allowed"),
}


def test_the_designed_table_covers_every_scenario():
    assert set(DESIGNED) == {s.id for s in SCENARIOS}


@pytest.mark.parametrize("scenario_id", sorted(DESIGNED))
def test_each_scenario_answers_as_designed(lab, client, scenario_id):
    status, headers, body = DESIGNED[scenario_id]
    response = hit(lab, client, scenario_id)
    assert response.status_code == status
    for name, pattern in headers.items():
        assert re.search(pattern, response.headers.get(name, "")), (name, response.headers.get(name))
    assert re.search(body, response.text, re.S), response.text[:300]
    for name in ("date", "content-type", "content-length"):
        assert response.headers.get(name), name
    assert int(response.headers["content-length"]) == len(response.content)


@pytest.mark.parametrize("scenario_id", sorted(s.id for s in SCENARIOS if s.method == "GET"))
def test_head_mirrors_get_without_a_body(lab, client, scenario_id):
    method, url, headers, _ = lab.request_for(scenario_id)
    get = client.get(url, headers=headers)
    head = client.head(url, headers=headers)
    assert head.status_code == get.status_code
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers["content-type"] == get.headers["content-type"]


# --- identity: tokens ---------------------------------------------------------------------------------------------


def test_lab_tokens_carry_the_documented_claims():
    now = time.time()
    valid, read_only, expired = (jwt_claims(mint_token(k)) for k in ("valid", "read-only", "expired"))
    assert valid["scope"] == "reports:read reports:write admin" and read_only["scope"] == "reports:read"
    for claims in (valid, read_only, expired):
        assert claims["iss"] == "wizard403-lab" and claims["sub"] == "alice@lab.example"
        assert claims["aud"] == "http://127.0.0.1"
    assert valid["exp"] > now and abs(expired["exp"] - (now - 3600)) < 5
    assert jwt_claims(mint_token("valid", host="localhost"))["aud"] == "http://localhost"
    with pytest.raises(InputError, match="unknown lab token kind"):
        mint_token("admin")


def test_expired_token_api(lab, client):
    url = lab.url("expired-token")
    anonymous = client.get(url)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="wizard403-lab"'
    ok = client.get(url, headers={"Authorization": f"Bearer {mint_token('valid')}"})
    assert ok.status_code == 200 and "reports" in ok.json()
    tampered = mint_token("valid")[:-4] + "AAAA"
    bad = client.get(url, headers={"Authorization": f"Bearer {tampered}"})
    assert bad.status_code == 403 and 'error="invalid_token"' in bad.headers["www-authenticate"]
    junk = client.get(url, headers={"Authorization": "Bearer not-a-jwt"})
    assert junk.status_code == 403 and junk.json()["error"] == "invalid_token"


def test_admin_api_tells_scope_from_validity(lab, client):
    url = lab.url("insufficient-scope")
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": f"Bearer {mint_token('valid')}"}).status_code == 200
    expired = client.get(url, headers={"Authorization": f"Bearer {mint_token('expired')}"})
    assert expired.status_code == 401 and 'error="invalid_token"' in expired.headers["www-authenticate"]
    read_only = client.get(url, headers={"Authorization": f"Bearer {mint_token('read-only')}"})
    assert read_only.status_code == 403 and read_only.json()["scope"] == "admin"


def test_drf_profile_says_sign_in_then_admits_a_token(lab, client):
    url = lab.url("missing-credentials")
    assert client.get(url).json() == {"detail": "Authentication credentials were not provided."}
    signed_in = client.get(url, headers={"Authorization": f"Bearer {mint_token('valid')}"})
    assert signed_in.status_code == 200 and signed_in.json()["email"] == "alice@lab.example"


def test_whoami_names_the_token_owner(lab, client):
    assert client.get(lab.base_url + "/whoami").status_code == 401
    me = client.get(lab.base_url + "/whoami", headers={"Authorization": f"Bearer {mint_token('read-only')}"})
    assert me.status_code == 200 and me.json()["sub"] == "alice@lab.example" and me.json()["scope"] == "reports:read"


# --- network: the IP allowlist ------------------------------------------------------------------------------------


def test_allowlist_admits_127_0_0_2_only_and_requests_record_client_ips(lab, client, from_127_0_0_2):
    url = lab.url("ip-allowlist")
    refused = client.get(url)
    admitted = from_127_0_0_2.get(url)
    assert refused.status_code == 403 and admitted.status_code == 200
    assert admitted.headers["server"] == "nginx" and "Internal tools" in admitted.text
    ips = [(r.client_ip, r.path) for r in lab.requests if r.path == "/internal/"]
    assert ("127.0.0.1", "/internal/") in ips and ("127.0.0.2", "/internal/") in ips
    assert lab.requests[-1].client_ip == "127.0.0.2" and lab.requests[-1].headers.get("host")
    assert any("access forbidden by rule, client: 127.0.0.1" in line for line in lab.error_log)
    # the rule sits before the application: every method, OPTIONS included, gets the same page
    assert client.options(url).status_code == 403
    assert client.request("DELETE", url).status_code == 403


def test_nginx_pages_pad_for_chrome_like_nginx(lab, client):
    plain = client.get(lab.url("directory-listing"))
    chrome = client.get(lab.url("directory-listing"), headers={"User-Agent": CHROME_UA})
    assert len(plain.content) == 146
    assert chrome.content.startswith(plain.content) and chrome.content.count(b"a padding to disable MSIE") == 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def real_nginx(tmp_path):
    if NGINX is None:
        pytest.skip("nginx is not installed")
    root = tmp_path / "www"
    (root / "files").mkdir(parents=True)
    (root / "internal").mkdir()
    (root / "internal" / "index.html").write_text("internal\n")
    port = _free_port()
    user = "user root;" if os.geteuid() == 0 else ""
    temp = " ".join(f"{k}_temp_path {tmp_path / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"daemon off; {user} worker_processes 1; pid {tmp_path / 'nginx.pid'}; error_log {tmp_path / 'error.log'};\n"
        f"events {{}}\nhttp {{ access_log off; {temp} default_type text/html;\n"
        f"  server {{ listen 127.0.0.1:{port}; server_tokens off; root {root};\n"
        "    location /internal/ { allow 127.0.0.2; deny all; } } }\n"
    )
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", "stderr"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"nginx did not start: {proc.stderr.read().decode(errors='replace')}")
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=5)


@pytest.mark.parametrize("path", ["/internal/", "/files/", "/files"])
@pytest.mark.parametrize("user_agent", ["curl/8.5.0", CHROME_UA])
def test_nginx_imitation_matches_real_nginx(lab, client, real_nginx, path, user_agent):
    real = client.get(real_nginx + path, headers={"User-Agent": user_agent})
    ours = client.get(lab.base_url + path, headers={"User-Agent": user_agent})
    assert (ours.status_code, ours.reason_phrase) == (real.status_code, real.reason_phrase)
    assert ours.content == real.content
    for name in ("server", "content-type", "content-length", "connection"):
        assert ours.headers.get(name) == real.headers.get(name), name
    if real.status_code == 301:
        assert ours.headers["location"] == lab.base_url + "/files/"


# --- sessions, caches, forms --------------------------------------------------------------------------------------


def test_stale_cookie_refused_while_clean_and_fresh_sessions_work(lab, client):
    url = lab.url("stale-cookie")
    assert hit(lab, client, "stale-cookie").status_code == 403
    public = client.get(url)
    assert public.status_code == 200 and "public view" in public.text
    with httpx.Client(timeout=5) as browser:  # a fresh browser profile: keeps the cookie /login sets
        login = browser.get(lab.base_url + "/login")
        assert login.status_code == 200 and "HttpOnly" in login.headers["set-cookie"]
        mine = browser.get(url)
        assert mine.status_code == 200 and "Welcome back" in mine.text


@pytest.mark.parametrize("header", [{"Cache-Control": "no-cache"}, {"Pragma": "no-cache"}])
def test_no_cache_goes_past_the_cached_403(lab, client, header):
    url = lab.url("cached-403")
    assert client.get(url).status_code == 403
    fresh = client.get(url, headers=header)
    assert fresh.status_code == 200 and fresh.headers["x-cache"] == "MISS"
    assert client.get(url).status_code == 403  # the cache still holds the refusal for everyone else


def test_csrf_form_round_trip(lab, client):
    url = lab.url("csrf")
    with httpx.Client(timeout=5) as browser:
        form = browser.get(url)
        assert form.status_code == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', form.text).group(1)
        assert browser.cookies["csrftoken"] == token
        saved = browser.post(url, data={"csrfmiddlewaretoken": token, "email": "a@lab.example"},
                             headers={"Origin": lab.base_url})
        assert saved.status_code == 200 and "changed" in saved.text
        foreign = browser.post(url, data={"csrfmiddlewaretoken": token}, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403 and "Origin checking failed - https://evil.example" in foreign.text
    no_cookie = client.post(url, data={"email": "a@lab.example"})
    assert no_cookie.status_code == 403 and "CSRF cookie not set." in no_cookie.text
    assert no_cookie.headers["content-type"].startswith("text/html")


# --- edge and API producers ---------------------------------------------------------------------------------------


def test_waf_blocks_every_method_with_a_fresh_ray_id(lab, client):
    first, second = hit(lab, client, "waf"), client.post(lab.url("waf"), content=b"q=report")
    assert first.status_code == second.status_code == 403
    assert first.headers["cf-ray"] != second.headers["cf-ray"]
    ray_hex = first.headers["cf-ray"].split("-")[0]
    assert f"Cloudflare Ray ID: <strong class=\"font-semibold\">{ray_hex}</strong>" in first.text
    assert client.options(lab.url("waf")).status_code == 403
    assert client.get(lab.base_url + "/search?q=anything").status_code == 403


def test_rate_limit_resets_in_the_future_and_a_token_gets_the_large_allowance(lab, client):
    limited = hit(lab, client, "rate-limit")
    assert time.time() < int(limited.headers["x-ratelimit-reset"]) <= time.time() + 3600
    assert limited.json()["message"].startswith("API rate limit exceeded for 127.0.0.1")
    signed_in = client.get(lab.url("rate-limit"), headers={"Authorization": f"Bearer {mint_token('valid')}"})
    assert signed_in.status_code == 200 and signed_in.headers["x-ratelimit-limit"] == "5000"


def test_directory_listing_file_inside_is_served(lab, client):
    assert client.get(lab.base_url + "/files/readme.txt").status_code == 200
    redirect = client.get(lab.base_url + "/files")
    assert redirect.status_code == 301 and redirect.headers["location"] == lab.base_url + "/files/"


def test_a_fresh_presigned_link_opens_and_a_tampered_one_does_not(lab, client):
    path = scenario("signed-url").path
    fresh = client.get(lab.base_url + path + "?" + presigned_query(path, signed_at=time.time()))
    assert fresh.status_code == 200 and fresh.headers["content-type"] == "application/pdf"
    forged = presigned_query(path, time.time()).replace("Signature=", "Signature=0")
    tampered = client.get(lab.base_url + path + "?" + forged)
    assert tampered.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in tampered.text
    unsigned = client.get(lab.base_url + path)
    assert unsigned.status_code == 403 and "<Message>Access Denied</Message>" in unsigned.text


def test_problem_json_needs_a_token_first(lab, client):
    assert client.get(lab.url("app-rule")).status_code == 401
    problem = hit(lab, client, "app-rule").json()
    assert problem["status"] == 403 and problem["title"] and problem["detail"]


def test_gateway_real_route_works_wrong_route_says_missing_token(lab, client):
    assert client.get(lab.base_url + "/prod/v1/invoices").status_code == 200
    wrong = client.delete(lab.base_url + "/prod/v1/invoices")
    assert wrong.status_code == 403 and wrong.json() == {"message": "Missing Authentication Token"}


def test_file_permissions_shows_only_in_the_error_log(lab, client):
    response = hit(lab, client, "file-permissions")
    directory = hit(lab, client, "directory-listing")
    assert response.content == directory.content  # the visitor cannot tell them apart
    wanted = 'open() "/srv/wizard403-lab/www/static/annual-report.pdf" failed (13: Permission denied)'
    assert any(wanted in line for line in lab.error_log)
    assert wanted in lab.error_log_path.read_text()


def test_index_links_every_scenario(lab, client):
    index = client.get(lab.base_url + "/")
    assert index.status_code == 200
    for s in SCENARIOS:
        assert f'href="{s.path}"' in index.text


# --- HTTP behaviour and odd input ---------------------------------------------------------------------------------


def test_options_head_and_method_rules(lab, client):
    options = client.options(lab.url("ok"))
    assert options.status_code == 204 and options.headers["allow"] == "GET, HEAD, OPTIONS"
    assert "date" in options.headers and options.content == b""
    assert "POST" in client.options(lab.url("csrf")).headers["allow"]
    put = client.put(lab.url("ok"), content=b"x")
    assert put.status_code == 405 and put.headers["allow"] == "GET, HEAD, OPTIONS"
    nginx_put = client.put(lab.base_url + "/files/", content=b"x")
    assert nginx_put.status_code == 405 and nginx_put.reason_phrase == "Not Allowed"
    assert client.request("BREW", lab.url("ok")).status_code == 501
    assert client.get(lab.base_url + "/no/such/page").status_code == 404


def _raw(lab: Lab, payload: bytes) -> bytes:
    with socket.create_connection((lab.host, lab.port), timeout=5) as sock:
        sock.sendall(payload)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_odd_input_gets_an_answer_and_the_lab_survives(lab, client):
    assert _raw(lab, b"\x16\x03\x01garbage\r\n\r\n").startswith(b"HTTP/1.1 400")
    huge = b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n"
    assert _raw(lab, huge).startswith(b"HTTP/1.1 431")
    many = b"GET /ok HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n"
    assert _raw(lab, many).startswith(b"HTTP/1.1 431")
    too_big = b"POST /account/email HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n"
    assert _raw(lab, too_big).startswith(b"HTTP/1.1 413")
    closing = _raw(lab, b"GET /ok HTTP/1.0\r\n\r\n")
    assert closing.startswith(b"HTTP/1.1 200") and b"Connection: close" in closing
    chunked = (b"POST /account/email HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
               b"5\r\nemail\r\n0\r\n\r\n")
    assert _raw(lab, chunked).startswith(b"HTTP/1.1 403")
    forged = mint_token("valid").rsplit(".", 1)[0].encode() + b".\xe9\xe9"
    for auth in (b"Bearer e30.e30.\xc3\xa9", b"Bearer " + forged, b"Bearer a.b", b"Bearer", b"Basic Zm9vOmJhcg=="):
        weird = client.get(lab.url("insufficient-scope"), headers={"Authorization": auth})
        assert weird.status_code == 401, auth
    assert client.get(lab.url("ok")).status_code == 200


def test_requests_keep_only_the_last_thousand():
    with start_lab() as small, httpx.Client() as c:
        for i in range(1005):
            c.get(f"{small.base_url}/ok?n={i}")
        kept = small.requests
        assert len(kept) == 1000
        assert kept[0].path == "/ok?n=5" and kept[-1].path == "/ok?n=1004"


# --- binding ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.com", ""])
def test_non_loopback_bind_is_refused_with_one_sentence(host):
    with pytest.raises(InputError, match="loopback only") as err:
        start_lab(host=host)
    assert "\n" not in str(err.value)


def test_busy_port_and_bad_port_are_input_errors(lab):
    with pytest.raises(InputError, match=f"port {lab.port} on 127.0.0.1 is already in use"):
        start_lab(port=lab.port)
    with pytest.raises(InputError, match="0 to 65535"):
        start_lab(port=70000)


def test_stop_closes_the_lab_and_localhost_means_127_0_0_1():
    with start_lab(host="localhost") as small:
        assert small.host == "127.0.0.1" and small.base_url == f"http://127.0.0.1:{small.port}"
        with httpx.Client() as c:
            assert c.get(small.url("ok")).status_code == 200
            small.stop()
            small.stop()  # twice is harmless
            with pytest.raises(httpx.TransportError):
                c.get(small.url("ok"))


def test_ipv6_loopback():
    try:
        small = start_lab(host="::1")
    except InputError as err:
        pytest.skip(f"no IPv6 loopback here: {err}")
    with small, httpx.Client() as c:
        assert small.base_url.startswith("http://[::1]:")
        assert c.get(small.url("ok")).status_code == 200
        assert small.requests[-1].client_ip == "::1"


def test_serve_forever_prints_the_menu_and_stops_quietly_on_ctrl_c():
    port = _free_port()
    code = f"from wizard403.lab import serve_forever; serve_forever(port={port})"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    try:
        first = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first and "loopback only" in first
        menu = [first]
        while "Ctrl+C" not in menu[-1] and menu[-1]:
            menu.append(proc.stdout.readline())
        assert httpx.get(f"http://127.0.0.1:{port}/search").status_code == 403
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and err == ""
    out = "".join(menu) + out
    for s in SCENARIOS:
        assert s.path in out and s.title in out
    assert "127.0.0.1 GET /search -> 403" in out
