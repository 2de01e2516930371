"""``%recipient review`` and the rotation campaign of ``%recipient rotate``
(``--expiring-within 30d``, ``--never-expires``, several names, ``--grace 7d``).

A campaign shows its plan; ``--yes`` applies it and hands each new activation link to ``--notify NAME``, a notifier
in the notebook (``notify = webhook_notifier(url)``, or any callable): the links never reach a cell's output,
which a saved notebook keeps. ``%recipient rotate NAME`` alone stays the single rotation of ``magics.recipient``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from sharekit import errors
from sharekit.analytics import SharingAnalytics
from sharekit.magics.parsing import HelpShown, MagicParser, split
from sharekit.rotation import plan_rotation

if TYPE_CHECKING:
    from sharekit.magics.extension import ShareMagics

CAMPAIGN_OPTIONS = ("--expiring-within", "--never-expires", "--grace", "--notify", "--yes", "-o")
VALUE_OPTIONS = ("--expiring-within", "--grace", "--notify", "-o", "--expire-existing-in")


def handles(line: str) -> bool:
    """Whether ``%recipient line`` is a review or a campaign (anything but ``rotate NAME [--expire-existing-in]``)."""
    words = split(line)
    if not words or words[0] not in ("review", "rotate"):
        return False
    if words[0] == "review":
        return True
    names, options, after_option = [], [], False
    for word in words[1:]:
        if word.startswith("-"):
            options.append(word.split("=")[0])
            after_option = "=" not in word and word in VALUE_OPTIONS
        elif after_option:
            after_option = False  # the option's value
        else:
            names.append(word)
    return any(w in CAMPAIGN_OPTIONS for w in options) or len(names) != 1


def parser() -> MagicParser:
    parser = MagicParser(prog="%recipient", add_help=True, description="The access review and rotation campaigns")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=MagicParser)
    review = sub.add_parser("review", help="every credential, grant and refusal: one row per finding, a timeline")
    review.add_argument("--days", type=int, default=30, help="window for idle recipients and refusals (default 30)")
    review.add_argument("--expiring-within", type=int, default=14, metavar="DAYS", help="default 14")
    review.add_argument("-o", dest="output", metavar="NAME", help="store the result in this variable")
    rotate = sub.add_parser("rotate", help="a rotation campaign: the plan; --yes --notify NAME applies it")
    rotate.add_argument("names", nargs="*")
    rotate.add_argument("--expiring-within", metavar="DURATION", help="30d, 12h")
    rotate.add_argument("--never-expires", action="store_true")
    rotate.add_argument("--grace", default="7d", help="how long old tokens keep working at most (default 7d)")
    rotate.add_argument("--notify", metavar="NAME", help="a notifier variable of the notebook")
    rotate.add_argument("--yes", action="store_true", help="apply the plan")
    rotate.add_argument("-o", dest="output", metavar="NAME", help="store the plan (or the result) in this variable")
    return parser


def run(magics: ShareMagics, line: str) -> Any:
    try:
        args = parser().parse_args(split(line))
    except HelpShown:
        return None
    workspace = magics.workspace()
    return _review(magics, workspace, args) if args.command == "review" else _rotate(magics, workspace, args)


def _review(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> Any:
    if args.days < 1 or args.expiring_within < 0:
        raise errors.usage_error("--days must be 1 or more and --expiring-within 0 or more")
    result = magics.call("the access review", lambda: SharingAnalytics(workspace).access_review(
        days=args.days, expiring_within_days=args.expiring_within))
    return magics.output(args.output, result)


def _rotate(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> Any:
    notify = None
    if args.yes:
        if not args.notify:
            raise errors.usage_error("--yes needs --notify NAME (a notifier variable, e.g. notify = "
                                     "webhook_notifier(url)): new activation links are never shown in a cell")
        notify = magics.shell.user_ns.get(args.notify)
        if not callable(notify):
            raise errors.usage_error(f"--notify {args.notify}: no callable of that name in the notebook")
    plan = magics.call("planning the rotation", lambda: plan_rotation(
        workspace, args.names, expiring_within=args.expiring_within, never_expires=args.never_expires,
        grace=args.grace))
    if notify is None:
        return magics.output(args.output, plan)
    return magics.output(args.output, magics.call("rotating", lambda: plan.apply(notify)))
