"""The content model: the shipped texts are complete and our own, broken files fail with one clear sentence, and an
organisation's overlay can add to or replace our playbook."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from wizard403.content import (
    PRIORS,
    Content,
    load_content,
    load_content_from,
    read_toml,
    shipped_content_dir,
)
from tests.borrowed import borrowed_hashes, borrowed_runs_in, hashed_runs
from wizard403.errors import ContentError, InputError
from wizard403.model import ANSWERS, CAUSE_IDS, EFFORTS, LAYERS, WHO

REPO = Path(__file__).resolve().parent.parent

CHECKS_BY_STEP = {
    1: ["baseline", "anonymous-retry", "token-inspect", "www-authenticate", "whoami"],
    2: ["denial-message", "parent-resource"],
    3: ["options-allow", "head-vs-get", "csrf-evidence", "problem-details"],
    4: ["who-refused", "alt-route", "rate-limit-headers", "user-agent-compare"],
    5: ["incognito-retry", "credential-isolation", "cache-evidence", "no-cache-retry"],
    6: ["references", "log-scan"],
}


@pytest.fixture(scope="module")
def shipped() -> Content:
    return load_content()


def write(directory: Path, relative: str, text: str) -> Path:
    path = directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def content_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped content dir that a test may break."""
    copy = tmp_path / "content"
    shutil.copytree(shipped_content_dir(), copy, ignore=shutil.ignore_patterns("signatures"))
    return copy


def all_texts(content: Content) -> list[str]:
    texts = []
    for step in content.steps:
        texts += [step.title, step.why, step.tip, *step.what_to_do]
        for question in step.questions:
            texts += [question.text, question.help, *question.choices]
    for cause in content.causes.values():
        texts += [cause.title, cause.explanation, cause.tells_apart, *(fix.text for fix in cause.fixes)]
    for check in content.checks.values():
        texts += [check.title, check.plain, check.expert]
    for item in content.faq:
        texts += [item.question, item.answer]
    return texts


# --------------------------------------------------------------------------------------------------------------------
# The shipped content


def test_shipped_dir_is_the_source_tree_content_dir():
    assert shipped_content_dir() == REPO / "content"


def test_shipped_content_has_six_steps_in_order(shipped):
    assert [step.number for step in shipped.steps] == [1, 2, 3, 4, 5, 6]
    assert len({step.id for step in shipped.steps}) == 6
    assert shipped.step(4).number == 4
    with pytest.raises(KeyError):
        shipped.step(7)
    assert shipped.dirs == (REPO / "content",)


def test_every_cause_id_is_present_with_fixes(shipped):
    assert set(shipped.causes) == set(CAUSE_IDS)
    for cause_id, cause in shipped.causes.items():
        assert cause.id == cause_id
        assert cause.layer in LAYERS
        assert cause.prior == PRIORS[cause.prior_label]
        assert cause.fixes, cause_id
        for fix in cause.fixes:
            assert fix.effort in EFFORTS and fix.who in WHO


def test_priors_follow_the_seeds(shipped):
    labels = {cause_id: cause.prior_label for cause_id, cause in shipped.causes.items()}
    assert labels.pop("permissions") == "high"
    assert labels.pop("credentials") == "medium"
    assert labels.pop("ip-block") == "low"
    assert labels.pop("waf") == "low"
    assert set(labels.values()) == {"none"}
    assert shipped.causes["permissions"].prior > shipped.causes["credentials"].prior > shipped.causes["waf"].prior


def test_every_check_id_is_described_and_listed_in_its_step(shipped):
    """Content and code agree: every registered check has a text and sits in its own step, and nothing else does."""
    from wizard403.checks import all_checks

    registered = {spec.id: spec.step for spec in all_checks()}
    assert set(shipped.checks) == set(registered)
    assert set(CHECKS_BY_STEP[1]) <= set(registered)  # the checks DESIGN.md names stay
    for step in shipped.steps:
        for check_id in step.checks:
            assert registered[check_id] == step.number == shipped.checks[check_id].step


def test_questions_are_unique_and_move_known_causes(shipped):
    seen = set()
    for step in shipped.steps:
        assert 2 <= len(step.questions) <= 4, step.id
        assert any(question.effects for question in step.questions), step.id
        for question in step.questions:
            assert question.id not in seen
            seen.add(question.id)
            assert question.step == step.number
            if question.kind == "text":
                assert not question.effects
                continue
            assert question.effects, question.id
            for answer, moves in question.effects.items():
                assert answer in (ANSWERS if question.kind == "yesno" else question.choices)
                for cause_id, weight in moves.items():
                    assert cause_id in CAUSE_IDS
                    assert -0.5 <= weight <= 0.5


def test_role_change_question_is_asked_early(shipped):
    question = shipped.question("recent-role-change")
    assert question is not None and question.step in (1, 2)
    assert question.effects["yes"]["permissions"] > 0
    assert shipped.question("no-such-question") is None


def test_faq_has_eight_to_twelve_entries(shipped):
    assert 8 <= len(shipped.faq) <= 12
    assert any("401" in item.question for item in shipped.faq)


def copied_runs(content: Content, hashes: frozenset[str] | None = None) -> list[tuple[str, str]]:
    return [(text, run) for text in all_texts(content) for run in borrowed_runs_in(text, hashes)]


def test_content_copies_no_sentence_from_the_seeds(shipped):
    """No run of 8 consecutive words of a seed (or of the research notes, which quote vendors) appears in our texts."""
    assert len(borrowed_hashes()) > 5000, "tests/fixtures/borrowed-runs.txt lost the seeds' runs"
    assert len(all_texts(shipped)) > 150
    assert copied_runs(shipped) == []


def test_the_copy_detector_catches_a_pasted_sentence(tmp_path):
    """Guards the test above: a source sentence, re-cased and re-punctuated in an overlay FAQ, is found by its hash."""
    sentence = "A request that was refused by the origin should be compared with one that worked yesterday."
    hashes = frozenset(hashed_runs(sentence))
    disguised = sentence.upper().replace(" ", "  ").replace(",", ";").replace("'", "\u2019")
    overlay = tmp_path / "org"
    write(overlay, "faq.toml", f'[[faq]]\nquestion = "copied?"\nanswer = """{disguised}"""\n')
    content = load_content_from(shipped_content_dir(), overlay)
    found = copied_runs(content, hashes)
    assert found and all(text == disguised for text, _ in found)


# --------------------------------------------------------------------------------------------------------------------
# Broken files: one sentence naming the file and the key


BROKEN_OVERLAYS = {
    "invalid TOML": (
        "causes.toml",
        '[waf]\ntitle = "fine"\nprior = \n',
        r"causes\.toml: not valid TOML \(line 3, column \d+: invalid value\)",
    ),
    "bad prior": (
        "causes.toml",
        '[waf]\nprior = "huge"\n',
        r'causes\.toml: \[waf\]\.prior must be one of high, medium, low, none \(got "huge"\)',
    ),
    "wrong type": (
        "causes.toml",
        "[waf]\ntitle = 42\n",
        r"causes\.toml: \[waf\]\.title must be a string \(got 42\)",
    ),
    "bad fix effort": (
        "causes.toml",
        '[[waf.fixes]]\ntext = "Call us"\neffort = "trivial"\nwho = "you"\n',
        r"causes\.toml: \[waf\]\.fixes\[1\]\.effort must be one of easy, medium, hard",
    ),
    "unknown cause table": (
        "causes.toml",
        '[gremlins]\ntitle = "Gremlins"\n',
        r"causes\.toml: \[gremlins\] is not a known cause id",
    ),
    "misspelt key": (
        "checks.toml",
        '[baseline]\ntitel = "Typo"\n',
        r"checks\.toml: \[baseline\]\.titel is not a known key",
    ),
    "missing key in a new step": (
        "steps/7-escalate.toml",
        'number = 7\nid = "escalate"\nwhy = "w"\nwhat_to_do = ["x"]\ntip = "t"\n',
        r"steps/7-escalate\.toml: title is missing \(a new step 7 needs number, id, title, why, what_to_do, tip\)",
    ),
    "step number as text": (
        "steps/2.toml",
        'number = "2"\ntip = "t"\n',
        r'steps/2\.toml: number must be a whole number \(got "2"\)',
    ),
    "unknown cause id in effects": (
        "steps/2-extra.toml",
        'number = 2\n[[questions]]\nid = "vpn-account"\ntext = "t?"\nkind = "yesno"\nhelp = "h"\n'
        "effects.yes = { permisions = 0.2 }\n",
        r"steps/2-extra\.toml: questions\[1\]\.effects\.yes\.permisions is not a known cause id",
    ),
    "weight out of range": (
        "steps/2-extra.toml",
        'number = 2\n[[questions]]\nid = "vpn-account"\ntext = "t?"\nkind = "yesno"\nhelp = "h"\n'
        "effects.yes = { permissions = 0.9 }\n",
        r"steps/2-extra\.toml: questions\[1\]\.effects\.yes\.permissions must be between -0\.5 and 0\.5 \(got 0\.9\)",
    ),
    "answer a yes/no question cannot have": (
        "steps/2-extra.toml",
        'number = 2\n[[questions]]\nid = "vpn-account"\ntext = "t?"\nkind = "yesno"\nhelp = "h"\n'
        "effects.maybe = { permissions = 0.1 }\n",
        r"steps/2-extra\.toml: questions\[1\]\.effects\.maybe is not an answer to this question",
    ),
    "bad question kind": (
        "steps/2-extra.toml",
        'number = 2\n[[questions]]\nid = "vpn-account"\ntext = "t?"\nkind = "essay"\nhelp = "h"\n',
        r'steps/2-extra\.toml: questions\[1\]\.kind must be one of yesno, choice, text \(got "essay"\)',
    ),
    "unknown check in a step": (
        "steps/3.toml",
        'number = 3\nchecks = ["options-allow", "port-scan"]\n',
        r'steps/3\.toml: checks\[2\] names "port-scan", which is not in checks\.toml',
    ),
    "question id used in another step": (
        "steps/4.toml",
        'number = 4\n[[questions]]\nid = "recent-role-change"\ntext = "t?"\nkind = "yesno"\nhelp = "h"\n'
        "effects.yes = { permissions = 0.2 }\n",
        r'steps/4\.toml: question "recent-role-change" is already used in step 1',
    ),
    "step number with a gap": (
        "steps/9.toml",
        'number = 9\nid = "later"\ntitle = "t"\nwhy = "w"\nwhat_to_do = ["x"]\ntip = "t"\n',
        r"steps/9\.toml: number must be between 1 and 7, steps are numbered without gaps \(got 9\)",
    ),
    "faq entry without an answer": (
        "faq.toml",
        '[[faq]]\nquestion = "Why?"\n',
        r"faq\.toml: faq\[1\]\.answer is missing",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_OVERLAYS))
def test_a_broken_overlay_file_is_one_sentence_naming_file_and_key(tmp_path, case):
    relative, text, expected = BROKEN_OVERLAYS[case]
    overlay = tmp_path / "org"
    write(overlay, relative, text)
    with pytest.raises(ContentError) as caught:
        load_content_from(shipped_content_dir(), overlay)
    message = str(caught.value)
    assert message.startswith(str(overlay / relative) + ": ")
    assert re.search(expected, message), message
    assert "\n" not in message and "Traceback" not in message
    assert isinstance(caught.value, InputError) and caught.value.exit_code == 2


def test_a_missing_cause_in_the_shipped_files_is_reported(tmp_path):
    copy = content_copy(tmp_path)
    causes = (copy / "causes.toml").read_text()
    start = causes.index("[csrf]")
    end = causes.index("[signed-url]")
    (copy / "causes.toml").write_text(causes[:start] + causes[end:])
    with pytest.raises(ContentError, match=r"causes\.toml: \[csrf\] is missing"):
        load_content_from(copy)


def test_a_shipped_step_with_a_question_of_the_wrong_shape_is_reported(tmp_path):
    copy = content_copy(tmp_path)
    step = copy / "steps" / "1-identity.toml"
    step.write_text(step.read_text().replace('kind = "yesno"', 'kind = "choice"', 1))
    with pytest.raises(ContentError, match=r"1-identity\.toml: questions\[1\]\.choices is missing"):
        load_content_from(copy)


def test_two_step_files_with_the_same_number_are_reported(tmp_path):
    copy = content_copy(tmp_path)
    shutil.copy(copy / "steps" / "6-logs.toml", copy / "steps" / "7-logs-again.toml")
    with pytest.raises(ContentError, match=r"7-logs-again\.toml: number 6 is already used by .*6-logs\.toml"):
        load_content_from(copy)


def test_read_toml_reports_missing_and_undecodable_files(tmp_path):
    with pytest.raises(ContentError, match=r"nowhere\.toml: file not found"):
        read_toml(tmp_path / "nowhere.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'a = "ok"\nb = "caf\xe9"\n')
    with pytest.raises(ContentError, match=r"latin\.toml: not valid UTF-8 text \(line 2\)"):
        read_toml(latin)
    good = write(tmp_path, "good.toml", '[x]\ny = 1\n')
    assert read_toml(good) == {"x": {"y": 1}}


def test_shipped_files_are_named_from_content_in_messages(tmp_path, monkeypatch):
    broken = shipped_content_dir() / "steps" / "1-identity.toml"
    real_read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: b"number = = 1\n" if self == broken else real_read_bytes(self))
    with pytest.raises(ContentError, match=r"^content/steps/1-identity\.toml: not valid TOML \(line 1"):
        read_toml(broken)


def test_a_missing_overlay_dir_is_one_sentence(tmp_path):
    with pytest.raises(ContentError, match=r"content overlay .*nope: no such directory"):
        load_content(tmp_path / "nope")
    a_file = write(tmp_path, "file.toml", "")
    with pytest.raises(ContentError, match="is a file, expected a directory"):
        load_content(a_file)


# --------------------------------------------------------------------------------------------------------------------
# Overlays: an organisation's own playbook on top of ours

ORG_STEP_2 = """
number = 2
tip = "At ACME, access requests go through the IT portal under 'Access > Apps'."

[[questions]]
id = "acme-access-request"
text = "Did you file an access request in the ACME IT portal?"
kind = "yesno"
help = "Access at ACME is granted only through the portal."
effects.no = { permissions = 0.3 }
effects.yes = { permissions = 0.05 }

[[questions]]
id = "temporary-link"
text = "Is this a link from the ACME file share?"
kind = "yesno"
help = "Share links at ACME expire after 24 hours."
effects.yes = { signed-url = 0.45 }
"""

ORG_STEP_7 = """
number = 7
id = "escalate"
title = "Open a ticket with the ACME service desk"
why = "The service desk can read logs you cannot."
what_to_do = ["Attach the Markdown report to the ticket."]
tip = "Quote the reference ids."

[[questions]]
id = "ticket-open"
text = "Is a ticket already open?"
kind = "yesno"
help = "One ticket per problem."
effects.yes = { unknown = -0.05 }
"""

ORG_CAUSES = """
[waf]
title = "The ACME gateway blocked this request"

[ip-block]
prior = "medium"

[[ip-block.fixes]]
text = "File a firewall change in the ACME IT portal."
effort = "medium"
who = "network-team"
"""


@pytest.fixture()
def org_overlay(tmp_path) -> Path:
    overlay = tmp_path / "acme"
    write(overlay, "steps/2-acme.toml", ORG_STEP_2)
    write(overlay, "steps/7-escalate.toml", ORG_STEP_7)
    write(overlay, "causes.toml", ORG_CAUSES)
    write(overlay, "checks.toml", '[alt-route]\nplain = "Tries the ACME VPN route too."\n')
    write(overlay, "faq.toml", '[[faq]]\nquestion = "Who runs the gateway?"\nanswer = "ACME network team."\n')
    return overlay


def test_overlay_adds_a_question_and_replaces_one_with_the_same_id(org_overlay, shipped):
    content = load_content(org_overlay)
    step = content.step(2)
    ids = [question.id for question in step.questions]
    shipped_ids = [question.id for question in shipped.step(2).questions]
    assert ids == shipped_ids + ["acme-access-request"]
    assert content.question("acme-access-request").step == 2
    assert content.question("temporary-link").text == "Is this a link from the ACME file share?"
    assert step.tip.startswith("At ACME")
    assert step.title == shipped.step(2).title  # keys the overlay does not give stay ours
    assert step.checks == shipped.step(2).checks


def test_overlay_replaces_a_cause_title_and_fixes_key_by_key(org_overlay, shipped):
    content = load_content(org_overlay)
    waf = content.causes["waf"]
    assert waf.title == "The ACME gateway blocked this request"
    assert waf.explanation == shipped.causes["waf"].explanation
    assert waf.fixes == shipped.causes["waf"].fixes
    ip_block = content.causes["ip-block"]
    assert ip_block.prior_label == "medium" and ip_block.prior == PRIORS["medium"]
    assert [fix.text for fix in ip_block.fixes] == ["File a firewall change in the ACME IT portal."]
    assert content.checks["alt-route"].plain == "Tries the ACME VPN route too."
    assert content.checks["alt-route"].expert == shipped.checks["alt-route"].expert


def test_overlay_adds_a_step_seven_and_appends_faq(org_overlay, shipped):
    content = load_content(org_overlay)
    assert [step.number for step in content.steps] == [1, 2, 3, 4, 5, 6, 7]
    seventh = content.step(7)
    assert seventh.id == "escalate" and seventh.checks == ()
    assert [question.id for question in seventh.questions] == ["ticket-open"]
    assert content.faq[: len(shipped.faq)] == shipped.faq
    assert content.faq[-1].question == "Who runs the gateway?"
    assert content.dirs == (shipped_content_dir(), org_overlay)


def test_load_content_is_cached_per_overlay(org_overlay, shipped):
    assert load_content() is shipped
    first = load_content(org_overlay)
    assert load_content(str(org_overlay)) is first
    assert first is not shipped
    assert shipped.step(2).tip != first.step(2).tip  # the overlay never leaks into the shipped content
