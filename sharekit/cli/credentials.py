"""``sharekit review`` and ``sharekit rotate``: the access review and rotation campaigns for schedules and pipelines.

``review`` exit codes: 0 = nothing at or above ``--fail-on`` (or no ``--fail-on``), 2 = a warning, 3 = a critical
finding, 1 = error. ``rotate`` shows the plan; with ``--yes`` (or a yes at the terminal) applies it, handing each
new activation link to ``--webhook`` and/or ``--links-file``, never to stdout: 0 = done (or nothing to do),
1 = error, refused confirmation or a recipient that could not be rotated or notified.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from sharekit.analytics import SharingAnalytics, webhook_notifier
from sharekit.analytics.access_review import severity_rank
from sharekit.cli.common import EXIT_OK, error
from sharekit.cli.configuration import _confirm, _guarded, _with_workspace
from sharekit.connect import Workspace
from sharekit.rotation import Notifier, RotationNotice, plan_rotation

EXIT_WARNING, EXIT_CRITICAL = 2, 3
TABLE_KEYS = ["severity", "finding", "recipient", "share"]  # then the detail, and the action under it


def exit_code(severities: list[str], fail_on: str | None) -> int:
    """The exit code of a review whose findings have ``severities``."""
    if fail_on is None or not severities:
        return EXIT_OK
    worst = max(severity_rank(s) for s in severities)
    if worst < severity_rank(fail_on):
        return EXIT_OK
    return EXIT_CRITICAL if worst == severity_rank("critical") else EXIT_WARNING


@_guarded
def review(args: argparse.Namespace) -> int:
    if args.days < 1 or args.expiring_within < 0:
        return error("--days must be 1 or more and --expiring-within 0 or more")

    def body(workspace: Workspace) -> int:
        result = SharingAnalytics(workspace).access_review(days=args.days,
                                                           expiring_within_days=args.expiring_within)
        frame = result.df
        code = exit_code(list(frame["severity"]), args.fail_on)
        if args.format == "json":
            records = json.loads(frame.to_json(orient="records", date_format="iso"))
            counts = {s: int((frame["severity"] == s).sum()) for s in ("critical", "warning", "info")}
            json.dump({"title": result.title, "engine": result.engine, "counts": counts, "exit_code": code,
                       "token_lifetime_s": result.extra["policy"].token_lifetime_s, "findings": records},
                      sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            print(format_table(result))
        return code

    return _with_workspace(args, body)


def format_table(result: Any) -> str:
    """The review as text: a count line, then one line per finding."""
    frame = result.df
    counts = ", ".join(f"{int((frame['severity'] == s).sum())} {s}" for s in ("critical", "warning", "info"))
    lifetime = result.extra["policy"].token_lifetime_s
    policy = f"token lifetime {lifetime // 86_400} days" if lifetime else "no workspace token lifetime set"
    head = f"{result.title}: {counts} ({policy})"
    if frame.empty:
        return head + "\n" + (result.note or "")
    width = {key: max(len(key), *(len(str(v)) for v in frame[key].fillna(""))) for key in TABLE_KEYS}
    lines = [head, "  ".join(key.ljust(width[key]) for key in TABLE_KEYS) + "  detail / action"]
    for row in frame.fillna("").itertuples():
        cells = "  ".join(str(getattr(row, key)).ljust(width[key]) for key in TABLE_KEYS)
        lines += [f"{cells}  {row.detail}", " " * len(cells) + f"  -> {row.action}"]
    return "\n".join(lines)


class _LinksFile:
    """A notifier appending each notice as one JSON line to a file only its owner can read."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self, notice: RotationNotice) -> None:
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(notice.to_json()) + "\n")


def _notifier(args: argparse.Namespace) -> Notifier | None:
    targets: list[Notifier] = []
    if args.webhook:
        targets.append(webhook_notifier(args.webhook))
    if args.links_file:
        targets.append(_LinksFile(args.links_file))
    if not targets:
        return None

    def notify(notice: RotationNotice) -> None:
        for target in targets:
            target(notice)

    return notify


@_guarded
def rotate(args: argparse.Namespace) -> int:
    notify = _notifier(args)

    def body(workspace: Workspace) -> int:
        plan = plan_rotation(workspace, args.names, expiring_within=args.expiring_within,
                             never_expires=args.never_expires, grace=args.grace)
        print(repr(plan))
        if not plan.rotations:
            return EXIT_OK
        if notify is None:
            return error("not applied: pass --webhook URL and/or --links-file PATH (new links are never printed)")
        if not args.yes and not _confirm(len(plan.rotations)):
            return error("not applied: confirm at the prompt, or pass --yes (required without a terminal)")
        result = plan.apply(notify)
        print(repr(result))
        return EXIT_OK if result.ok else error(result.summary())

    return _with_workspace(args, body)
