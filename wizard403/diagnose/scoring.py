"""How evidence turns into a score per cause: priors, signed weights, and one rule to combine them.

The rule, chosen because it can be explained in one sentence to the person reading the report: each piece of
evidence *for* a cause removes that share of the remaining doubt, each piece *against* it removes that share of the
belief. So a cause with prior 0.45 and one +0.5 hit scores 1 - 0.55 * 0.5 = 0.725; a -0.4 hit then makes it 0.435.
Weights that two signatures of one producer give the same cause are one observation, counted once (the strongest).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wizard403.model import CAUSE_IDS

HIGH_AT = 0.70  # a score at or above this is "high" likelihood
MEDIUM_AT = 0.50  # at or above this (and below HIGH_AT) is "medium"; below is "low"
# `unknown` starts here when nothing speaks for any cause, and shrinks as the strongest evidence grows: it sits just
# under MEDIUM_AT, above every seed prior, so that "we cannot tell" wins over a bare prior.
UNKNOWN_BASE = 0.48
MAX_EFFECT = 0.99  # no single observation makes a cause certain or impossible
MAX_SCORE = 0.999  # and no pile of them either


@dataclass
class Contribution:
    """One observation's effect on one cause, and the line that names where it came from."""

    source: str  # "cloudflare/waf-block", "anonymous-retry", "answer recent-role-change"
    kind: str  # "signature" | "cue" | "check" | "answer"
    text: str
    weight: float
    counted: bool = True
    group: str = ""  # signatures of one producer share a group; only the strongest of a group counts
    # What it rests on (observations.py): the extracted messages and field values, so that lines stating the same
    # observation are shown as one.
    said: frozenset[str] = frozenset()
    quote: str = ""  # the message it quotes after its text (a cue's headline), left out where a line above shows it

    def line(self, also: list[Contribution] | tuple = (), quote: bool = True) -> str:
        """The evidence line; `also` are other contributions stating the same observation, named after the text."""
        text = f"{self.text}: {self.quote}" if self.quote and quote else self.text
        if also:
            named = [f"{c.source} ({c.weight:+.2f})" if c.counted else f"{c.source} (not counted again)" for c in also]
            listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
            text = text.rstrip()
            text += f" The same observation also from {listed}." if text[-1:] in ".!?" else (
                f"; the same observation also from {listed}.")
        if not self.counted:
            return f"{self.source}: {text} (same observation as another {self.group} signature, not counted again)"
        return f"{self.source}: {text} ({self.weight:+.2f})"


@dataclass
class Assessment:
    cause_id: str
    prior: float
    prior_label: str
    contributions: list[Contribution] = field(default_factory=list)
    score: float = 0.0

    @property
    def counted(self) -> list[Contribution]:
        return [c for c in self.contributions if c.counted]

    @property
    def support(self) -> float:
        """How strongly the counted evidence alone speaks for this cause (0..1), priors left out."""
        doubt = 1.0
        for c in self.counted:
            if c.weight > 0:
                doubt *= 1.0 - min(c.weight, MAX_EFFECT)
        return 1.0 - doubt

    @property
    def likelihood(self) -> str:
        return likelihood(self.score)


def likelihood(score: float) -> str:
    if score >= HIGH_AT:
        return "high"
    if score >= MEDIUM_AT:
        return "medium"
    return "low"


def combine(start: float, weights: list[float]) -> float:
    """The score after applying signed weights to a starting belief (see the module docstring)."""
    doubt = 1.0 - start
    for w in weights:
        if w > 0:
            doubt *= 1.0 - min(w, MAX_EFFECT)
    score = 1.0 - doubt
    for w in weights:
        if w < 0:
            score *= 1.0 - min(-w, MAX_EFFECT)
    return min(round(max(score, 0.0), 3), MAX_SCORE)


def settle_groups(contributions: list[Contribution]) -> None:
    """Within one group, only the strongest positive and the strongest negative weight count."""
    best_pos: dict[str, Contribution] = {}
    best_neg: dict[str, Contribution] = {}
    for c in contributions:
        if not c.group:
            continue
        table = best_pos if c.weight > 0 else best_neg
        current = table.get(c.group)
        if current is None or abs(c.weight) > abs(current.weight):
            table[c.group] = c
    for c in contributions:
        if c.group:
            c.counted = c is best_pos.get(c.group) or c is best_neg.get(c.group)


def _priors_give_way(assessments: dict[str, Assessment]) -> None:
    """A cause that only its prior speaks for does not outrank one that the evidence speaks for.

    A seed's prior says how common a cause is before anything is read ("permissions" 0.45); a hint in the message
    for a rarer cause (0.05 + a 0.35 reading = 0.38) would otherwise rank the unread prior first, so that reading
    something makes the answer the cause nobody saw. Where the best-supported cause beats "we cannot tell", such a
    prior gives way: it loses the share of belief that the best-supported cause's evidence carries, and the line says
    so.
    """
    specific = [a for a in assessments.values() if a.cause_id != "unknown"]
    supported = [a for a in specific if a.support > 0]
    if not supported:
        return
    best = max(supported, key=lambda a: (a.score, a.support))
    strongest = max(combine(0.0, [c.weight for c in a.counted]) for a in specific)
    if best.score < UNKNOWN_BASE * (1.0 - strongest):
        return  # too weak a reading to beat "we cannot tell": the prior and unknown decide as before
    for a in specific:
        if a.support == 0 and a.score >= best.score:
            weight = -round(best.support, 3)
            a.contributions.append(Contribution(
                "other-evidence", "context",
                f"nothing speaks for this cause, while the evidence speaks for {best.cause_id}", weight))
            a.score = combine(a.prior, [c.weight for c in a.counted])


def score_all(assessments: dict[str, Assessment]) -> list[Assessment]:
    """Score every assessment (unknown last, since it depends on the others) and rank them, most likely first.

    Ties are broken by the fixed order of cause ids in model.CAUSE_IDS, so the ranking is deterministic.
    """
    for a in assessments.values():
        settle_groups(a.contributions)
        if a.cause_id != "unknown":
            a.score = combine(a.prior, [c.weight for c in a.counted])
    _priors_give_way(assessments)
    unknown = assessments.get("unknown")
    if unknown is not None:
        # net of the evidence against it: a hint that another signature cancels must not make us sound surer
        strongest = max(
            (combine(0.0, [c.weight for c in a.counted]) for a in assessments.values() if a.cause_id != "unknown"),
            default=0.0,
        )
        unknown.score = combine(UNKNOWN_BASE * (1.0 - strongest), [c.weight for c in unknown.counted])
    order = {cid: i for i, cid in enumerate(CAUSE_IDS)}
    return sorted(assessments.values(), key=lambda a: (-a.score, order.get(a.cause_id, len(order))))
