"""Raw responses: what `curl -i`/`curl -v`, a browser or a log shows, and a bare body with a status given."""

from __future__ import annotations

import gzip
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wizard403.errors import InputError
from wizard403.inputs.raw import RAW_BODY_CAP, parse_pasted_response, parse_raw_response

BLOCK_PAGE = b"<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1></body></html>"


class _Refuser(BaseHTTPRequestHandler):
    """A loopback server that refuses in the ways the parser must cope with."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path == "/chunked":
            self.send_response(403, "Forbidden")
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (BLOCK_PAGE[:30], BLOCK_PAGE[30:]):
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/gzip":
            body = gzip.compress(BLOCK_PAGE)
            self.send_response(403, "Forbidden")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(403, "Forbidden")
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Set-Cookie", "a=1; Path=/")
            self.send_header("Set-Cookie", "b=2; Path=/")
            self.send_header("Content-Length", str(len(BLOCK_PAGE)))
            self.end_headers()
            self.wfile.write(BLOCK_PAGE)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Refuser)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd.server_address
    httpd.shutdown()
    httpd.server_close()


def _capture(address, path: str) -> bytes:
    """The bytes a server really sends, as a packet capture or `nc` would show them."""
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


def test_a_real_response_from_the_wire(server):
    exchange = parse_raw_response(_capture(server, "/"), url="http://127.0.0.1/", method="get")
    assert (exchange.status, exchange.reason, exchange.http_version) == (403, "Forbidden", "HTTP/1.1")
    assert exchange.method == "GET" and exchange.url == "http://127.0.0.1/"
    assert exchange.body == BLOCK_PAGE and not exchange.body_truncated
    assert exchange.response_headers.get_all("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert exchange.content_type == "text/html"
    assert exchange.check == "recorded"


def test_chunked_transfer_coding_from_the_wire_is_undone(server):
    raw = _capture(server, "/chunked")
    assert b"\r\n0\r\n" in raw
    exchange = parse_raw_response(raw)
    assert exchange.body == BLOCK_PAGE and not exchange.body_truncated


def test_gzip_body_from_the_wire_is_decoded(server):
    exchange = parse_raw_response(_capture(server, "/gzip"))
    assert exchange.text.startswith("<html><head><title>403 Forbidden")


def test_curl_include_output_after_redirects_keeps_the_last_response():
    pasted = (
        "HTTP/1.1 302 Found\nLocation: https://h.test/login\nContent-Length: 0\n\n"
        "HTTP/2 403 \ncontent-type: application/json\nx-amzn-requestid: 1a2b\n\n"
        '{"message":"Forbidden"}\n'
    )
    exchange = parse_raw_response(pasted)
    assert (exchange.status, exchange.reason, exchange.http_version) == (403, "Forbidden", "HTTP/2")
    assert exchange.redirects == ["https://h.test/login"]
    assert exchange.response_headers.get("x-amzn-requestid") == "1a2b"
    assert exchange.body == b'{"message":"Forbidden"}\n'


def test_interim_and_proxy_responses_are_skipped():
    pasted = (
        b"HTTP/1.1 200 Connection established\r\n\r\n"
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 403 Forbidden\r\nServer: squid\r\nContent-Length: 6\r\n\r\ndenied"
    )
    exchange = parse_raw_response(pasted)
    assert exchange.status == 403 and exchange.response_headers.get("server") == "squid"
    assert exchange.body == b"denied"


def test_curl_verbose_output():
    pasted = """*   Trying 192.0.2.1:443...
* Connected to api.example.test (192.0.2.1) port 443
> GET /v1/items/42 HTTP/2
> Host: api.example.test
> user-agent: curl/8.5.0
>
< HTTP/2 403
< content-type: application/json
< www-authenticate: Bearer error="insufficient_scope"
<
{"error":"insufficient_scope"}
* Connection #0 to host api.example.test left intact
"""
    exchange = parse_raw_response(pasted)
    assert (exchange.method, exchange.url, exchange.status) == ("GET", "https://api.example.test/v1/items/42", 403)
    assert exchange.response_headers.get("www-authenticate") == 'Bearer error="insufficient_scope"'
    assert exchange.body.strip() == b'{"error":"insufficient_scope"}'


def test_browser_copy_with_folded_header_and_no_blank_line():
    pasted = "HTTP/1.1 403 Forbidden\r\nX-Long: first part\r\n  second part\r\nContent-Type: text/plain"
    exchange = parse_raw_response(pasted)
    assert exchange.response_headers.get("x-long") == "first part second part"
    assert exchange.body == b""


def test_http2_status_pseudo_header():
    exchange = parse_raw_response(":status: 403\ncontent-type: text/html\n\nno")
    assert exchange.status == 403 and exchange.body == b"no"


def test_cut_off_body_is_marked_truncated():
    exchange = parse_raw_response(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 5000\r\n\r\n<html>only the start")
    assert exchange.body_truncated


def test_huge_body_is_capped():
    exchange = parse_raw_response(b"HTTP/1.1 403 Forbidden\r\n\r\n" + b"x" * (RAW_BODY_CAP + 10))
    assert len(exchange.body) == RAW_BODY_CAP and exchange.body_truncated


def test_body_alone_with_a_status():
    exchange = parse_raw_response(BLOCK_PAGE.decode(), status=403, url="https://h.test/")
    assert (exchange.status, exchange.reason, exchange.url) == (403, "Forbidden", "https://h.test/")
    assert exchange.body == BLOCK_PAGE and len(exchange.response_headers) == 0


def test_given_status_wins_over_the_pasted_one():
    assert parse_raw_response("HTTP/1.1 200 OK\n\nblocked", status=403).status == 403


@pytest.mark.parametrize(
    "data, status, words",
    [
        ("", None, "the response is empty."),
        ("  \n\n", 403, "the response is empty."),
        ("<html>blocked</html>", None, "has no status line"),
        (b"\x00\x01\x02binary", None, "binary data"),
        ("HTTP/1.1 999 Weird\n\n", None, "is not an HTTP status code"),
        ("body", 1000, "from 100 to 599"),
        ("body", True, "from 100 to 599"),
    ],
)
def test_unusable_input_gives_one_sentence(data, status, words):
    with pytest.raises(InputError) as caught:
        parse_raw_response(data, status=status)
    assert words in str(caught.value) and "\n" not in str(caught.value)


# -- a status stated in words (what users paste is often their program's error, not the response) -----------------


@pytest.mark.parametrize(
    "text, status",
    [
        ("requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: https://api.example.com/v1", 403),
        ("AxiosError: Request failed with status code 429", 429),
        ("urllib.error.HTTPError: HTTP Error 403: Forbidden", 403),
        ("System.Net.WebException: The remote server returned an error: (403) Forbidden.", 403),
        ("Response status code does not indicate success: 401 (Unauthorized).", 401),
        ('{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}', 403),
        ('{"statusCode":403,"error":"Forbidden","message":"Forbidden"}', 403),
        ("Client error response [url] https://api.ovh.com/1.0/sms [status code] 403 [reason phrase] Forbidden", 403),
        ("<-- 403 Forbidden https://api.bitbucket.org/user (212ms)", 403),
        ("httpx.HTTPStatusError: Client error '403 Forbidden' for url 'https://api.example.com/v1'", 403),
    ],
)
def test_a_status_stated_by_a_programs_error_is_read_from_it(text, status):
    exchange, note = parse_pasted_response(text)
    assert exchange.status == status and exchange.body == text.encode()
    assert note is not None and f"the text states the status {status}" in note


@pytest.mark.parametrize(
    "text",
    [
        "<html>blocked</html>", '{"code":40301,"msg":"denied"}', "version 1.403 Forbidden", "all good: 200 OK",
        # numbers in prose, in addresses and in scripts are not a status (a reviewer's cases)
        "<p>If you see error 404, check the address.</p>", "Access denied. Return to https://x.test/login?status=401",
        "error: 401 lines processed", "status: 500 items synced", "Access denied on the HTTP 443 listener",
        "<script>var cfg={statusCode: 404}</script>",
    ],
)
def test_text_that_states_no_refusal_status_still_asks_for_one(text):
    with pytest.raises(InputError, match="has no status line"):
        parse_pasted_response(text)


def test_apaches_stock_page_copied_from_the_browser_still_asks_for_its_status():
    """Its text says "Forbidden" and then "a 404 Not Found error was encountered" (the missing ErrorDocument): two
    statuses, so the user is asked rather than told it was a 404."""
    page = ("Forbidden\nYou don't have permission to access this resource.\nAdditionally, a 404 Not Found error was "
            "encountered while trying to use an ErrorDocument to handle the request.\n")
    with pytest.raises(InputError, match=r"several statuses \(403, 404\)"):
        parse_pasted_response(page)


def test_the_note_quotes_nothing_a_secret_could_hide_in():
    token = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    exchange, note = parse_pasted_response(
        f"403 Client Error: Forbidden; the deploy key configured for this job was {token} for url: https://api.github.com/user"
    )
    assert exchange.status == 403 and token[:8] not in note


def test_a_long_line_of_repeated_errors_is_read_quickly():
    import time

    start = time.perf_counter()
    with pytest.raises(InputError):
        parse_pasted_response("401 Client Error 403 Client Error " * 2000)
    assert time.perf_counter() - start < 1.0


def test_two_different_statuses_are_left_to_the_user():
    with pytest.raises(InputError) as caught:
        parse_pasted_response("first 401 Unauthorized, then after signing in 403 Forbidden")
    assert "several statuses (401, 403)" in str(caught.value)


def test_the_address_an_error_names_is_the_request_and_its_key_is_kept_secret(tmp_path):
    secret = "AIzaSyD-real-looking-key-4f9c2b7e1a"
    text = (
        "Traceback (most recent call last):\n  File \"fetch.py\", line 9, in <module>\n    r.raise_for_status()\n"
        f"requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: https://maps.example.com/api?key={secret}\n"
    )
    path = tmp_path / "error.txt"
    path.write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "wizard403", "check", "--response", str(path), "--format", "md", "-q"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 3, proc.stderr
    assert "the text states the status 403 Forbidden" in proc.stderr
    assert "https://maps.example.com/api?key=" in proc.stdout, "the report names the request the error was about"
    assert "the text states the status 403 Forbidden" in proc.stdout
    assert secret not in proc.stdout + proc.stderr


def test_the_address_httpx_names_is_taken_as_the_request():
    exchange, _ = parse_pasted_response(
        "httpx.HTTPStatusError: Client error '403 Forbidden' for url 'https://api.example.com/v1/items?page=2'"
    )
    assert (exchange.status, exchange.url) == (403, "https://api.example.com/v1/items?page=2")
