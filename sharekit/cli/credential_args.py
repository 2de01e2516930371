"""The arguments of ``sharekit review`` and ``sharekit rotate`` (argparse only; ``credentials`` runs them)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

FAIL_ON = ("warning", "critical")


def add_credential_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser],
                            add_connection: Callable[[argparse.ArgumentParser], None]) -> None:
    review = sub.add_parser("review", help="the access review: credentials, grants and refusals, one line per "
                                           "finding (exit 0 clean, 2 warnings, 3 critical, 1 error)")
    review.add_argument("--days", type=int, default=30, help="the window for idle recipients, unused grants and "
                                                             "refused attempts (default 30)")
    review.add_argument("--expiring-within", type=int, default=14, metavar="DAYS",
                        help="report tokens that expire within this many days (default 14)")
    review.add_argument("--format", choices=["table", "json"], default="table")
    review.add_argument("--fail-on", choices=FAIL_ON, default=None,
                        help="exit 2 (warning) or 3 (critical) when a finding this severe or worse is found")
    add_connection(review)

    rotate = sub.add_parser("rotate", help="a rotation campaign: shows the plan; --yes applies it and hands each "
                                           "new activation link to --webhook or --links-file (never printed)")
    rotate.add_argument("names", nargs="*", metavar="NAME", help="recipients to rotate")
    rotate.add_argument("--expiring-within", default=None, metavar="DURATION",
                        help="recipients whose token expires within this (30d, 12h)")
    rotate.add_argument("--never-expires", action="store_true", help="recipients whose token never expires")
    rotate.add_argument("--grace", default="7d", help="how long old tokens keep working at most (default 7d; 0: now)")
    rotate.add_argument("--webhook", default=None, metavar="URL", help="POST each new link as JSON here")
    rotate.add_argument("--links-file", default=None, metavar="PATH",
                        help="append each new link as a JSON line to this file (created with mode 0600)")
    rotate.add_argument("--yes", action="store_true", help="apply without asking (needed without a terminal)")
    add_connection(rotate)
