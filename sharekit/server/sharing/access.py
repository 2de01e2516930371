"""Who is calling the Delta Sharing API, from where, and what they may see.

Every protocol request: bearer token -> live token of an existing recipient, or a JWT that the federation
policies of exactly one OIDC_FEDERATION recipient accept (``federation``; 401/403 otherwise), the
recipient's IP access list (403), then the share must be granted to it. Grants are read from the metastore
on every request, so a revoke or a deletion takes effect on the next call. A share that does not exist and
a share that is not granted get the same answer, so a recipient cannot probe what exists.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request

from sharekit.names import OPEN_READABLE_TYPES, TABLE_LIKE_TYPES
from sharekit.server.audit.log import RequestAudit
from sharekit.server.errors import Forbidden, NotFound, Unauthenticated
from sharekit.server.metastore.records import Recipient, RecipientToken, Share, SharedObject
from sharekit.server.metastore.store import MetastoreStore
from sharekit.server.security.federated_tokens import looks_like_jwt
from sharekit.server.security.ip_access import ip_allowed
from sharekit.server.security.tokens import bearer_token
from sharekit.server.sharing.federation import federated_recipient
from sharekit.server.tables.registry import TableRegistry
from sharekit.server.tables.status import share_statuses

if TYPE_CHECKING:
    from sharekit.server.state import ServerState


@dataclass(frozen=True)
class Caller:
    recipient: Recipient
    token: RecipientToken | None  # None for an OIDC_FEDERATION recipient (its JWT is not stored)


def recipient(request: Request, state: ServerState, audit: RequestAudit) -> Caller:
    """The guard of the protocol routes: a recipient's bearer token, from an allowed address."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise Unauthenticated("Missing credentials: send 'Authorization: Bearer <token>' from the profile file")
    found = state.metastore.recipient_for_token(token, state.now_ms())
    if found is not None:
        who, live_token = found
    elif looks_like_jwt(token):  # an OIDC_FEDERATION recipient's token from its own identity provider
        who, live_token = federated_recipient(state, token, audit), None
    else:
        raise Unauthenticated("The bearer token is invalid or has expired")
    audit.request_params["recipient_name"] = who.name
    audit.request_params["recipient_id"] = who.id
    client = request.client
    if not ip_allowed(who.ip_access_list, client.host if client else None):
        raise Forbidden(f"Source IP address {client.host if client else 'unknown'} is not in the recipient's "
                        "IP access list")
    return Caller(who, live_token)


def granted_share(metastore: MetastoreStore, caller: Caller, share_name: str) -> Share:
    """The share if it is granted to the caller (``SELECT``); otherwise 403, whether it exists or not."""
    wanted = share_name.lower()
    for name in metastore.shares_for_recipient(caller.recipient.name):
        if name.lower() == wanted:
            try:
                return metastore.get_share(name)
            except NotFound:
                break  # deleted between the two reads
    raise Forbidden(f"User does not have SELECT on Share {share_name}")


@dataclass(frozen=True)
class VisibleTable:
    """A table as the recipient sees it in a share, and where its data lives."""

    share: Share
    schema: str  # as the recipient sees it
    name: str
    shared: SharedObject
    full_name: str  # the provider's catalog.schema.table

    @property
    def table_id(self) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sharekit:{self.share.id}:{self.full_name.lower()}"))


def visible_tables(tables: TableRegistry, share: Share) -> list[VisibleTable]:
    """Active table-like objects, plus every table of a shared SCHEMA, in share order (first name wins). Volumes,
    models, functions and notebooks are not served to open recipients; a PERMISSION_DENIED object shows nothing."""
    seen: set[tuple[str, str]] = set()
    found: list[VisibleTable] = []
    statuses = share_statuses(tables, share)
    for obj in share.objects:
        if statuses.get(obj.name) != "ACTIVE" or obj.data_object_type not in OPEN_READABLE_TYPES:
            continue
        for schema, name, full_name in _candidates(tables, obj):
            key = (schema.lower(), name.lower())
            if key not in seen:
                seen.add(key)
                found.append(VisibleTable(share, schema, name, obj, full_name))
    return found


def _candidates(tables: TableRegistry, obj: SharedObject) -> list[tuple[str, str, str]]:
    """(schema, name as the recipient sees them, provider's full name) of what one shared object shows."""
    kind = obj.data_object_type.upper()
    if kind in TABLE_LIKE_TYPES:
        schema, _, name = obj.recipient_name.partition(".")
        return [(schema, name, obj.name)]
    if kind != "SCHEMA":
        return []
    parts = obj.name.split(".")
    if len(parts) != 2:
        return []
    try:
        entries = tables.list_tables(parts[0], parts[1])
    except NotFound:
        return []
    alias = obj.shared_as or parts[1]
    return [(alias, entry.name, entry.full_name) for entry in entries if entry.table_type != "VIEW"]


def find_table(tables: TableRegistry, share: Share, schema: str, name: str) -> VisibleTable:
    """What ``visible_tables`` would answer for one name, checking the status of only the objects that show it
    (a query names one table; the share may hold hundreds of objects)."""
    key = (schema.lower(), name.lower())
    for obj in share.objects:
        if obj.data_object_type not in OPEN_READABLE_TYPES:
            continue
        match = next((c for c in _candidates(tables, obj) if (c[0].lower(), c[1].lower()) == key), None)
        if match is not None and share_statuses(tables, share, [obj]).get(obj.name) == "ACTIVE":
            return VisibleTable(share, match[0], match[1], obj, match[2])
    raise NotFound(f"Table {share.name}.{schema}.{name} does not exist.", "TABLE_DOES_NOT_EXIST")
