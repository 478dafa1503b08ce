"""The command line (DESIGN.md §4). Textual is imported only when a wizard is actually opened.

Every error a user can cause ends as one sentence on stderr and the documented exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from wizard403 import __version__
from wizard403.errors import EXIT_INTERNAL, EXIT_USAGE, InputError, WizardError
from wizard403.request import needs_replay_consent, parse_header, validate_proxy, validate_source_ip, validate_url
from wizard403.textsafe import one_line

TYPE_CHECKING = False
if TYPE_CHECKING:  # the model (and dataclasses) load only when a command needs them, so --help stays fast
    from wizard403.model import ProbeOptions, Session, Target

COMMANDS = ("demo", "lab", "check", "report", "sanitize", "compare")
EPILOG = """commands:
  wizard403 [URL] [request options]     open the wizard (on URL, or on a start screen)
  wizard403 demo [SCENARIO]             start the built-in 403 lab on loopback and open the wizard on it
  wizard403 lab [--port N]              run the 403 lab alone (training, tests, screenshots)
  wizard403 check [URL] [options]       run every automated check headless; print or write the report
  wizard403 report SESSION.toml         render a saved session or report again
  wizard403 sanitize IN.har OUT.har     write a shareable copy of a HAR with every secret redacted
  wizard403 compare WORKING REFUSED     rank what differs between a request that works and one that is refused

exit codes of check: 0 access granted (not reproduced), 3 access refused and diagnosed,
4 target unreachable (DNS, connect, TLS, timeout), 2 bad input or usage, 1 internal error.
Run 'wizard403 COMMAND --help' for the options of one command."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one sentence and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"{message[0].upper()}{message[1:]}; run '{self.prog} --help' for usage.")


def _request_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("request options")
    g.add_argument("-X", "--method", help="HTTP method (default GET, or what the evidence says)")
    g.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'", help="a request header (repeatable)")
    g.add_argument("--token", help="a Bearer token (prefer --token-env: it keeps the token out of shell history)")
    g.add_argument("--token-env", metavar="VAR", help="read the Bearer token from this environment variable")
    g.add_argument("-b", "--cookie", metavar="'a=1; b=2'", help="cookies to send, as a Cookie header")
    g.add_argument("--proxy", metavar="URL", help="the normal route's proxy, as curl's -x (proxy environment variables are honoured too)")
    g.add_argument("--alt-proxy", action="append", default=[], metavar="URL", help="an alternate route: a proxy on another network (http, https, socks5; repeatable)")
    g.add_argument("--alt-source", action="append", default=[], metavar="IP", help="an alternate route: a second local address to send from (repeatable)")
    g.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="timeout for each request (default 10)")
    g.add_argument("--insecure", action="store_true", help="accept a TLS certificate that is not trusted")
    g.add_argument("--whoami", metavar="URL", help="a URL that tells whose credentials these are (e.g. /api/me)")
    g.add_argument("--from-curl", metavar="'curl …'", help="take the request from a curl command (e.g. a browser's 'Copy as cURL')")
    g.add_argument("--curl-file", metavar="FILE", help="take the request from a file holding a curl command")
    g.add_argument("--har", metavar="FILE", help="analyse a refused request recorded in a HAR file")
    g.add_argument("--entry", type=int, metavar="N", help="with --har: the entry to analyse, numbered from 1 (default: the first refused one)")
    g.add_argument("--response", metavar="FILE", help="analyse a raw HTTP response (status line, headers, body)")
    g.add_argument("--status", type=int, metavar="CODE", help="with --response: the status, when the file holds only a body")
    g.add_argument("--log", metavar="FILE", help="scan a local nginx or Apache log for the lines that explain this request")
    g.add_argument("--working", metavar="FILE", help="a request that works (HAR or curl command file): its differences feed the diagnosis")
    g.add_argument("--live", action="store_true", help="also probe live when the evidence came from a file")
    g.add_argument("--replay-unsafe", action="store_true", help="allow replaying POST, PUT, PATCH and DELETE")
    g.add_argument("--budget", type=int, default=12, metavar="N", help="most requests to send to the target per run (default 12)")
    g.add_argument("--content", metavar="DIR", help="overlay an organisation's own playbook on the shipped content")


COMMON = dict(formatter_class=argparse.RawDescriptionHelpFormatter)


def _wizard_parser() -> argparse.ArgumentParser:
    wizard = Parser(
        prog="wizard403",
        description="Find out why a request is refused with 403 Forbidden, step by step, and write a report an admin can act on.",
        epilog=EPILOG,
        **COMMON,
    )
    wizard.add_argument("url", nargs="?", metavar="URL", help="the refused URL (optional: the start screen asks)")
    wizard.add_argument("--version", action="version", version=f"wizard403 {__version__}")
    wizard.add_argument("--resume", metavar="SESSION.toml", help="open a saved session")
    wizard.add_argument("--expert", action="store_true", help="start in expert mode (headers and timings up front)")
    _request_options(wizard)
    return wizard


def _demo_parser() -> argparse.ArgumentParser:
    demo = Parser(prog="wizard403 demo", description="Start the built-in 403 lab on loopback and open the wizard on one of its scenarios.", **COMMON)
    demo.add_argument("scenario", nargs="?", help="a scenario id (see --list); without it the wizard lets you pick")
    demo.add_argument("--list", action="store_true", help="list the scenarios and exit")
    demo.add_argument("--port", type=int, default=0, help="port for the lab (default 8403, or a free one if that is taken)")
    demo.add_argument("--expert", action="store_true", help="start in expert mode")
    demo.add_argument("--content", metavar="DIR", help="overlay an organisation's own playbook")
    return demo


def _lab_parser() -> argparse.ArgumentParser:
    lab = Parser(prog="wizard403 lab", description="Run the 403 lab alone, on loopback only, until Ctrl+C.", **COMMON)
    lab.add_argument("--port", type=int, default=8403, help="port (default 8403)")
    lab.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    return lab


def _check_parser() -> argparse.ArgumentParser:
    chk = Parser(prog="wizard403 check", description="Run every automated check headless and print or write the report.", epilog=EPILOG, **COMMON)
    chk.add_argument("url", nargs="?", metavar="URL")
    chk.add_argument("--format", choices=("toml", "md", "json"), default=None, help="report format (default: from --output's suffix, else md)")
    chk.add_argument("-o", "--output", metavar="FILE", help="write the report here instead of standard output")
    chk.add_argument("-q", "--quiet", action="store_true", help="do not show the checks' progress on stderr")
    _request_options(chk)
    return chk


def _report_parser() -> argparse.ArgumentParser:
    rep = Parser(prog="wizard403 report", description="Render a saved session or report again.", **COMMON)
    rep.add_argument("session", metavar="SESSION.toml")
    rep.add_argument("--format", choices=("toml", "md", "json"), default=None, help="default: from --output's suffix, else md")
    rep.add_argument("-o", "--output", metavar="FILE")
    rep.add_argument("--content", metavar="DIR")
    return rep


def _sanitize_parser() -> argparse.ArgumentParser:
    san = Parser(prog="wizard403 sanitize", description="Write a shareable copy of a HAR file with every secret redacted.", **COMMON)
    san.add_argument("src", metavar="IN.har")
    san.add_argument("dst", metavar="OUT.har")
    san.add_argument("--content", metavar="DIR", help="an organisation's overlay (its secrets.toml adds secret names)")
    return san


def _compare_parser() -> argparse.ArgumentParser:
    from wizard403.compare.cli import DESCRIPTION, add_arguments

    cmp = Parser(prog="wizard403 compare", description=DESCRIPTION, **COMMON)
    add_arguments(cmp)
    return cmp


# One parser per command ('' is the wizard itself), built only when that command runs.
PARSERS = {
    "": _wizard_parser,
    "demo": _demo_parser,
    "lab": _lab_parser,
    "check": _check_parser,
    "report": _report_parser,
    "sanitize": _sanitize_parser,
    "compare": _compare_parser,
}


# ---------------------------------------------------------------- building the request


def probe_options(args: argparse.Namespace) -> ProbeOptions:
    from wizard403.model import ProbeOptions

    for proxy in ([args.proxy] if args.proxy else []) + list(args.alt_proxy):
        validate_proxy(proxy)
    for ip in args.alt_source:
        validate_source_ip(ip)
    if args.timeout <= 0:
        raise InputError("--timeout must be a positive number of seconds.")
    if args.budget < 1:
        raise InputError("--budget must be at least 1.")
    if args.log:
        _check_readable(args.log, "server log")
    return ProbeOptions(
        proxy=args.proxy,
        alt_proxies=list(args.alt_proxy),
        alt_sources=list(args.alt_source),
        timeout=args.timeout,
        insecure=args.insecure,
        whoami=validate_url(args.whoami) if args.whoami else None,
        replay_unsafe=args.replay_unsafe,
        live=True,
        log_file=args.log,
        budget=args.budget,
    )


def _apply_request_options(target: Target, args: argparse.Namespace) -> None:
    """Command-line request options on top of what the evidence said (the command line wins)."""
    if args.method:
        target.method = args.method.upper()
    for raw in args.header:
        name, value = parse_header(raw)
        target.headers = target.headers.replaced(name, value)
    token = args.token
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            raise InputError(f"the environment variable {args.token_env} is not set or empty.")
    if token:
        target.headers = target.headers.replaced("Authorization", f"Bearer {token.strip()}")
    if args.cookie:
        target.headers = target.headers.replaced("Cookie", args.cookie.strip())


def build_session(args: argparse.Namespace, need_target: bool = True) -> tuple[Session | None, ProbeOptions, bool]:
    """(session, options, live) from the arguments: a URL, a curl command, a HAR entry or a raw response."""
    from wizard403.model import Session, Target

    options = probe_options(args)
    sources = [s for s in ("from_curl", "curl_file", "har", "response") if getattr(args, s)]
    if len(sources) > 1:
        raise InputError("give only one of --from-curl, --curl-file, --har and --response.")
    if args.entry is not None and not args.har:
        raise InputError("--entry goes with --har.")
    if args.status is not None and not args.response:
        raise InputError("--status goes with --response.")
    session: Session | None = None
    live = True
    if args.from_curl or args.curl_file:
        from wizard403.inputs.curl import parse_curl

        if args.curl_file:
            command = _read_text(args.curl_file, "curl file")
        else:
            command = args.from_curl
        imported = parse_curl(command)
        for warning in imported.warnings:
            _error(warning)
        target = imported.target
        options.proxy = options.proxy or imported.proxy
        options.insecure = options.insecure or imported.insecure
        options.alt_sources += [ip for ip in imported.alt_sources if ip not in options.alt_sources]
        session = Session(target=target)
    elif args.har:
        from wizard403.inputs.har import open_har
        from wizard403.inputs.harfile import stderr_progress

        from wizard403.scrub import HarSecrets, remember

        registry = HarSecrets()
        archive = open_har(
            args.har, progress=None if getattr(args, "quiet", False) else stderr_progress(args.har), secrets=registry
        )
        remember(registry.scrubber.secrets)  # a token of another entry may be echoed here
        if args.entry is None:
            entry = archive.first_refused()
            if entry is None:
                raise InputError(
                    f"{args.har} has no refused request (401, 403 or a block page); choose one with --entry N."
                )
            index = entry.index
        else:
            index = archive.entry(args.entry).index  # one sentence if there is no such entry
        session = Session(target=archive.target(index))
        session.exchanges.append(archive.exchange(index))
        session.target.notes += archive.related(index)
        session.target.related = archive.related_facts(index)
        live = args.live
    elif args.response:
        from wizard403.inputs.raw import parse_pasted_response

        data = _read_bytes(args.response, "response file")
        exchange, stated = parse_pasted_response(data, status=args.status, url=args.url or "", method=(args.method or "GET"))
        target = Target(url=exchange.url or (args.url or ""), method=exchange.method, source="response")
        if stated:  # the status came from the text's own words: say so, here and in the report
            _error(stated)
            target.notes.append(stated)
        session = Session(target=target)
        session.exchanges.append(exchange)
        live = args.live
    if session is None:
        if not args.url:
            if need_target:
                raise InputError("give a URL, or one of --from-curl, --curl-file, --har or --response.")
            return None, options, True
        session = Session(target=Target(url=validate_url(args.url)))
    elif args.url and not args.response:
        session.target.url = validate_url(args.url)
    _apply_request_options(session.target, args)
    if getattr(args, "working", None):
        from wizard403.compare.sides import Side, load_side

        refused = Side("refused", session.target, "the refused request")
        session.target.working = load_side(args.working, "working", refused=refused)
    if live and session.target.url:
        validate_url(session.target.url)
    if live and needs_replay_consent(session.target.method) and not options.replay_unsafe:
        raise InputError(
            f"the request is a {session.target.method}, which can change data on the server; "
            "wizard403 replays it only with --replay-unsafe (or analyse a recorded response offline)."
        )
    options.live = live
    return session, options, live


def _read_bytes(path: str, what: str, limit: int = 64 * 1024 * 1024) -> bytes:
    from pathlib import Path

    _check_readable(path, what)
    p = Path(path)
    try:
        if p.stat().st_size > limit:
            raise InputError(f"the {what} {path} is larger than {limit // (1024 * 1024)} MB.")
        return p.read_bytes()
    except OSError as err:
        raise InputError(f"the {what} {path} cannot be read ({err.strerror}).") from None


def _check_readable(path: str, what: str) -> None:
    """Refuse a missing or unreadable file at once, before any request is sent (a log can be large: not read here)."""
    import os
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        raise InputError(f"the {what} {path} does not exist.")
    if p.is_dir():
        raise InputError(f"the {what} {path} is a directory, not a file.")
    if not os.access(p, os.R_OK):
        raise InputError(f"the {what} {path} cannot be read (permission denied).")


def _read_text(path: str, what: str) -> str:
    try:
        return _read_bytes(path, what).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"the {what} {path} is not UTF-8 text.") from None


def _content(args: argparse.Namespace):
    from wizard403.content import load_content
    from wizard403.redact import use_secret_names

    overlay = getattr(args, "content", None) or None
    if overlay:
        use_secret_names(load_content(overlay).dirs[-1])  # the overlay's secrets.toml adds names
    return load_content(overlay)


# ---------------------------------------------------------------- commands


def cmd_check(args: argparse.Namespace) -> int:
    from wizard403.headless import run_headless

    content = _content(args)
    session, options, live = build_session(args)
    fmt = args.format or (_format_for(args.output) if args.output else "md")
    return run_headless(session, options, content, live=live, fmt=fmt, output=args.output, quiet=args.quiet)


def _format_for(path: str) -> str:
    from wizard403.report import format_for_path

    return format_for_path(path, default="md")


def cmd_report(args: argparse.Namespace) -> int:
    from wizard403.report import load_session, render, write_atomic

    content = _content(args)
    session = load_session(args.session)
    fmt = args.format or (_format_for(args.output) if args.output else "md")
    text = render(session, fmt, content)
    if args.output:
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_sanitize(args: argparse.Namespace) -> int:
    from wizard403.inputs.sanitize import sanitize_har

    from pathlib import Path

    from wizard403.inputs.harfile import stderr_progress

    _content(args)
    report = sanitize_har(Path(args.src), Path(args.dst), progress=stderr_progress(args.src))
    print(f"wizard403: wrote {one_line(args.dst)}: {one_line(str(report))}", file=sys.stderr)
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    from wizard403.lab import serve_forever

    serve_forever(host=args.host, port=args.port)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from wizard403.lab import ALL_SCENARIOS, HOSTILE_SCENARIOS, SCENARIOS, scenario

    if args.list:
        width = max(len(s.id) for s in ALL_SCENARIOS)
        pwidth = max(len(s.path) for s in ALL_SCENARIOS)
        for s in SCENARIOS:
            print(f"{s.id:<{width}}  {s.path:<{pwidth}}  {s.title}")
        print()
        print("Hostile scenarios (server text built to trick a careless reader; the wizard must show it as data):")
        for s in HOSTILE_SCENARIOS:
            print(f"{s.id:<{width}}  {s.path:<{pwidth}}  {s.title}")
        return 0
    if args.scenario:
        scenario(args.scenario)  # unknown id: one sentence, exit 2, before anything starts
    content = _content(args)
    from wizard403.tui import run_demo

    return run_demo(args.scenario, content=content, port=args.port, expert=args.expert)


def cmd_wizard(args: argparse.Namespace) -> int:
    content = _content(args)
    session, options, live = build_session(args, need_target=False)
    resume = None
    if args.resume:
        from wizard403.report import load_session

        resume = load_session(args.resume)
    from wizard403.tui import run_wizard

    return run_wizard(session=session or resume, options=options, content=content, live=live, expert=args.expert)


def cmd_compare(args: argparse.Namespace) -> int:
    from wizard403.compare.cli import run

    return run(args)


_SECRET_FLAGS = frozenset({"-H", "--header", "--token", "--token-env", "-b", "--cookie", "--proxy", "--alt-proxy", "--from-curl", "--whoami"})


def _argv_scrubber(argv: list[str]):
    """The last line of defence for error sentences: every secret the command line holds, registered (also the
    words of a --from-curl command, read with curl's own option names)."""
    from wizard403.scrub import Scrubber

    scrubber = Scrubber()
    _register_words(scrubber, argv)
    return scrubber


def _register_words(scrubber, words: list[str]) -> None:
    for i, word in enumerate(words):
        flag, eq, inline = word.partition("=") if word.startswith("--") else (word, "", "")
        value = inline if eq else (words[i + 1] if i + 1 < len(words) else "")
        if "@" in word or "://" in word:
            scrubber.add_proxy(word) if "://" not in word else scrubber.add_url(word)
        if flag in ("-H", "--header"):
            name, _, rest = value.partition(":")
            scrubber.add_headers([(name.strip(), rest.strip())])
            if " " in name.strip():  # 'Authorization Bearer TOKEN': the colon is missing, the words are the secret
                scrubber.update(name.split()[1:])
                scrubber.add(name.strip().split(None, 1)[1], "header")
        elif flag in ("--token", "-u", "--user", "-U", "--proxy-user", "--oauth2-bearer"):
            scrubber.update({value, value.partition(":")[2]})
        elif flag in ("-b", "--cookie"):
            scrubber.add_headers([("Cookie", value)])
        elif flag in ("-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--json", "-F", "--form"):
            scrubber.add_body(value)
        elif flag == "--token-env" and value:
            scrubber.add(os.environ.get(value) or "", "header")
        elif flag == "--from-curl" and value:
            _register_words(scrubber, value.split())


def _error(sentence: str) -> None:
    """An error sentence on stderr, on one line with every control character visible: it may quote what the user
    typed or a server sent."""
    print(f"wizard403: {one_line(sentence)}", file=sys.stderr)


HANDLERS = {"demo": cmd_demo, "lab": cmd_lab, "check": cmd_check, "report": cmd_report, "sanitize": cmd_sanitize,
            "compare": cmd_compare}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in COMMANDS else ""
    rest = argv[1:] if command else argv
    try:
        args = PARSERS[command]().parse_args(rest)
        if any(w.split("=", 1)[0] in _SECRET_FLAGS or "@" in w or "?" in w for w in argv):
            from wizard403.scrub import remember

            remember(_argv_scrubber(argv).secrets)  # proxies and tokens of the command line: every output knows them
        handler = HANDLERS.get(command, cmd_wizard)
        return handler(args)
    except WizardError as err:
        _error(_argv_scrubber(argv).scrub(str(err)))
        return err.exit_code
    except KeyboardInterrupt:
        print("wizard403: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except SystemExit:
        raise
    except Exception as err:  # noqa: BLE001 - the last line of defence: one sentence, exit 1
        _error(f"internal error: {type(err).__name__}: {_argv_scrubber(argv).scrub(str(err))}. Please report it.")
        if os.environ.get("WIZARD403_DEBUG"):
            raise
        return EXIT_INTERNAL


def run() -> int:
    """The process's entry (the `wizard403` command, `python -m wizard403`): main(), then every object of the run
    set aside from the cycle collector (gc.freeze), whose last pass at exit went through all of them once more for
    nothing, the process ending (30 ms after a 100 MB HAR). Not in main(), which tests call again and again."""
    code = main()
    import gc

    gc.freeze()
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(run())

__all__ = ["main", "build_session", "validate_url", "EXIT_USAGE"]
