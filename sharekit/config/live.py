"""Read the live sharing configuration through ``WorkspaceClient`` (read calls only)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from sharekit.config.comparable import ObjectState, RecipientState
from sharekit.config.federation import PolicyState, read_policies
from sharekit.pii.check import columns_of

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


@dataclass
class LiveShare:
    name: str
    comment: str | None
    objects: dict[str, ObjectState]
    grants: set[str] | None = None  # recipients holding SELECT; None = not read
    owner: str | None = None
    storage_root: str | None = None

    @property
    def unnameable(self) -> list[str]:
        """Objects of a kind no document can name (left alone by every plan)."""
        return sorted(name for name, obj in self.objects.items() if not obj.nameable)


@dataclass
class LiveState:
    share_names: set[str] = field(default_factory=set)
    shares: dict[str, LiveShare] = field(default_factory=dict)  # only the shares read in full
    recipients: dict[str, RecipientState] = field(default_factory=dict)
    tables: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (catalog, schema) → table names
    schemas: dict[str, set[str]] = field(default_factory=dict)  # catalog → schema names
    views: dict[str, str | None] = field(default_factory=dict)  # full name → view definition (None = missing)
    columns: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # listed table → (column, type)s


def list_share_names(client: WorkspaceClient) -> set[str]:
    return {(info.name or "").lower() for info in client.shares.list_shares() if info.name}


def read_share(client: WorkspaceClient, name: str) -> LiveShare:
    info = client.shares.get(name, include_shared_data=True)
    objects = {}
    for index, obj in enumerate(info.objects or []):
        state = ObjectState.from_sdk(obj)
        key = state.name if state.nameable else f"{state.name or '?'}#{index}"  # never merge two unknowns
        objects[key] = state
    return LiveShare((info.name or name).lower(), info.comment or None, objects, owner=info.owner or None,
                     storage_root=info.storage_root or None)


GRANTING_PRIVILEGES = frozenset({"SELECT", "ALL_PRIVILEGES"})


def follow_pages(fetch: Callable[[str | None], Any]) -> Iterator[Any]:
    """Follow ``next_page_token`` by hand: the SDK's permission listings have no iterator."""
    token: str | None = None
    while True:
        page = fetch(token)
        yield page
        token = page.next_page_token
        if not token:
            return


def _grants_select(assignments: Iterable[Any] | None) -> bool:
    privileges = {getattr(p, "value", str(p)) for a in assignments or [] for p in a.privileges or []}
    return bool(privileges & GRANTING_PRIVILEGES)


def read_grants(client: WorkspaceClient, share: str) -> set[str]:
    """Recipients holding SELECT on ``share``."""
    pages = follow_pages(lambda token: client.shares.share_permissions(share, page_token=token))
    return {assignment.principal.lower() for page in pages for assignment in page.privilege_assignments or []
            if assignment.principal and _grants_select([assignment])}


def read_recipient_grants(client: WorkspaceClient, recipient: str) -> set[str]:
    """Shares on which ``recipient`` holds SELECT."""
    pages = follow_pages(lambda token: client.recipients.share_permissions(recipient, page_token=token))
    return {entry.share_name.lower() for page in pages for entry in page.permissions_out or []
            if entry.share_name and _grants_select(entry.privilege_assignments)}


def read_recipients(client: WorkspaceClient, *, policies: bool = False) -> dict[str, RecipientState]:
    """Every recipient; with ``policies`` the federation policies of the OIDC_FEDERATION ones too (export)."""
    out = {}
    for info in client.recipients.list():
        state = RecipientState.from_sdk(info)
        if policies and state.authentication_type == "OIDC_FEDERATION":
            state = replace(state, policies=read_policies_or_none(client, state.name))
        out[state.name] = state
    return out


def read_policies_or_none(client: WorkspaceClient, recipient: str) -> tuple[PolicyState, ...] | None:
    """None when the workspace has no federation-policy API (the policies are then not managed)."""
    from databricks.sdk.errors import NotFound
    from databricks.sdk.errors.platform import NotImplemented as NotImplementedByServer

    try:
        return read_policies(client, recipient)
    except (NotFound, NotImplementedByServer):
        return None


def read_tables(client: WorkspaceClient, catalog: str, schema: str,
                columns: dict[str, list[tuple[str, str]]] | None = None) -> set[str]:
    """The schema's table names; ``columns`` (when given) receives each table's columns from the same listing."""
    from databricks.sdk.errors import NotFound

    try:
        listed = list(client.tables.list(catalog, schema))
    except NotFound:
        return set()
    if columns is not None:
        columns.update(columns_of(listed))
    return {(t.name or "").lower() for t in listed}


def read_schemas(client: WorkspaceClient, catalog: str) -> set[str]:
    from databricks.sdk.errors import NotFound

    try:
        return {(s.name or "").lower() for s in client.schemas.list(catalog)}
    except NotFound:
        return set()


def read_view(client: WorkspaceClient, name: str) -> str | None:
    """The stored definition of a view, ``""`` for a non-view table of that name, None when missing."""
    from databricks.sdk.errors import NotFound

    try:
        info = client.tables.get(name)
    except NotFound:
        return None
    return info.view_definition or ""


def read_full(client: WorkspaceClient, shares: Iterable[str] | None = None) -> LiveState:
    """Everything export needs: the chosen shares (all by default) with objects and grants, and all recipients."""
    state = LiveState(share_names=list_share_names(client))
    wanted = sorted(state.share_names) if shares is None else [s.lower() for s in shares]
    for name in wanted:
        share = read_share(client, name)
        share.grants = read_grants(client, name)
        state.shares[share.name] = share
    state.recipients = read_recipients(client, policies=True)
    return state
