"""The comparison as a tree (JSON and TOML hold the same keys) and as Markdown for people; redacted like reports."""

from __future__ import annotations

from typing import Any

from wizard403.compare.differences import Difference
from wizard403.compare.narrow import Narrowed
from wizard403.compare.sides import Side
from wizard403.model import SCHEMA, TOOL, Session, utcnow
from wizard403.report.tree import session_to_tree
from wizard403.scrub import Scrubber, session_secrets
from wizard403.textsafe import md_code, md_text

# What to do when the culprit is of this kind (the person who can act is named in each).
ADVICE = {
    "token": "Use a token like the working one: ask for the scopes or roles it has, or sign in again for a fresh, "
             "unexpired token for the right account and audience.",
    "cookie": "Sign in again (or clear this site's cookies) so the browser gets a current session, and make sure the "
              "cookie is sent with this request.",
    "header": "Send the header the way the working client does; if it is required, the API's documentation or owner "
              "says which value.",
    "client": "Use the client that works (a real browser), or ask the site owner to allow your client; the site has a "
              "bot or User-Agent policy.",
    "query": "Use the working URL's query string: a fresh signed link, the right key, or the parameter it needs.",
    "method": "Use the method that works, or ask the owner to allow this one for your role.",
    "url": "Use the working address; the refused one is another resource, host or scheme.",
    "body": "Send the body the working request sends (the field that differs decides).",
    "route": "The network is the difference: ask the site owner whether an IP allowlist, a geo rule or a network "
             "filter applies, or use the network that works.",
}


ADVICE_BY_NAME = {
    ("token", "exp"): "The refused request's token had expired: sign in again or refresh the token, and check that the "
                      "client refreshes it before it runs out.",
    ("token", "Authorization"): "Send the credentials the working request sends (sign in, or add the token).",
}


def _side_out(side: Side, scrubber: Scrubber) -> dict[str, Any]:
    session = Session(target=side.target)
    target = session_to_tree(session)["target"]
    out: dict[str, Any] = {"from": side.label, "method": target["method"], "url": target["url"],
                           "headers": target["headers"]}
    if side.status is not None:
        out["status"] = side.status
    if side.recorded_at is not None:
        out["recorded"] = side.recorded_at
    return _scrub(out, scrubber)


def _scrub(value: Any, scrubber: Scrubber) -> Any:
    if isinstance(value, str):
        return scrubber.scrub(value)
    if isinstance(value, dict):
        return {k: _scrub(v, scrubber) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, scrubber) for v in value]
    return value


def culprit_differences(diffs: list[Difference], narrowed: Narrowed | None) -> list[Difference]:
    """For each culprit edit, the difference that best names it (the most relevant one that is not noise)."""
    if narrowed is None:
        return []
    out = []
    for edit in narrowed.culprits:
        under = [d for d in diffs if d.edit == edit]
        best = next((d for d in under if not d.noise), under[0] if under else None)
        if best is not None:
            out.append(best)
    return out


def verdict(diffs: list[Difference], narrowed: Narrowed | None, how_to_test: str = "Run with --live to test them.") -> str:
    """One sentence: what the comparison found (`how_to_test`: how this interface replays, for the offline case)."""
    if narrowed is not None:
        if narrowed.unreachable:
            return f"The refused request's server could not be reached ({narrowed.unreachable})."
        if narrowed.reproduced is False:
            return "The refused request works now, as it is: the comparison found nothing to narrow down."
        if narrowed.route:
            return f"The request itself is not the difference: it works through the alternate route {narrowed.route}."
        culprits = culprit_differences(diffs, narrowed)
        if culprits:
            names = ", ".join(f"{d.kind} {d.name}" for d in culprits)
            sure = "" if narrowed.complete else " (narrowed as far as the budget allowed)"
            return f"Taking over {names} from the working request turns the refusal into a success{sure}."
        if not narrowed.complete and any("budget" in note for note in narrowed.notes):
            return ("The request budget ran out before any set of differences was shown to help; raise --budget "
                    "to let the search go on.")
    real = [d for d in diffs if not d.noise]
    if not diffs:
        return "The two requests are the same: the difference is elsewhere (the network, the time, the account state)."
    if not real:
        return "The requests differ only in noise (trace ids, dates, analytics): the difference is elsewhere."
    top = real[0]
    return (f"{len(real)} difference{'s' if len(real) != 1 else ''} may matter; the most likely is the {top.kind} "
            f"{top.name} ({top.relevance}). {how_to_test}")


def comparison_scrubber(working: Side, refused: Side) -> Scrubber:
    """The registry of both requests' secrets: what no output of a comparison may show."""
    scrubber = Scrubber.for_session(Session(target=refused.target))
    scrubber.update(session_secrets(Session(target=working.target)))
    return scrubber


def advice_for(tree: dict[str, Any]) -> str:
    """What to do about the culprit (or, offline, the most likely difference); empty when nothing differs."""
    real = [d for d in tree.get("differences", []) if not d.get("noise")]
    first = next(iter(tree.get("culprits", [])), None) or (real[0] if real else None)
    if first is None:
        return ""
    return ADVICE_BY_NAME.get((first["kind"], first["name"]), ADVICE.get(first["kind"], ""))


def compare_tree(working: Side, refused: Side, diffs: list[Difference], narrowed: Narrowed | None,
                 **wording: str) -> dict[str, Any]:
    """The comparison's tree: schema wizard403/1, both sides redacted, differences ranked, culprits, requests.
    `wording` goes to `verdict` (the wizard says how it replays; the command line says --live)."""
    scrubber = comparison_scrubber(working, refused)
    culprits = culprit_differences(diffs, narrowed)
    ordered = culprits + [d for d in diffs if d not in culprits]
    requests: list[dict[str, Any]] = []
    if narrowed is not None and narrowed.exchanges:
        live = Session(target=refused.target)
        live.exchanges = list(narrowed.exchanges)
        scrubber.update(session_secrets(live))
        requests = session_to_tree(live)["exchanges"]
        by_edit = {d.edit: d for d in diffs if d.edit is not None}
        for row, edits in zip(requests, narrowed.took_over):
            row["took_over"] = [f"{by_edit[e].kind} {by_edit[e].name}" for e in edits if e in by_edit]
    tree: dict[str, Any] = {
        "schema": SCHEMA,
        "created": utcnow(),
        "tool": TOOL,
        "verdict": verdict(diffs, narrowed, **wording),
        "working": _side_out(working, scrubber),
        "refused": _side_out(refused, scrubber),
        "differences": [d.as_row() for d in ordered],
        "culprits": [{"kind": d.kind, "name": d.name} for d in culprits],
        "requests": requests,
    }
    if narrowed is not None:
        tree["live"] = {"complete": narrowed.complete, "requests_sent": len(narrowed.exchanges),
                        **({"route": narrowed.route} if narrowed.route else {})}
        if narrowed.notes:
            tree["notes"] = list(narrowed.notes)
    return _scrub(tree, scrubber)


def _cell(text: Any) -> str:
    return md_text(str(text)) if text not in (None, "") else ""


def compare_markdown(tree: dict[str, Any]) -> str:
    """The comparison for people: the verdict, a table of differences (culprit first), what to do, requests sent."""
    out = ["# Comparison: the working request and the refused one", "", f"**{md_text(tree['verdict'])}**", ""]
    for role in ("working", "refused"):
        side = tree[role]
        status = f" (answered {side['status']})" if "status" in side else ""
        out.append(f"- **{role.capitalize()}:** {md_code(side['method'] + ' ' + side['url'])}{status}, from "
                   f"{md_text(side['from'])}")
    out.append("")
    culprits = {(c["kind"], c["name"]) for c in tree.get("culprits", [])}
    rows = tree.get("differences", [])
    real = [d for d in rows if not d.get("noise")]
    noise = [d for d in rows if d.get("noise")]
    if real:
        out += ["## Differences, most likely culprit first", "",
                "| | kind | name | working | refused | relevance | why |", "|---|---|---|---|---|---|---|"]
        for d in real:
            mark = "**culprit**" if (d["kind"], d["name"]) in culprits else ""
            why = d["why"] + (f" Not replayed: {d['not_replayed']}." if d.get("not_replayed") else "")
            out.append(f"| {mark} | {_cell(d['kind'])} | {md_code(d['name'])} | {md_code(d['working'])} | "
                       f"{md_code(d['refused'])} | {d['relevance']} | {_cell(why)} |")
        out.append("")
    if noise:
        out += ["## Noise (differs on every request; not a cause)", ""]
        out += [f"- {_cell(d['kind'])} {md_code(d['name'])}: {_cell(d['why'])}" for d in noise]
        out.append("")
    advice = advice_for(tree)
    if advice:
        out += ["## What to do", "", md_text(advice), ""]
    if tree.get("notes"):
        out += ["## Notes", ""] + [f"- {_cell(n)}" for n in tree["notes"]] + [""]
    if tree.get("requests"):
        out += ["## Every request sent", ""]
        for i, ex in enumerate(tree["requests"], 1):
            status = ex.get("status", "no answer")
            took = ", ".join(ex.get("took_over", [])) or "nothing (the refused request as it is)"
            out.append(f"{i}. {md_code(ex['method'] + ' ' + ex['url'])} → {status}; took over: {md_text(took)}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
