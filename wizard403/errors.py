"""The errors a user can cause or meet, each mapped to an exit code of DESIGN.md §4.

Every one carries a single sentence meant for the user; the CLI prints it and exits, never a traceback.
"""

from __future__ import annotations

EXIT_GRANTED = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_UNREACHABLE = 4


class WizardError(Exception):
    """Base class: `str(err)` is the one sentence shown to the user."""

    exit_code = EXIT_INTERNAL


class InputError(WizardError):
    """Bad input or usage: a malformed URL, file, command or option."""

    exit_code = EXIT_USAGE


class ContentError(InputError):
    """A content file (shipped or from --content) is broken; the message names the file and the key."""


class SessionFileError(InputError):
    """A saved session or report cannot be read back."""


class UnreachableError(WizardError):
    """The target could not be reached at all (DNS, connect, TLS, timeout)."""

    exit_code = EXIT_UNREACHABLE
