"""The protocol's listings: shares, a share, its schemas, the tables of a schema, all tables of a share.

Pages use the offset page tokens of ``metastore.paging``, bound to the listing they came from.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from sharekit.server.endpoint import Call
from sharekit.server.errors import BadRequest, NotFound
from sharekit.server.metastore.paging import decode_offset, offset_page
from sharekit.server.metastore.records import Share
from sharekit.server.settings import PROTOCOL_MAX_PAGE_SIZE, PROTOCOL_PAGE_SIZE
from sharekit.server.sharing import wire
from sharekit.server.sharing.access import Caller, VisibleTable, granted_share, visible_tables
from sharekit.types import JSONObject


def options(request: Request) -> str:
    """The query parameters of a listing, as its audit log records them."""
    return json.dumps(dict(request.query_params), sort_keys=True)


def _paging(request: Request, scope: str) -> tuple[int, int]:
    raw = request.query_params.get("maxResults")
    size = PROTOCOL_PAGE_SIZE
    if raw is not None:
        if not raw.isdigit() or len(raw) > 9:
            raise BadRequest("maxResults must be a non-negative integer")
        size = min(int(raw), PROTOCOL_MAX_PAGE_SIZE)
    return decode_offset(request.query_params.get("pageToken"), scope), size


def _page(items: list[dict[str, Any]], offset: int, size: int, scope: str) -> JSONObject:
    chunk, token = offset_page(items, offset, size, scope)
    return wire.page(chunk, token)


def _share(call: Call[Caller]) -> Share:
    return granted_share(call.state.metastore, call.who, call.path("share"))


def list_shares(call: Call[Caller]) -> JSONObject:
    offset, size = _paging(call.request, "shares")
    shares = call.state.metastore.share_ids_for_recipient(call.who.recipient.name)
    return _page([wire.share_item(name, share_id) for name, share_id in shares], offset, size, "shares")


def get_share(call: Call[Caller]) -> JSONObject:
    share = _share(call)
    return {"share": wire.share_item(share.name, share.id)}


def list_schemas(call: Call[Caller]) -> JSONObject:
    share = _share(call)
    scope = f"schemas:{share.id}"
    offset, size = _paging(call.request, scope)
    schemas = sorted({t.schema for t in visible_tables(call.state.tables, share)}, key=str.lower)
    return _page([wire.schema_item(s, share.name) for s in schemas], offset, size, scope)


def list_tables(call: Call[Caller]) -> JSONObject:
    share = _share(call)
    schema = call.path("schema")
    scope = f"tables:{share.id}:{schema.lower()}"
    offset, size = _paging(call.request, scope)
    tables = [t for t in visible_tables(call.state.tables, share) if t.schema.lower() == schema.lower()]
    if not tables:
        raise NotFound(f"Schema {share.name}.{schema} does not exist.", "SCHEMA_DOES_NOT_EXIST")
    return _page(_table_items(share, tables), offset, size, scope)


def list_all_tables(call: Call[Caller]) -> JSONObject:
    share = _share(call)
    scope = f"all-tables:{share.id}"
    offset, size = _paging(call.request, scope)
    tables = sorted(visible_tables(call.state.tables, share), key=lambda t: (t.schema.lower(), t.name.lower()))
    return _page(_table_items(share, tables), offset, size, scope)


def _table_items(share: Share, tables: list[VisibleTable]) -> list[dict[str, Any]]:
    return [wire.table_item(t.name, t.schema, share.name, share.id, t.table_id) for t in tables]
