"""Mutation smoke test: put one known defect at a time into a temporary copy of the repository, run the tests that
should notice it, and print which defects survive (the tests still pass). Not run in CI; run it after changing the
tests or the code they guard:

    .venv/bin/python scripts/mutation_smoke.py                  # every defect
    .venv/bin/python scripts/mutation_smoke.py --only cli-      # the defects whose name starts with cli-
    .venv/bin/python scripts/mutation_smoke.py --tests-from main   # with main's tests: which defects would ship
    .venv/bin/python scripts/mutation_smoke.py --tree "$(git merge-tree --write-tree HEAD main | head -1)"
    .venv/bin/python scripts/mutation_smoke.py --list

Each defect is an exact text replacement in one source file. One that no longer applies (the code was rewritten)
is reported as STALE, never as caught: update its `old` text. Exit status: 0 when every defect is caught, 1 when
one survives or is stale, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PER_DEFECT_TIMEOUT = 600  # seconds; a defect that makes the tests hang is noticed, not caught


@dataclass(frozen=True)
class Defect:
    name: str
    why: str  # the README promise it breaks
    file: str
    old: str
    new: str
    tests: tuple[str, ...]  # pytest arguments: files, node ids, or "-k" expressions after a file
    # the same defect where the code has moved on: (file, old, new), tried when `old` is not in `file`
    elsewhere: tuple[tuple[str, str, str], ...] = ()

    def applied(self, copy: Path) -> tuple[Path, str, str] | None:
        """(path, original text, mutated text) for the first form of the defect that fits the copy exactly once."""
        for file, old, new in ((self.file, self.old, self.new), *self.elsewhere):
            path = copy / file
            text = path.read_text() if path.exists() else ""
            if text.count(old) == 1:
                return path, text, text.replace(old, new)
        return None


DEFECTS: tuple[Defect, ...] = (
    # ---- the five that shipped (issue 16)
    Defect("identity-signed-out-retry-keeps-token", "the same request without credentials",
           "wizard403/checks/identity.py",
           "headers=without_credentials(ctx.target.headers))",
           "headers=ctx.target.headers.without('cookie', 'x-api-key'))",
           ("tests/test_cli.py", "-k", "signed_out")),
    Defect("cli-budget-default-100", "--budget N: at most 12 requests per run by default", "wizard403/cli.py",
           'default=12, metavar="N"', 'default=100, metavar="N"',
           ("tests/test_cli.py", "-k", "default_check")),
    Defect("tui-keys-toml-ignored", "change the keys in keys.toml", "wizard403/tui/app.py",
           "        if keymap:\n            self.set_keymap(keymap)", "        if False:\n            self.set_keymap(keymap)",
           ("tests/test_tui_keys.py", "-k", "keys_toml")),
    Defect("tui-ctrl-x-does-nothing", "ctrl+x stops running checks", "wizard403/tui/app.py",
           'self.workers.cancel_group(self, "checks")', "pass",
           ("tests/test_tui_keys.py", "-k", "ctrl_x")),
    Defect("cli-internal-error-traceback", "exit 1 on an internal error, never a traceback", "wizard403/cli.py",
           "    except Exception as err:  # noqa: BLE001 - the last line of defence",
           "    except ZeroDivisionError as err:  # noqa: BLE001 - the last line of defence",
           ("tests/test_cli.py", "-k", "internal")),
    # ---- the thin guards of issue 16
    Defect("har-takes-the-last-refused-entry", "--har FILE: default the first refused entry", "wizard403/inputs/har.py",
           "        for entry in self.entries:\n            if entry.refused:\n                return entry",
           "        for entry in reversed(self.entries):\n            if entry.refused:\n                return entry",
           ("tests/test_evidence_cli.py", "-k", "first_refused")),
    Defect("lab-refuses-ipv6-loopback", "the lab binds ::1", "wizard403/lab/server.py",
           "    if address is None or not address.is_loopback:",
           "    if address is None or not address.is_loopback or address.version == 6:",
           ("tests/test_lab.py", "-k", "ipv6")),
    Defect("lab-ctrl-c-traceback", "wizard403 lab runs until Ctrl+C, then stops quietly", "wizard403/lab/server.py",
           "    except KeyboardInterrupt:\n        pass\n    finally:\n        lab.stop()",
           "    except ZeroDivisionError:\n        pass\n    finally:\n        lab.stop()",
           ("tests/test_lab.py", "-k", "ctrl_c")),
    Defect("client-no-deadline-per-exchange", "a trickling server cannot hold the run", "wizard403/checks/client.py",
           "async with asyncio.timeout(self.options.timeout * 1.5):", "async with asyncio.timeout(None):",
           ("tests/test_checks_conduct.py", "-k", "trickle or slowly")),
    Defect("cli-timeout-ignored", "--timeout SECONDS: timeout for each request", "wizard403/cli.py",
           "        timeout=args.timeout,", "        timeout=30.0,",
           ("tests/test_cli.py", "-k", "timeout_flag")),
    Defect("tui-ctrl-n-rebound", "ctrl+n: next step", "wizard403/tui/keys.py",
           '"next": "ctrl+n",', '"next": "ctrl+g",',
           ("tests/test_tui_flow.py", "-k", "ctrl_n")),
    Defect("tui-export-ignores-the-tab", "export TOML, Markdown or JSON", "wizard403/tui/screens/export.py",
           'return active.removeprefix("tab-")', 'return "md"',
           ("tests/test_tui_flow.py", "-k", "export")),
    Defect("tui-change-not-retested", "f6: record a change and re-test", "wizard403/tui/screens/change.py",
           "await analyse(app.session, app.options, app.content, live=app.live)",
           "await analyse(app.session, app.options, app.content, live=False)",
           ("tests/test_tui_flow.py", "-k", "change")),
    Defect("report-keeps-one-answer", "your answers are in the TOML session", "wizard403/report/tree.py",
           'for a in session.answers],', "for a in session.answers[:1]],",
           ("tests/test_tui_flow.py", "-k", "answers")),
    Defect("tui-live-screens-show-the-cookie", "secrets never reach a screen", "wizard403/tui/widgets.py",
           'lines += [f"  > {one(k)}: {one(redact_header(k, v))}" for k, v in ex.request_headers]',
           'lines += [f"  > {one(k)}: {one(v)}" for k, v in ex.request_headers]',
           ("tests/test_tui_flow.py", "-k", "no_screen", "tests/test_tui_snapshots.py", "-k", "no_screen or live")),
    # ---- untested promises of issue 16
    Defect("cli-live-ignored-for-file-evidence", "--live: also probe live when the evidence came from a file",
           "wizard403/cli.py", "        session.exchanges.append(exchange)\n        live = args.live",
           "        session.exchanges.append(exchange)\n        live = False",
           ("tests/test_cli.py", "-k", "live_only")),
    Defect("cli-token-ignored", "--token TOKEN: a Bearer token", "wizard403/cli.py",
           "    token = args.token\n", "    token = None\n",
           ("tests/test_cli.py", "-k", "signed_out")),
    Defect("cli-curl-file-ignored", "--curl-file FILE", "wizard403/cli.py",
           "    if args.from_curl or args.curl_file:", "    if args.from_curl:",
           ("tests/test_cli.py", "-k", "curl_file")),
    Defect("cli-insecure-ignored", "--insecure: accept an untrusted certificate", "wizard403/cli.py",
           "        insecure=args.insecure,", "        insecure=False,",
           ("tests/test_cli.py", "-k", "insecure")),
    Defect("redact-proxy-authorization-shown", "Proxy-Authorization is redacted", "wizard403/redact.py",
           '    "proxy-authorization",\n    "set-cookie",', '    "set-cookie",',
           ("tests/test_cli.py", "-k", "proxy_auth"),
           elsewhere=(("content/secrets.toml", '"Authorization", "Proxy-Authorization", ', '"Authorization", '),)),  # a server echoing the header into its body shows it
    Defect("tui-f4-does-nothing", "f4: fold or unfold check details", "wizard403/tui/screens/step.py",
           "                collapsible.collapsed = not collapsible.collapsed", "                pass",
           ("tests/test_tui_keys.py", "-k", "f4")),
    Defect("tui-f5-reruns-everything", "f5: re-run this step's checks", "wizard403/tui/screens/step.py",
           "self.app.run_analysis(list(self.step.checks) or None)", "self.app.run_analysis()",
           ("tests/test_tui_keys.py", "-k", "f5")),
    Defect("tui-ctrl-r-reruns-one-step", "ctrl+r: re-run all checks", "wizard403/tui/screens/step.py",
           "    def action_rerun_all(self) -> None:\n        self.app.run_analysis()",
           "    def action_rerun_all(self) -> None:\n        self.app.run_analysis(list(self.step.checks))",
           ("tests/test_tui_keys.py", "-k", "f5")),
    Defect("tui-no-command-palette", "ctrl+p: command palette", "wizard403/tui/app.py",
           "ENABLE_COMMAND_PALETTE = True", "ENABLE_COMMAND_PALETTE = False",
           ("tests/test_tui_keys.py", "-k", "ctrl_p")),
    Defect("tui-ctrl-q-does-not-quit", "ctrl+q: quit", "wizard403/tui/app.py",
           'Binding("ctrl+q", "quit", "Quit", id="quit", priority=True)',
           'Binding("ctrl+q", "bell", "Quit", id="quit", priority=True)',
           ("tests/test_tui_keys.py", "-k", "ctrl_q")),
    Defect("tui-autosave-off", "the session is autosaved, redacted", "wizard403/tui/app.py",
           "        if self.use_autosave and self.session is not None:\n            try:\n                autosave.save",
           "        if False:\n            try:\n                autosave.save",
           ("tests/test_tui_keys.py", "-k", "ctrl_q", "tests/test_tui_flow.py", "-k", "killed or autosave")),
    Defect("tui-copy-always-markdown", "copy to clipboard (the chosen format)", "wizard403/tui/screens/export.py",
           "self.app.copy_to_clipboard(render(self.app.session, self.fmt, self.app.content))",
           'self.app.copy_to_clipboard(render(self.app.session, "md", self.app.content))',
           ("tests/test_tui_keys.py", "-k", "copy")),
    # ---- rules of conduct, redaction, exit codes, ranking, offline by default
    Defect("conduct-spoofing-header-sent", "never a spoofed client-IP header", "wizard403/checks/client.py",
           "        headers = headers.without(*FORBIDDEN_HEADERS)\n", "",
           ("tests/test_checks_conduct.py", "-k", "spoofing")),
    Defect("conduct-credentials-follow-redirect", "credentials never follow a redirect to another origin",
           "wizard403/checks/client.py",
           'if _origin(next_url) != _origin(url) or (urlsplit(url).scheme == "https" and urlsplit(next_url).scheme != "https"):',
           'if _origin(next_url) != _origin(url) and False:',
           ("tests/test_checks_conduct.py", "-k", "redirect")),
    Defect("conduct-unsafe-method-replayed", "safe methods only unless --replay-unsafe", "wizard403/checks/client.py",
           "        if method not in SAFE_METHODS and not self.options.replay_unsafe:\n            raise",
           "        if False:\n            raise",
           ("tests/test_checks_conduct.py", "-k", "unsafe", "tests/test_cli.py", "-k", "unsafe")),
    Defect("conduct-body-cap-64-mib", "bodies read up to 1 MiB", "wizard403/model.py",
           "    body_cap: int = 1024 * 1024", "    body_cap: int = 64 * 1024 * 1024",
           ("tests/test_checks_conduct.py", "-k", "50_mb")),
    # (the prober's own cap on requests sent is a second line behind the planner's shares: weakening either one
    # alone changes nothing a user sees, so the defect is in the shared default)
    Defect("conduct-budget-default-100", "at most 12 requests per run", "wizard403/model.py",
           "    budget: int = 12", "    budget: int = 100",
           ("tests/test_checks_conduct.py", "-k", "budget")),
    Defect("redact-cookie-shown-in-reports", "Cookie becomes [redacted sha256:…]", "wizard403/redact.py",
           '    if lname == "cookie":\n        return redact_cookie_pairs(value)',
           '    if lname == "cookie":\n        return value',
           ("tests/test_secrets.py", "tests/test_report.py", "tests/test_redaction_unit.py")),
    Defect("cookie-not-a-credential", "the signed-out retry and redirects drop cookies", "wizard403/model.py",
           '        "cookie",\n', "",
           ("tests/test_cli.py", "-k", "signed_out", "tests/test_checks_conduct.py", "-k", "redirect")),
    Defect("exit-refused-is-0", "exit 3: access refused, and diagnosed", "wizard403/headless.py",
           "    if session.verdict.reproduced:\n        return EXIT_REFUSED",
           "    if session.verdict.reproduced:\n        return EXIT_GRANTED",
           ("tests/test_cli.py", "-k", "exits_3")),
    Defect("exit-unreachable-is-3", "exit 4: target unreachable", "wizard403/headless.py",
           "        return EXIT_UNREACHABLE\n", "        return EXIT_REFUSED\n",
           ("tests/test_cli.py", "-k", "closed_port")),
    Defect("ranking-least-likely-first", "causes ranked with likelihood", "wizard403/diagnose/scoring.py",
           "key=lambda a: (-a.score, order.get(a.cause_id, len(order)))",
           "key=lambda a: (a.score, order.get(a.cause_id, len(order)))",
           ("tests/test_diagnose.py",)),
    Defect("har-probed-live-by-default", "recorded cookies are never replayed unless --live", "wizard403/cli.py",
           "        session.target.related = archive.related_facts(index)\n        live = args.live",
           "        session.target.related = archive.related_facts(index)\n        live = True",
           ("tests/test_evidence_cli.py",)),
)


def copy_repo(dst: Path) -> None:
    """The tracked and new files of the working tree (no .venv, no caches, no git history)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.split(b"\0")
    for raw in filter(None, listed):
        rel = raw.decode()
        src = ROOT / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)


def overlay_tests(dst: Path, rev: str) -> None:
    """Replace the copy's tests/ with those of another revision (e.g. main), to see which defects would ship."""
    shutil.rmtree(dst / "tests")
    archive = subprocess.run(["git", "archive", rev, "tests"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dst)], input=archive, check=True)


def existing_args(copy: Path, args: tuple[str, ...]) -> list[str]:
    """The pytest arguments whose test files exist in the copy (a file that does not exist guards nothing)."""
    out: list[str] = []
    kept = False  # whether the last file named exists
    for i, arg in enumerate(args):
        if i and args[i - 1] == "-k":
            continue
        if arg == "-k":
            if kept:
                out += ["-k", args[i + 1]]
            continue
        kept = (copy / arg.split("::")[0]).exists()
        if kept:
            out.append(arg)
    return out


def run_tests(copy: Path, args: list[str]) -> tuple[str, float]:
    """'caught' when the tests fail, 'SURVIVED' when they pass."""
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("WIZARD403_DEBUG", None)
    started = time.monotonic()
    groups = split_groups(args)
    if not groups:
        return "SURVIVED (no test exists)", 0.0
    for group in groups:
        try:
            proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:randomly",
                                   *group], cwd=copy, env=env, capture_output=True, text=True, timeout=PER_DEFECT_TIMEOUT)
        except subprocess.TimeoutExpired:
            return "caught (the tests hung)", time.monotonic() - started
        if proc.returncode == 5:  # no test selected
            continue
        if proc.returncode != 0:
            run_tests.last_output = proc.stdout + proc.stderr
            return "caught", time.monotonic() - started
    return "SURVIVED", time.monotonic() - started


def split_groups(args: list[str]) -> list[list[str]]:
    """One pytest run per file (each with its own -k), so one file's selection never narrows another's."""
    groups: list[list[str]] = []
    for arg in args:
        if groups and (arg == "-k" or groups[-1][-1] == "-k"):
            groups[-1].append(arg)
        else:
            groups.append([arg])
    return groups


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run only the defects whose name starts with this")
    parser.add_argument("--tests-from", metavar="REV", help="use the tests/ of this git revision (e.g. main)")
    parser.add_argument("--tree", metavar="REV", help="copy this git revision or tree (e.g. a trial merge) instead of"
                                                      " the working tree")
    parser.add_argument("--whole-files", action="store_true",
                        help="run each defect's test files whole, ignoring the -k selections (with --tests-from an"
                             " older revision, whose tests have other names)")
    parser.add_argument("--names", default="", help="comma-separated defect names to run")
    parser.add_argument("--list", action="store_true", help="list the defects and exit")
    args = parser.parse_args(argv)
    # Started in the background, a shell hands this process SIGINT ignored, and every child would inherit that; a
    # handler of our own is reset to the default in each child, so the tests see the signals a terminal gives.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    names = set(filter(None, args.names.split(",")))
    chosen = [d for d in DEFECTS if d.name.startswith(args.only) and (not names or d.name in names)]
    if args.list:
        for d in chosen:
            print(f"{d.name:<42} {d.why}")
        return 0
    if not chosen:
        print(f"mutation_smoke: no defect is named {args.only}…", file=sys.stderr)
        return 2
    survived, stale = [], []
    with tempfile.TemporaryDirectory(prefix="wizard403-mutants-") as tmp:
        copy = Path(tmp)
        if args.tree:
            archive = subprocess.run(["git", "archive", args.tree], cwd=ROOT, capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(copy)], input=archive, check=True)
        else:
            copy_repo(copy)
        if args.tests_from:
            overlay_tests(copy, args.tests_from)
        where = subprocess.run([sys.executable, "-c", "import wizard403; print(wizard403.__file__)"], cwd=copy,
                               env={**os.environ, "PYTHONPATH": str(copy)}, capture_output=True, text=True).stdout
        if not where.startswith(str(copy)):
            print(f"mutation_smoke: the copy's package is not the one imported ({where.strip()})", file=sys.stderr)
            return 2
        baseline = run_tests(copy, sorted({a for d in chosen for a in existing_args(copy, d.tests) if a.endswith(".py")}))
        print(f"{'(no defect: the chosen test files pass)':<42} {baseline[0].replace('SURVIVED', 'pass')}", flush=True)
        if baseline[0] != "SURVIVED":
            tail = "\n".join(getattr(run_tests, "last_output", "").splitlines()[-15:])
            print(f"mutation_smoke: the tests fail without any defect; fix them first:\n{tail}", file=sys.stderr)
            return 1
        for defect in chosen:
            found = defect.applied(copy)
            if found is None:
                stale.append(defect.name)
                print(f"{defect.name:<42} STALE: its text is not in {defect.file} exactly once")
                continue
            path, original, mutated = found
            path.write_text(mutated)
            try:
                selected = existing_args(copy, defect.tests)
                if args.whole_files:
                    selected = sorted({a for a in selected if a.endswith(".py")})
                outcome, seconds = run_tests(copy, selected)
            finally:
                path.write_text(original)
            if outcome.startswith("SURVIVED"):
                survived.append(defect.name)
            print(f"{defect.name:<42} {outcome:<10} {seconds:5.1f} s   ({defect.why})", flush=True)
    print(f"\n{len(chosen)} defects: {len(chosen) - len(survived) - len(stale)} caught, {len(survived)} survived"
          + (f" ({', '.join(survived)})" if survived else "") + f", {len(stale)} stale" + (f" ({', '.join(stale)})" if stale else ""))
    return 1 if survived or stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
