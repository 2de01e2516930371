"""The ``sharekit`` argument parser: every command and option, nothing else (it imports no engine)."""

from __future__ import annotations

import argparse

from sharekit.cli.credential_args import add_credential_commands
from sharekit.names import REGISTERED_TABLE_TYPES
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
    serve.add_argument("--http", default="auto", choices=["auto", "httptools", "h11"],
                       help="HTTP parser (default auto: httptools when installed, else h11)")

    demo = sub.add_parser("demo", help="a headless end-to-end run: share, recipient, read, usage")
    demo.add_argument("--home", default=None, help="state folder (default: a fresh temporary folder; with "
                      "--prepare-only: $SHAREKIT_HOME or ~/.sharekit)")
    demo.add_argument("--prepare-only", action="store_true",
                      help="only write the demo tables and a generated audit history into the home (make lab, Binder)")

    _registration_commands(sub, str(default_home()))

    _configuration_commands(sub)
    add_credential_commands(sub, _add_connection)
    _oidc_issuer_command(sub)
    return parser


def _oidc_issuer_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    issuer = sub.add_parser("oidc-issuer", help="run a local OIDC issuer (an OIDC recipient's identity provider)")
    issuer.add_argument("--audience", required=True, help="the aud of the client's tokens (a policy audience)")
    issuer.add_argument("--client-id", default=None, help="the client's id (default: a random uuid)")
    issuer.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    issuer.add_argument("--lifetime", type=int, default=3600, help="token lifetime in seconds (default 3600)")
    issuer.add_argument("--endpoint", default=None, help="the sharing endpoint the recipient's profile names")
    issuer.add_argument("--profile", default=None, help="write the recipient's profile file here (with --endpoint)")


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


def _registration_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser], home_default: str) -> None:
    """``register-table | -volume | -model | -function``: local objects under Unity Catalog names."""
    home_help = "server home (default $SHAREKIT_HOME or ~/.sharekit)"
    table = sub.add_parser("register-table", help="serve an existing Delta table folder under a catalog.schema.table name")
    table.add_argument("name", help="full name, e.g. main.finance.invoices")
    table.add_argument("path", help="the Delta table folder (it holds _delta_log)")
    table.add_argument("--type", default="EXTERNAL", type=str.upper, choices=REGISTERED_TABLE_TYPES,
                       help="what it is in Unity Catalog (default EXTERNAL)")
    volume = sub.add_parser("register-volume", help="serve a folder of files as the volume catalog.schema.volume")
    volume.add_argument("name")
    volume.add_argument("path", help="the folder")
    model = sub.add_parser("register-model", help="register a model catalog.schema.model")
    model.add_argument("name")
    model.add_argument("path", nargs="?", default=None, help="its artifacts folder (optional)")
    function = sub.add_parser("register-function", help="register a function (or feature spec) catalog.schema.fn")
    function.add_argument("name")
    function.add_argument("--definition", help="the SQL body, e.g. 'x * 2'")
    function.add_argument("--returns", help="the return type, e.g. INT")
    function.add_argument("--param", action="append", metavar="NAME:TYPE", help="a parameter (repeatable)")
    function.add_argument("--language", help="PYTHON for a Python UDF (default: SQL)")
    function.add_argument("--feature-spec", action="store_true", help="a feature spec (catalogued as a function)")
    for command in (table, volume, model, function):
        command.add_argument("--comment", default=None)
        command.add_argument("--home", default=home_default, help=home_help)
