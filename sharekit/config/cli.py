"""``sharekit plan | apply | export``: the configuration engine for CI/CD pipelines.

Exit codes: ``plan`` 0 = no changes, 2 = changes pending, 1 = error; ``apply`` and ``export`` 0 = success,
1 = error (invalid document, failed call, refused confirmation).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sharekit.connect import Workspace

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def _add_connection(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("workspace (default: Databricks when configured, else the embedded server)")
    group.add_argument("--target", choices=["local", "databricks"], help="which kind of workspace")
    group.add_argument("--home", help="embedded server home (default $SHAREKIT_HOME or ~/.sharekit)")
    group.add_argument("--profile", help="Databricks config profile")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the plan/apply/export subcommands to the ``sharekit`` parser."""
    plan = subparsers.add_parser("plan", help="show what applying FILE would change (exit 0 none, 2 pending, 1 error)")
    plan.add_argument("file")
    plan.add_argument("--prune", action="store_true", help="include deleting shares/recipients FILE does not mention")
    plan.add_argument("--strict", action="store_true", help="refuse (exit 1) when an added table looks like PII")
    _add_connection(plan)
    plan.set_defaults(func=_guarded(_plan))

    apply = subparsers.add_parser("apply", help="apply FILE to the workspace")
    apply.add_argument("file")
    apply.add_argument("--prune", action="store_true", help="delete shares and recipients FILE does not mention")
    apply.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)")
    apply.add_argument("--strict", action="store_true", help="refuse when an added table looks like personal data")
    _add_connection(apply)
    apply.set_defaults(func=_guarded(_apply))

    export = subparsers.add_parser("export", help="print the live configuration as YAML")
    export.add_argument("--share", action="append", default=None, metavar="NAME", help="only this share (repeatable)")
    export.add_argument("-o", "--output", help="write to this file instead of stdout")
    _add_connection(export)
    export.set_defaults(func=_guarded(_export))


def _error(text: str) -> int:
    print(f"sharekit: {text}", file=sys.stderr)
    return EXIT_ERROR


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Every failure becomes a message on stderr and exit code 1, never a traceback."""

    def run(args: argparse.Namespace) -> int:
        from sharekit.config.loader import ConfigError
        from sharekit.connect import ConnectError
        from sharekit.errors import workspace_message

        try:
            return command(args)
        except ConfigError as err:
            lines = [f"{err.source}: nothing applied; {len(err.issues)} problem(s):"] + [f"  {i}" for i in err.issues]
            return _error("\n".join(lines))
        except ConnectError as err:
            return _error(f"cannot connect: {err}")
        except OSError as err:  # DatabricksError, requests errors, file errors
            return _error(workspace_message(err))
        except ValueError as err:
            return _error(str(err))

    return run


def _connect(args: argparse.Namespace) -> Workspace:
    from sharekit.connect import connect

    target = args.target or ("local" if args.home else None)
    if target == "databricks" and args.home:
        raise ValueError("--home is for the embedded server; drop it or use --target local")
    return connect(target, home=args.home, profile=args.profile, quiet=True)


def _with_workspace(args: argparse.Namespace, body: Callable[[Workspace], int]) -> int:
    workspace = _connect(args)
    try:
        return body(workspace)
    finally:
        workspace.close()  # stops the embedded server only if this command started it


def _plan(args: argparse.Namespace) -> int:
    from sharekit.config.apply import apply
    from sharekit.config.loader import load
    from sharekit.results import ShareResult

    document = load(args.file)

    def body(workspace: Workspace) -> int:
        result = apply(workspace, document, prune=args.prune, dry_run=True, strict=args.strict)
        print(repr(ShareResult(result)))
        return EXIT_CHANGES if result.plan.has_changes else EXIT_OK

    return _with_workspace(args, body)


def _confirm(count: int) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(f"Apply {count} change(s)? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _apply(args: argparse.Namespace) -> int:
    from sharekit.config.apply import apply, apply_plan
    from sharekit.config.loader import load
    from sharekit.results import ShareResult

    document = load(args.file)

    def body(workspace: Workspace) -> int:
        planned = apply(workspace, document, prune=args.prune, dry_run=True, strict=args.strict)
        if not planned.plan.has_changes:
            print(f"no changes: the workspace matches the document ({planned.reads} reads, 0 writes)")
            return EXIT_OK
        if not args.yes:
            print(repr(ShareResult(planned)))
            if not _confirm(len(planned.plan.actions)):
                return _error("not applied: confirm at the prompt, or pass --yes (required without a terminal)")
        progress = None if sys.stderr.isatty() else False
        result = apply_plan(workspace, planned.plan, progress=progress)
        print(repr(ShareResult(result)))
        return EXIT_OK if result.ok else _error(result.summary())

    return _with_workspace(args, body)


def _export(args: argparse.Namespace) -> int:
    from sharekit.config.export import export

    def body(workspace: Workspace) -> int:
        text = export(workspace, args.share)
        if args.output:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            sys.stdout.write(text)
        return EXIT_OK

    return _with_workspace(args, body)
