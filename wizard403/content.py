"""The wizard's words as data: steps, questions, checks, causes and FAQ, loaded from content/ and validated.

Texts live in TOML so that they can be reviewed without reading code, and so that an organisation can lay its own
playbook over ours (`--content DIR`). A broken file must never surface as a traceback: every problem becomes one
ContentError sentence that names the file and the key, e.g. `content/causes.toml: [waf].prior must be ...`.

Key paths in messages are TOML-like: `[waf].fixes[2].effort` for tables, `questions[3].kind` for arrays of tables,
with array positions counted from 1 as an author counts blocks in a file.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from wizard403 import tomlcache
from wizard403.errors import ContentError
from wizard403.model import ANSWERS, CAUSE_IDS, EFFORTS, LAYERS, WHO

# How much a cause is believed before any evidence, from the seeds' "possible causes" list.
PRIOR_HIGH = 0.45
PRIOR_MEDIUM = 0.30
PRIOR_LOW = 0.15
PRIOR_NONE = 0.05
PRIORS: Mapping[str, float] = MappingProxyType(
    {"high": PRIOR_HIGH, "medium": PRIOR_MEDIUM, "low": PRIOR_LOW, "none": PRIOR_NONE}
)

QUESTION_KINDS = ("yesno", "choice", "text")
# An answer may move a cause at most this far, either way; the diagnosis adds many such nudges.
MAX_WEIGHT = 0.5

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TOML_POSITION = re.compile(r"\s*\((at line (\d+), column (\d+)|at end of document)\)\s*$")


@dataclass(frozen=True)
class FixInfo:
    text: str
    effort: str
    who: str


@dataclass(frozen=True)
class CauseInfo:
    id: str
    title: str
    explanation: str
    layer: str
    prior_label: str
    prior: float
    tells_apart: str
    fixes: tuple[FixInfo, ...]


@dataclass(frozen=True)
class Question:
    id: str
    step: int
    text: str
    kind: str
    choices: tuple[str, ...]
    help: str
    # answer -> {cause_id: weight}; read-only.
    effects: Mapping[str, Mapping[str, float]] = field(hash=False)

    @property
    def answers(self) -> tuple[str, ...]:
        """The answers a user can pick ("text" questions take free text and offer none)."""
        if self.kind == "yesno":
            return ANSWERS
        return self.choices


@dataclass(frozen=True)
class Step:
    number: int
    id: str
    title: str
    why: str
    what_to_do: tuple[str, ...]
    tip: str
    checks: tuple[str, ...]
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class CheckInfo:
    id: str
    step: int
    title: str
    plain: str
    expert: str


@dataclass(frozen=True)
class FaqItem:
    question: str
    answer: str


@dataclass(frozen=True)
class Content:
    steps: tuple[Step, ...]
    causes: Mapping[str, CauseInfo] = field(hash=False)
    checks: Mapping[str, CheckInfo] = field(hash=False)
    faq: tuple[FaqItem, ...]
    dirs: tuple[Path, ...]  # the shipped dir first, then the overlay dir if any

    def step(self, number: int) -> Step:
        for step in self.steps:
            if step.number == number:
                return step
        raise KeyError(f"no step {number} (steps are 1 to {len(self.steps)})")

    def question(self, qid: str) -> Question | None:
        for step in self.steps:
            for question in step.questions:
                if question.id == qid:
                    return question
        return None


# --------------------------------------------------------------------------------------------------------------------
# Files


def shipped_content_dir() -> Path:
    """content/ of the source tree, or wizard403/_content inside an installed wheel."""
    package = Path(__file__).resolve().parent
    bundled = package / "_content"
    if bundled.is_dir():
        return bundled
    return package.parent / "content"


def _display(path: Path) -> str:
    """A file name for messages: `content/...` for shipped files, the path as given otherwise."""
    try:
        return "content/" + Path(path).resolve().relative_to(shipped_content_dir().resolve()).as_posix()
    except ValueError:
        return str(path)


def read_toml(path: Path) -> dict:
    """Parse one TOML file; any failure (missing, unreadable, not UTF-8, bad syntax) is one ContentError sentence."""
    name = _display(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ContentError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise ContentError(f"{name}: is a directory, not a TOML file") from None
    except OSError as err:
        raise ContentError(f"{name}: cannot be read ({err.strerror or err})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ContentError(f"{name}: not valid UTF-8 text (line {line})") from None
    try:
        return tomlcache.parsed(raw, lambda: tomllib.loads(text))
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        match = _TOML_POSITION.search(message)
        reason = message[: match.start()] if match else message
        reason = reason[:1].lower() + reason[1:]
        if match and match.group(2):
            where = f"line {match.group(2)}, column {match.group(3)}: "
        elif match:
            where = "end of file: "
        else:
            where = ""
        raise ContentError(f"{name}: not valid TOML ({where}{reason})") from None


# --------------------------------------------------------------------------------------------------------------------
# Field checks: each takes the file's display name and a key path, and returns the value or raises ContentError.


def _got(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'"{shown}"'
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__}"


def _fail(src: str, key: str, problem: str) -> ContentError:
    return ContentError(f"{src}: {key} {problem}")


def _text(src: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(src, key, f"must be a string (got {_got(value)})")
    if not value.strip():
        raise _fail(src, key, "must not be empty")
    return value.strip()


def _kebab(src: str, key: str, value: Any) -> str:
    text = _text(src, key, value)
    if not _KEBAB.match(text):
        raise _fail(src, key, f"must be kebab-case, lowercase letters, digits and dashes (got {_got(text)})")
    return text


def _one_of(src: str, key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise _fail(src, key, f"must be one of {', '.join(allowed)} (got {_got(value)})")
    return value


def _integer(src: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(src, key, f"must be a whole number (got {_got(value)})")
    return value


def _text_list(src: str, key: str, value: Any, *, allow_empty: bool = False, kebab: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _fail(src, key, f"must be an array of strings (got {_got(value)})")
    if not value and not allow_empty:
        raise _fail(src, key, "must not be empty")
    check = _kebab if kebab else _text
    items = tuple(check(src, f"{key}[{i}]", item) for i, item in enumerate(value, 1))
    seen: set[str] = set()
    for i, item in enumerate(items, 1):
        if item in seen:
            raise _fail(src, f"{key}[{i}]", f"repeats {_got(item)}")
        seen.add(item)
    return items


def _table(src: str, key: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise _fail(src, key, f"must be a table (got {_got(value)})")
    return value


def _table_list(src: str, key: str, value: Any) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _fail(src, key, f"must be an array of tables, written [[{key}]] (got {_got(value)})")
    return value


def _no_unknown_keys(src: str, prefix: str, table: dict, known: tuple[str, ...]) -> None:
    for key in table:
        if key not in known:
            where = f"{prefix}.{key}" if prefix else key
            raise _fail(src, where, f"is not a known key (expected {', '.join(known)})")


def _require(src: str, prefix: str, table: Mapping, keys: tuple[str, ...]) -> None:
    for key in keys:
        if key not in table:
            where = f"{prefix}.{key}" if prefix else key
            raise _fail(src, where, "is missing")


# --------------------------------------------------------------------------------------------------------------------
# Parsing one file into checked, possibly partial, plain dicts (an overlay may give only some keys).

_STEP_KEYS = ("number", "id", "title", "why", "what_to_do", "tip", "checks", "questions")
_STEP_REQUIRED = ("number", "id", "title", "why", "what_to_do", "tip")
_QUESTION_KEYS = ("id", "text", "kind", "choices", "help", "effects")
_QUESTION_REQUIRED = ("id", "text", "kind", "help")
_CAUSE_KEYS = ("title", "explanation", "layer", "prior", "tells_apart", "fixes")
_FIX_KEYS = ("text", "effort", "who")
_CHECK_KEYS = ("step", "title", "plain", "expert")
_FAQ_KEYS = ("question", "answer")


def _parse_effects(src: str, key: str, value: Any, answers: tuple[str, ...]) -> dict[str, dict[str, float]]:
    table = _table(src, key, value)
    effects: dict[str, dict[str, float]] = {}
    for answer, moves in table.items():
        where = f"{key}.{answer}"
        if answer not in answers:
            raise _fail(src, where, f"is not an answer to this question (answers: {', '.join(answers)})")
        moves = _table(src, where, moves)
        effects[answer] = {}
        for cause_id, weight in moves.items():
            cause_key = f"{where}.{cause_id}"
            if cause_id not in CAUSE_IDS:
                raise _fail(src, cause_key, f"is not a known cause id (known: {', '.join(CAUSE_IDS)})")
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or math.isnan(weight):
                raise _fail(src, cause_key, f"must be a number (got {_got(weight)})")
            if not -MAX_WEIGHT <= weight <= MAX_WEIGHT:
                raise _fail(src, cause_key, f"must be between -{MAX_WEIGHT} and {MAX_WEIGHT} (got {weight!r})")
            effects[answer][cause_id] = float(weight)
    return effects


def _parse_question(src: str, key: str, raw: dict) -> dict:
    _no_unknown_keys(src, key, raw, _QUESTION_KEYS)
    _require(src, key, raw, _QUESTION_REQUIRED)
    question = {
        "id": _kebab(src, f"{key}.id", raw["id"]),
        "text": _text(src, f"{key}.text", raw["text"]),
        "kind": _one_of(src, f"{key}.kind", raw["kind"], QUESTION_KINDS),
        "help": _text(src, f"{key}.help", raw["help"]),
    }
    kind = question["kind"]
    if kind == "choice":
        _require(src, key, raw, ("choices",))
        question["choices"] = _text_list(src, f"{key}.choices", raw["choices"])
        if len(question["choices"]) < 2:
            raise _fail(src, f"{key}.choices", "must offer at least two choices")
    elif "choices" in raw:
        raise _fail(src, f"{key}.choices", f'is only for kind = "choice" (this question is kind = "{kind}")')
    else:
        question["choices"] = ()
    if kind == "text":
        if raw.get("effects"):
            raise _fail(src, f"{key}.effects", 'must be empty for kind = "text" (free text has no fixed answers)')
        question["effects"] = {}
    else:
        _require(src, key, raw, ("effects",))
        answers = ANSWERS if kind == "yesno" else question["choices"]
        question["effects"] = _parse_effects(src, f"{key}.effects", raw["effects"], answers)
        if not any(question["effects"].values()):
            raise _fail(src, f"{key}.effects", "must move at least one cause for at least one answer")
    return question


def _parse_step(src: str, raw: dict, *, complete: bool) -> dict:
    """A step file's keys, checked; `complete` says every required key must be there (a new step)."""
    _no_unknown_keys(src, "", raw, _STEP_KEYS)
    _require(src, "", raw, ("number",))
    step: dict[str, Any] = {"number": _integer(src, "number", raw["number"])}
    if step["number"] < 1:
        raise _fail(src, "number", f"must be 1 or more (got {step['number']})")
    if complete:
        for key in _STEP_REQUIRED:
            if key not in raw:
                raise _fail(src, key, f"is missing (a new step {step['number']} needs {', '.join(_STEP_REQUIRED)})")
    for key in ("title", "why", "tip"):
        if key in raw:
            step[key] = _text(src, key, raw[key])
    if "id" in raw:
        step["id"] = _kebab(src, "id", raw["id"])
    if "what_to_do" in raw:
        step["what_to_do"] = _text_list(src, "what_to_do", raw["what_to_do"])
    if "checks" in raw:
        step["checks"] = _text_list(src, "checks", raw["checks"], allow_empty=True, kebab=True)
    questions = []
    seen: dict[str, str] = {}
    for i, item in enumerate(_table_list(src, "questions", raw.get("questions", [])), 1):
        question = _parse_question(src, f"questions[{i}]", item)
        if question["id"] in seen:
            qid = question["id"]
            raise _fail(src, f"questions[{i}].id", f'repeats "{qid}", already used by {seen[qid]}')
        seen[question["id"]] = f"questions[{i}]"
        questions.append(question)
    step["questions"] = questions
    return step


def _parse_fixes(src: str, key: str, value: Any) -> tuple[FixInfo, ...]:
    items = _table_list(src, key, value)
    if not items:
        raise _fail(src, key, "must list at least one fix")
    fixes = []
    for i, raw in enumerate(items, 1):
        where = f"{key}[{i}]"
        _no_unknown_keys(src, where, raw, _FIX_KEYS)
        _require(src, where, raw, _FIX_KEYS)
        fixes.append(
            FixInfo(
                text=_text(src, f"{where}.text", raw["text"]),
                effort=_one_of(src, f"{where}.effort", raw["effort"], EFFORTS),
                who=_one_of(src, f"{where}.who", raw["who"], WHO),
            )
        )
    return tuple(fixes)


def _parse_causes(src: str, data: dict) -> dict[str, dict]:
    causes: dict[str, dict] = {}
    for cause_id, raw in data.items():
        prefix = f"[{cause_id}]"
        if cause_id not in CAUSE_IDS:
            raise _fail(src, prefix, f"is not a known cause id (known: {', '.join(CAUSE_IDS)})")
        raw = _table(src, prefix, raw)
        _no_unknown_keys(src, prefix, raw, _CAUSE_KEYS)
        cause: dict[str, Any] = {}
        for key in ("title", "explanation", "tells_apart"):
            if key in raw:
                cause[key] = _text(src, f"{prefix}.{key}", raw[key])
        if "layer" in raw:
            cause["layer"] = _one_of(src, f"{prefix}.layer", raw["layer"], LAYERS)
        if "prior" in raw:
            cause["prior"] = _one_of(src, f"{prefix}.prior", raw["prior"], tuple(PRIORS))
        if "fixes" in raw:
            cause["fixes"] = _parse_fixes(src, f"{prefix}.fixes", raw["fixes"])
        causes[cause_id] = cause
    return causes


def _parse_checks(src: str, data: dict) -> dict[str, dict]:
    checks: dict[str, dict] = {}
    for check_id, raw in data.items():
        prefix = f"[{check_id}]"
        if not _KEBAB.match(check_id):
            raise _fail(src, prefix, "is not a kebab-case check id")
        raw = _table(src, prefix, raw)
        _no_unknown_keys(src, prefix, raw, _CHECK_KEYS)
        check: dict[str, Any] = {}
        if "step" in raw:
            check["step"] = _integer(src, f"{prefix}.step", raw["step"])
        for key in ("title", "plain", "expert"):
            if key in raw:
                check[key] = _text(src, f"{prefix}.{key}", raw[key])
        checks[check_id] = check
    return checks


def _parse_faq(src: str, data: dict) -> list[FaqItem]:
    _no_unknown_keys(src, "", data, ("faq",))
    items = []
    for i, raw in enumerate(_table_list(src, "faq", data.get("faq", [])), 1):
        where = f"faq[{i}]"
        _no_unknown_keys(src, where, raw, _FAQ_KEYS)
        _require(src, where, raw, _FAQ_KEYS)
        question = _text(src, f"{where}.question", raw["question"])
        items.append(FaqItem(question, _text(src, f"{where}.answer", raw["answer"])))
    return items


# --------------------------------------------------------------------------------------------------------------------
# Merging the shipped dir and the overlay, then checking the whole.


@dataclass
class _Draft:
    """Merged but not yet final: values plus which file last set each key, for messages about the whole."""

    steps: dict[int, dict] = field(default_factory=dict)
    step_origin: dict[int, dict[str, str]] = field(default_factory=dict)
    step_file: dict[int, str] = field(default_factory=dict)  # the file that introduced each step
    question_origin: dict[str, str] = field(default_factory=dict)
    causes: dict[str, dict] = field(default_factory=dict)
    cause_origin: dict[str, str] = field(default_factory=dict)
    checks: dict[str, dict] = field(default_factory=dict)
    check_origin: dict[str, str] = field(default_factory=dict)
    faq: list[FaqItem] = field(default_factory=list)


def _merge_dir(draft: _Draft, directory: Path, *, overlay: bool) -> None:
    steps_dir = directory / "steps"
    step_files = sorted(steps_dir.glob("*.toml")) if steps_dir.is_dir() else []
    numbers_here: dict[int, str] = {}
    for path in step_files:
        src = _display(path)
        data = read_toml(path)
        number = data.get("number")
        existing = draft.steps.get(number) if isinstance(number, int) and not isinstance(number, bool) else None
        step = _parse_step(src, data, complete=existing is None)
        number = step["number"]
        if number in numbers_here:
            raise _fail(src, "number", f"{number} is already used by {numbers_here[number]}")
        numbers_here[number] = src
        _merge_step(draft, src, step)
    if (directory / "causes.toml").exists() or not overlay:
        path = directory / "causes.toml"
        src = _display(path)
        for cause_id, cause in _parse_causes(src, read_toml(path)).items():
            draft.causes.setdefault(cause_id, {}).update(cause)
            draft.cause_origin.setdefault(cause_id, src)
    if (directory / "checks.toml").exists() or not overlay:
        path = directory / "checks.toml"
        src = _display(path)
        for check_id, check in _parse_checks(src, read_toml(path)).items():
            draft.checks.setdefault(check_id, {}).update(check)
            draft.check_origin.setdefault(check_id, src)
    if (directory / "faq.toml").exists() or not overlay:
        path = directory / "faq.toml"
        draft.faq.extend(_parse_faq(_display(path), read_toml(path)))


def _merge_step(draft: _Draft, src: str, step: dict) -> None:
    number = step["number"]
    current = draft.steps.get(number)
    if current is None:
        current = draft.steps[number] = {"number": number, "checks": (), "questions": []}
        draft.step_origin[number] = {}
        draft.step_file[number] = src
    origin = draft.step_origin[number]
    if "id" in step and "id" in current and step["id"] != current["id"]:
        raise _fail(src, "id", f'must stay "{current["id"]}" for step {number} (got "{step["id"]}")')
    for key, value in step.items():
        if key in ("number", "questions"):
            continue
        current[key] = value
        origin[key] = src
    for question in step["questions"]:
        qid = question["id"]
        owner = next((n for n, other in draft.steps.items() if any(q["id"] == qid for q in other["questions"])), None)
        if owner is not None and owner != number:
            raise _fail(
                src,
                f'question "{qid}"',
                f"is already used in step {owner} ({draft.question_origin[qid]}); "
                "question ids must be unique across steps",
            )
        if owner is None:
            current["questions"].append(question)
        else:  # the same id in the same step: the overlay's version replaces ours, in place
            current["questions"] = [question if q["id"] == qid else q for q in current["questions"]]
        draft.question_origin[qid] = src


def _finish(draft: _Draft, dirs: tuple[Path, ...]) -> Content:
    shipped = dirs[0]
    count = len(draft.steps)
    for number in sorted(draft.steps):
        if not 1 <= number <= count:
            src = draft.step_file[number]
            raise _fail(src, "number", f"must be between 1 and {count}, steps are numbered without gaps (got {number})")

    causes: dict[str, CauseInfo] = {}
    for cause_id in CAUSE_IDS:
        if cause_id not in draft.causes:
            src = _display(shipped / "causes.toml")
            raise ContentError(f"{src}: [{cause_id}] is missing (every cause id needs a table)")
        cause = draft.causes[cause_id]
        _require(draft.cause_origin[cause_id], f"[{cause_id}]", cause, _CAUSE_KEYS)
        causes[cause_id] = CauseInfo(
            id=cause_id,
            title=cause["title"],
            explanation=cause["explanation"],
            layer=cause["layer"],
            prior_label=cause["prior"],
            prior=PRIORS[cause["prior"]],
            tells_apart=cause["tells_apart"],
            fixes=cause["fixes"],
        )

    checks: dict[str, CheckInfo] = {}
    for check_id, check in draft.checks.items():
        src = draft.check_origin[check_id]
        _require(src, f"[{check_id}]", check, _CHECK_KEYS)
        if not 1 <= check["step"] <= count:
            raise _fail(src, f"[{check_id}].step", f"must be between 1 and {count} (got {check['step']})")
        checks[check_id] = CheckInfo(check_id, check["step"], check["title"], check["plain"], check["expert"])

    steps = []
    for number in sorted(draft.steps):
        raw, origin = draft.steps[number], draft.step_origin[number]
        src = draft.step_file[number]
        _require(src, "", raw, _STEP_REQUIRED)
        for i, check_id in enumerate(raw["checks"], 1):
            where = origin.get("checks", src)
            if check_id not in checks:
                raise _fail(where, f"checks[{i}]", f'names "{check_id}", which is not in checks.toml')
            if checks[check_id].step != number:
                raise _fail(
                    where, f"checks[{i}]", f'names "{check_id}", which checks.toml puts in step {checks[check_id].step}'
                )
        questions = tuple(
            Question(
                id=q["id"],
                step=number,
                text=q["text"],
                kind=q["kind"],
                choices=q["choices"],
                help=q["help"],
                effects=MappingProxyType({a: MappingProxyType(dict(m)) for a, m in q["effects"].items()}),
            )
            for q in raw["questions"]
        )
        steps.append(
            Step(
                number=number,
                id=raw["id"],
                title=raw["title"],
                why=raw["why"],
                what_to_do=raw["what_to_do"],
                tip=raw["tip"],
                checks=raw["checks"],
                questions=questions,
            )
        )
    ids = [step.id for step in steps]
    for step in steps:
        if ids.count(step.id) > 1:
            raise _fail(draft.step_origin[step.number]["id"], "id", f'"{step.id}" is used by more than one step')

    return Content(
        steps=tuple(steps),
        causes=MappingProxyType(causes),
        checks=MappingProxyType(checks),
        faq=tuple(draft.faq),
        dirs=dirs,
    )


def load_content_from(base: Path, overlay: Path | str | None = None) -> Content:
    """Load `base` (a directory shaped like content/) with an optional overlay on top; not cached."""
    dirs = [Path(base)]
    if overlay is not None:
        overlay = Path(overlay).expanduser()
        if not overlay.exists():
            raise ContentError(f"content overlay {overlay}: no such directory")
        if not overlay.is_dir():
            raise ContentError(f"content overlay {overlay}: is a file, expected a directory")
        dirs.append(overlay)
    draft = _Draft()
    _merge_dir(draft, dirs[0], overlay=False)
    if len(dirs) > 1:
        _merge_dir(draft, dirs[1], overlay=True)
    return _finish(draft, tuple(dirs))


@functools.lru_cache(maxsize=8)
def _load_cached(overlay: str | None) -> Content:
    return load_content_from(shipped_content_dir(), overlay)


def load_content(overlay: Path | str | None = None) -> Content:
    """The shipped content with an organisation's overlay dir on top (`--content DIR`); cached per overlay path."""
    key = None if overlay is None else str(Path(overlay).expanduser().resolve())
    return _load_cached(key)


load_content.cache_clear = _load_cached.cache_clear  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------------------------------
# Secret names (content/secrets.toml): which headers, query parameters, body fields and path shapes carry secrets.

SECRETS_FILE = "secrets.toml"
_SECRET_SECTIONS = {"headers": ("exact", "contains", "not", "urls"), "query": ("exact", "contains", "not"), "fields": ("exact", "contains", "not")}
_PATH_KEYS = ("id", "regex", "example")


def secret_name_key(name: str) -> str:
    """A name as the lists compare it: lower case, no separators (`X-Api-Key`, `x_api_key`, `apiKey` are one)."""
    return re.sub(r"[-_.\s]", "", name.lower())


@dataclass(frozen=True)
class SecretPath:
    id: str
    regex: re.Pattern
    example: str


@dataclass(frozen=True)
class SecretNames:
    """The name lists of secrets.toml, normalised with `secret_name_key` (fragments too)."""

    lists: Mapping[str, frozenset[str]] = field(hash=False)  # "headers.exact" -> {"xapikey", ...}
    paths: tuple[SecretPath, ...]
    files: tuple[str, ...]

    def get(self, key: str) -> frozenset[str]:
        return self.lists.get(key, frozenset())


def _parse_secret_names(src: str, data: dict, lists: dict[str, set[str]], paths: list[SecretPath]) -> None:
    _no_unknown_keys(src, "", data, tuple(_SECRET_SECTIONS) + ("paths",))
    for section, keys in _SECRET_SECTIONS.items():
        if section not in data:
            continue
        table = _table(src, f"[{section}]", data[section])
        _no_unknown_keys(src, f"[{section}]", table, keys)
        for key in keys:
            if key in table:
                names = _text_list(src, f"[{section}].{key}", table[key])
                for i, name in enumerate(names, 1):
                    if not secret_name_key(name):
                        raise _fail(src, f"[{section}].{key}[{i}]", "must hold a letter or digit")
                lists.setdefault(f"{section}.{key}", set()).update(secret_name_key(n) for n in names)
    seen = {p.id for p in paths}
    for i, raw in enumerate(_table_list(src, "paths", data.get("paths", [])), 1):
        where = f"paths[{i}]"
        _no_unknown_keys(src, where, raw, _PATH_KEYS)
        _require(src, where, raw, _PATH_KEYS)
        pid = _kebab(src, f"{where}.id", raw["id"])
        if pid in seen:
            raise _fail(src, f"{where}.id", f'"{pid}" is used by more than one path pattern')
        seen.add(pid)
        text = _text(src, f"{where}.regex", raw["regex"])
        try:
            regex = re.compile(text)
        except re.error as err:
            raise _fail(src, f"{where}.regex", f"is not a valid regular expression ({err})") from None
        if "secret" not in regex.groupindex:
            raise _fail(src, f"{where}.regex", "must mark the secret with a group named secret: (?P<secret>...)")
        example = _text(src, f"{where}.example", raw["example"])
        if not regex.search(example):
            raise _fail(src, f"{where}.example", "is not matched by the regex")
        paths.append(SecretPath(pid, regex, example))


def load_secret_names(overlay: Path | str | None = None, base: Path | None = None) -> SecretNames:
    """secrets.toml of the shipped content, plus the overlay's secrets.toml if it has one (names are only added)."""
    dirs = [Path(base) if base is not None else shipped_content_dir()]
    if overlay is not None:
        dirs.append(Path(overlay).expanduser())
    lists: dict[str, set[str]] = {}
    paths: list[SecretPath] = []
    files: list[str] = []
    for i, directory in enumerate(dirs):
        path = directory / SECRETS_FILE
        if i > 0 and not path.exists():
            continue
        src = _display(path)
        _parse_secret_names(src, read_toml(path), lists, paths)
        files.append(src)
    return SecretNames(
        lists=MappingProxyType({k: frozenset(v) for k, v in lists.items()}), paths=tuple(paths), files=tuple(files)
    )
