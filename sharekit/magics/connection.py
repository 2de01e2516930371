"""``%sharekit connect | status``: choose the notebook's workspace (Databricks or the embedded server)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sharekit import errors
from sharekit.connect import ConnectError, connect
from sharekit.display import ResultTable, message
from sharekit.magics.parsing import HelpShown, MagicParser, first_line, split
from sharekit.session import current_workspace, use_workspace

if TYPE_CHECKING:
    from sharekit.magics.extension import ShareMagics


def parser() -> MagicParser:
    parser = MagicParser(prog="%sharekit", description="Connection: connect [local|databricks] | status")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=MagicParser)
    connect_args = sub.add_parser("connect", help="connect to Databricks or the embedded server")
    connect_args.add_argument("target", nargs="?", choices=["local", "databricks"])
    connect_args.add_argument("--profile")
    connect_args.add_argument("--home")
    connect_args.add_argument("--demo", action="store_true", help="create the demo catalog on the embedded server")
    sub.add_parser("status", help="show the current connection")
    return parser


def run(magics: ShareMagics, line: str) -> ResultTable | None:
    try:
        args = parser().parse_args(split(line))
    except HelpShown:
        return None
    if args.command == "status":
        workspace = current_workspace(connect_if_needed=False)
        if workspace is None:
            return message("not connected; the first sharekit command connects (or run %sharekit connect)",
                           "warning")
        return message(describe(workspace))
    if args.home and args.target == "databricks":
        raise errors.usage_error("--home is for the embedded server; drop it or use 'local'")
    try:
        workspace = connect(args.target or ("local" if args.home else None), home=args.home, demo=args.demo,
                            profile=args.profile, quiet=True)
    except (ConnectError, ValueError, OSError) as err:
        magics.fail(err, errors.usage_error(f"cannot connect: {first_line(err)}", errors.NOT_CONNECTED))
    use_workspace(workspace)
    return message(describe(workspace))


def describe(workspace: Any) -> str:
    if workspace.kind == "local":
        return f"connected to the embedded sharing server at {workspace.host} (home {workspace.home})"
    return f"connected to Databricks workspace {workspace.host}"
