"""What the command modules share: the one-line failure, the exit codes, and printing an error."""

from __future__ import annotations

import sys

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


class UsageFailure(Exception):
    """A command-line mistake: printed as one line, exit code 1."""


def error(text: str) -> int:
    """Print ``sharekit: text`` on stderr; the exit code of a failure."""
    print(f"sharekit: {text}", file=sys.stderr)
    return EXIT_ERROR
