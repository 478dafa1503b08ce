"""The language layer's part of the ranking: cue phrases (cues.py) read in the message a person reads (message.py),
against the facts of the request (context.py), as weighted contributions to the causes.

Where a known producer's signature already read the response, its reading stands and the cues are damped (by
settings.damping, 0 as shipped): the producer knows its own words. The cues that read the request's context
(`damp = false`: a signed URL, an anonymous caller) still count, since no producer's words can know the request;
when they agree with the producer's reading they only take weight from the readings they rule out.
"""

from __future__ import annotations

from wizard403.diagnose.context import facts_of, fill
from wizard403.diagnose.cues import Cuebook, words_of
from wizard403.diagnose.message import extract_message
from wizard403.diagnose.observations import message_key
from wizard403.diagnose.scoring import Contribution
from wizard403.diagnose.signatures import Hit
from wizard403.model import Exchange

GROUP = "language"  # cues and the generic word signatures: one reading of the message, counted once per cause
# A signature of a known producer that proves a block, or weighs a cause at least this much, is the producer's own
# reading of the response: it stands, and the cues stay silent (damped by settings.damping).
PRODUCER_READS_AT = 0.3
QUOTE_LEN = 140
# A refusal disguised as a success (a web filter's 200 page, an API's 200 "NOTOK") is a short body; a long one on a
# success status is an ordinary page, not worth reading for cues.
DISGUISED_BODY_LIMIT = 16 * 1024
DISGUISED_MIN_WEIGHT = 0.5  # and only a clear reading of it counts, never a one-word hint


def producer_reading(hits: list[Hit], book: Cuebook) -> str | None:
    """The cause a known producer's signatures speak for most ("" when they read the response but name no cause),
    or None when no known producer read it. A known producer is any signature file but the word lists and the
    standards' status rules; its block page or denial counts even when it is a stock page that says no more than
    "403" (then the stock words prove nothing, and the cues stay silent)."""
    best, reading = 0.0, None
    for h in hits:
        if h.producer in book.generic_producers:
            continue
        strongest = max(h.causes.items(), key=lambda kv: kv[1], default=("", 0.0))
        if h.proves == "block" or strongest[1] >= PRODUCER_READS_AT:
            if reading is None:
                reading = ""
            if strongest[1] > best:
                best, reading = strongest[1], strongest[0]
    return reading


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_LEN else text[: QUOTE_LEN - 3] + "..."


def contributions(primary: Exchange | None, hits: list[Hit], book: Cuebook) -> list[tuple[str, Contribution]]:
    """(cause id, contribution) for every cue phrase found in what a person reads on the primary exchange."""
    return read(primary, hits, book)[0]


def read(primary: Exchange | None, hits: list[Hit], book: Cuebook) -> tuple[list[tuple[str, Contribution]], bool]:
    """contributions(), and whether the message is a server's stock page: then the word lists' signatures, which are
    the same reading as the cues, keep only their clear readings too (engine.py)."""
    out: list[tuple[str, Contribution]] = []
    if primary is None or primary.status is None or primary.status < book.min_status or not book.cues:
        return out, False
    if primary.status < 400 and len(primary.body or b"") > DISGUISED_BODY_LIMIT:
        return out, False
    message = extract_message(primary)
    facts = facts_of(primary)
    if message.script_page:
        facts = facts | {"script-page"}
    found, stock = book.read(message.text, primary.status, facts, page=message.form not in ("json", "xml"))
    if not found:
        return out, stock
    reading = producer_reading(hits, book)
    damp = book.damping if reading is not None else 1.0
    said = _quote(message.headline)
    headline = message_key(message.headline) if message.headline else None
    for cue_hit in found:
        cue = cue_hit.cue
        if primary.status < 400 and cue.weight < DISGUISED_MIN_WEIGHT:
            continue
        factor = damp if cue.damp else 1.0
        if factor == 0:
            continue
        text = f'the message reads "{cue_hit.quote}"' if cue.phrases else fill(cue.line, primary)
        quote, rests_on = "", frozenset()
        if said and cue.phrases and cue_hit.quote not in " ".join(words_of(said)):
            quote = said
            rests_on = frozenset({headline}) if headline else rests_on
        effects = {c: w * factor for c, w in cue.against.items()}
        if cue.damp or cue.cause != reading:
            effects[cue.cause] = cue.weight * factor
        # else the context agrees with the producer's own reading, which already says how sure it is: only the
        # readings the context rules out lose weight
        for cause_id, weight in effects.items():
            if weight:
                out.append((cause_id, Contribution(cue_hit.name, "cue", text, round(weight, 3), group=GROUP,
                                                   said=rests_on, quote=quote)))
    return out, stock
