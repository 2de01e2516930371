"""``sharekit register-table | register-volume | register-model | register-function``: put local objects under Unity
Catalog names on the embedded server (through its admin API, ``sharekit.registration``).

A command that has to start the server for itself says so, and stops it again before it exits: no server is left
running behind the user's back. A server that was already running (``sharekit serve``, a notebook's ``connect()``)
is reused and left alone.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sharekit import registration
from sharekit.cli.common import UsageFailure, announce_started
from sharekit.connect import Workspace, connect_local


def _run(args: argparse.Namespace, what: str, call: Callable[[Workspace], Any]) -> None:
    from databricks.sdk.errors import DatabricksError

    workspace = connect_local(Path(args.home))
    if workspace.started_server:
        announce_started(workspace.host)
    try:
        call(workspace)
    except DatabricksError as err:
        raise UsageFailure(f"cannot register {what}: {err}") from err
    finally:
        workspace.close()


def register_table(args: argparse.Namespace) -> int:
    """Register a Delta folder as catalog.schema.table (``--type`` for a materialized view, streaming table or
    foreign table)."""
    folder = Path(args.path).expanduser().resolve()
    _run(args, args.name, lambda w: registration.register_table(w, args.name, folder, table_type=args.type,
                                                                comment=args.comment))
    print(f"registered {args.name} ({args.type.lower()}) -> {folder}")
    return 0


def register_volume(args: argparse.Namespace) -> int:
    folder = Path(args.path).expanduser().resolve()
    _run(args, args.name, lambda w: registration.register_volume(w, args.name, folder, comment=args.comment))
    print(f"registered volume {args.name} -> {folder}")
    return 0


def register_model(args: argparse.Namespace) -> int:
    folder = Path(args.path).expanduser().resolve() if args.path else None
    _run(args, args.name, lambda w: registration.register_model(w, args.name, folder, comment=args.comment))
    print(f"registered model {args.name}" + (f" -> {folder}" if folder else ""))
    return 0


def register_function(args: argparse.Namespace) -> int:
    params = [_param(text) for text in args.param or []]
    _run(args, args.name, lambda w: registration.register_function(
        w, args.name, definition=args.definition, returns=args.returns, params=params, language=args.language,
        feature_spec=args.feature_spec, comment=args.comment))
    print(f"registered {'feature spec' if args.feature_spec else 'function'} {args.name}")
    return 0


def _param(text: str) -> tuple[str, str]:
    name, _, kind = text.partition(":")
    if not name or not kind:
        raise UsageFailure(f"--param must be NAME:TYPE, got '{text}'")
    return name.strip(), kind.strip()
