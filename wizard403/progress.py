"""Where each step stands, derived from the session (never stored): the marks of the wizard's step list."""

from __future__ import annotations

from typing import Any

from wizard403.model import Session

NOT_STARTED, RUNNING, PASSED, PROBLEM, NEEDS_ANSWER = "not-started", "running", "passed", "problem", "needs-answer"
MARKS = {NOT_STARTED: "○", RUNNING: "◌", PASSED: "✔", PROBLEM: "✘", NEEDS_ANSWER: "?"}
WORDS = {
    NOT_STARTED: "not started",
    RUNNING: "checks running",
    PASSED: "nothing wrong found",
    PROBLEM: "problem found",
    NEEDS_ANSWER: "needs your answer",
}


def step_state(session: Session, step: Any, running: set[str] | frozenset[str] = frozenset()) -> str:
    """One of the five states for a content Step (needs .number, .checks, .questions)."""
    ids = set(step.checks)
    if ids & set(running):
        return RUNNING
    results = [c for c in session.checks if c.id in ids]
    answered = {a.question for a in session.answers}
    unanswered = [q for q in step.questions if q.id not in answered and q.kind != "text"]
    if any(r.status in ("fail", "warn", "error") for r in results):
        return PROBLEM
    if not results and len(unanswered) == len([q for q in step.questions if q.kind != "text"]):
        return NOT_STARTED
    if unanswered:
        return NEEDS_ANSWER
    return PASSED
