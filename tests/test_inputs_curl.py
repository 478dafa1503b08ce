"""curl import: browsers' "Copy as cURL" in POSIX and Windows form, hand-typed options, and malformed commands."""

from __future__ import annotations

import base64

import pytest

from wizard403.errors import InputError
from wizard403.inputs.curl import MULTIPART_BOUNDARY, parse_curl

CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
EDGE_UA = CHROME_UA + " Edg/124.0.2478.51"
FIREFOX_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
SAFARI_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15"
)

# Chrome and Edge "Copy as cURL (bash)": one option per line, cookies in -b, $'…' when the body has a quote.
CHROMIUM_POSIX = r"""curl 'https://app.example.test/api/items?page=2&sort=name' \
  -H 'accept: application/json, text/plain, */*' \
  -H 'accept-language: en-GB,en;q=0.9' \
  -b 'session=abc123def456; theme=dark' \
  -H 'content-type: application/json' \
  -H 'origin: https://app.example.test' \
  -H 'sec-ch-ua: "Chromium";v="124", "Google Chrome";v="124"' \
  -H 'user-agent: {UA}' \
  --data-raw $'{"name":"50% off","note":"it\'s"}'"""

# The same request from "Copy as cURL (cmd)": ^-escapes, ^" quotes, \^" for inner quotes, ^ line continuations.
CHROMIUM_CMD = r"""curl ^"https://app.example.test/api/items?page=2^&sort=name^" ^
  -H ^"accept: application/json, text/plain, */*^" ^
  -H ^"accept-language: en-GB,en;q=0.9^" ^
  -b ^"session=abc123def456; theme=dark^" ^
  -H ^"content-type: application/json^" ^
  -H ^"origin: https://app.example.test^" ^
  -H ^"sec-ch-ua: ^\^"Chromium^\^";v=^\^"124^\^", ^\^"Google Chrome^\^";v=^\^"124^\^"^" ^
  -H ^"user-agent: {UA}^" ^
  --data-raw ^"^{^\^"name^\^":^\^"50^% off^\^",^\^"note^\^":^\^"it's^\^"^}^"
"""

# Firefox "Copy as cURL (POSIX)" and "(Windows)": one line, --compressed first, -X always, cookies as a header.
FIREFOX_POSIX = (
    "curl 'https://shop.example.test/cart?from=home' --compressed -X POST -H 'User-Agent: {UA}' "
    "-H 'Accept: */*' -H 'Content-Type: application/x-www-form-urlencoded' -H 'Cookie: cart=77; sid=Zx9_aa-bb' "
    "-H 'Origin: https://shop.example.test' --data-raw 'item=42&qty=1&note=100%25'"
)
FIREFOX_WINDOWS = (
    'curl ^"https://shop.example.test/cart?from=home^" --compressed -X POST -H ^"User-Agent: {UA}^" '
    '-H ^"Accept: */*^" -H ^"Content-Type: application/x-www-form-urlencoded^" -H ^"Cookie: cart=77; sid=Zx9_aa-bb^" '
    '-H ^"Origin: https://shop.example.test^" --data-raw ^"item=42^&qty=1^&note=100^%^25^"'
)

# Safari "Copy as cURL": -X always, options on their own lines without indentation.
SAFARI_POSIX = """curl 'https://intranet.example.test/docs/' \\
-X 'GET' \\
-H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' \\
-H 'Authorization: Basic Ym9iOlN1cDNyUzNjcmV0IQ==' \\
-H 'User-Agent: {UA}'"""


def _chromium_expectations(result, ua):
    target = result.target
    assert target.source == "curl"
    assert target.method == "POST"
    assert target.url == "https://app.example.test/api/items?page=2&sort=name"
    assert target.body == b'{"name":"50% off","note":"it\'s"}'
    assert target.headers.get("sec-ch-ua") == '"Chromium";v="124", "Google Chrome";v="124"'
    assert target.headers.get("content-type") == "application/json"
    assert target.cookies == {"session": "abc123def456", "theme": "dark"}
    assert target.browser_user_agent == ua
    assert result.warnings == []


@pytest.mark.parametrize("ua", [CHROME_UA, EDGE_UA], ids=["chrome", "edge"])
@pytest.mark.parametrize("form", [CHROMIUM_POSIX, CHROMIUM_CMD], ids=["posix", "cmd"])
def test_chromium_copies_give_the_same_request_in_both_shells(form, ua):
    _chromium_expectations(parse_curl(form.replace("{UA}", ua)), ua)


@pytest.mark.parametrize("form", [FIREFOX_POSIX, FIREFOX_WINDOWS], ids=["posix", "windows"])
def test_firefox_copies_give_the_same_request_in_both_shells(form):
    result = parse_curl(form.replace("{UA}", FIREFOX_UA))
    target = result.target
    assert (target.method, target.url) == ("POST", "https://shop.example.test/cart?from=home")
    assert target.body == b"item=42&qty=1&note=100%25"
    assert target.cookies == {"cart": "77", "sid": "Zx9_aa-bb"}
    assert target.headers.get("origin") == "https://shop.example.test"
    assert target.browser_user_agent == FIREFOX_UA
    assert result.warnings == []


def test_safari_copy():
    target = parse_curl(SAFARI_POSIX.replace("{UA}", SAFARI_UA)).target
    assert (target.method, target.url) == ("GET", "https://intranet.example.test/docs/")
    assert target.headers.get("authorization") == "Basic Ym9iOlN1cDNyUzNjcmV0IQ=="
    assert target.browser_user_agent == SAFARI_UA
    assert target.body is None


def test_older_windows_copies_with_doubled_quotes():
    # Older browsers wrapped arguments in plain double quotes and doubled the inner ones.
    command = 'curl "https://api.example.test/x" -H "Accept: */*" --data-binary "{""a"":""b c""}" --compressed'
    result = parse_curl(command)
    assert result.target.body == b'{"a":"b c"}'
    assert result.target.headers.get("accept") == "*/*"


def test_windows_newline_inside_an_argument():
    result = parse_curl('curl ^"https://x.example.test/^" ^\n  --data-raw ^"line one^\n\nline two^"')
    assert result.target.body == b"line one\nline two"


def test_posix_dollar_quote_escapes():
    target = parse_curl(r"curl https://x.example.test/ --data-raw $'a\tb\nc\x41\u00e9\'\\'").target
    assert target.body == "a\tb\ncAé'\\".encode()


@pytest.mark.parametrize(
    "command, method, url, headers, body",
    [
        ("curl -X DELETE https://h.test/a", "DELETE", "https://h.test/a", {}, None),
        ("curl -XPATCH https://h.test/a -d x=1", "PATCH", "https://h.test/a", {}, b"x=1"),
        ("curl https://h.test -H 'X-Trace: 1' --header 'Accept: a/b'", "GET", "https://h.test",
         {"X-Trace": "1", "Accept": "a/b"}, None),
        ("curl https://h.test -b 'a=1' --cookie 'b=2'", "GET", "https://h.test", {"Cookie": "a=1; b=2"}, None),
        ("curl -d a=1 -d b=2 https://h.test", "POST", "https://h.test",
         {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1&b=2"),
        ("curl --data 'q=x y' https://h.test", "POST", "https://h.test", {}, b"q=x y"),
        ("curl --data-raw '@not-a-file' https://h.test", "POST", "https://h.test", {}, b"@not-a-file"),
        ("curl --data-binary 'raw' https://h.test", "POST", "https://h.test", {}, b"raw"),
        ("curl --data-urlencode 'name=a b&c' --data-urlencode '=x/y' https://h.test", "POST", "https://h.test", {},
         b"name=a%20b%26c&x%2Fy"),
        ("curl --json '{\"a\":1}' https://h.test", "POST", "https://h.test",
         {"Content-Type": "application/json", "Accept": "application/json"}, b'{"a":1}'),
        ("curl -A 'Agent/1' https://h.test", "GET", "https://h.test", {"User-Agent": "Agent/1"}, None),
        ("curl --user-agent 'Agent/2' https://h.test", "GET", "https://h.test", {"User-Agent": "Agent/2"}, None),
        ("curl -e https://ref.test/page https://h.test", "GET", "https://h.test",
         {"Referer": "https://ref.test/page"}, None),
        ("curl --referer 'https://ref.test/;auto' https://h.test", "GET", "https://h.test",
         {"Referer": "https://ref.test/"}, None),
        ("curl --url https://h.test/u", "GET", "https://h.test/u", {}, None),
        ("curl -I https://h.test/", "HEAD", "https://h.test/", {}, None),
        ("curl --head https://h.test/", "HEAD", "https://h.test/", {}, None),
        ("curl -G -d q=1 --data-urlencode 'n=a b' https://h.test/s?x=0", "GET", "https://h.test/s?x=0&q=1&n=a%20b", {},
         None),
        ("curl --oauth2-bearer tok123 https://h.test", "GET", "https://h.test", {"Authorization": "Bearer tok123"},
         None),
        ("curl -r 0-99 https://h.test", "GET", "https://h.test", {"Range": "bytes=0-99"}, None),
        ("curl -H 'X-Empty;' https://h.test", "GET", "https://h.test", {"X-Empty": ""}, None),
    ],
)
def test_options(command, method, url, headers, body):
    target = parse_curl(command).target
    assert (target.method, target.url, target.body) == (method, url, body)
    for name, value in headers.items():
        assert target.headers.get(name) == value


def test_user_becomes_basic_authorization():
    target = parse_curl("curl -u alice:s3cr:et https://h.test").target
    assert target.headers.get("Authorization") == "Basic " + base64.b64encode(b"alice:s3cr:et").decode()


def test_user_without_password_warns():
    result = parse_curl("curl -u alice https://h.test")
    assert result.target.headers.get("Authorization") == "Basic " + base64.b64encode(b"alice:").decode()
    assert any("prompt" in w for w in result.warnings)


def test_digest_credentials_are_not_turned_into_basic():
    result = parse_curl("curl --digest -u alice:pw https://h.test")
    assert not result.target.headers.has("authorization")
    assert any("--digest" in w for w in result.warnings)


def test_form_fields_make_a_multipart_body():
    result = parse_curl("curl -F name=report -F 'file=@/tmp/r.pdf;type=application/pdf' https://h.test/up")
    target = result.target
    assert target.method == "POST"
    assert target.headers.get("content-type") == f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"
    assert b'name="name"\r\n\r\nreport\r\n' in target.body
    assert b'name="file"; filename="r.pdf"\r\nContent-Type: application/pdf' in target.body
    assert any("/tmp/r.pdf" in w and "not read" in w for w in result.warnings)


def test_route_and_tls_options():
    result = parse_curl(
        "curl -k -L -x proxy.corp.test:3128 -U carol:pw --interface 192.0.2.7 "
        "--resolve h.test:443:198.51.100.9 https://h.test/"
    )
    assert result.insecure and result.follow
    assert result.proxy == "http://carol:pw@proxy.corp.test:3128"
    assert result.alt_sources == ["192.0.2.7"]
    assert result.resolve == ["h.test:443:198.51.100.9"]


def test_combined_short_flags_and_socks_proxy():
    result = parse_curl("curl -sSLk --socks5-hostname 127.0.0.1:9050 https://h.test/")
    assert result.follow and result.insecure
    assert result.proxy == "socks5h://127.0.0.1:9050"
    assert result.warnings == []


def test_interface_name_is_not_an_address():
    result = parse_curl("curl --interface eth0 https://h.test/")
    assert result.alt_sources == []
    assert any("eth0" in w for w in result.warnings)


def test_unknown_options_are_listed_in_one_warning_and_the_url_survives():
    result = parse_curl("curl --frobnicate --wibble https://h.test/ -Q -v")
    unknown = [w for w in result.warnings if "Unknown" in w]
    assert len(unknown) == 1
    assert "--frobnicate" in unknown[0] and "--wibble" in unknown[0] and "-Q" in unknown[0]
    assert result.target.url == "https://h.test/"
    assert result.target.notes == result.warnings


def test_options_that_cannot_be_applied_are_named():
    result = parse_curl("curl --cert client.pem --key client.key https://h.test/")
    assert any("--cert" in w and "--key" in w for w in result.warnings)


def test_files_are_never_read():
    result = parse_curl("curl -d @/etc/passwd -b cookies.txt https://h.test/")
    assert result.target.body is None
    assert not result.target.headers.has("cookie")
    assert len([w for w in result.warnings if "not read" in w]) == 2


def test_pipes_and_prompts_around_the_command():
    result = parse_curl("$ curl -s 'https://h.test/a' | jq .")
    assert result.target.url == "https://h.test/a"
    assert any("jq" in w for w in result.warnings)


def test_shell_variables_are_kept_and_reported():
    result = parse_curl('curl -H "Authorization: Bearer $TOKEN" https://h.test/')
    assert result.target.headers.get("authorization") == "Bearer $TOKEN"
    assert any("$TOKEN" in w for w in result.warnings)


def test_url_without_scheme_gets_http_like_curl():
    result = parse_curl("curl example.test/path")
    assert result.target.url == "http://example.test/path"
    assert result.warnings


@pytest.mark.parametrize(
    "command, words",
    [
        ("curl 'https://h.test/ -H 'A: b'", "unbalanced quote"),
        ('curl "https://h.test/', "unbalanced quote"),
        ("curl $'https://h.test/", "unbalanced quote"),
        ('curl ^"https://h.test/ -H ^"A: b^"', "unbalanced quote"),
        ("curl -H 'Accept: */*'", "no URL"),
        ("curl", "no URL"),
        ("", "empty"),
        ("   \n ", "empty"),
        ("wget https://h.test/", "not a curl command"),
        ("http GET https://h.test/", "not a curl command"),
        ("curl https://h.test -H", "needs a value"),
        ("curl ftp://files.h.test/a", "only examines http and https"),
        ("curl 'https://h.test:99999/'", "not valid"),
    ],
)
def test_malformed_commands_give_one_sentence(command, words):
    with pytest.raises(InputError) as caught:
        parse_curl(command)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message and message.endswith((".", "/"))


def test_warnings_do_not_repeat_secrets():
    result = parse_curl(
        "curl 'https://h.test/a' 'https://h.test/b?token=abcdef123456' -H 'Authorization Bearer zyxw98765432' "
        "-u bob:hunter2hunter2"
    )
    text = " ".join(result.warnings)
    assert "https://h.test/b" in text and "no colon" in text
    assert "abcdef123456" not in text and "zyxw98765432" not in text and "hunter2hunter2" not in text
