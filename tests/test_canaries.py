"""Canary secrets through every input and every output: not one byte of any of them, in any encoding, is written.

Real inputs (flags, curl in bash and cmd.exe form, a HAR, a raw response, a server log, proxies in flags and in
the environment) carry distinct canary secrets to real servers on loopback: the lab's echoing servers, which
quote every credential back in JSON, HTML and XML, as is, percent-encoded, base64, escaped and repr()'d.
`check` in every format, `report`, `sanitize` and the input errors run as subprocesses; every byte they write
(stdout, stderr, report files, the state folder) is searched for every canary in every form a server or a
writer could give it. The wizard's summary and export screens are searched the same way, as SVG screenshots.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from wizard403.lab import mint_token

# One canary per vector, each unique so a leak names its way out.
TOKEN_ENV = "CANARY_TOKEN"
C = {
    "cookie": "ckCANARYa7f3e9q2",
    "cookie2": "ck2CANARYz81wxy",
    "url-password": "upwCANARYh4x9",
    "url-user-token": "utokCANARYm3b8",
    "proxy-password": "ppwCANARYr5t1",
    "env-proxy-password": "epwCANARYq6v2",
    "basic-password": "bpwCANARYk2j7",
    "query-sig": "qsigCANARY0d9c",
    "query-pin": "qpinCANARY4821",
    "query-ticket": "qtktCANARYw7e6",
    "query-hash": "qhshCANARYs1a2",
    "query-hmac": "qhmcCANARYf3g4",
    "query-saml": "qsamlCANARYPHNhbWw",
    "query-token-array": "qtarCANARYy5u6",
    "query-user-password": "qupwCANARYi7o8",
    "nested-access-token": "natCANARYp9l0",
    "jsessionid": "jsidCANARYB7C8D9",
    "x-functions-key": "hfkCANARY01",
    "x-auth-key": "hakCANARY02",
    "dd-application-key": "hddCANARY03",
    "x-master-key": "hmkCANARY04",
    "x-access-key": "hackCANARY05",
    "x-auth": "hxaCANARY06",
    "x-authorization": "hxzCANARY07",
    "authentication": "hauCANARY08",
    "x-goog-iap-jwt-assertion": "hgoCANARY09",
    "x-ms-client-principal": "hmsCANARY10",
    "x-webhook-sig": "hwsCANARY11",
    "x-pat": "hpatCANARY12",
    "key": "hkeyCANARY13",
    "x-api-key": "hxakCANARY/14+z=",
    "body-password": "bodypwCANARYhunter",
    "body-passphrase": 'bpp "CANARY" <&> x',
    "body-private-key": "bpkCANARYnested",
    "log-sig": "logsigCANARY31",
    "log-amz": "logamzCANARY32",
    "har-ws": "harwsCANARY41",
    "har-initiator": "harinitCANARY42",
    "har-comment": "harcomCANARY43",
    "har-title": "hartitleCANARY44",
    "har-wsproto": "harwspCANARY45",
    "har-setcookie": "harscCANARY46",
    "har-response-token": "harrtCANARY47",
    "raw-setcookie": "rawscCANARY51",
    "raw-token": "rawtokCANARY52",
    "verbose-token": "vtokCANARY61",
    "verbose-cookie": "vckCANARY62",
}
HEADER_CANARIES = [
    "x-functions-key", "x-auth-key", "dd-application-key", "x-master-key", "x-access-key", "x-auth",
    "x-authorization", "authentication", "x-goog-iap-jwt-assertion", "x-ms-client-principal", "x-webhook-sig",
    "x-pat", "key", "x-api-key",
]


def forms(secret: str) -> set[str]:
    """Every form a canary may take in an output (computed here, independently of the code under test)."""
    raw = secret.encode()
    lower_hex = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(secret, safe=""))
    out = {secret, quote(secret, safe=""), lower_hex, quote_plus(secret), json.dumps(secret)[1:-1]}
    out |= {html.escape(secret), html.escape(secret, quote=False), repr(secret)[1:-1]}
    out |= {base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    return {f for f in out if len(f) >= 6}


def pair_forms(user: str, password: str) -> set[str]:
    raw = f"{user}:{password}".encode()
    return {f"{user}:{password}", base64.b64encode(raw).decode().rstrip("=")}


def assert_clean(outputs: dict[str, str], canaries: dict[str, str], extra: set[str] = frozenset()) -> None:
    leaks = []
    for where, text in outputs.items():
        for name, secret in canaries.items():
            for form in forms(secret):
                if form in text:
                    leaks.append(f"{name} ({form[:24]}) in {where}")
        for form in extra:
            if form in text:
                leaks.append(f"pair {form[:24]} in {where}")
    assert not leaks, "canaries leaked:\n" + "\n".join(leaks[:40])


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "wizard403", *args], capture_output=True, text=True, env=env, timeout=120, check=False, cwd=cwd
    )


def every_file(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def jwt(lab):
    return mint_token("expired", lab.host)


def canary_url(lab, path: str, with_user: bool = True) -> str:
    host = lab.base_url.split("://", 1)[1]
    nested = quote(f"https://idp.example/cb?access_token={C['nested-access-token']}&x=1", safe="")
    query = (
        f"sig={C['query-sig']}&pin={C['query-pin']}&ticket={C['query-ticket']}&hash={C['query-hash']}"
        f"&hmac={C['query-hmac']}&SAMLResponse={C['query-saml']}&token[]={C['query-token-array']}"
        f"&user[password]={C['query-user-password']}&return_to={nested}&page=2"
    )
    userinfo = f"alice:{C['url-password']}@" if with_user else ""
    return f"http://{userinfo}{host}{path};jsessionid={C['jsessionid']}?{query}"


def header_flags() -> list[str]:
    flags = []
    for name in HEADER_CANARIES:
        flags += ["-H", f"{name.title()}: {C[name]}"]
    return flags


def test_check_report_and_errors_keep_every_canary_out(lab, egress_proxy, tmp_path, jwt):
    env = {
        **os.environ,
        TOKEN_ENV: jwt,
        "NO_PROXY": "",
        "HTTP_PROXY": f"http://bob:{C['env-proxy-password']}@{egress_proxy.url.split('://', 1)[1]}",
    }
    proxy = f"http://bob:{C['proxy-password']}@{egress_proxy.url.split('://', 1)[1]}"
    outputs: dict[str, str] = {}
    for path in ("/echo/json", "/echo/html", "/echo/xml"):
        for fmt in ("toml", "md", "json"):
            out = tmp_path / f"{path.rsplit('/', 1)[1]}.{fmt}"
            proc = run(
                [
                    "check", canary_url(lab, path), "--token-env", TOKEN_ENV,
                    "-b", f"sessionid={C['cookie']}; csrftoken={C['cookie2']}; theme=dark",
                    *header_flags(), "--alt-proxy", proxy, "--format", fmt, *(["--output", str(out)] if fmt != "md" else []),
                ],
                env,
                tmp_path,
            )
            assert proc.returncode in (0, 3), proc.stderr
            outputs[f"check {path} {fmt} stdout"] = proc.stdout
            outputs[f"check {path} {fmt} stderr"] = proc.stderr
    assert egress_proxy.seen, "the proxies were really used"
    saved = tmp_path / "json.toml"
    assert saved.exists()
    # the echoing servers did quote the canaries: the redaction had something to find
    echoed = json.loads((tmp_path / "json.json").read_text())["exchanges"][0]["body_excerpt"]
    assert "[redacted sha256:" in echoed and "received" in echoed
    for fmt in ("md", "json", "toml"):
        proc = run(["report", str(saved), "--format", fmt], env, tmp_path)
        assert proc.returncode == 0, proc.stderr
        outputs[f"report {fmt}"] = proc.stdout + proc.stderr
    # input errors that used to repeat their input
    host = lab.base_url.split("://", 1)[1].split(":")[0]
    for args in (
        ["check", f"http://alice:{C['url-password']}@{host}:99999/"],
        ["check", f"http://alice:{C['url-password']}@{host}/a b"],
        ["check", f"http://{C['url-user-token']}@{host}:99999/"],
        ["check", lab.base_url, "--proxy", f"bob:{C['proxy-password']}@127.0.0.1:3128"],
        ["check", lab.base_url, "-H", f"Authorization Bearer {C['x-auth']}"],
        ["check", lab.base_url, "-H", f"X-Api-Key {C['x-api-key']}"],
        ["check", "--from-curl", f"curl -H 'Authorization: Bearer {C['x-pat']}' http://u:{C['basic-password']}@{host}:77777/"],
        ["check", "--from-curl", f"curl -H 'X-Auth-Key: {C['x-auth-key']}"],
    ):
        proc = run(args, env, tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
        outputs[f"error {' '.join(args)[:40]}"] = proc.stderr + proc.stdout
    outputs |= {f"file {k}": v for k, v in every_file(tmp_path).items()}
    canaries = {k: v for k, v in C.items() if not k.startswith(("har-", "raw-", "log-", "body-", "basic"))}
    canaries["jwt-signature"] = jwt.rsplit(".", 1)[1]
    assert_clean(outputs, canaries)


def test_curl_in_both_shells_with_bodies_and_basic_auth(lab, tmp_path):
    host = lab.base_url
    body = json.dumps({"user": "bob", "password": C["body-password"], "profile": {"passphrase": C["body-passphrase"], "keys": [{"private_key": C["body-private-key"]}]}})
    posix = (
        f"curl '{host}/echo/json' -u 'alice:{C['basic-password']}' -H 'X-Master-Key: {C['x-master-key']}' "
        f"-b 'sessionid={C['cookie']}' -H 'Content-Type: application/json' --data-raw '{body}'"
    )
    cmd_body = body.replace('"', '""')
    windows = (
        f'curl.exe "{host}/echo/html?ticket={C["query-ticket"]}" ^\n  -H "X-Functions-Key: {C["x-functions-key"]}" ^\n'
        f'  -H "Cookie: sessionid={C["cookie2"]}" ^\n  --data-raw "{cmd_body}"'
    )
    outputs = {}
    env = dict(os.environ)
    for name, command in (("bash", posix), ("cmd", windows)):
        for fmt in ("md", "json", "toml"):
            curl_file = tmp_path / f"{name}.txt"
            curl_file.write_text(command)
            proc = run(["check", "--curl-file", str(curl_file), "--replay-unsafe", "--format", fmt], env, tmp_path)
            assert proc.returncode in (0, 3), proc.stderr
            outputs[f"{name} {fmt}"] = proc.stdout + proc.stderr
            curl_file.unlink()
    outputs |= {f"file {k}": v for k, v in every_file(tmp_path).items()}
    picked = ("basic-password", "x-master-key", "cookie", "x-functions-key", "cookie2", "query-ticket", "body-password", "body-passphrase", "body-private-key")
    assert_clean(outputs, {k: C[k] for k in picked}, pair_forms("alice", C["basic-password"]))


def canary_har(lab) -> dict:
    url = canary_url(lab, "/echo/json", with_user=False)
    echoed = json.dumps({"error": "invalid_token", "received": {k: C[k] for k in ("x-api-key", "cookie", "query-sig")}})
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "canary", "version": "1"},
            "pages": [{"id": "page_1", "title": f"Portal {C['har-title']}", "startedDateTime": "2026-12-03T07:00:00Z"}],
            "entries": [
                {
                    "startedDateTime": "2026-12-03T07:00:01Z",
                    "time": 12,
                    "comment": f"retried with the client secret {C['har-comment']}",
                    "_initiator": {"type": "script", "url": f"https://cdn.example/app.js?token={C['har-initiator']}"},
                    "_webSocketMessages": [{"type": "send", "time": 1, "opcode": 1, "data": json.dumps({"auth": {"token": C["har-ws"]}})}],
                    "request": {
                        "method": "POST",
                        "url": url,
                        "httpVersion": "HTTP/1.1",
                        "headers": [
                            {"name": "Authorization", "value": f"Basic {base64.b64encode(('alice:' + C['basic-password']).encode()).decode()}"},
                            {"name": "Cookie", "value": f"sessionid={C['cookie']}; pref={C['har-title']}"},
                            {"name": "X-Client-Secret", "value": C["har-comment"]},
                            {"name": "Referer", "value": f"https://app.example/cb?code=x&sig={C['query-hmac']}"},
                            {"name": "Sec-WebSocket-Protocol", "value": f"graphql-ws, {C['har-wsproto']}"},
                            *({"name": n.title(), "value": C[n]} for n in HEADER_CANARIES),
                        ],
                        "queryString": [{"name": "sig", "value": C["query-sig"]}],
                        "cookies": [{"name": "sessionid", "value": C["cookie"]}],
                        "postData": {"mimeType": "application/json", "text": json.dumps({"credentials": {"password": C["body-password"], "private_key": C["body-private-key"]}})},
                        "headersSize": -1,
                        "bodySize": -1,
                    },
                    "response": {
                        "status": 403,
                        "statusText": "Forbidden",
                        "httpVersion": "HTTP/1.1",
                        "headers": [
                            {"name": "Content-Type", "value": "application/json"},
                            {"name": "Set-Cookie", "value": f"next={C['har-setcookie']}; Path=/; HttpOnly"},
                            {"name": "Location", "value": f"https://app.example/login?ticket={C['query-ticket']}"},
                        ],
                        "cookies": [{"name": "next", "value": C["har-setcookie"]}],
                        "content": {"size": 10, "mimeType": "application/json", "text": echoed[:-1] + f', "access_token": "{C["har-response-token"]}"}}'},
                        "redirectURL": f"https://app.example/next?token={C['query-token-array']}",
                        "headersSize": -1,
                        "bodySize": -1,
                    },
                    "timings": {"send": 1, "wait": 10, "receive": 1},
                }
            ],
        }
    }


def test_har_check_and_sanitize_keep_no_canary(lab, tmp_path):
    har = tmp_path / "in" / "canary.har"
    har.parent.mkdir()
    har.write_text(json.dumps(canary_har(lab)))
    work = tmp_path / "work"
    work.mkdir()
    outputs = {}
    env = dict(os.environ)
    for fmt in ("md", "json", "toml"):
        proc = run(["check", "--har", str(har), "--format", fmt], env, work)
        assert proc.returncode in (0, 3), proc.stderr
        outputs[f"check har {fmt}"] = proc.stdout + proc.stderr
    proc = run(["sanitize", str(har), str(work / "clean.har")], env, work)
    assert proc.returncode == 0, proc.stderr
    clean = (work / "clean.har").read_text()
    assert json.loads(clean)["log"]["entries"][0]["request"]["method"] == "POST", "still a HAR"
    outputs["sanitize stderr"] = proc.stderr
    outputs |= {f"file {k}": v for k, v in every_file(work).items()}
    picked = [k for k in C if k.startswith("har-")] + HEADER_CANARIES + [
        "cookie", "basic-password", "query-sig", "query-hmac", "query-ticket", "query-token-array", "query-pin",
        "query-saml", "query-user-password", "nested-access-token", "jsessionid", "body-password", "body-private-key",
    ]
    assert_clean(outputs, {k: C[k] for k in picked}, pair_forms("alice", C["basic-password"]))


def test_raw_response_and_log_lines_keep_no_canary(lab, tmp_path):
    raw = (
        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
        f"Set-Cookie: session={C['raw-setcookie']}; Path=/; Secure\r\n\r\n"
        + json.dumps({"error": "forbidden", "access_token": C["raw-token"], "detail": f"token {C['raw-token']} lacks scope"})
    )
    response = tmp_path / "response.txt"
    response.write_text(raw)
    log = tmp_path / "error.log"
    log.write_text(
        f'127.0.0.1 - - [03/Dec/2026:07:00:00 +0000] "GET /echo/json?sig={C["log-sig"]}&X-Amz-Signature={C["log-amz"]} HTTP/1.1" 403 12 "-" "curl"\n'
        f'2026/12/03 07:00:00 [error] 7#7: *1 access forbidden by rule, client: 127.0.0.1, request: "GET /echo/json?sig={C["log-sig"]} HTTP/1.1"\n'
    )
    outputs = {}
    for fmt in ("md", "json", "toml"):
        proc = run(["check", f"{lab.base_url}/echo/json", "--response", str(response), "--log", str(log), "--format", fmt], dict(os.environ), tmp_path)
        assert proc.returncode in (0, 3), proc.stderr
        outputs[f"response {fmt}"] = proc.stdout + proc.stderr
    assert "log-scan" in outputs["response json"]
    # `curl -v` output: the request's own headers are not analysed, yet the page quotes them back
    verbose = tmp_path / "verbose.txt"
    verbose.write_text(
        "* Connected to api.example (127.0.0.1) port 80\n> GET /v1/items HTTP/1.1\n> Host: api.example\n"
        f"> Authorization: Bearer {C['verbose-token']}\n> Cookie: sid={C['verbose-cookie']}\n>\n"
        "< HTTP/1.1 403 Forbidden\n< Content-Type: text/plain\n<\n"
        f"denied for {C['verbose-token']} with session {C['verbose-cookie']}\n"
    )
    for fmt in ("md", "json"):
        proc = run(["check", "--response", str(verbose), "--format", fmt], dict(os.environ), tmp_path)
        assert proc.returncode in (0, 3), proc.stderr
        outputs[f"verbose {fmt}"] = proc.stdout + proc.stderr
    assert "api.example/v1/items" in outputs["verbose json"]
    assert_clean(outputs, {k: C[k] for k in ("raw-setcookie", "raw-token", "log-sig", "log-amz", "verbose-token", "verbose-cookie")})


async def test_wizard_summary_and_export_screens_show_no_canary(lab, tmp_path):
    from wizard403.model import ProbeOptions, Session, Target, Headers
    from wizard403.tui.app import make_app
    from wizard403.tui.screens.export import ExportScreen
    from wizard403.tui.screens.summary import SummaryScreen

    headers = Headers([("Authorization", f"Bearer {C['x-pat']}"), ("Cookie", f"sessionid={C['cookie']}"), ("X-Master-Key", C["x-master-key"])])
    target = Target(url=canary_url(lab, "/echo/json"), headers=headers)
    app = make_app(session=Session(target=target), options=ProbeOptions(timeout=5), live=True, use_autosave=True)
    shots = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("f3")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        shots["summary"] = app.export_screenshot()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        for tab in ("tab-md", "tab-toml", "tab-json"):
            try:
                app.screen.query_one("#export-tabs").active = tab
            except Exception:  # noqa: BLE001 - a tab the screen does not have is simply not shown
                continue
            await pilot.pause()
            shots[f"export {tab}"] = app.export_screenshot()
    assert any("redacted" in svg.replace("&#160;", " ") for svg in shots.values())
    outputs = {k: html.unescape(v.replace("&#160;", " ")) for k, v in shots.items()}
    outputs |= {f"state {k}": v for k, v in every_file(Path(os.environ["WIZARD403_STATE_DIR"])).items() if not k.endswith(".key")}
    picked = ("x-pat", "cookie", "x-master-key", "url-password", "query-sig", "query-pin", "jsessionid", "nested-access-token")
    assert_clean(outputs, {k: C[k] for k in picked})
