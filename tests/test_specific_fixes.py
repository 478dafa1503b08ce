"""Specific fixes: from the parsed denial to the exact grant, and the commands that verify it.

For AWS IAM, Kubernetes RBAC, GitHub scopes and Azure Storage refusals, the first fix names the principal, the action
or scope and the resource, and the cause carries a verifying command filled with them. Every command parses in its
language, and a hostile value from the response (quotes, `$(...)`, backticks, newlines) arrives inert.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import tomllib
import yaml

from tests.inert import check_shell
from wizard403.content import load_content_from, shipped_content_dir
from wizard403.diagnose import analyse_exchange
from wizard403.errors import ContentError
from wizard403.model import Exchange, Headers, Target
from wizard403.report import render
from wizard403.report.tree import session_from_tree
from wizard403.specific_fixes import load_fix_templates


def refusal(url: str, body: str, headers: list[tuple[str, str]], content_type: str = "application/json") -> Exchange:
    return Exchange(check="recorded", method="GET", url=url, status=403, reason="Forbidden",
                    response_headers=Headers([("Content-Type", content_type)] + headers), body=body.encode())


def aws(principal: str = "arn:aws:sts::210987654321:assumed-role/report-builder/worker-7") -> Exchange:
    body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>User: {principal} is not '
            'authorized to perform: s3:GetObject on resource: "arn:aws:s3:::acme-reports/q3.pdf" because no '
            'identity-based policy allows the s3:GetObject action</Message><RequestId>7QK2M4N8R1T5V9XB</RequestId>'
            '</Error>')
    return refusal("https://acme-reports.s3.eu-west-1.amazonaws.com/q3.pdf", body,
                   [("Server", "AmazonS3"), ("x-amz-request-id", "7QK2M4N8R1T5V9XB")], "application/xml")


def k8s(principal: str = "system:serviceaccount:ci:deployer") -> Exchange:
    message = (f'deployments.apps is forbidden: User "{principal}" cannot list resource "deployments" in API group '
               '"apps" in the namespace "payments"')
    body = json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                       "reason": "Forbidden", "details": {"group": "apps", "kind": "deployments"}, "code": 403})
    return refusal("https://k8s.example:6443/apis/apps/v1/namespaces/payments/deployments", body,
                   [("Audit-Id", "1f5c6f0e-1111-4d1e-9a57-2b9c1a3d6e7f")])


def github() -> Exchange:
    body = json.dumps({"message": "Must have admin rights to Repository.",
                       "documentation_url": "https://docs.github.com/rest/repos/webhooks"})
    return refusal("https://api.github.com/repos/acme/widgets/hooks", body,
                   [("X-OAuth-Scopes", "public_repo, read:user"), ("X-Accepted-OAuth-Scopes", "admin:repo_hook"),
                    ("X-GitHub-Request-Id", "C0DE:1234:ABCD:5678:65F0A1B2"), ("Server", "GitHub.com")])


def azure() -> Exchange:
    body = ('\ufeff<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This '
            'request is not authorized to perform this operation using this permission.\nRequestId:0e2d1c9a-201e-0035-'
            '6a1b-0c5e8a000000\nTime:2026-11-22T09:15:30.0000000Z</Message></Error>')
    return refusal("https://contosodata.blob.core.windows.net/reports/2026/q3.xlsx", body,
                   [("x-ms-error-code", "AuthorizationPermissionMismatch"), ("Server", "Windows-Azure-Blob/1.0"),
                    ("x-ms-request-id", "0e2d1c9a-201e-0035-6a1b-0c5e8a000000")], "application/xml")


def top(ex: Exchange):
    session = analyse_exchange(ex, Target(url=ex.url))
    return session, session.causes[0]


def test_aws_iam_fix_names_role_action_and_resource_and_simulates_them():
    _, cause = top(aws())
    assert cause.id == "permissions"
    first = cause.fixes[0].text
    for part in ("arn:aws:iam::210987654321:role/report-builder", "s3:GetObject", "arn:aws:s3:::acme-reports/q3.pdf"):
        assert part in first
    verify = next(c for c in cause.commands if c.purpose == "verify")
    assert verify.text.startswith("aws iam simulate-principal-policy")
    assert "arn:aws:iam::210987654321:role/report-builder" in verify.text and "s3:GetObject" in verify.text
    policy = json.loads(next(c for c in cause.commands if c.language == "json").text)
    assert policy["Statement"][0] == {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-reports/q3.pdf"}
    assert cause.commands[0].purpose == "verify"


def test_kubernetes_fix_names_subject_verb_resource_namespace_and_can_i_checks_it():
    _, cause = top(k8s())
    first = cause.fixes[0].text
    for part in ("system:serviceaccount:ci:deployer", "list", "deployments", "payments"):
        assert part in first
    verify = next(c for c in cause.commands if c.purpose == "verify")
    assert verify.text == ("kubectl auth can-i list deployments.apps --namespace payments "
                           "--as system:serviceaccount:ci:deployer")
    role, binding = list(yaml.safe_load_all(next(c for c in cause.commands if c.language == "yaml").text))
    assert role["rules"] == [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["list"]}]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "deployer", "apiGroup": ""}]
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == "payments"


def test_github_fix_names_the_missing_scope_and_the_refresh_adds_it():
    _, cause = top(github())
    assert cause.id == "permissions"
    assert "admin:repo_hook" in cause.fixes[0].text and "public_repo, read:user" in cause.fixes[0].text
    assert any(c.text == "gh auth refresh --hostname github.com --scopes admin:repo_hook" for c in cause.commands)
    verify = next(c for c in cause.commands if c.purpose == "verify")
    assert "admin:repo_hook" in verify.why
    assert any("repos/acme/widgets" in c.text for c in cause.commands)


def test_azure_storage_fix_names_account_and_container_and_lists_roles():
    _, cause = top(azure())
    first = cause.fixes[0].text
    assert "contosodata" in first and "reports" in first and "Storage Blob Data Reader" in first
    verify = next(c for c in cause.commands if c.purpose == "verify")
    assert verify.text.startswith("az role assignment list")
    assert any("--name contosodata" in c.text for c in cause.commands)


def test_without_the_facts_the_generic_fix_stays_first():
    plain = refusal("https://app.example.com/reports", json.dumps({"message": "Forbidden"}), [])
    _, cause = top(plain)
    content = load_content_from(shipped_content_dir())
    assert cause.fixes[0].text == content.causes[cause.id].fixes[0].text
    assert cause.commands == []


HOSTILE_PRINCIPALS = [
    "arn:aws:iam::123456789012:user/x$(touch${IFS}PWNED)`touch${IFS}PWNED2`';|&",
]
HOSTILE_K8S = ["a'b$(touch PWNED) `touch PWNED2` ;| x", "eve\nnewline"]


@pytest.mark.parametrize("principal", HOSTILE_PRINCIPALS)
def test_a_hostile_aws_principal_arrives_inert(principal, tmp_path):
    _, cause = top(aws(principal))
    shell = [c for c in cause.commands if c.language == "shell" and principal in c.text or "'" in c.text]
    assert shell
    for command in cause.commands:
        if command.language == "shell":
            check_shell(command.text, principal, tmp_path, expect="$" in command.text or principal in command.text)
        elif command.language == "json":
            json.loads(command.text)
    assert not any(tmp_path.glob("PWNED*"))


@pytest.mark.parametrize("principal", HOSTILE_K8S)
def test_a_hostile_kubernetes_subject_arrives_inert(principal, tmp_path):
    _, cause = top(k8s(principal))
    assert cause.commands
    for command in cause.commands:
        if command.language == "shell":
            check_shell(command.text, principal, tmp_path, expect=command.purpose == "verify")
        elif command.language == "yaml":
            _, binding = list(yaml.safe_load_all(command.text))
            assert binding["subjects"][0]["name"] == principal
    assert not any(tmp_path.glob("PWNED*"))


def test_reports_carry_the_commands_and_markdown_fences_them():
    session, cause = top(k8s())
    data = json.loads(render(session, "json"))
    commands = data["causes"][0]["commands"]
    assert commands and all({"tool", "language", "text", "why", "who"} <= set(c) for c in commands)
    assert data["schema"] == "wizard403/1"
    again = session_from_tree(tomllib.loads(render(session, "toml")))
    assert again.causes[0].commands == cause.commands
    md = render(session, "md")
    assert "kubectl auth can-i list deployments.apps" in md and "```yaml" in md and "To check" in md


def test_check_on_a_raw_aws_refusal_prints_the_commands(tmp_path):
    raw = tmp_path / "resp.txt"
    ex = aws()
    raw.write_bytes(b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nServer: AmazonS3\r\n\r\n" + ex.body)
    out = subprocess.run([sys.executable, "-m", "wizard403", "check", ex.url, "--response", str(raw),
                          "--format", "json", "--quiet"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 3, out.stderr
    cause = json.loads(out.stdout)["causes"][0]
    assert any(c["text"].startswith("aws iam simulate-principal-policy") for c in cause["commands"])


@pytest.mark.parametrize(
    "body, key",
    [
        ('[[fix]]\nid = "x"\ncause = "nope"\ntext = "t"\neffort = "easy"\nwho = "you"\n', "fix[1].cause"),
        ('[[fix]]\nid = "x"\ncause = "permissions"\ntext = "{{who}}"\neffort = "easy"\nwho = "you"\n', "fix[1].text"),
        ('[[command]]\nid = "x"\ncause = "permissions"\npurpose = "verify"\ntool = "t"\nlanguage = "cobol"\n'
         'who = "admin"\nwhy = "w"\ntext = "t"\n', "command[1].language"),
        ('[[command]]\nid = "x"\ncause = "permissions"\npurpose = "guess"\ntool = "t"\nlanguage = "shell"\n'
         'who = "admin"\nwhy = "w"\ntext = "t"\n', "command[1].purpose"),
    ],
)
def test_a_broken_fix_file_names_the_file_and_the_key(tmp_path, body, key):
    overlay = tmp_path / "org"
    (overlay / "fixes").mkdir(parents=True)
    (overlay / "fixes" / "ours.toml").write_text(body)
    with pytest.raises(ContentError) as err:
        load_fix_templates(load_content_from(shipped_content_dir(), overlay))
    assert "ours.toml" in str(err.value) and key in str(err.value)


def test_an_explicit_deny_is_not_answered_with_an_allow():
    ex = aws()
    ex.body = ex.body.replace(b"because no identity-based policy allows the s3:GetObject action",
                              b"with an explicit deny in a service control policy")
    _, cause = top(ex)
    first = cause.fixes[0].text
    assert "explicit deny" in first and "no Allow can override" in first and "Grant" not in first
    assert not any(c.language == "json" for c in cause.commands)  # no Allow policy to attach
    assert any(c.text.startswith("aws iam simulate-principal-policy") for c in cause.commands)


def test_github_accepting_either_scope_asks_for_one_the_narrowest():
    ex = github()
    ex.response_headers = Headers([(k, "admin:org, write:org" if k == "X-Accepted-OAuth-Scopes" else v)
                                   for k, v in ex.response_headers])
    _, cause = top(ex)
    assert "admin:org or write:org" in cause.fixes[0].text
    assert any(c.text == "gh auth refresh --hostname github.com --scopes write:org" for c in cause.commands)
