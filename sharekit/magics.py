"""IPython magics: ``%%share`` (configuration as code), ``%recipient`` (day-to-day recipient work), ``%sharekit``.

Each magic parses its input and calls ``sharekit.config`` / ``sharekit.sharing``; results are rich objects the
notebook displays. User mistakes are one-line ``UsageError``s; ``%config ShareMagics.short_errors = False``
raises the underlying exception instead (tests use it so a failing magic fails the test).
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Bool, Int
from traitlets.config.configurable import Configurable

from sharekit import errors
from sharekit.sharing import current_workspace, use_workspace

if TYPE_CHECKING:
    from sharekit.config.loader import ConfigError
    from sharekit.results import ResultTable

__all__ = ["ShareMagics", "current_workspace", "load_ipython_extension", "use_workspace"]


class _HelpShown(Exception):
    """argparse printed --help; the magic returns quietly."""


class _Parser(argparse.ArgumentParser):
    """An argparse parser for a kernel: errors raise UsageError, --help never exits the process."""

    def error(self, message: str) -> NoReturn:
        raise errors.usage_error(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:
            raise errors.usage_error(message or f"{self.prog}: error")
        raise _HelpShown()


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def _recipient_parser() -> _Parser:
    parser = _Parser(prog="%recipient", add_help=True,
                     description="Recipient commands: list, show, create, update, rotate, grant, revoke, delete, "
                                 "activation, preview")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="all recipients with activation state, token expiry and shares")
    for name, text in (("show", "one recipient in detail"), ("activation", "the activation link")):
        sub.add_parser(name, help=text).add_argument("name")
    for verb in ("create", "update"):
        p = sub.add_parser(verb, help=f"{verb} a recipient")
        p.add_argument("name")
        p.add_argument("--comment")
        p.add_argument("--property", action="append", type=_key_value, default=[], metavar="KEY=VALUE")
        p.add_argument("--ip", action="append", default=None, metavar="CIDR")
        p.add_argument("--expires", help="90d, 12h, an ISO date/date-time, or epoch ms")
        if verb == "update":
            p.add_argument("--remove-property", action="append", default=[], metavar="KEY")
            p.add_argument("--clear-ip", action="store_true", help="allow any address again")
    rotate = sub.add_parser("rotate", help="issue a new token and activation link")
    rotate.add_argument("name")
    rotate.add_argument("--expire-existing-in", type=int, default=0, metavar="SECONDS",
                        help="keep the current token valid this long (default 0: expire it now)")
    for verb in ("grant", "revoke"):
        p = sub.add_parser(verb, help=f"{verb} SELECT on a share")
        p.add_argument("name")
        p.add_argument("share")
    preview = sub.add_parser("preview", help="what the recipient would receive from a share (embedded server)")
    preview.add_argument("name")
    preview.add_argument("share")
    preview.add_argument("--limit", type=int, default=10, help="sample rows per object (default 10)")
    delete = sub.add_parser("delete", help="delete a recipient (asks unless --yes)")
    delete.add_argument("name")
    delete.add_argument("--yes", action="store_true")
    return parser


def _connect_parser() -> _Parser:
    parser = _Parser(prog="%sharekit", description="Connection: connect [local|databricks] | status")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    connect = sub.add_parser("connect", help="connect to Databricks or the embedded server")
    connect.add_argument("target", nargs="?", choices=["local", "databricks"])
    connect.add_argument("--profile")
    connect.add_argument("--home")
    connect.add_argument("--demo", action="store_true", help="create the demo catalog on the embedded server")
    sub.add_parser("status", help="show the current connection")
    return parser


def format_config_error(err: ConfigError) -> str:
    if len(err.issues) == 1:
        return f"{err.source}: {err.issues[0]}"
    return f"{err.source}: {len(err.issues)} problems:\n" + "\n".join(f"  {issue}" for issue in err.issues)


@magics_class
class ShareMagics(Magics, Configurable):  # type: ignore[misc]
    """``%%share``, ``%recipient`` and ``%sharekit``."""

    short_errors = Bool(True, config=True, help="Show errors as one line (False: raise the full exception).")
    progress = Bool(True, config=True, help="Show a progress bar on long applies.")
    check_tables = Bool(True, config=True, help="Check that shared tables exist before applying anything.")
    progress_threshold = Int(10, config=True, help="Show the progress bar from this many write calls on.")

    def __init__(self, shell: Any) -> None:
        Configurable.__init__(self, config=shell.config)
        Magics.__init__(self, shell=shell)
        self.shell.configurables.append(self)
        self.ask: Callable[[str], str] = input  # replaced in tests

    # --- plumbing -------------------------------------------------------------------------------------
    def _fail(self, err: BaseException, short: UsageError) -> NoReturn:
        if self.short_errors:
            raise short from err
        raise err

    def _workspace(self) -> Any:
        from sharekit.connect import ConnectError

        try:
            return current_workspace()
        except (ConnectError, ValueError, OSError) as err:
            self._fail(err, errors.usage_error(f"not connected: {err}; run %sharekit connect", errors.NOT_CONNECTED))

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run a workspace call, turning its errors into one-line UsageErrors."""
        try:
            return fn()
        except OSError as err:  # DatabricksError (and requests errors) are OSErrors
            self._fail(err, errors.from_workspace_error(err, what=what))
        except ValueError as err:  # our own validation (bad name, property, CIDR, expiry)
            self._fail(err, errors.usage_error(f"{what}: {_first_line(err)}"))

    def _output(self, name: str | None, result: Any) -> Any:
        if name:
            if not name.isidentifier():
                raise errors.usage_error(f"-o {name!r} is not a valid variable name")
            self.shell.user_ns[name] = result
            return None
        return result

    # --- %%share ----------------------------------------------------------------------------------------
    @magic_arguments()
    @argument("--dry-run", action="store_true", help="show the plan without changing anything")
    @argument("--prune", action="store_true", help="also delete shares and recipients the cell does not mention")
    @argument("--strict", action="store_true", help="refuse to apply when an added table looks like personal data")
    @argument("-o", "--output", help="store the result in this variable instead of displaying it")
    @no_var_expand
    @cell_magic("share")
    def share(self, line: str, cell: str) -> ResultTable | None:
        """Apply a YAML share configuration (shares, recipients, grants, views). ``$var`` is not expanded."""
        from sharekit.config.apply import apply
        from sharekit.config.loader import ConfigError, loads
        from sharekit.results import ShareResult

        args = parse_argstring(self.share, line)
        try:
            document = loads("\n" + (cell or ""), source="%%share cell")  # line numbers as the notebook shows them
        except ConfigError as err:
            self._fail(err, errors.usage_error(format_config_error(err), errors.CONFIG_INVALID))
        workspace = self._workspace()
        try:
            result = self._call("reading the workspace", lambda: apply(
                workspace, document, prune=args.prune, dry_run=args.dry_run, check_tables=self.check_tables,
                strict=args.strict,
                progress=None if self.progress else False, progress_min=self.progress_threshold))
        except ConfigError as err:
            self._fail(err, errors.usage_error(format_config_error(err), errors.CONFIG_INVALID))
        shown = ShareResult(result)
        if not result.ok and not result.dry_run:
            from IPython.display import display

            from sharekit.config.apply import ApplyFailed

            if args.output:
                self.shell.user_ns[args.output] = shown
            display(shown)
            self._fail(ApplyFailed(result), errors.usage_error(result.summary(), errors.APPLY_FAILED))
        return self._output(args.output, shown)

    # --- %recipient -------------------------------------------------------------------------------------
    @line_magic("recipient")
    def recipient(self, line: str) -> Any:
        """%recipient list | show NAME | create NAME [..] | update NAME [..] | rotate NAME | grant NAME SHARE |
        revoke NAME SHARE | delete NAME [--yes] | activation NAME | preview NAME SHARE [--limit N]"""
        try:
            args = _recipient_parser().parse_args(_split(line))
        except _HelpShown:
            return None
        workspace = self._workspace()
        return RECIPIENT_COMMANDS[args.command](self, workspace, args)

    # --- %sharekit ----------------------------------------------------------------------------------------
    @line_magic("sharekit")
    def sharekit(self, line: str) -> ResultTable | None:
        """%sharekit connect [local|databricks] [--profile P] [--home DIR] | status"""
        from sharekit.results import message

        try:
            args = _connect_parser().parse_args(_split(line))
        except _HelpShown:
            return None
        if args.command == "status":
            workspace = current_workspace(connect_if_needed=False)
            if workspace is None:
                return message("not connected; the first sharekit command connects (or run %sharekit connect)",
                               "warning")
            return message(_describe(workspace))
        from sharekit.connect import ConnectError, connect

        if args.home and args.target == "databricks":
            raise errors.usage_error("--home is for the embedded server; drop it or use 'local'")
        try:
            workspace = connect(args.target or ("local" if args.home else None), home=args.home, demo=args.demo,
                                profile=args.profile, quiet=True)
        except (ConnectError, ValueError, OSError) as err:
            self._fail(err, errors.usage_error(f"cannot connect: {_first_line(err)}", errors.NOT_CONNECTED))
        use_workspace(workspace)
        return message(_describe(workspace))


# --- %recipient subcommands: one small function each, routed through RECIPIENT_COMMANDS ------------------

def _expires(value: str | None) -> int | None:
    from sharekit.sharing import parse_expires

    try:
        return parse_expires(value)
    except ValueError as err:
        raise errors.usage_error(f"--expires: {_first_line(err)}") from err


def _card(magics: ShareMagics, workspace: Any, name: str, title: str, link: str | None = None) -> ResultTable:
    from sharekit import sharing
    from sharekit.results import recipient_card

    summary = magics._call(f"recipient {name}", lambda: sharing.get_recipient(workspace, name))
    return recipient_card(summary, title, link)


def _list(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    from sharekit import sharing
    from sharekit.results import recipient_table

    return recipient_table(magics._call("listing recipients", lambda: sharing.list_recipients(workspace)))


def _show(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    return _card(magics, workspace, args.name, f"recipient {args.name}")


def _create(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    from sharekit import sharing
    from sharekit.config.apply import activation_url

    expires = _expires(args.expires)
    info = magics._call(f"creating recipient {args.name}", lambda: sharing.create_recipient(
        workspace, args.name, comment=args.comment, properties=dict(args.property), ip_access_list=args.ip,
        expires=expires))
    return _card(magics, workspace, info.name or args.name, f"created recipient {info.name}", activation_url(info))


def _update(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    from sharekit import sharing

    if args.ip and args.clear_ip:
        raise errors.usage_error("give --ip or --clear-ip, not both")
    expires = _expires(args.expires)
    ips = [] if args.clear_ip else args.ip
    if not any([args.comment is not None, args.property, args.remove_property, ips is not None, expires]):
        raise errors.usage_error("nothing to update: give --comment, --property, --remove-property, --ip, "
                                 "--clear-ip or --expires")
    magics._call(f"updating recipient {args.name}", lambda: sharing.update_recipient(
        workspace, args.name, comment=args.comment, set_properties=dict(args.property),
        remove_properties=args.remove_property, ip_access_list=ips, expires=expires))
    return _card(magics, workspace, args.name, f"updated recipient {args.name}")


def _rotate(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    from sharekit import sharing
    from sharekit.config.apply import activation_url

    if args.expire_existing_in < 0:
        raise errors.usage_error("--expire-existing-in must be 0 or more seconds")
    info = magics._call(f"rotating the token of {args.name}", lambda: sharing.rotate_token(
        workspace, args.name, expire_existing_in=args.expire_existing_in))
    keep = "now" if args.expire_existing_in == 0 else f"in {args.expire_existing_in} s"
    return _card(magics, workspace, args.name, f"new token for {args.name}; the previous one expires {keep}",
                 activation_url(info))


def _grant(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    from sharekit import sharing
    from sharekit.results import message

    verb = args.command
    action = sharing.grant if verb == "grant" else sharing.revoke
    magics._call(f"{verb} {args.share} for {args.name}", lambda: action(workspace, args.name, args.share))
    done = "granted SELECT on share {s} to {r}" if verb == "grant" else "revoked SELECT on share {s} from {r}"
    return message(done.format(s=args.share, r=args.name))


def _delete(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    from sharekit import sharing
    from sharekit.results import message

    if not args.yes:
        try:
            answer = magics.ask(f"Delete recipient {args.name}? It loses access to every share. [y/N] ")
        except (EOFError, OSError) as err:
            raise errors.usage_error("cannot ask for confirmation here; add --yes") from err
        if answer.strip().lower() not in ("y", "yes"):
            return message(f"kept recipient {args.name}", "warning")
    magics._call(f"deleting recipient {args.name}", lambda: sharing.delete_recipient(workspace, args.name))
    return message(f"deleted recipient {args.name}")


def _activation(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    from sharekit import sharing
    from sharekit.results import message

    link = magics._call(f"recipient {args.name}", lambda: sharing.activation_link(workspace, args.name))
    if not link:
        return message(f"{args.name} has no unused activation link (already activated?); "
                       f"%recipient rotate {args.name} issues a new one", "warning")
    return message(f"activation link for {args.name}", links={args.name: link})


def _preview(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> Any:
    from sharekit import sharing
    from sharekit.preview import PreviewUnavailable

    if not 0 <= args.limit <= 1000:
        raise errors.usage_error("--limit must be between 0 and 1000")
    try:
        return magics._call(f"preview of {args.share} for {args.name}",
                            lambda: sharing.preview_as(workspace, args.name, args.share, limit=args.limit))
    except PreviewUnavailable as err:
        magics._fail(err, errors.usage_error(str(err), errors.WORKSPACE_ERROR))


RECIPIENT_COMMANDS: dict[str, Callable[[ShareMagics, Any, argparse.Namespace], Any]] = {
    "list": _list, "show": _show, "create": _create, "update": _update, "rotate": _rotate, "grant": _grant,
    "revoke": _grant, "delete": _delete, "activation": _activation, "preview": _preview,
}


def _describe(workspace: Any) -> str:
    if workspace.kind == "local":
        return f"connected to the embedded sharing server at {workspace.host} (home {workspace.home})"
    return f"connected to Databricks workspace {workspace.host}"


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as err:
        raise errors.usage_error(f"cannot parse the arguments: {err}") from err


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext sharekit``: register the magics. The connection is made on first use."""
    ipython.register_magics(ShareMagics(ipython))
