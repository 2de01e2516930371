"""The ``sharekit`` argument parser: every command and option, nothing else (it imports no engine)."""

from __future__ import annotations

import argparse

from sharekit.server.home import default_home


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sharekit", description="Delta Sharing from a notebook, and from the terminal.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the embedded sharing server")
    serve.add_argument("--home", default=str(default_home()), help="state folder (default $SHAREKIT_HOME or ~/.sharekit)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)")
    serve.add_argument("--port", type=int, default=0, help="port (0 = any free port)")
    serve.add_argument("--demo", action="store_true", help="create the demo catalog 'main' on start")
    serve.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])

    demo = sub.add_parser("demo", help="a headless end-to-end run: share, recipient, read, usage")
    demo.add_argument("--home", default=None, help="state folder (default: a fresh temporary folder; with "
                      "--prepare-only: $SHAREKIT_HOME or ~/.sharekit)")
    demo.add_argument("--prepare-only", action="store_true",
                      help="only write the demo tables and a generated audit history into the home (make lab, Binder)")

    register = sub.add_parser("register-table", help="serve an existing Delta table folder under a catalog.schema.table name")
    register.add_argument("name", help="full name, e.g. main.finance.invoices")
    register.add_argument("path", help="the Delta table folder (it holds _delta_log)")
    register.add_argument("--comment", default=None)
    register.add_argument("--home", default=str(default_home()), help="server home (default $SHAREKIT_HOME or ~/.sharekit)")

    _configuration_commands(sub)
    return parser


def _configuration_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``plan``, ``apply`` and ``export``: exit codes for pipelines (plan: 0 none, 2 pending, 1 error)."""
    plan = sub.add_parser("plan", help="show what applying FILE would change (exit 0 none, 2 pending, 1 error)")
    plan.add_argument("file")
    plan.add_argument("--prune", action="store_true", help="include deleting shares/recipients FILE does not mention")
    plan.add_argument("--strict", action="store_true", help="refuse (exit 1) when an added table looks like PII")
    plan.add_argument("--parallel", type=int, default=None, metavar="N", help="read calls in flight at most")
    _add_connection(plan)

    apply = sub.add_parser("apply", help="apply FILE to the workspace")
    apply.add_argument("file")
    apply.add_argument("--prune", action="store_true", help="delete shares and recipients FILE does not mention")
    apply.add_argument("--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)")
    apply.add_argument("--strict", action="store_true", help="refuse when an added table looks like personal data")
    apply.add_argument("--parallel", type=int, default=None, metavar="N",
                       help="calls in flight at most (1-20; default 8)")
    _add_connection(apply)

    export = sub.add_parser("export", help="print the live configuration as YAML")
    export.add_argument("--share", action="append", default=None, metavar="NAME", help="only this share (repeatable)")
    export.add_argument("-o", "--output", help="write to this file instead of stdout")
    _add_connection(export)


def _add_connection(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("workspace (default: Databricks when configured, else the embedded server)")
    group.add_argument("--target", choices=["local", "databricks"], help="which kind of workspace")
    group.add_argument("--home", help="embedded server home (default $SHAREKIT_HOME or ~/.sharekit)")
    group.add_argument("--profile", help="Databricks config profile")
