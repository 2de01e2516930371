"""``sharekit plan | apply | export``: the configuration engine for CI/CD pipelines.

Exit codes: ``plan`` 0 = no changes, 2 = changes pending, 1 = error; ``apply`` and ``export`` 0 = success,
1 = error (invalid document, failed call, refused confirmation).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sharekit.cli.common import EXIT_CHANGES, EXIT_OK, announce_started, error
from sharekit.config.apply import apply as apply_document
from sharekit.config.apply import apply_plan
from sharekit.config.calls import DEFAULT_PARALLEL
from sharekit.config.export import export as export_document
from sharekit.config.loader import ConfigError, load
from sharekit.connect import ConnectError, Workspace, connect
from sharekit.display import ShareResult
from sharekit.errors import workspace_message


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Every failure becomes a message on stderr and exit code 1, never a traceback."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except ConfigError as err:
            lines = [f"{err.source}: nothing applied; {len(err.issues)} problem(s):"] + [f"  {i}" for i in err.issues]
            return error("\n".join(lines))
        except ConnectError as err:
            return error(f"cannot connect: {err}")
        except OSError as err:  # DatabricksError, requests errors, file errors
            return error(workspace_message(err))
        except ValueError as err:
            return error(str(err))

    return run


def _connect(args: argparse.Namespace) -> Workspace:
    target = args.target or ("local" if args.home else None)
    if target == "databricks" and args.home:
        raise ValueError("--home is for the embedded server; drop it or use --target local")
    workspace = connect(target, home=args.home, profile=args.profile, quiet=True)
    if workspace.started_server:
        announce_started(workspace.host)  # stopped by _with_workspace
    return workspace


def _parallel(args: argparse.Namespace) -> int:
    """Calls in flight: ``--parallel``, or the engine's default (the parser does not import the engine)."""
    return DEFAULT_PARALLEL if args.parallel is None else int(args.parallel)


def _with_workspace(args: argparse.Namespace, body: Callable[[Workspace], int]) -> int:
    workspace = _connect(args)
    try:
        return body(workspace)
    finally:
        workspace.close()  # stops the embedded server only if this command started it


@_guarded
def plan(args: argparse.Namespace) -> int:
    document = load(args.file)

    def body(workspace: Workspace) -> int:
        result = apply_document(workspace, document, prune=args.prune, dry_run=True, strict=args.strict,
                                 parallel=_parallel(args))
        print(repr(ShareResult(result)))
        return EXIT_CHANGES if result.plan.has_changes else EXIT_OK

    return _with_workspace(args, body)


def _confirm(count: int) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(f"Apply {count} change(s)? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


@_guarded
def apply(args: argparse.Namespace) -> int:
    document = load(args.file)

    def body(workspace: Workspace) -> int:
        planned = apply_document(workspace, document, prune=args.prune, dry_run=True, strict=args.strict,
                                 parallel=_parallel(args))
        if not planned.plan.has_changes:
            print(f"no changes: the workspace matches the document ({planned.reads} reads, 0 writes)")
            return EXIT_OK
        if not args.yes:
            print(repr(ShareResult(planned)))
            if not _confirm(len(planned.plan.actions)):
                return error("not applied: confirm at the prompt, or pass --yes (required without a terminal)")
        progress = None if sys.stderr.isatty() else False
        result = apply_plan(workspace, planned.plan, progress=progress, parallel=_parallel(args))
        print(repr(ShareResult(result)))
        return EXIT_OK if result.ok else error(result.summary())

    return _with_workspace(args, body)


@_guarded
def export(args: argparse.Namespace) -> int:
    def body(workspace: Workspace) -> int:
        text = export_document(workspace, args.share)
        if args.output:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            sys.stdout.write(text)
        return EXIT_OK

    return _with_workspace(args, body)
