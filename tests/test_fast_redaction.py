"""The fast redaction path (prefilter.py) gives exactly what the plain one gives: every rule, every registry.

Long texts are scrubbed by looking first for the words each rule needs and running the rule only around them;
a mistake there would let a secret through (or garble evidence) only in big files, where nobody looks. So the
two paths are compared on generated texts built from the pieces the rules are most particular about:
separators inside secret names, quotes and escapes, percent-encoded names, barriers that cut a key=value pair,
characters that only case-insensitively match ASCII letters, non-ASCII text, registered secrets in their forms.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wizard403 import prefilter, redact
from wizard403.inputs.har import HarArchive, open_har
from wizard403.scrub import HarSecrets, Scrubber

pytestmark = pytest.mark.skipif(not prefilter.available(), reason="the automaton package is not installed")

FIXTURES = Path(__file__).parent / "fixtures"
SECRETS = ["tok7Hq2ZpL9xV4mN8bR3", "ck-A1b2_C3d4.E5", "p\u00e4ss w\u00f6rd 42", "3_gtUbleJNtrRITgx"]

PIECES = [
    "api_key", "api__key", "a-p-i-k-e-y", "ApiKey", "x-pin", "%x-pin", "pin", "p_in", "PIN", "token", "to-ken",
    "password", "pass word", "pass%77ord", "%70in", "%5Fkey", "user[password]", "token[]", "session", "code",
    "secret", "SignatureProvided", "authenticity_token", "name", "NAME", "value", "VALUE", "Bearer", "basic",
    "digest", "eyJhbGciOi", "eyJzdWIiOiJh", "ghp_", "sk-", "sk_live_", "AKIA", "xoxb-", "://", "https://",
    "u:pw@", "@", "hooks.slack.com/services/T0/B0/", ";jsessionid=", "/bot123:", "=", ":", " = ", ": ", '"', "'",
    '\\"', "\\", "<", ">", "</", "&", ";", ",", "}", "{", "[", "]", "?", "#", "%", " ", "\t", "\n", "\u00a0",
    "\u3000", "\u017f", "\u212a", "\u0130", "\u0131", "\u00e9", "\u65e5", "12345678", "abcdefgh12345678", "x",
    "_", "-", ".", "a1b2c3d4e5f6g7h8", *SECRETS, "tok7Hq2ZpL9xV4mN8bR3"[:10], "ck%2DA1b2_C3d4.E5",
]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=120).map("".join)


def _long(text: str) -> str:
    """Long enough for the fast path (the pieces repeated, so that rules meet at every offset)."""
    return (text * (prefilter.FAST_MIN // max(1, len(text)) + 2))[: max(prefilter.FAST_MIN, len(text) * 2)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_rules_fast_path_matches_plain(text):
    text = _long(text)
    assert redact.apply_rules(text) == redact._apply_rules_plain(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_registry_fast_path_matches_plain(text):
    text = _long(text)
    scrubber = Scrubber(SECRETS)
    assert scrubber.known(text) == scrubber._known_plain(text)
    assert scrubber.scrub(text) == redact._apply_rules_plain(scrubber._known_plain(text))


def test_fast_path_meets_every_rule():
    """Each rule changes something in this text, so that the comparison above is not between two no-ops."""
    text = _long(
        'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlMTIz ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 '
        "https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/q1w2e3r4t5y6u7i8o9p0 https://u:pw55@ex.org/ "
        'Bearer abc123def456 {"api_key": "k-9988"} ?a=1&%70assword=hunter22 <input name="pin" value="4242"> '
        "%x-pin=12345678 <SignatureProvided>abcdef0123456789</SignatureProvided> "
        "<input name='pass word' value='spaced-pw-77'> "
    )
    fast = redact.apply_rules(text)
    for secret in ("c2lnbmF0dXJlMTIz", "a1B2c3D4e5F6g7H8i9J0", "q1w2e3r4t5y6u7i8o9p0", "pw55", "abc123def456",
                   "k-9988", "hunter22", "4242", "12345678", "abcdef0123456789", "spaced-pw-77"):  # fmt: skip
        assert secret not in fast, secret
    assert fast == redact._apply_rules_plain(text)


def _odd_har(tmp_path: Path) -> Path:
    """Entries of every shape the listing's typed view refuses or half-fills, with secrets in each."""
    good = {"request": {"method": "GET", "url": "https://a.test/x?access_token=tok-in-url-1",
                        "headers": [{"name": "Authorization", "value": "Bearer hdr-secret-1"},
                                    {"name": "X-Multi", "value": "a=1\nsession=multi-line-2"}],
                        "cookies": [{"name": "sid", "value": "cookie-secret-3"}, {"name": "n", "value": "1234"}],
                        "queryString": [{"name": "access_token", "value": "tok%20in%20query"}],
                        "postData": {"mimeType": "application/json", "text": '{"password": "post-secret-4"}',
                                     "params": [{"name": "api_key", "value": "param-secret-5"}]}},
            "response": {"status": 403, "redirectURL": "https://a.test/r?token=redir-secret-6",
                         "headers": [{"name": "Set-Cookie", "value": "s=given-secret-7; Path=/"},
                                     {"name": "X-Api-Key", "value": "given-secret-8"}],
                         "cookies": [{"name": "s", "value": "resp-cookie-9"}],
                         "content": {"mimeType": "application/json", "text": '{"token": "body-token-10"}'}}}
    odd = [
        {"request": {"url": "https://a.test/1", "headers": None}, "response": {"status": 200, "headers": "x"}},
        {"request": {"url": "https://a.test/2", "headers": ["not an object", {"name": "Cookie", "value": "c=odd-11"}]}},
        {"request": {"url": "https://a.test/3", "cookies": {"name": "sid", "value": "odd-12"}}, "response": None},
        {"request": {"url": 12345, "headers": [{"name": 7, "value": 8}, {"value": "no-name-13"}]}},
        {"response": {"status": 403, "headers": [{"name": "Set-Cookie", "value": "orphan-secret-14"}]}},
        "not an entry",
    ]
    path = tmp_path / "odd.har"
    path.write_text(json.dumps({"log": {"entries": [good, *odd, good]}}))
    return path


@pytest.mark.parametrize("name", ["planted/planted.har", "real-har/cnn-firefox.har", "real-har/cnn-chrome.har",
                                  "real-har/humanssuck.net.har", "har/chrome-login-403.har",
                                  "har/firefox-vendors.har", "har/safari-basic-auth.har", "odd"])
def test_check_registry_in_one_pass_is_the_registry(name, tmp_path):
    """check reads the secrets while it summarises the entries, each distinct header, cookie or parameter object
    once: the same secrets as reading every entry in full afterwards."""
    path = _odd_har(tmp_path) if name == "odd" else FIXTURES / name
    registry = HarSecrets()
    archive = open_har(path, secrets=registry)
    assert registry.scrubber.secrets == Scrubber.for_har(archive.secret_parts()).secrets
    assert sum(len(memo) for memo in registry._items.values()) > 0, "the raw objects were read (the listed path)"
    assert [e.url for e in archive.entries] == [e.url for e in HarArchive(archive.source).entries]
    assert archive.entries == HarArchive(json.loads(path.read_text()), name=path.name).entries
    if name == "odd":
        assert {"hdr-secret-1", "multi-line-2", "cookie-secret-3", "tok in query", "post-secret-4",
                "param-secret-5", "redir-secret-6", "given-secret-7", "given-secret-8", "resp-cookie-9",
                "odd-11", "orphan-secret-14"} <= registry.scrubber.secrets


def test_fast_path_knows_the_rules_it_stands_in_for():
    """The fast path was written for these exact patterns (the literal each token shape starts with, the words
    the Bearer rule starts with, the characters no pair can hold): a changed rule must be looked at there too."""
    assert redact.rules_digest() == redact.FAST_PATH_WRITTEN_FOR, (
        "a redaction rule changed: check that the fast path in redact.py still finds every place the rule can "
        "match, then set FAST_PATH_WRITTEN_FOR to the new digest"
    )
    assert redact.fast_state().usable
    for pattern in redact.TOKEN_PATTERNS:  # every token shape begins with one of the literals the fast path finds
        sample = {
            r"\bsk-": "sk-" + "a" * 24, r"\b(?:AKIA|ASIA)": "AKIA" + "A" * 16, r"\bAIza": "AIza" + "a" * 35,
            r"\bnpm_": "npm_" + "a" * 36, r"\bpypi-": "pypi-" + "a" * 50, r"\bya29": "ya29." + "a" * 24,
        }  # fmt: skip
        text = next((v for k, v in sample.items() if pattern.pattern.startswith(k)), None)
        if text is not None:
            assert pattern.fullmatch(text) and any(text.startswith(lit) for lit in redact._TOKEN_LITERALS)


def test_lone_surrogates_take_the_plain_path():
    scrubber = Scrubber(SECRETS)
    text = _long("caf\udce9 " + SECRETS[0] + ' {"token": "abc12345"} \ud800 ')
    assert scrubber.scrub(text) == redact._apply_rules_plain(scrubber._known_plain(text))
    assert SECRETS[0] not in scrubber.scrub(text)


@pytest.mark.parametrize(
    "piece, secrets",
    [
        ("p-i-n: 12345678 and pin: 87654321; ", ("12345678", "87654321")),  # spelled both ways
        ("pin: 87654321; ", ("87654321",)),  # only without separators: the quick way to find the names
        ("pi.n=11112222&pin=33334444; spin ", ("11112222", "33334444")),
        ('"pass_word": "aa11bb22", "password": "cc33dd44", ', ("aa11bb22", "cc33dd44")),
        ("<pin>5566</pin> <p_in>7788</p_in> pinpin ", ("5566", "7788")),
    ],
)
def test_names_spelled_with_and_without_separators(piece, secrets):
    """The fast rules find a secret name's places the quick way when the text spells it only without separators
    inside, the thorough way otherwise: the copy is the plain rules' in both cases, and the values are gone."""
    text = _long(piece * 4)
    done = redact.apply_rules(text)
    assert done == redact._apply_rules_plain(text)
    assert not any(secret in done for secret in secrets)


# ASCII pieces (the texts whose scans are brought up to date), with the longest words cut in two: an edit can
# complete a word at either end, or cut one.
HALVES = ["csrfmiddle", "waretoken", "csrf_middleware_token", "authenticity", "_token", "signature", "Provided",
          "x-amz-security", "-token", "/incoming", "webhook/"]  # fmt: skip
ASCII_PIECES = [p for p in PIECES if p.isascii()] + HALVES


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(ASCII_PIECES), min_size=1, max_size=80).map("".join),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 12), st.sampled_from(ASCII_PIECES + ["", "\u00e9"])), max_size=6),
)
def test_scan_brought_up_to_date_is_a_new_scan(text, cuts):
    """After a rule's edits the next rules read the scan of before, moved and searched again around the edits
    (prefilter.Words.edited): it must be the scan of the edited text, every word and place, or a rule would miss
    a secret name an edit made or look for one an edit took away."""
    text = _long(text)
    edits, last = [], 0
    for at, length, piece in sorted(cuts):
        start = max(at % (len(text) + 1), last)
        end = min(start + length, len(text))
        edits.append((start, end, piece))
        last = end
    new = "".join(part for (a, b, r), prev in zip(edits, [0] + [b for _, b, _ in edits]) for part in (text[prev:a], r))
    new += text[edits[-1][1]:] if edits else text
    words = redact.fast_state().automaton
    norm = prefilter.normalise(text)
    done = words.edited(text, norm, words.hits(norm), edits)
    if done is None:  # not ASCII: the caller scans the edited text whole
        assert not (text.isascii() and all(r.isascii() for _, _, r in edits))
        return
    assert done[0] == prefilter.normalise(new)
    assert sorted(done[1]) == sorted(words.hits(prefilter.normalise(new)))
    assert redact._edited_scan(redact._scan_rules(text), new, edits).found.keys() == redact._scan_rules(new).found.keys()


def test_scan_brought_up_to_date_finds_words_an_edit_completes_or_cuts():
    """Every word of the automaton, completed by an edit at each of its places (and cut by one), is found (and
    lost) by the scan brought up to date as by a new scan: the search around an edit reaches far enough."""
    words = redact.fast_state().automaton
    filler = "x " * 80
    for word in words.words:
        if not word.isascii():
            continue
        spelled = word.decode("ascii")
        for cut in range(len(spelled) + 1):
            text = filler + spelled[:cut] + "#" + spelled[cut:] + filler
            at = len(filler) + cut
            for edits in ([(at, at + 1, "")], [(at, at + 1, "-")], [(at - 1 if cut else at, at, "#")]):
                new = text[: edits[0][0]] + edits[0][2] + text[edits[0][1] :]
                norm = prefilter.normalise(text)
                done = words.edited(text, norm, words.hits(norm), edits)
                assert done is not None
                assert sorted(done[1]) == sorted(words.hits(prefilter.normalise(new))), (spelled, cut, edits)


def test_a_google_access_token_in_a_long_body_is_found_by_the_fast_path_as_by_the_plain_one():
    scrubber = Scrubber(SECRETS)
    text = _long("page text ya29.a0AfH6SMBq3kD9xYzT7wVbNcM2pLq8rS1tUvWx more text ")
    assert scrubber.scrub(text) == redact._apply_rules_plain(scrubber._known_plain(text))
    assert "ya29.a0Af" not in scrubber.scrub(text)
