"""The `wizard403 compare WORKING REFUSED` command: its options, and running it headless."""

from __future__ import annotations

import argparse
import asyncio
import sys

from wizard403.errors import EXIT_UNREACHABLE

DESCRIPTION = """Compare a request that works with one that is refused, and rank the differences that may explain
the 403. Each side is a HAR file or a file holding a curl command (a browser's "Copy as cURL", bash or Windows form).

With --live the refused request is replayed with the working one's values taken over, narrowing down to the smallest
set of differences that turns the refusal into a success, within --budget requests. The working request's
credentials are your own (you gave them), so they may be sent, but only to their own origin; client-address headers
are never sent, and POST/PUT/PATCH/DELETE are replayed only with --replay-unsafe."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("working", metavar="WORKING", help="the request that works: a HAR file or a curl command file")
    parser.add_argument("refused", metavar="REFUSED", help="the request that is refused: a HAR file or a curl command file")
    parser.add_argument("--working-entry", type=int, metavar="N", help="with a HAR: the working entry (default: the refused request's twin that worked)")
    parser.add_argument("--refused-entry", type=int, metavar="N", help="with a HAR: the refused entry (default: the first refused one)")
    parser.add_argument("--live", action="store_true", help="replay and narrow down to the difference that matters")
    parser.add_argument("--budget", type=int, default=12, metavar="N", help="most requests to send with --live (default 12)")
    parser.add_argument("--replay-unsafe", action="store_true", help="allow replaying POST, PUT, PATCH and DELETE")
    parser.add_argument("--alt-proxy", action="append", default=[], metavar="URL", help="an alternate route to try when the request itself is not the difference")
    parser.add_argument("--alt-source", action="append", default=[], metavar="IP", help="an alternate local address to try the same way")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="timeout for each request (default 10)")
    parser.add_argument("--insecure", action="store_true", help="accept a TLS certificate that is not trusted")
    parser.add_argument("--format", choices=("md", "json", "toml"), default=None, help="default: from --output's suffix, else md")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the comparison here instead of standard output")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def render(tree: dict, fmt: str) -> str:
    from wizard403.compare.report import compare_markdown

    if fmt == "md":
        return compare_markdown(tree)
    from wizard403.report import to_json, to_toml

    return to_json(tree) if fmt == "json" else to_toml(tree)


def run(args: argparse.Namespace) -> int:
    from wizard403.compare import differences, load_pair
    from wizard403.compare.report import compare_tree
    from wizard403.errors import InputError
    from wizard403.model import ProbeOptions
    from wizard403.report import format_for_path, write_atomic
    from wizard403.textsafe import one_line

    if args.budget < 1:
        raise InputError("--budget must be at least 1.")
    if not args.timeout > 0:
        raise InputError("--timeout must be a number of seconds above 0.")
    working, refused = load_pair(args.working, args.refused, args.working_entry, args.refused_entry)
    diffs = differences(working, refused)
    narrowed = None
    if args.live:
        from wizard403.compare.narrow import find_culprits

        options = ProbeOptions(proxy=refused.proxy, alt_proxies=list(args.alt_proxy), alt_sources=list(args.alt_source),
                               timeout=args.timeout, insecure=args.insecure, replay_unsafe=args.replay_unsafe,
                               budget=args.budget)

        def progress(line: str) -> None:
            if not args.quiet:
                print(f"wizard403: {one_line(line)}", file=sys.stderr)

        narrowed = asyncio.run(find_culprits(working, refused, diffs, options, on_send=progress))
    tree = compare_tree(working, refused, diffs, narrowed)
    fmt = args.format or (format_for_path(args.output, default="md") if args.output else "md")
    text = render(tree, fmt)
    if args.output:
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    if narrowed is not None and narrowed.unreachable:
        return EXIT_UNREACHABLE
    return 0
