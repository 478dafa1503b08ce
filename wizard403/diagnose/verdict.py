"""The words at the top of a report: was it reproduced, who said no, what is most likely, and, when the evidence is
thin, what would tell the candidates apart. Also the one sentence that explains the ranking.

Who refused comes only from a signature that proves a *block* (a vendor's block page, a denial message). A CDN's
headers on a response prove only that the CDN carried it, so they never make the edge "who refused".
"""

from __future__ import annotations

from wizard403.content import Content
from wizard403.diagnose.scoring import Assessment
from wizard403.diagnose.signatures import Hit
from wizard403.model import Exchange, Session

# Where "who refused" can be named without a block signature: only when the top cause is this sure.
WHO_FROM_CAUSE_AT = "high"
MAX_HINT_QUESTIONS = 2
MAX_HINT_CAUSES = 3
MAX_HINT_CHECKS = 2
# Which automated checks (content/checks.toml ids) tell a cause apart from its neighbours, best first. A check that
# did not run (or was skipped) is suggested for the leading candidates when the evidence is thin.
TELLING_CHECKS = {
    "permissions": ("anonymous-retry", "denial-message", "parent-resource", "whoami"),
    "credentials": ("token-inspect", "anonymous-retry", "www-authenticate", "credential-isolation"),
    "ip-block": ("alt-route", "log-scan"),
    "waf": ("who-refused", "user-agent-compare", "log-scan"),
    "bot-challenge": ("who-refused", "user-agent-compare"),
    "rate-limit": ("rate-limit-headers",),
    "csrf": ("csrf-evidence",),
    "signed-url": ("token-inspect", "denial-message"),
    "app-rule": ("problem-details", "options-allow"),
    "directory-listing": ("log-scan", "parent-resource"),
    "file-permissions": ("log-scan",),
    "stale-session": ("incognito-retry", "credential-isolation"),
    "cached-403": ("no-cache-retry", "cache-evidence"),
    "not-found": ("parent-resource", "options-allow"),
    "client-network": ("alt-route", "who-refused"),
    "config": ("denial-message", "head-vs-get"),
}

_LAYER_PHRASES = {
    "client": "The refusal comes from your side (the browser, app or network you use), not from the site's decision",
    "network": "A network-level rule (an address allowlist or blocklist, or a filter between you and the site) "
    "refused the request",
    "edge": "An edge service or firewall in front of the site{name} refused the request",
    "server": "The web server{name} refused the request",
    "application": "The application{name} refused the request",
    "identity": "The identity and access system{name} refused the request",
    "unknown": "The evidence does not show which layer refused the request",
}
# Every shipped producer of layer "network" is a filter on the user's side (a proxy, a secure web gateway).
_OWN_NETWORK = "Your own network's proxy or web filter ({name}) refused the request, not the site"


def describe_layer(layer: str, producer_name: str | None = None) -> str:
    """One line naming who said no, e.g. "An edge service or firewall in front of the site (Cloudflare) refused ..."."""
    if layer == "network" and producer_name:
        return _OWN_NETWORK.format(name=producer_name)
    phrase = _LAYER_PHRASES.get(layer, _LAYER_PHRASES["unknown"])
    return phrase.format(name=f" ({producer_name})" if producer_name else "")


def _strength(hit: Hit) -> float:
    return max((w for w in hit.causes.values() if w > 0), default=0.0)


def reproduced(primary: Exchange | None, hits: list[Hit]) -> bool | None:
    """True: refused (401/403 or a recognised block page); False: 2xx/3xx; None: nothing to tell from."""
    if primary is None or primary.status is None:
        return None
    if any(h.proves == "block" for h in hits) or primary.status in (401, 403):
        return True
    if 200 <= primary.status < 400:
        return False
    return None


def who_refused(hits: list[Hit], ranked: list[Assessment], content: Content, was_refused: bool | None):
    """(layer or "unknown", producer name or None): the strongest block signature, else a high-likelihood cause."""
    if was_refused is False:
        return "unknown", None
    blocks = [h for h in hits if h.proves == "block"]
    if blocks:
        # Strongest first; among equals, the first in catalogue order (max() keeps the first maximum).
        best = max(blocks, key=_strength)
        return best.layer, best.producer_name
    top = next((a for a in ranked if a.cause_id != "unknown"), None)
    if top is not None and top.likelihood == WHO_FROM_CAUSE_AT and ranked[0] is top:
        return content.causes[top.cause_id].layer, None
    return "unknown", None


def _top_candidates(ranked: list[Assessment]) -> list[Assessment]:
    return [a for a in ranked if a.cause_id != "unknown"][:MAX_HINT_CAUSES]


def _telling_questions(session: Session, content: Content, candidates: list[Assessment]):
    """Unanswered questions whose answers move the two leading candidates furthest apart, best first."""
    if len(candidates) < 2:
        return []
    first, second = candidates[0].cause_id, candidates[1].cause_id
    scored = []
    for step in content.steps:
        for question in step.questions:
            if session.answer_for(question.id) is not None or not question.effects:
                continue
            spread = max(
                abs(moves.get(first, 0.0) - moves.get(second, 0.0)) for moves in question.effects.values()
            )
            if spread > 0:
                scored.append((-spread, step.number, question))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [q for _, _, q in scored[:MAX_HINT_QUESTIONS]]


def _telling_checks(session: Session, content: Content, candidates: list[Assessment]) -> list[str]:
    """Checks that did not run but would tell the leading candidates apart."""
    ran = {r.id for r in session.checks if r.status not in ("skipped", "error")}
    chosen: list[str] = []
    for a in candidates[:2]:
        for check_id in TELLING_CHECKS.get(a.cause_id, ()):
            if check_id not in ran and check_id in content.checks and check_id not in chosen:
                chosen.append(check_id)
    return chosen[:MAX_HINT_CHECKS]


def uncertainty_hints(session: Session, content: Content, ranked: list[Assessment], hits: list[Hit]) -> list[str]:
    """Lines for the `unknown` cause: what is known, and what would tell the leading candidates apart."""
    candidates = _top_candidates(ranked)
    strongest = max(candidates, key=lambda a: a.support, default=None)
    lines = []
    if strongest is None or strongest.support == 0:
        lines.append("nothing in the responses, checks or answers points at a specific cause yet")
    else:
        lines.append(
            f"the strongest evidence points at {strongest.cause_id}, and only to {strongest.support:.2f} of certainty"
        )
    for a in candidates:
        lines.append(f"to confirm or rule out {a.cause_id}: {content.causes[a.cause_id].tells_apart}")
    for q in _telling_questions(session, content, candidates):
        lines.append(f'answer the question "{q.text}" ({q.id}, step {q.step})')
    for check_id in _telling_checks(session, content, candidates):
        info = content.checks[check_id]
        lines.append(f"run the check {check_id} ({info.title}, step {info.step}): {info.plain}")
    for hit in hits:
        if not hit.causes:  # context that weighs nothing: a vendor on the path, a HEAD without body
            lines.append(f"seen on the response: {hit.name}: {hit.line}")
    seen = set()
    for hit in hits:
        if hit.proves == "block" and hit.lookup and hit.producer not in seen:
            seen.add(hit.producer)
            lines.append(f"the owner can look in their logs: {hit.lookup}")
    return lines


def unreachable_summary(failed: Exchange) -> str:
    """The top sentence when the user's request got no answer; after a redirect, the first host did answer."""
    if failed.redirects:
        from urllib.parse import urlsplit

        from wizard403.redact import redact_url

        first = urlsplit(failed.redirects[0]).netloc.rsplit("@", 1)[-1]
        return (
            f"{first} answered with a redirect to {redact_url(failed.url)}, which could not be reached "
            f"({failed.error}), so nothing was refused yet; check where the redirect points, and run the check again."
        )
    return (
        f"The server could not be reached ({failed.error}), so nothing was refused yet; check the address, "
        "your network or proxy, and run the check again."
    )


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def summary(
    session: Session,
    content: Content,
    ranked: list[Assessment],
    who: str,
    producer_name: str | None,
    primary: Exchange | None,
    close_call: bool = False,
) -> str:
    """One plain sentence for the top of the report."""
    if primary is not None and session.verdict.reproduced is False:
        return (
            f"The request was answered with HTTP {primary.status}, so access was not refused this time; "
            "if the 403 comes back, run the check again while it happens."
        )
    top = ranked[0] if ranked else None
    who_line = describe_layer(who, producer_name)
    if primary is not None and primary.status is not None and session.verdict.reproduced is None:
        # neither a grant nor a refusal (404, 400, 5xx): say what the server did answer, not which layer refused
        lead = f"The server answered HTTP {primary.status}, not 403"
        if top is not None and top.cause_id != "unknown" and top.likelihood in ("high", "medium"):
            title = content.causes[top.cause_id].title.rstrip(".")
            return f"{lead}; the most likely explanation is: {title} ({top.likelihood} likelihood)."
        return f"{lead}: the refusal did not reproduce as such; if the 403 comes back, run the check again while it happens."
    if not close_call and top is not None and top.cause_id != "unknown" and top.likelihood in ("high", "medium"):
        title = content.causes[top.cause_id].title.rstrip(".")
        if who == "unknown":
            return f"{who_line}, but the most likely cause is: {title} ({top.likelihood} likelihood)."
        return f"{who_line}; the most likely cause is: {title} ({top.likelihood} likelihood)."
    candidates = _top_candidates(ranked)
    questions = _telling_questions(session, content, candidates)
    if questions:
        step = f'answer "{questions[0].text}" in step {questions[0].step}'
    elif candidates:
        step = _lower_first(content.causes[candidates[0].cause_id].tells_apart).rstrip(".")
    else:
        step = "answer the questions of each step and attach the server's logs"
    names = " or ".join(a.cause_id for a in candidates[:2])
    if who == "unknown":
        lead = "The evidence does not yet show who refused the request, or why"
    else:
        lead = f"{who_line}, but the evidence does not yet say why"
    if names:
        lead += f" (likeliest: {names})"
    return f"{lead}; to narrow it down, {step}."


def ranking_sentence(ranked: list[Assessment]) -> str:
    """Why the first cause beats the second, in one sentence naming the evidence that makes the difference."""
    if not ranked:
        return "There is nothing to rank yet."
    first = ranked[0]
    if len(ranked) == 1:
        return f"{first.cause_id} is the only candidate (score {first.score:.2f})."
    second = ranked[1]
    head = f"{first.cause_id} ({first.score:.2f}, {first.likelihood}) ranks above {second.cause_id} ({second.score:.2f})"
    if first.score == second.score:
        return (
            f"{first.cause_id} and {second.cause_id} are tied at {first.score:.2f}; {first.cause_id} is listed first "
            "only because of the fixed order of causes."
        )
    if first.cause_id == "unknown":
        if second.support == 0:
            return f"{head} because nothing observed so far speaks for any specific cause; {second.cause_id} has only its prior."
        best = _best(second, positive=True)
        return (
            f"{head} because even the strongest evidence, {best.source} for {second.cause_id} ({best.weight:+.2f}), "
            "is too weak to name a cause with confidence."
        )
    reasons = []
    best_first = _best(first, positive=True)
    if best_first is not None:
        reasons.append(f"{best_first.source} speaks for it ({best_first.weight:+.2f})")
    else:
        reasons.append(f"its prior is higher ({first.prior:.2f} against {second.prior:.2f})")
    best_second = _best(second, positive=True)
    against_second = _best(second, positive=False)
    if second.cause_id == "unknown":
        reasons.append("that evidence is strong enough to name a cause")
    elif against_second is not None:
        reasons.append(f"{against_second.source} argues against {second.cause_id} ({against_second.weight:+.2f})")
    elif best_second is not None:
        reasons.append(f"the best for {second.cause_id} is weaker ({best_second.source}, {best_second.weight:+.2f})")
    else:
        reasons.append(f"{second.cause_id} has no evidence beyond its prior of {second.prior:.2f}")
    return f"{head} because {reasons[0]}, while {reasons[1]}."


def _best(assessment: Assessment, *, positive: bool):
    chosen = [c for c in assessment.counted if (c.weight > 0) == positive]
    if not chosen:
        return None
    return max(chosen, key=lambda c: (abs(c.weight), c.source)) if positive else min(chosen, key=lambda c: c.weight)
