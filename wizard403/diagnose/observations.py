"""One observation, one evidence line: contributions that state the same thing are shown as one line naming its
sources.

Several readers often see the same fact: a registry's denial signature, the generic sign-in words and the
WWW-Authenticate check all quote "Your authorization token has expired". Each still weighs as the scoring says, but
a reader of the report sees the message once, on the line of its strongest reader, with the others named after it.

Two contributions to one cause, weighing it the same way (both for, or both against), are the same observation
when
- they rest on the same extracted message (a signature's error_message, detail, title or block reason, or the
  headline a cue quotes), whether they extracted it or only show it in their text;
- or they extracted the same field values (the same principal, action and resource);
- or the scoring already counted one of them as a repeat of the other (two signatures of one producer).
"""

from __future__ import annotations

from wizard403.diagnose.cues import words_of
from wizard403.diagnose.scoring import Contribution

# Fields whose values are a message a person reads; the other fields are facts compared as a whole.
MESSAGE_FIELDS = ("error_message", "detail", "title", "block_reason")
MIN_MESSAGE_WORDS = 4  # shorter values ("Forbidden", "denied") are too common to say two lines share a message


def normal(text: str) -> str:
    """A text as its words, padded so that a containment test only matches whole words."""
    return " " + " ".join(words_of(text)) + " "


def message_key(text: str) -> str | None:
    """The key of an extracted message, or None when it is too short to recognise elsewhere."""
    key = normal(text)
    return key if key.count(" ") - 1 >= MIN_MESSAGE_WORDS else None


def from_fields(extracted: dict[str, str]) -> frozenset[str]:
    """The observation keys of one signature hit's extracted fields."""
    keys = set()
    facts = []
    for name, value in sorted(extracted.items()):
        if name in MESSAGE_FIELDS:
            key = message_key(value)
            if key:
                keys.add(key)
        else:
            facts.append(f"{name}={' '.join(value.split()).casefold()}")
    if facts:
        keys.add("fields: " + "; ".join(facts))
    return frozenset(keys)


def messages_of(contributions: list[Contribution]) -> list[str]:
    """Every message key any contribution rests on (the candidates that a line's text may show)."""
    return sorted({k for c in contributions for k in c.said if not k.startswith("fields: ")})


def _shown(c: Contribution, messages: list[str]) -> set[str]:
    """The messages a contribution's line shows in its own text (its quote apart)."""
    text = normal(c.text)
    return {m for m in messages if m in text}


def _keys(c: Contribution, messages: list[str]) -> set[str]:
    return set(c.said) | _shown(c, messages) | ({k for k in messages if k in normal(c.quote)} if c.quote else set())


def merged_lines(ordered: list[Contribution], messages: list[str]) -> list[str]:
    """The evidence lines of one cause: `ordered` strongest first, each cluster of one observation as one line on
    the place of its first (strongest) member."""
    keys = [_keys(c, messages) for c in ordered]
    parent = list(range(len(ordered)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(ordered):
        for j in range(i):
            b = ordered[j]
            if (a.weight > 0) != (b.weight > 0):
                continue
            repeat = a.group and a.group == b.group and not (a.counted and b.counted)
            if repeat or keys[i] & keys[j]:
                ri, rj = root(i), root(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    clusters: dict[int, list[Contribution]] = {}
    for i, c in enumerate(ordered):
        clusters.setdefault(root(i), []).append(c)
    lines, shown = [], set()
    for _, members in sorted(clusters.items()):
        head = members[0]
        # a quoted message that a line above already shows (a reading for, then one against) is not quoted again
        quoted = {k for k in messages if k in normal(head.quote)} if head.quote else set()
        show_quote = not (quoted and quoted <= shown)
        lines.append(head.line(also=members[1:], quote=show_quote))
        shown |= _shown(head, messages) | (quoted if show_quote else set())
    return lines
