"""What the command modules share: the one-line failure, the exit codes, printing an error, and saying that a
command started the embedded server."""

from __future__ import annotations

import sys

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


class UsageFailure(Exception):
    """A command-line mistake: printed as one line, exit code 1."""


def error(text: str) -> int:
    """Print ``sharekit: text`` on stderr; the exit code of a failure."""
    print(f"sharekit: {text}", file=sys.stderr)
    return EXIT_ERROR


def announce_started(host: str) -> None:
    """Say that this command started the embedded server for itself (it stops the server again before it exits):
    no server runs behind the user's back."""
    print(f"sharekit: started the embedded server at {host} for this command; it stops when the command ends "
          "(run `sharekit serve` to keep one running)", file=sys.stderr)
