"""The refusal corpus (tests/corpus/<group>/<vendor>.toml) is test data: every file parses, every record has the
fields the bench reads, one known cause, a unique id, and no secret-shaped string anywhere."""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.corpus_records import (
    CORPUS,
    FIELDS_OPTIONAL,
    FIELDS_REQUIRED,
    REQUEST_FIELDS,
    corpus_files,
    held_out,
    load_records,
)
from wizard403.model import CAUSE_IDS
from wizard403.redact import JWT_RE, SECRET_PARAM_RE, TOKEN_PATTERNS, is_secret_header

FILES = corpus_files()
MAX_BODY = 8 * 1024  # the format asks for under ~6 KB; a little slack for quoted pages
_ID = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*$")
_PLACEHOLDER = re.compile(r"<[^<>]{1,40}>|\[redacted[^\]]*\]|\*{3,}|x{6,}|X{6,}")
# What remains of a secret value once placeholders are taken out: a long run of token characters with a digit
# (cookie and header names such as ".AspNetCore.Antiforgery." are words, not secrets).
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_\-+/=]{20,}")
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH )?PRIVATE KEY-----")


def test_the_corpus_is_there_with_both_parts_of_the_split():
    records = load_records()
    assert len(records) >= 50, f"only {len(records)} records under {CORPUS}"
    vendors = {r.vendor for r in records}
    assert any(held_out(v) for v in vendors) and any(not held_out(v) for v in vendors)


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_every_file_parses_and_every_record_has_its_fields(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"refusal"}, f"{path.name}: only [[refusal]] tables belong in a corpus file"
    for i, rec in enumerate(data["refusal"], 1):
        where = f"{path.parent.name}/{path.name} refusal[{i}]"
        missing = [k for k in FIELDS_REQUIRED if k not in rec]
        assert not missing, f"{where}: missing {missing}"
        unknown = [k for k in rec if k not in FIELDS_REQUIRED + FIELDS_OPTIONAL]
        assert not unknown, f"{where}: unknown keys {unknown}"
        assert rec["cause"] in CAUSE_IDS, f"{where}: cause {rec['cause']!r} is not a cause id"
        # 100..999: some refusals use private codes (LinkedIn's 999)
        assert isinstance(rec["status"], int) and 100 <= rec["status"] <= 999, f"{where}: status {rec['status']!r}"
        assert _ID.match(rec["id"]), f"{where}: id {rec['id']!r} is not lower-case kebab"
        assert rec["vendor"] and rec["vendor"] == rec["vendor"].strip().lower(), f"{where}: vendor {rec['vendor']!r}"
        for key in ("source", "key_line", "why", "product"):
            assert isinstance(rec[key], str) and rec[key].strip(), f"{where}: {key} is empty"
        assert rec["source"].startswith(("http://", "https://")), f"{where}: source is not an address"
        assert len(rec.get("body", "")) <= MAX_BODY, f"{where}: body over {MAX_BODY} characters"
        for table in ("headers",):
            if table in rec:
                assert isinstance(rec[table], dict), f"{where}: {table} must be a table of name = value"
        request = rec.get("request", {})
        assert isinstance(request, dict) and all(k in REQUEST_FIELDS for k in request), f"{where}: request keys"
        if "headers" in request:
            assert isinstance(request["headers"], dict), f"{where}: request.headers must be a table"


def test_ids_are_unique_across_the_corpus():
    seen: dict[str, str] = {}
    for rec in load_records():
        assert rec.id not in seen, f"{rec.where}: id {rec.id} already used by {seen[rec.id]}"
        seen[rec.id] = rec.where


def _secret_shaped(text: str) -> str | None:
    for pattern in (JWT_RE, *TOKEN_PATTERNS, _PRIVATE_KEY):
        found = pattern.search(text)
        if found:
            return found.group(0)[:12] + "..."
    return None


def _unredacted(value: str) -> str | None:
    rest = _PLACEHOLDER.sub("", value)
    for found in _TOKEN_RUN.finditer(rest):
        if any(ch.isdigit() for ch in found.group(0)):
            return found.group(0)[:12] + "..."
    return None


def test_no_record_holds_a_secret():
    """Tokens, cookies, keys and signatures are placeholders (`<token>`): a real credential never enters the repo."""
    from urllib.parse import parse_qsl, urlsplit

    problems = []
    for rec in load_records():
        d = rec.data
        request = d.get("request", {})
        texts = [d.get("body", ""), d.get("key_line", ""), request.get("url", "")]
        texts += [f"{k}: {v}" for k, v in {**d.get("headers", {}), **request.get("headers", {})}.items()]
        for text in texts:
            shaped = _secret_shaped(str(text))
            if shaped:
                problems.append(f"{rec.where}: a secret-shaped string ({shaped})")
        for name, value in request.get("headers", {}).items():
            if is_secret_header(name) and _unredacted(str(value)):
                problems.append(f"{rec.where}: request header {name} holds a value, not a placeholder")
        for name, value in d.get("headers", {}).items():
            if name.lower() == "set-cookie":
                continue  # the cookie names matter; values of block cookies are the vendor's, checked above
            if is_secret_header(name) and _unredacted(str(value)):
                problems.append(f"{rec.where}: header {name} holds a value, not a placeholder")
        url = request.get("url", "")
        try:
            query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
        except ValueError:
            query = []
        for name, value in query:
            if SECRET_PARAM_RE.match(name) and _unredacted(value):
                problems.append(f"{rec.where}: query parameter {name} holds a value, not a placeholder")
    assert not problems, "\n".join(problems)
