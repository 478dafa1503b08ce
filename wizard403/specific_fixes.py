"""From the parsed denial to the exact grant, and the commands that verify it: content/fixes/, filled in.

The diagnosis reads denials precisely (AWS names the principal, the action and the resource; Kubernetes the user,
the verb and the namespace; GitHub the scope it wanted and the ones the token has). This module turns those facts
into a fix that names them ("Grant arn:… s3:GetObject on arn:…") and the commands an admin trusts for exactly this
(the IAM policy simulator, kubectl auth can-i, the GCP Policy Troubleshooter, az role assignment list), with every
value quoted for its language. A template is used only when all its facts are known; otherwise the generic fix
of content/causes.toml stays first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from wizard403.content import read_toml
from wizard403.errors import ContentError
from wizard403.model import EFFORTS, WHO, Command, Exchange, Fix, Session
from wizard403.quoting import fill, placeholders

if TYPE_CHECKING:
    from wizard403.content import Content
    from wizard403.diagnose.signatures import Hit

FIX_KEYS = ("id", "cause", "source", "when", "unless", "text", "effort", "who")
COMMAND_KEYS = ("id", "cause", "source", "when", "unless", "purpose", "tool", "language", "who", "why", "text")
COMMAND_LANGUAGES = ("shell", "json", "yaml", "text")
PURPOSES = ("verify", "grant", "inspect")
EMPTY_IS_A_VALUE = frozenset({"api_group", "subject_api_group"})
FACTS = frozenset({
    "principal", "principal_arn", "principal_email", "account_id", "action", "resource", "namespace", "verb",
    "k8s_resource", "k8s_resource_name", "api_group", "subject_kind", "subject_name", "subject_namespace", "subject_api_group",
    "missing_scope", "granted_scopes", "missing_permission", "error_code", "owner", "repo", "owner_repo",
    "storage_account", "container", "sas_permissions", "bucket", "bucket_name", "gcs_resource", "gcp_resource_name",
    "host", "path", "fs_path", "policy_layer", "missing_scope_choice",
})


@dataclass(frozen=True)
class FixTemplate:
    id: str
    cause: str
    source: re.Pattern[str] | None
    text: str
    effort: str
    who: str
    when: tuple[tuple[str, re.Pattern[str]], ...] = ()  # facts that must match (e.g. policy_layer ~ explicit deny)
    unless: tuple[tuple[str, re.Pattern[str]], ...] = ()  # facts that must not


@dataclass(frozen=True)
class CommandTemplate:
    id: str
    cause: str
    source: re.Pattern[str] | None
    purpose: str
    tool: str
    language: str
    who: str
    why: str
    text: str
    when: tuple[tuple[str, re.Pattern[str]], ...] = ()
    unless: tuple[tuple[str, re.Pattern[str]], ...] = ()


# ---------------------------------------------------------------------------------------------------- loading


def _fail(src: str, key: str, problem: str) -> ContentError:
    return ContentError(f"{src}: {key} {problem}")


def _strings(src: str, key: str, raw: dict, names: tuple[str, ...], known: tuple[str, ...]) -> None:
    for name in raw:
        if name not in known:
            raise _fail(src, f"{key}.{name}", f"is not a known key (known: {', '.join(known)})")
    for name in names:
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise _fail(src, f"{key}.{name}", "must be a non-empty string")


def _source(src: str, key: str, raw: dict) -> re.Pattern[str] | None:
    if "source" not in raw:
        return None
    try:
        return re.compile(str(raw["source"]))
    except re.error as err:
        raise _fail(src, f"{key}.source", f"is not a valid regular expression ({err})") from None


def _conditions(src: str, key: str, raw: dict, name: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    table = raw.get(name, {})
    if not isinstance(table, dict):
        raise _fail(src, f"{key}.{name}", "must be a table of fact = 'regex'")
    out = []
    for fact, pattern in table.items():
        if fact not in FACTS:
            raise _fail(src, f"{key}.{name}.{fact}", "is not a known fact")
        try:
            out.append((fact, re.compile(str(pattern), re.I)))
        except re.error as err:
            raise _fail(src, f"{key}.{name}.{fact}", f"is not a valid regular expression ({err})") from None
    return tuple(out)


def _check_placeholders(src: str, key: str, text: str) -> None:
    for name in placeholders(text):
        if name not in FACTS:
            raise _fail(src, key, f"uses the unknown fact {{{{{name}}}}} (known: {', '.join(sorted(FACTS))})")


def _parse(src: str, data: dict, causes: set[str]) -> tuple[list[FixTemplate], list[CommandTemplate]]:
    unknown = set(data) - {"fix", "command"}
    if unknown:
        raise _fail(src, sorted(unknown)[0], "is not a known key (only [[fix]] and [[command]] tables belong here)")
    fixes, commands = [], []
    for n, raw in enumerate(data.get("fix", []), 1):
        key = f"fix[{n}]"
        if not isinstance(raw, dict):
            raise _fail(src, key, "must be a table")
        _strings(src, key, raw, ("id", "cause", "text", "effort", "who"), FIX_KEYS)
        if raw["cause"] not in causes:
            raise _fail(src, f"{key}.cause", f"'{raw['cause']}' is not a cause id")
        if raw["effort"] not in EFFORTS:
            raise _fail(src, f"{key}.effort", f"must be one of: {', '.join(EFFORTS)}")
        if raw["who"] not in WHO:
            raise _fail(src, f"{key}.who", f"must be one of: {', '.join(WHO)}")
        _check_placeholders(src, f"{key}.text", raw["text"])
        fixes.append(FixTemplate(raw["id"], raw["cause"], _source(src, key, raw), raw["text"].strip(), raw["effort"],
                                 raw["who"], _conditions(src, key, raw, "when"), _conditions(src, key, raw, "unless")))
    for n, raw in enumerate(data.get("command", []), 1):
        key = f"command[{n}]"
        if not isinstance(raw, dict):
            raise _fail(src, key, "must be a table")
        _strings(src, key, raw, ("id", "cause", "purpose", "tool", "language", "who", "why", "text"), COMMAND_KEYS)
        if raw["cause"] not in causes:
            raise _fail(src, f"{key}.cause", f"'{raw['cause']}' is not a cause id")
        if raw["purpose"] not in PURPOSES:
            raise _fail(src, f"{key}.purpose", f"must be one of: {', '.join(PURPOSES)}")
        if raw["language"] not in COMMAND_LANGUAGES:
            raise _fail(src, f"{key}.language", f"must be one of: {', '.join(COMMAND_LANGUAGES)}")
        if raw["who"] not in WHO:
            raise _fail(src, f"{key}.who", f"must be one of: {', '.join(WHO)}")
        for part in ("text", "why", "tool"):
            _check_placeholders(src, f"{key}.{part}", raw[part])
        commands.append(CommandTemplate(raw["id"], raw["cause"], _source(src, key, raw), raw["purpose"],
                                        raw["tool"].strip(), raw["language"], raw["who"], raw["why"].strip(),
                                        raw["text"].strip("\n"), _conditions(src, key, raw, "when"),
                                        _conditions(src, key, raw, "unless")))
    return fixes, commands


_CACHE: dict[tuple[Path, ...], tuple[tuple[FixTemplate, ...], tuple[CommandTemplate, ...]]] = {}


def load_fix_templates(content: Content) -> tuple[tuple[FixTemplate, ...], tuple[CommandTemplate, ...]]:
    """Every fix and command template of the shipped content and the overlay (a shipped id is replaced)."""
    dirs = tuple(content.dirs)
    if dirs in _CACHE:
        return _CACHE[dirs]
    fixes: dict[str, FixTemplate] = {}
    commands: dict[str, CommandTemplate] = {}
    causes = set(content.causes)
    for directory in dirs:
        for path in sorted((Path(directory) / "fixes").glob("*.toml")):
            file_fixes, file_commands = _parse(str(path), read_toml(path), causes)
            fixes.update((f.id, f) for f in file_fixes)
            commands.update((c.id, c) for c in file_commands)
    _CACHE[dirs] = (tuple(fixes.values()), tuple(commands.values()))
    return _CACHE[dirs]


# ---------------------------------------------------------------------------------------------------- facts


def _aws_facts(facts: dict[str, str]) -> None:
    principal = facts.get("principal", "")
    assumed = re.match(r"^arn:(aws[\w-]*):sts::(\d{12}):assumed-role/([^/]+)/", principal)
    if assumed:
        facts["principal_arn"] = f"arn:{assumed.group(1)}:iam::{assumed.group(2)}:role/{assumed.group(3)}"
    elif principal.startswith("arn:"):
        facts["principal_arn"] = principal
    account = re.match(r"^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):", principal)
    if account:
        facts["account_id"] = account.group(1)
    resource = facts.get("resource", "")
    if resource:
        facts["resource"] = resource.strip('"\'')


def _k8s_facts(facts: dict[str, str]) -> None:
    principal, resource = facts.get("principal", ""), facts.get("resource", "")
    if facts.get("action"):
        facts["verb"] = facts["action"]
    if resource:
        name, _, group = resource.partition(".")
        facts["k8s_resource"] = resource
        facts["k8s_resource_name"] = name
        facts["api_group"] = group
    account = re.match(r"^system:serviceaccount:([^:]+):(.+)$", principal)
    if account:
        facts.update(subject_kind="ServiceAccount", subject_namespace=account.group(1), subject_name=account.group(2),
                     subject_api_group="")
    elif principal:
        facts.update(subject_kind="User", subject_name=principal, subject_api_group="rbac.authorization.k8s.io")


def _scope_facts(facts: dict[str, str]) -> None:
    """GitHub lists the scopes an endpoint accepts; any one of them is enough, so the fix asks for the narrowest."""
    scopes = [s.strip() for s in facts.get("missing_scope", "").split(",") if s.strip()]
    if len(scopes) > 1:
        facts["missing_scope"] = " or ".join(scopes)
    if scopes:
        rank = lambda s: (0 if s.startswith("read:") else 1 if s.startswith("write:") else 2, len(s))  # noqa: E731
        facts["missing_scope_choice"] = min(scopes, key=rank)


def _url_facts(facts: dict[str, str], url: str) -> None:
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path or "/"
    facts.setdefault("host", host)
    facts.setdefault("path", path)
    segments = [s for s in path.split("/") if s]
    if host == "api.github.com" and len(segments) >= 3 and segments[0] == "repos":
        facts.update(owner=segments[1], repo=segments[2])
    elif host == "github.com" and len(segments) >= 2:
        facts.update(owner=segments[0], repo=segments[1].removesuffix(".git"))
    if facts.get("owner") and facts.get("repo"):
        facts["owner_repo"] = f"{facts['owner']}/{facts['repo']}"
    storage = re.match(r"^([a-z0-9]{3,24})\.(?:blob|dfs|file|queue|table)\.core\.windows\.net$", host)
    if storage:
        facts["storage_account"] = storage.group(1)
        if segments:
            facts["container"] = segments[0]
        sp = dict(parse_qsl(parts.query)).get("sp")
        if sp:
            facts["sas_permissions"] = sp
    bucket = None
    if host == "storage.googleapis.com" and segments:
        json_api = next((i for i in range(len(segments) - 1) if segments[i] == "b" and i >= 2), None)
        bucket = segments[json_api + 1] if json_api is not None else segments[0]
    elif host.endswith(".storage.googleapis.com"):
        bucket = host.removesuffix(".storage.googleapis.com")
    if bucket:
        facts.update(bucket=bucket, bucket_name=bucket, gcs_resource=f"//storage.googleapis.com/projects/_/buckets/{bucket}",
                     gcp_resource_name=f"the bucket {bucket}")


def session_facts(session: Session, primary: Exchange | None = None, hits: list[Hit] = ()) -> dict[str, str]:
    """What the diagnosis extracted about this refusal (signature fields, the denial's own reading, the
    denial-message check), plus what the URL and the server's log say."""
    from wizard403.checks.denials import read_denial

    facts: dict[str, str] = {}
    for hit in hits:
        for name, value in hit.extracted.items():
            if value:
                facts.setdefault(name, value)
    denial = read_denial(primary) if primary is not None else None
    if denial is not None:
        facts.update({k: v for k, v in denial.fields.items() if isinstance(v, str) and v})
        facts["source"] = denial.vendor or ""
    checked = next((c for c in session.checks if c.id == "denial-message"), None)
    if checked is not None:
        for name, value in checked.evidence.items():
            if isinstance(value, str) and value:
                facts[name] = value
    facts["source"] = facts.get("source", "")
    _url_facts(facts, session.target.url)
    if facts["source"].startswith("AWS"):
        _aws_facts(facts)
    if facts["source"] == "Kubernetes":
        _k8s_facts(facts)
    if facts["source"] == "GitHub":
        _scope_facts(facts)
    if facts["source"].startswith("Google") and facts.get("principal"):
        email = facts["principal"].split(":", 1)[-1]
        if "@" in email:
            facts["principal_email"] = email
    logscan = next((c for c in session.checks if c.id == "log-scan"), None)
    if logscan is not None:
        for line in logscan.evidence.get("lines", []) or []:
            found = re.search(r'"(/[^"]+)" failed \(13: Permission denied\)|\(13\)Permission denied: [^:]*: access to \S+ denied \(filesystem path \'([^\']+)\'', str(line))
            if found:
                facts["fs_path"] = found.group(1) or found.group(2)
                break
    server = next((ex.response_headers.get("server") for ex in session.exchanges if ex.response_headers.get("server")), "")
    if not facts["source"] and server:
        facts["source"] = server
    # an empty API group is a real value (the core group), every other empty fact is unknown
    return {k: v for k, v in facts.items() if v or k in EMPTY_IS_A_VALUE}


# ---------------------------------------------------------------------------------------------------- filling


def _applies(template: FixTemplate | CommandTemplate, facts: dict[str, str]) -> bool:
    if template.source is not None and not template.source.search(facts.get("source", "")):
        return False
    if not all(pattern.search(facts.get(fact, "")) for fact, pattern in template.when):
        return False
    return not any(pattern.search(facts.get(fact, "")) for fact, pattern in template.unless)


def _text(template_text: str, facts: dict[str, str]) -> str | None:
    return fill(template_text, "text", facts)


def specific_fixes(cause_id: str, facts: dict[str, str], templates: tuple[FixTemplate, ...]) -> list[Fix]:
    """The first fix template of this cause whose facts are all known, filled (one specific fix, or none)."""
    for template in templates:
        if template.cause == cause_id and _applies(template, facts):
            text = _text(template.text, facts)
            if text is not None:
                return [Fix(text, template.effort, template.who)]
    return []


def specific_commands(cause_id: str, facts: dict[str, str], templates: tuple[CommandTemplate, ...]) -> list[Command]:
    """Every command template of this cause whose facts are all known, filled, verify first; one per purpose+tool."""
    out: list[Command] = []
    seen: set[tuple[str, str]] = set()
    for template in sorted((t for t in templates if t.cause == cause_id), key=lambda t: PURPOSES.index(t.purpose)):
        if not _applies(template, facts):
            continue
        text = fill(template.text, template.language, facts)
        why = _text(template.why, facts)
        tool = _text(template.tool, facts)
        if text is None or why is None or tool is None:
            continue
        if (template.purpose, template.tool) in seen:
            continue  # the cluster-wide variant when the namespaced one already applies, and the like
        seen.add((template.purpose, template.tool))
        out.append(Command(tool, template.language, text, why, template.who, template.purpose))
    return out


def attach_specific_fixes(session: Session, content: Content, primary: Exchange | None = None,
                          hits: list[Hit] = ()) -> None:
    """Put the specific fix first and the commands on every ranked cause that has templates (after diagnose)."""
    fix_templates, command_templates = load_fix_templates(content)
    facts = session_facts(session, primary, hits)
    for cause in session.causes:
        fixes = specific_fixes(cause.id, facts, fix_templates)
        if fixes and all(f.text != fixes[0].text for f in cause.fixes):
            cause.fixes = fixes + list(cause.fixes)
        cause.commands = specific_commands(cause.id, facts, command_templates)

