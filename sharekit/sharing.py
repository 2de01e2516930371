"""Share, recipient and grant operations on a ``databricks.sdk.WorkspaceClient``.

Every function takes a ``Workspace`` (from ``sharekit.connect``) or a bare ``WorkspaceClient`` and makes only
SDK calls, so the same code runs against Databricks and the embedded server. ``current_workspace()`` is the
one place the notebook's connection lives (the magics and widgets share it).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union, cast

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.sharing import RecipientInfo

    from sharekit.config.apply import ApplyResult
    from sharekit.connect import Workspace

WorkspaceLike = Union["Workspace", "WorkspaceClient"]

_current: Workspace | None = None


def current_workspace(*, connect_if_needed: bool = True) -> Workspace | None:
    """The notebook's workspace: the one set by ``%sharekit connect``/``use_workspace``, else ``sharekit.connect()``."""
    global _current
    if _current is None and connect_if_needed:
        from sharekit.connect import connect

        _current = connect()
    return _current


def use_workspace(workspace: Workspace | None) -> Workspace | None:
    """Make ``workspace`` the current one (None forgets it); returns the previous one."""
    global _current
    previous, _current = _current, workspace
    return previous


def client_of(target: WorkspaceLike | None = None) -> WorkspaceClient:
    if target is None:
        workspace = current_workspace()
        if workspace is None:
            raise RuntimeError("no workspace: run %sharekit connect or sharekit.connect()")
        return workspace.client
    client = getattr(target, "client", None)
    return cast("WorkspaceClient", client if client is not None else target)


# --- recipients -------------------------------------------------------------------------------------------

_RELATIVE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_expires(text: str | int | dt.date | None, *, now: float | None = None) -> int | None:
    """Epoch ms from ``90d``/``12h`` (relative to now), an ISO date or date-time, or epoch ms."""
    if text is None:
        return None
    if isinstance(text, str):
        match = _RELATIVE.match(text)
        if match:
            seconds = int(match.group(1)) * _UNIT_S[match.group(2)]
            return int(((time.time() if now is None else now) + seconds) * 1000)
        if text.strip().isdigit():
            text = int(text.strip())
    from sharekit.config.model import parse_expiry

    return parse_expiry(text)


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
    from sharekit.config.state import RecipientState

    state = RecipientState.from_sdk(info)
    return RecipientSummary(state.name, state.authentication_type, state.activated,
                            None if state.activated else state.activation_url, state.token_expires, state.expires,
                            state.comment, state.properties, state.ip_access_list, tuple(sorted(shares)))


def _recipient_spec(**fields: Any) -> Any:
    """Validate recipient settings exactly as the config does; a ValueError with one short message."""
    from pydantic import ValidationError

    from sharekit.config.model import RecipientSpec

    try:
        return RecipientSpec(**fields)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        text = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        raise ValueError(f"{where}: {text}" if where else text) from None


def recipient_shares(target: WorkspaceLike | None, name: str) -> list[str]:
    client = client_of(target)
    shares: list[str] = []
    token: str | None = None
    while True:
        response = client.recipients.share_permissions(name, page_token=token) if token else \
            client.recipients.share_permissions(name)
        shares += [p.share_name for p in response.permissions_out or [] if p.share_name]
        token = response.next_page_token
        if not token:
            return sorted(shares)


def list_recipients(target: WorkspaceLike | None = None) -> list[RecipientSummary]:
    """Every recipient with activation state, token expiry and granted shares (the fewer of one permissions
    read per share or per recipient)."""
    from sharekit.config.live import list_share_names, read_grants

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


def get_recipient(target: WorkspaceLike | None, name: str) -> RecipientSummary:
    client = client_of(target)
    info = client.recipients.get(name)
    return _summary(info, recipient_shares(client, name))


def create_recipient(target: WorkspaceLike | None, name: str, *, comment: str | None = None,
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


def update_recipient(target: WorkspaceLike | None, name: str, *, comment: str | None = None,
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
        props = {k: v for k, v in props.items() if not k.lower().startswith("databricks")}
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


def rotate_token(target: WorkspaceLike | None, name: str, *, expire_existing_in: int = 0) -> RecipientInfo:
    """New token (and activation link); the current one expires in ``expire_existing_in`` seconds (0 = now)."""
    if expire_existing_in < 0:
        raise ValueError("expire_existing_in must be 0 or more seconds")
    return client_of(target).recipients.rotate_token(name, expire_existing_in)


def activation_link(target: WorkspaceLike | None, name: str) -> str | None:
    """The activation URL of the recipient's newest token, or None once it has been used."""
    from sharekit.config.apply import activation_url

    return activation_url(client_of(target).recipients.get(name))


def grant(target: WorkspaceLike | None, recipient: str, share: str) -> None:
    from databricks.sdk.service import sharing

    client_of(target).shares.update_permissions(
        share, changes=[sharing.PermissionsChange(principal=recipient, add=["SELECT"])])


def revoke(target: WorkspaceLike | None, recipient: str, share: str) -> None:
    from databricks.sdk.service import sharing

    client_of(target).shares.update_permissions(
        share, changes=[sharing.PermissionsChange(principal=recipient, remove=["SELECT"])])


def delete_recipient(target: WorkspaceLike | None, name: str) -> None:
    client_of(target).recipients.delete(name)


# --- tenant helper and activation --------------------------------------------------------------------------

def setup_tenant(target: WorkspaceLike | None, tenant: str, tables: Sequence[str | Mapping[str, Any]],
                 **options: Any) -> ApplyResult:
    """Share + tables + recipient + grant for one tenant, idempotent (see ``sharekit.config.tenant``)."""
    from sharekit.config.tenant import setup_tenant as run

    return run(target if target is not None else current_workspace(), tenant, tables, **options)  # type: ignore[arg-type]


setup_tenant_share = setup_tenant  # the playbook's MultiTenantSharingManager.setup_tenant_share name


# --- multi-tenant safety: preview and PII check (sharekit.preview) -------------------------------------------

def preview_as(target: WorkspaceLike | None, recipient: str, share: str, *, limit: int = 10) -> Any:
    """Per object of ``share``: the rows and columns ``recipient`` would receive (sample plus counts), computed by
    the embedded server's serving path. Raises ``PreviewUnavailable`` on Databricks."""
    from sharekit.preview import preview_as as run

    return run(target, recipient, share, limit=limit)


def pii_report(target: WorkspaceLike | None, table: str, *, limit: int = 200) -> Any:
    """Columns of ``table`` whose names or sampled values look like personal data (a ``PiiReport``)."""
    from sharekit.preview import pii_report as run

    return run(target, table, limit=limit)


def __getattr__(name: str) -> Any:
    if name == "activate":  # written by the protocol side; re-exported here once it exists
        from sharekit.activation import activate

        return activate
    raise AttributeError(f"module 'sharekit.sharing' has no attribute {name!r}")
