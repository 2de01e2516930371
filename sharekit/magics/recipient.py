"""``%recipient``: day-to-day recipient work, one small function per subcommand, routed by ``COMMANDS``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sharekit import errors, recipients
from sharekit.config.comparable import activation_url
from sharekit.config.expiry import parse_expires
from sharekit.display import ResultTable, message, recipient_card, recipient_table
from sharekit.magics import credentials
from sharekit.magics.parsing import HelpShown, MagicParser, first_line, key_value, split
from sharekit.preview import PreviewUnavailable, preview_as

if TYPE_CHECKING:
    from sharekit.magics.extension import ShareMagics


def parser() -> MagicParser:
    parser = MagicParser(prog="%recipient", add_help=True,
                         description="Recipient commands: list, show, create, update, rotate, grant, revoke, delete, "
                                     "activation, preview, policy")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=MagicParser)
    _policy_parser(sub)
    sub.add_parser("list", help="all recipients with activation state, token expiry and shares")
    for name, text in (("show", "one recipient in detail"), ("activation", "the activation link")):
        sub.add_parser(name, help=text).add_argument("name")
    for verb in ("create", "update"):
        p = sub.add_parser(verb, help=f"{verb} a recipient")
        p.add_argument("name")
        p.add_argument("--comment")
        p.add_argument("--property", action="append", type=key_value, default=[], metavar="KEY=VALUE")
        p.add_argument("--ip", action="append", default=None, metavar="CIDR")
        p.add_argument("--expires", help="90d, 12h, an ISO date/date-time, or epoch ms")
        p.add_argument("--owner", help="the user or group that owns the recipient")
        if verb == "create":
            p.add_argument("--type", default="TOKEN", type=_auth_type, choices=list(recipients.AUTHENTICATION_TYPES),
                           metavar="token|databricks|oidc", help="how the recipient authenticates (default token)")
            p.add_argument("--sharing-id", help="DATABRICKS: the recipient's <cloud>:<region>:<metastore-uuid>")
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


def _auth_type(value: str) -> str:
    kind = value.strip().upper()
    return {"OIDC": "OIDC_FEDERATION", "D2D": "DATABRICKS"}.get(kind, kind)


def _policy_parser(sub: Any) -> None:
    policy = sub.add_parser("policy", help="OIDC federation policies of an OIDC_FEDERATION recipient")
    verbs = policy.add_subparsers(dest="policy_command", required=True, parser_class=MagicParser)
    verbs.add_parser("list", help="the recipient's policies").add_argument("name")
    add = verbs.add_parser("add", help="accept tokens of an issuer for an audience and subject")
    add.add_argument("name")
    add.add_argument("policy", help="policy name: lowercase letters, digits, '-'")
    add.add_argument("--issuer", required=True, help="the identity provider's issuer URL (the iss claim)")
    add.add_argument("--audience", action="append", required=True, help="an accepted aud (repeatable)")
    add.add_argument("--subject", required=True, help="the value the subject claim must hold")
    add.add_argument("--subject-claim", default="sub", help="oid | azp | groups | sub (default sub)")
    add.add_argument("--comment")
    remove = verbs.add_parser("remove", help="stop accepting a policy's tokens")
    remove.add_argument("name")
    remove.add_argument("policy")


def run(magics: ShareMagics, line: str) -> Any:
    if credentials.handles(line):  # review and rotation campaigns: magics/credentials.py
        return credentials.run(magics, line)
    try:
        args = parser().parse_args(split(line))
    except HelpShown:
        return None
    workspace = magics.workspace()
    return COMMANDS[args.command](magics, workspace, args)


def _expires(value: str | None) -> int | None:
    try:
        return parse_expires(value)
    except ValueError as err:
        raise errors.usage_error(f"--expires: {first_line(err)}") from err


def _card(magics: ShareMagics, workspace: Any, name: str, title: str, link: str | None = None) -> ResultTable:
    summary = magics.call(f"recipient {name}", lambda: recipients.get_recipient(workspace, name))
    return recipient_card(summary, title, link)


def _list(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    return recipient_table(magics.call("listing recipients", lambda: recipients.list_recipients(workspace)))


def _show(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    return _card(magics, workspace, args.name, f"recipient {args.name}")


def _create(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    expires = _expires(args.expires)
    info = magics.call(f"creating recipient {args.name}", lambda: recipients.create_recipient(
        workspace, args.name, comment=args.comment, properties=dict(args.property), ip_access_list=args.ip,
        expires=expires, authentication_type=args.type, sharing_id=args.sharing_id, owner=args.owner))
    return _card(magics, workspace, info.name or args.name, f"created recipient {info.name}", activation_url(info))


def _update(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    if args.ip and args.clear_ip:
        raise errors.usage_error("give --ip or --clear-ip, not both")
    expires = _expires(args.expires)
    ips = [] if args.clear_ip else args.ip
    if not any([args.comment is not None, args.property, args.remove_property, ips is not None, expires,
                args.owner]):
        raise errors.usage_error("nothing to update: give --comment, --property, --remove-property, --ip, "
                                 "--clear-ip, --expires or --owner")
    magics.call(f"updating recipient {args.name}", lambda: recipients.update_recipient(
        workspace, args.name, comment=args.comment, set_properties=dict(args.property),
        remove_properties=args.remove_property, ip_access_list=ips, expires=expires, owner=args.owner))
    return _card(magics, workspace, args.name, f"updated recipient {args.name}")


def _rotate(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    if args.expire_existing_in < 0:
        raise errors.usage_error("--expire-existing-in must be 0 or more seconds")
    info = magics.call(f"rotating the token of {args.name}", lambda: recipients.rotate_token(
        workspace, args.name, expire_existing_in=args.expire_existing_in))
    keep = "now" if args.expire_existing_in == 0 else f"in {args.expire_existing_in} s"
    return _card(magics, workspace, args.name, f"new token for {args.name}; the previous one expires {keep}",
                 activation_url(info))


def _grant(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    verb = args.command
    action = recipients.grant if verb == "grant" else recipients.revoke
    magics.call(f"{verb} {args.share} for {args.name}", lambda: action(workspace, args.name, args.share))
    done = "granted SELECT on share {s} to {r}" if verb == "grant" else "revoked SELECT on share {s} from {r}"
    return message(done.format(s=args.share, r=args.name))


def _delete(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    if not args.yes:
        try:
            answer = magics.ask(f"Delete recipient {args.name}? It loses access to every share. [y/N] ")
        except (EOFError, OSError) as err:
            raise errors.usage_error("cannot ask for confirmation here; add --yes") from err
        if answer.strip().lower() not in ("y", "yes"):
            return message(f"kept recipient {args.name}", "warning")
    magics.call(f"deleting recipient {args.name}", lambda: recipients.delete_recipient(workspace, args.name))
    return message(f"deleted recipient {args.name}")


def _activation(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    summary = magics.call(f"recipient {args.name}", lambda: recipients.get_recipient(workspace, args.name))
    if not summary.has_activation_link:
        how = "its workspace connects with its sharing identifier" if summary.authentication_type == "DATABRICKS" \
            else "it signs in with its own identity provider (%recipient policy list " + args.name + ")"
        return message(f"{args.name} is a {summary.authentication_type} recipient: no activation link; {how}",
                       "warning")
    link = magics.call(f"recipient {args.name}", lambda: recipients.activation_link(workspace, args.name))
    if not link:
        return message(f"{args.name} has no unused activation link (already activated?); "
                       f"%recipient rotate {args.name} issues a new one", "warning")
    return message(f"activation link for {args.name}", links={args.name: link})


def _preview(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> Any:
    if not 0 <= args.limit <= 1000:
        raise errors.usage_error("--limit must be between 0 and 1000")
    try:
        return magics.call(f"preview of {args.share} for {args.name}",
                           lambda: preview_as(workspace, args.name, args.share, limit=args.limit))
    except PreviewUnavailable as err:
        magics.fail(err, errors.usage_error(str(err), errors.WORKSPACE_ERROR))


def _policy(magics: ShareMagics, workspace: Any, args: argparse.Namespace) -> ResultTable:
    name, verb = args.name, args.policy_command
    if verb == "add":
        magics.call(f"adding policy {args.policy} to {name}", lambda: recipients.add_federation_policy(
            workspace, name, args.policy, issuer=args.issuer, audiences=args.audience, subject=args.subject,
            subject_claim=args.subject_claim, comment=args.comment))
        return _card(magics, workspace, name, f"added federation policy {args.policy} to {name}")
    if verb == "remove":
        magics.call(f"removing policy {args.policy} of {name}",
                    lambda: recipients.remove_federation_policy(workspace, name, args.policy))
        return _card(magics, workspace, name, f"removed federation policy {args.policy} of {name}")
    policies = magics.call(f"policies of {name}", lambda: recipients.list_federation_policies(workspace, name))
    rows = [[p.name, p.issuer, ", ".join(p.audiences), p.subject_claim, p.subject, p.comment or ""]
            for p in policies]
    return ResultTable(f"{len(rows)} federation policy(ies) of {name}",
                       ["name", "issuer", "audiences", "subject claim", "subject", "comment"], rows)


COMMANDS: dict[str, Callable[[ShareMagics, Any, argparse.Namespace], Any]] = {
    "list": _list, "show": _show, "create": _create, "update": _update, "rotate": _rotate, "grant": _grant,
    "revoke": _grant, "delete": _delete, "activation": _activation, "preview": _preview, "policy": _policy,
}
