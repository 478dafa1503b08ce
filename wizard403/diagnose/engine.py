"""The rule engine: signatures, check results and answers in; ranked causes, references and a verdict out.

Inputs and how much they count:
- signature hits on the exchange that stands for the user's request (the last "baseline", else the last "recorded",
  else the only exchange): fully, as the signature file weighs them;
- every check result's `supports` (a check knows best what its own observation means), quoted by its summary;
- the user's answers, through the `effects` of the content question;
- the language layer (language.py): the cue phrases of content/cues.toml read in the human message of that
  exchange, against the facts of its request; silent where a known producer's signature read the response, since
  the producer knows its own words best, except for the readings of the request's context;
- the seeds' priors from content/causes.toml.
Reference ids are collected from every exchange, whichever check sent it.
"""

from __future__ import annotations

from wizard403.content import Content, load_content
from wizard403.owner_queries import attach_queries
from wizard403.specific_fixes import attach_specific_fixes
from wizard403.diagnose import verdict as _verdict
from wizard403.diagnose.catalogue import catalogue_for
from wizard403.diagnose import language as _language
from wizard403.diagnose import observations as _observations
from wizard403.diagnose.cues import STOCK_KEEPS, Cuebook, cuebook_for
from wizard403.diagnose.scoring import Assessment, Contribution, score_all
from wizard403.diagnose.signatures import Hit, match_with
from wizard403.model import Cause, Exchange, Fix, Reference, Session

SCORED_CHECKS = ("baseline", "recorded")  # exchanges whose signature hits are weighed
IGNORED_CHECK_STATUSES = ("skipped", "error")  # such results did not observe anything


# Two leading causes closer than this (and neither high) are reported as a close call, not as a finding.
CLOSE_CALL = 0.03


def primary_exchange(session: Session) -> Exchange | None:
    """The exchange that stands for the user's own request: last good baseline, else last recorded, else the only one."""
    usable = [ex for ex in session.exchanges if ex.error is None and ex.status is not None]
    for check in SCORED_CHECKS:
        chosen = [ex for ex in usable if ex.check == check]
        if chosen:
            return chosen[-1]
    if len(session.exchanges) == 1 and usable:
        return usable[0]
    return None


def _signature_contributions(hits: list[Hit], assessments: dict[str, Assessment], book: Cuebook,
                             stock: bool = False) -> None:
    for hit in hits:
        words = hit.producer in book.language_producers
        if words and stock and max(hit.causes.values(), default=0.0) < STOCK_KEEPS:
            continue  # a stock page's sentence read by a word list: it restates the status, like the cues' hints
        group = _language.GROUP if words else hit.producer
        said = _observations.from_fields(hit.extracted)
        for cause_id, weight in hit.causes.items():
            if cause_id in assessments:
                assessments[cause_id].contributions.append(
                    Contribution(hit.name, "signature", hit.line, weight, group=group, said=said)
                )


def _check_contributions(session: Session, assessments: dict[str, Assessment]) -> None:
    for result in session.checks:
        if result.status in IGNORED_CHECK_STATUSES:
            continue
        for cause_id, weight in (result.supports or {}).items():
            if cause_id in assessments and weight:
                assessments[cause_id].contributions.append(
                    Contribution(result.id, "check", result.summary, float(weight))
                )


def _answer_contributions(session: Session, content: Content, assessments: dict[str, Assessment]) -> None:
    for answer in session.answers:
        question = content.question(answer.question)
        if question is None:
            continue
        for cause_id, weight in question.effects.get(answer.answer, {}).items():
            if cause_id in assessments and weight:
                text = f'"{question.text}" answered {answer.answer}'
                assessments[cause_id].contributions.append(
                    Contribution(f"answer {question.id}", "answer", text, float(weight))
                )


def assess(session: Session, content: Content, hits: list[Hit], primary: Exchange | None = None) -> list[Assessment]:
    """Every cause's assessment, ranked; `hits` are the signature hits on the primary exchange."""
    assessments = {
        cid: Assessment(cid, info.prior, info.prior_label) for cid, info in content.causes.items()
    }
    book = cuebook_for(content)
    language, stock = _language.read(primary, hits, book)
    _signature_contributions(hits, assessments, book, stock)
    for cause_id, contribution in language:
        if cause_id in assessments:
            assessments[cause_id].contributions.append(contribution)
    _check_contributions(session, assessments)
    _answer_contributions(session, content, assessments)
    ranked = score_all(assessments)
    # Listed: causes with any evidence, causes the seeds name (a prior above "none"), and always "unknown".
    return [a for a in ranked if a.contributions or a.prior_label != "none" or a.cause_id == "unknown"]


def _collect_references(session: Session, hits_by_exchange: list[tuple[Exchange, list[Hit]]]) -> None:
    for exchange, hits in hits_by_exchange:
        for hit in hits:
            for kind, value in hit.references:
                _add_reference(session, Reference(kind, value, hit.producer_name, exchange.at, hit.lookup))


def _add_reference(session: Session, ref: Reference) -> None:
    """Add once; the same id seen shorter elsewhere (a Ray ID without its colo suffix) is the same id."""
    for existing in session.references:
        if existing.kind != ref.kind:
            continue
        if existing.value.startswith(ref.value):
            return
        if ref.value.startswith(existing.value):
            existing.value = ref.value
            return
    session.add_reference(ref)


def _evidence_lines(assessment: Assessment, messages: list[str]) -> list[str]:
    ordered = sorted(assessment.contributions, key=lambda c: (not c.counted, c.weight < 0, -abs(c.weight), c.source))
    lines = _observations.merged_lines(ordered, messages)
    if assessment.prior_label != "none" and assessment.cause_id != "unknown":
        lines.append(
            f"prior: before any evidence, the general guidance rates this cause {assessment.prior_label} "
            f"({assessment.prior:.2f})"
        )
    return lines


def _to_cause(assessment: Assessment, content: Content, extra: list[str], messages: list[str]) -> Cause:
    info = content.causes[assessment.cause_id]
    return Cause(
        id=assessment.cause_id,
        title=info.title,
        likelihood=assessment.likelihood,
        score=assessment.score,
        layer=info.layer,
        evidence=_evidence_lines(assessment, messages) + extra,
        fixes=[Fix(f.text, f.effort, f.who) for f in info.fixes],
        explanation=info.explanation,
    )


def _run(session: Session, content: Content) -> tuple[list[Assessment], list[Hit], Exchange | None]:
    catalogue = catalogue_for(content)
    primary = primary_exchange(session)
    hits_by_exchange = [(ex, match_with(catalogue, ex)) for ex in session.exchanges if ex.error is None]
    primary_hits = next((hits for ex, hits in hits_by_exchange if ex is primary), [])
    _collect_references(session, hits_by_exchange)
    return assess(session, content, primary_hits, primary), primary_hits, primary


def diagnose(session: Session, content: Content | None = None) -> None:
    """Fill session.causes (ranked), session.verdict and session.references from everything the session holds."""
    content = content if content is not None else load_content()
    ranked, hits, primary = _run(session, content)
    attach_queries(session, content)
    unreachable = _unreachable(session) if primary is None else None
    if unreachable is not None:
        # nothing answered: there is no refusal to explain, and ranking the priors would only mislead
        session.causes = []
        session.verdict.who_refused = "unknown"
        session.verdict.reproduced = None
        session.verdict.summary = _verdict.unreachable_summary(unreachable)
        return
    reproduced = _verdict.reproduced(primary, hits)
    who, producer_name = _verdict.who_refused(hits, ranked, content, reproduced)
    hints = _verdict.uncertainty_hints(session, content, ranked, hits)
    messages = _observations.messages_of([c for a in ranked for c in a.contributions])
    session.causes = [
        _to_cause(a, content, hints if a.cause_id == "unknown" else [], messages) for a in ranked
    ]
    close = _close_call(ranked)
    if close is not None:
        first, second = close
        for cause in session.causes[:2]:
            cause.likelihood = "low"
            cause.evidence.insert(
                0,
                f"too close to call: {first.cause_id} {first.score:.2f} against {second.cause_id} {second.score:.2f}; "
                "the next question or check decides",
            )
    session.verdict.who_refused = who
    session.verdict.reproduced = reproduced
    session.verdict.summary = _verdict.summary(
        session, content, ranked, who, producer_name, primary, close_call=close is not None
    )
    attach_specific_fixes(session, content, primary, hits)


def _unreachable(session: Session) -> Exchange | None:
    """The failed baseline, when the user's own request got no answer at all."""
    return next((ex for ex in session.exchanges if ex.check in SCORED_CHECKS and ex.status is None and ex.error), None)


def _close_call(ranked: list[Assessment]) -> tuple[Assessment, Assessment] | None:
    """The two leading specific causes when they are nearly level and neither is high: honesty says 'either'."""
    if len(ranked) < 2 or ranked[0].cause_id == "unknown" or ranked[1].cause_id == "unknown":
        return None
    first, second = ranked[0], ranked[1]
    if first.likelihood != "high" and first.score - second.score < CLOSE_CALL:
        return first, second
    return None


def explain_ranking(session: Session, content: Content | None = None) -> str:
    """One sentence on why the first cause beats the second, from the same evidence diagnose() weighs."""
    content = content if content is not None else load_content()
    primary = primary_exchange(session)
    hits = match_with(catalogue_for(content), primary) if primary is not None else []
    return _verdict.ranking_sentence(assess(session, content, hits, primary))
