"""``sharekit register-table``: serve an existing Delta folder under a Unity Catalog name (the admin API)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sharekit.cli.common import UsageFailure
from sharekit.connect import connect_local


def register_table(args: argparse.Namespace) -> int:
    """Register a Delta folder as catalog.schema.table on the running server (through its admin API)."""
    from databricks.sdk.errors import DatabricksError

    folder = Path(args.path).expanduser().resolve()
    workspace = connect_local(Path(args.home))
    body = {"name": args.name, "path": str(folder)}
    if args.comment:
        body["comment"] = args.comment
    try:
        workspace.client.api_client.do("POST", "/sharekit/admin/tables", body=body)
    except DatabricksError as err:
        raise UsageFailure(f"cannot register {args.name}: {err}") from err
    print(f"registered {args.name} -> {folder}")
    return 0
