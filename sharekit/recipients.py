"""Day-to-day recipient operations on a ``Workspace`` or a bare ``WorkspaceClient``: list, show, create,
update, rotate, grant, revoke, delete.

Only SDK calls, so the same code runs against Databricks and the embedded server; settings are validated
exactly as a configuration document validates them. ``%recipient``, the recipient form and
``sharekit.sharing`` use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sharekit import names
from sharekit.config.comparable import RecipientState, activation_url
from sharekit.config.live import follow_pages, list_share_names, read_grants
from sharekit.config.model import RecipientSpec
from sharekit.connect import WorkspaceLike, client_of

if TYPE_CHECKING:
    from databricks.sdk.service.sharing import RecipientInfo


@dataclass(frozen=True)
class RecipientSummary:
    name: str
    authentication_type: str
    activated: bool
    activation_url: str | None
    token_expires: int | None  # epoch ms of the newest token; None = never
    expires: int | None
    comment: str | None
    properties: dict[str, str] = field(default_factory=dict)
    ip_access_list: tuple[str, ...] = ()
    shares: tuple[str, ...] = ()


def _summary(info: RecipientInfo, shares: Sequence[str]) -> RecipientSummary:
    state = RecipientState.from_sdk(info)
    return RecipientSummary(state.name, state.authentication_type, state.activated,
                            None if state.activated else state.activation_url, state.token_expires, state.expires,
                            state.comment, state.properties, state.ip_access_list, tuple(sorted(shares)))


def _recipient_spec(**fields: Any) -> RecipientSpec:
    """Validate recipient settings exactly as the config does; a ValueError with one short message."""
    from pydantic import ValidationError

    try:
        return RecipientSpec(**fields)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        text = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        raise ValueError(f"{where}: {text}" if where else text) from None


def recipient_shares(target: WorkspaceLike, name: str) -> list[str]:
    client = client_of(target)
    pages = follow_pages(lambda token: client.recipients.share_permissions(name, page_token=token))
    return sorted(p.share_name for page in pages for p in page.permissions_out or [] if p.share_name)


def list_recipients(target: WorkspaceLike) -> list[RecipientSummary]:
    """Every recipient with activation state, token expiry and granted shares (the fewer of one permissions
    read per share or per recipient)."""
    client = client_of(target)
    infos = list(client.recipients.list())
    shares: dict[str, list[str]] = {(i.name or "").lower(): [] for i in infos}
    share_names = list_share_names(client) if infos else set()
    if len(share_names) <= len(infos):
        for share in sorted(share_names):
            for holder in read_grants(client, share):
                shares.setdefault(holder, []).append(share)
    else:
        for name in shares:
            shares[name] = recipient_shares(client, name)
    return [_summary(info, shares.get((info.name or "").lower(), [])) for info in
            sorted(infos, key=lambda i: i.name or "")]


def get_recipient(target: WorkspaceLike, name: str) -> RecipientSummary:
    client = client_of(target)
    info = client.recipients.get(name)
    return _summary(info, recipient_shares(client, name))


def create_recipient(target: WorkspaceLike, name: str, *, comment: str | None = None,
                     properties: Mapping[str, str] | None = None, ip_access_list: Sequence[str] | None = None,
                     expires: int | None = None, authentication_type: str = "TOKEN") -> RecipientInfo:
    """Create a TOKEN recipient; the activation link is in ``tokens[0].activation_url``."""
    from databricks.sdk.service import sharing

    spec = _recipient_spec(name=name, comment=comment, properties=dict(properties or {}),
                           ip_access_list=list(ip_access_list or []), expires=expires,
                           authentication_type=authentication_type)  # validates like the config does
    return client_of(target).recipients.create(
        spec.name, sharing.AuthenticationType(spec.authentication_type), comment=spec.comment,
        properties_kvpairs=sharing.SecurablePropertiesKvPairs(properties=spec.properties) if spec.properties else None,
        ip_access_list=sharing.IpAccessList(allowed_ip_addresses=spec.ip_access_list) if spec.ip_access_list else None,
        expiration_time=spec.expires)


def update_recipient(target: WorkspaceLike, name: str, *, comment: str | None = None,
                     set_properties: Mapping[str, str] | None = None, remove_properties: Sequence[str] = (),
                     ip_access_list: Sequence[str] | None = None, expires: int | None = None) -> RecipientInfo:
    """Change the given fields only. Properties are read-modify-write: the API replaces the whole map."""
    from databricks.sdk.service import sharing

    client = client_of(target)
    kwargs: dict[str, Any] = {}
    if comment is not None:
        kwargs["comment"] = comment
    if set_properties or remove_properties:
        current = client.recipients.get(name)
        props = dict(current.properties_kvpairs.properties or {}) if current.properties_kvpairs else {}
        props = {k: v for k, v in props.items() if not names.is_reserved_property(k, strict=True)}
        for key in remove_properties:
            props.pop(key, None)
        props.update(set_properties or {})
        _recipient_spec(name=name, properties=props)  # same validation as the config
        kwargs["properties_kvpairs"] = sharing.SecurablePropertiesKvPairs(properties=props)
    if ip_access_list is not None:
        _recipient_spec(name=name, ip_access_list=list(ip_access_list))
        kwargs["ip_access_list"] = sharing.IpAccessList(allowed_ip_addresses=list(ip_access_list))
    if expires is not None:
        kwargs["expiration_time"] = expires
    if kwargs:
        client.recipients.update(name, **kwargs)
    return client.recipients.get(name)


def rotate_token(target: WorkspaceLike, name: str, *, expire_existing_in: int = 0) -> RecipientInfo:
    """New token (and activation link); the current one expires in ``expire_existing_in`` s (0 = now)."""
    if expire_existing_in < 0:
        raise ValueError("expire_existing_in must be 0 or more seconds")
    return client_of(target).recipients.rotate_token(name, expire_existing_in)


def activation_link(target: WorkspaceLike, name: str) -> str | None:
    """The activation URL of the recipient's newest token, or None once it has been used."""
    return activation_url(client_of(target).recipients.get(name))


def grant(target: WorkspaceLike, recipient: str, share: str) -> None:
    _change_permission(target, share, recipient, add=True)


def revoke(target: WorkspaceLike, recipient: str, share: str) -> None:
    _change_permission(target, share, recipient, add=False)


def _change_permission(target: WorkspaceLike, share: str, recipient: str, *, add: bool) -> None:
    from databricks.sdk.service import sharing

    change = sharing.PermissionsChange(principal=recipient, add=["SELECT"]) if add else \
        sharing.PermissionsChange(principal=recipient, remove=["SELECT"])
    client_of(target).shares.update_permissions(share, changes=[change])


def delete_recipient(target: WorkspaceLike, name: str) -> None:
    client_of(target).recipients.delete(name)
