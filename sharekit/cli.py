"""The ``sharekit`` command: ``serve`` and ``demo`` here; ``plan``, ``apply`` and ``export`` from ``sharekit.config.cli``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


class UsageFailure(Exception):
    """A command-line mistake: printed as one line, exit code 1."""


def default_home() -> Path:
    return Path(os.environ.get("SHAREKIT_HOME") or Path.home() / ".sharekit")


def _serve(args: argparse.Namespace) -> int:
    from sharekit.server.runtime import serve

    serve(Path(args.home), host=args.host, port=args.port, demo=args.demo, log_level=args.log_level)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from sharekit.demo.walkthrough import run_walkthrough

    return run_walkthrough(Path(args.home) if args.home else None, prepare_only=args.prepare_only)


def _register_table(args: argparse.Namespace) -> int:
    """Register a Delta folder as catalog.schema.table on the running server (through its admin API)."""
    from databricks.sdk.errors import DatabricksError

    from sharekit.connect import connect_local

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sharekit", description="Delta Sharing from a notebook, and from the terminal.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the embedded sharing server")
    serve.add_argument("--home", default=str(default_home()), help="state folder (default $SHAREKIT_HOME or ~/.sharekit)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)")
    serve.add_argument("--port", type=int, default=0, help="port (0 = any free port)")
    serve.add_argument("--demo", action="store_true", help="create the demo catalog 'main' on start")
    serve.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(func=_serve)

    demo = sub.add_parser("demo", help="a headless end-to-end run: share, recipient, read, usage")
    demo.add_argument("--home", default=None, help="state folder (default: a fresh temporary folder; with "
                      "--prepare-only: $SHAREKIT_HOME or ~/.sharekit)")
    demo.add_argument("--prepare-only", action="store_true",
                      help="only write the demo tables and a generated audit history into the home (make lab, Binder)")
    demo.set_defaults(func=_demo)

    register = sub.add_parser("register-table", help="serve an existing Delta table folder under a catalog.schema.table name")
    register.add_argument("name", help="full name, e.g. main.finance.invoices")
    register.add_argument("path", help="the Delta table folder (it holds _delta_log)")
    register.add_argument("--comment", default=None)
    register.add_argument("--home", default=str(default_home()), help="server home (default $SHAREKIT_HOME or ~/.sharekit)")
    register.set_defaults(func=_register_table)

    from sharekit.config import cli as config_cli

    config_cli.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UsageFailure as err:
        print(f"sharekit: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
