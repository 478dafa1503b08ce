"""A crash report a user can attach to a bug report without leaking anything: the traceback, never local variables.

When the wizard meets an error nobody foresaw, the person sees one sentence (`sentence`) and the details go to a
file in the state folder (`write_report`): the traceback as Python prints it (file, line, code, exception message,
no variable values, which would hold the Authorization header and cookies), passed through the session's Scrubber
so a secret quoted in an exception message is replaced by its fingerprint, and with control characters made
visible. The autosave is left alone: the answers survive the crash.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import traceback
from pathlib import Path

from wizard403.scrub import Scrubber
from wizard403.textsafe import one_line


def crash_text(error: BaseException, scrubber: Scrubber | None = None) -> str:
    """The report's text: versions, then the traceback without locals, every known secret scrubbed."""
    from wizard403 import __version__

    scrubber = scrubber or Scrubber()
    trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    head = [
        "wizard403 crash report (no local variables; secrets the session knew are replaced by fingerprints)",
        f"wizard403 {__version__}, Python {platform.python_version()}, {platform.system()} {platform.release()}",
        f"at {dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()}",
        "",
    ]
    return "\n".join(head) + scrubber.shown(trace)


def write_report(error: BaseException, scrubber: Scrubber | None = None, folder: Path | None = None) -> Path | None:
    """Write the crash report to the state folder (0600, atomically); its path, or None if it cannot be."""
    from wizard403.files import private_dir, write_private

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    try:
        text = crash_text(error, scrubber)
        path = write_private(private_dir(folder) / f"crash-{stamp}-{os.getpid()}.txt", text)
    except Exception:  # noqa: BLE001 - a crash while reporting a crash must not hide the first one's sentence
        return None
    return path


def latest_report(folder: Path | None = None) -> Path | None:
    """The newest crash report in the state folder, if any."""
    from wizard403.autosave import state_dir

    reports = sorted((folder or state_dir()).glob("crash-*.txt"), key=lambda p: p.stat().st_mtime)
    return reports[-1] if reports else None


def sentence(path: Path | None) -> str:
    """The one sentence a person reads after a crash."""
    kept = "your answers are kept in the autosave and are offered again at the next start"
    if path is None:
        return f"wizard403: the wizard stopped on an internal error ({kept}); the crash report could not be written."
    return (
        f"wizard403: the wizard stopped on an internal error ({kept}); a crash report without secrets is in "
        f"{one_line(str(path))}, "
        "please attach it to a bug report."
    )


def tell(path: Path | None) -> None:
    print(sentence(path), file=sys.stderr)
