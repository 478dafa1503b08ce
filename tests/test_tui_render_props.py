"""Property tests: arbitrary text (markup, escapes, control characters, broken bytes) through every TUI function that
turns session data into something shown. Never an exception, never a control character out, and the text reads
back exactly as written (after `visible`): nothing is interpreted as markup, Markdown structure or a link."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile import ESCAPES, MARKDOWN, MARKUP
from wizard403.model import Exchange, Headers, Session, Target
from wizard403.scrub import Scrubber
from wizard403.textsafe import has_controls, one_line, status_text, visible
from wizard403.tui.screens.change import snapshot, verdict_line
from wizard403.tui.screens.start import recent_prompt
from wizard403.tui.screens.summary import summary_markdown
from wizard403.tui.text import line, md_plain, plain, safe_parser, styled
from wizard403.tui.widgets import check_line, details_text, evidence_text, exchange_text

PIECES = MARKUP + ESCAPES + [MARKDOWN, "\u202e", "\x00", "\t", "\n", "\r\n", "\ufffd", "`", "```", "\\", "|", "&amp;"]
texts = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(PIECES)), max_size=6).map("".join)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AT = dt.datetime(2026, 11, 22, 9, 15, tzinfo=dt.timezone.utc)


def no_controls(text: str, newlines: bool = True) -> bool:
    return not has_controls(text) and (newlines or "\n" not in text)


@FAST
@given(texts)
def test_plain_and_styled_content_read_back_as_written(text):
    assert plain(text).plain == visible(text) and plain(text).spans == []
    shown = styled(text, "bold")
    assert shown.plain == visible(text) and all(str(s.style) == "bold" for s in shown.spans)


@FAST
@given(texts, texts, texts)
def test_a_composed_line_keeps_every_piece_literal(a, b, c):
    content = line(a, (b, "bold"), c)
    assert content.plain == visible(a) + visible(b) + visible(c)
    assert all(str(s.style) == "bold" for s in content.spans), content.spans
    assert no_controls(content.plain)


@FAST
@given(texts)
def test_markdown_quoting_reads_as_the_same_words(text):
    quoted = md_plain(text)
    tokens = safe_parser().parse(quoted)
    kinds = {t.type for t in tokens}
    assert kinds <= {"paragraph_open", "inline", "paragraph_close"}, (quoted, kinds)
    inline = [t for t in tokens if t.type == "inline"]
    children = [c for t in inline for c in (t.children or [])]
    assert {c.type for c in children} <= {"text", "text_special"}, (quoted, [c.type for c in children])
    expected = one_line(" ".join(text.splitlines()).strip()).strip()  # one paragraph: a tab reads as a space
    assert "".join(c.content for c in children) == expected


headers = st.lists(st.tuples(texts, texts), max_size=5)


def exchange_of(method, url, reason, request, response, status=403) -> Exchange:
    return Exchange(check="baseline", method=method, url=url, status=status, reason=reason,
                    request_headers=Headers(request), response_headers=Headers(response), at=AT)


@FAST
@given(texts, texts, texts, headers, headers, st.sampled_from([None, 200, 403]))
def test_an_exchange_renders_as_plain_lines(method, url, reason, request, response, status):
    ex = exchange_of(method, url, reason, request, response, status)
    if status is None:
        ex.error = reason
    out = exchange_text(ex, Scrubber())
    assert no_controls(out)
    assert plain(out).plain == out  # shown as Content, the text is exactly what the function made
    lines = out.split("\n")
    if status is not None:
        assert len(lines) == 2 + len(request) + len(response), "a field forged a line"
        assert f"← {one_line(status_text(status, reason))}" in out or Scrubber().scrub(reason) != reason
        status_line = lines[1 + len(request)]  # the method line, the request headers, then the answer
        if not one_line(reason).strip():  # no reason phrase: "403", never "403 :" or a gap (a ':' phrase is the server's)
            assert status_line.strip().startswith(f"← {status}  (") and f"{status} :" not in status_line
        for name, value in response:
            if name.lower().startswith("x-") and Scrubber().scrub(value) == value and Scrubber().scrub(name) == name:
                assert f"< {one_line(name)}: {one_line(value)}" in out


@FAST
@given(st.dictionaries(texts, texts, max_size=4), texts, texts, texts)
def test_check_lines_and_details_are_plain(evidence, details, title, summary):
    from wizard403.model import CheckResult

    result = CheckResult(id="baseline", step=1, status="fail", summary=summary, evidence=evidence, details=details)
    text = details_text(result, [], Scrubber())
    assert no_controls(text)
    if evidence:
        assert no_controls(evidence_text(evidence), newlines=False)
    shown = check_line("✘", title, summary, Scrubber())
    assert no_controls(shown.plain, newlines="\n" in title) and all(str(s.style) == "bold" for s in shown.spans)
    assert shown.plain.startswith("✘ ")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts, texts, headers, st.binary(max_size=200), texts)
def test_the_summary_of_any_exchange_is_quoted_markdown(url, reason, response, body, cause_text):
    from wizard403.diagnose import analyse_exchange

    ex = exchange_of("GET", "http://127.0.0.1:1/" + url, reason, [], response)
    ex.check, ex.body = "recorded", body
    session = analyse_exchange(ex)
    markdown = summary_markdown(session, expert=True, running=False)
    assert not has_controls(markdown)
    tokens = safe_parser().parse(markdown)
    assert not {t.type for t in tokens} & {"html_block", "code_block"}
    inline_kinds = {c.type for t in tokens if t.type == "inline" for c in (t.children or [])}
    assert not inline_kinds & {"link_open", "image", "html_inline"}


@FAST
@given(texts, st.sampled_from([None, 200, 403, 401]), texts, st.sampled_from([None, 403]))
def test_the_change_verdict_is_one_plain_sentence(reason, status, before_reason, before_status):
    def session_with(code, why):
        session = Session(target=Target(url="http://127.0.0.1:1/"))
        session.exchanges.append(exchange_of("GET", "http://127.0.0.1:1/", why, [], [], code))
        return session

    before, after = snapshot(session_with(before_status, before_reason)), snapshot(session_with(status, reason))
    sentence = verdict_line(before, after)
    assert sentence.endswith(".") and " :" not in sentence.replace(reason, "").replace(before_reason, "")
    if status is not None and not reason.strip():
        assert after["Answer from the server"] == str(status)


@FAST
@given(texts, texts)
def test_a_remembered_target_is_one_plain_line(method, url):
    prompt = recent_prompt(method, url)
    assert prompt.spans == [] and no_controls(prompt.plain, newlines=False)
