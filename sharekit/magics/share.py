"""``%%share``: apply a YAML configuration document to the current workspace (plan, then apply)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from IPython.display import display

from sharekit import errors
from sharekit.config.apply import ApplyFailed, apply
from sharekit.config.loader import ConfigError, Document, loads
from sharekit.display import ShareResult
from sharekit.magics.parsing import MagicParser, split

if TYPE_CHECKING:
    from sharekit.magics.extension import ShareMagics


def parser() -> MagicParser:
    parser = MagicParser(prog="%%share", add_help=False,
                         description="Apply a YAML share configuration (shares, recipients, grants, views).")
    parser.add_argument("--dry-run", action="store_true", help="show the plan without changing anything")
    parser.add_argument("--prune", action="store_true",
                        help="also delete shares and recipients the cell does not mention")
    parser.add_argument("--merge", action="store_true",
                        help="treat every share in the cell as objects_mode: merge (add and update, never remove)")
    parser.add_argument("--strict", action="store_true",
                        help="refuse to apply when an added table looks like personal data")
    parser.add_argument("--parallel", type=int, default=None, metavar="N",
                        help="calls in flight at most (default: %config ShareMagics.parallel)")
    parser.add_argument("-o", "--output", help="store the result in this variable instead of displaying it")
    return parser


def format_config_error(err: ConfigError) -> str:
    if len(err.issues) == 1:
        return f"{err.source}: {err.issues[0]}"
    return f"{err.source}: {len(err.issues)} problems:\n" + "\n".join(f"  {issue}" for issue in err.issues)


def merged(document: Document) -> Document:
    """The same document with every share additive (``objects_mode: merge``)."""
    shares = [share.model_copy(update={"objects_mode": "merge"}) for share in document.config.shares]
    return replace(document, config=document.config.model_copy(update={"shares": shares}))


def run(magics: ShareMagics, line: str, cell: str) -> ShareResult | None:
    args = parser().parse_args(split(line))
    try:
        document = loads("\n" + (cell or ""), source="%%share cell")  # line numbers as the notebook shows them
    except ConfigError as err:
        magics.fail(err, errors.usage_error(format_config_error(err), errors.CONFIG_INVALID))
    if args.merge:
        document = merged(document)
    workspace = magics.workspace()
    try:
        result = magics.call("reading the workspace", lambda: apply(
            workspace, document, prune=args.prune, dry_run=args.dry_run, check_tables=magics.check_tables,
            strict=args.strict, parallel=magics.parallel if args.parallel is None else args.parallel,
            progress=None if magics.progress else False, progress_min=magics.progress_threshold))
    except ConfigError as err:
        magics.fail(err, errors.usage_error(format_config_error(err), errors.CONFIG_INVALID))
    shown = ShareResult(result)
    if not result.ok and not result.dry_run:
        if args.output:
            magics.shell.user_ns[args.output] = shown
        display(shown)  # type: ignore[no-untyped-call]
        magics.fail(ApplyFailed(result), errors.usage_error(result.summary(), errors.APPLY_FAILED))
    output: ShareResult | None = magics.output(args.output, shown)
    return output
