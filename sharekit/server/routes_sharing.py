"""The open Delta Sharing protocol under /delta-sharing/.

Each handler declares its audit action first, authenticates the recipient (token, expiry, IP access list),
checks the grant, then answers. Data answers (query, changes) are built in ``sharing_query``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sharekit.server import paths, wire
from sharekit.server.audit.log import RequestAudit, audit_request, request_event
from sharekit.server.endpoint import server_state
from sharekit.server.errors import BadRequest, Forbidden, NotFound
from sharekit.server.metastore.records import Recipient, Share
from sharekit.server.partition_filter import ALLOW_ALL, for_recipient
from sharekit.server.recipient_auth import (
    Caller,
    VisibleTable,
    authenticate,
    find_table,
    granted_share,
    granted_shares,
    visible_tables,
)
from sharekit.server.security import signing
from sharekit.server.settings import PROTOCOL_MAX_PAGE_SIZE, PROTOCOL_PAGE_SIZE
from sharekit.server.sharing_query import (
    Answer,
    Signer,
    header_lines,
    query_snapshot,
    query_versions,
    table_changes,
)
from sharekit.server.state import ServerState
from sharekit.server.tables.snapshots import Snapshot, SnapshotCache

PREFIX = paths.PROTOCOL
TABLE_PATH = paths.PROTOCOL_TABLE


# -- listings -------------------------------------------------------------------------------------------

def _paging(request: Request, scope: str) -> tuple[int, int]:
    raw = request.query_params.get("maxResults")
    size = PROTOCOL_PAGE_SIZE
    if raw is not None:
        if not raw.isdigit() or len(raw) > 9:
            raise BadRequest("maxResults must be a non-negative integer")
        size = min(int(raw), PROTOCOL_MAX_PAGE_SIZE)
    token = request.query_params.get("pageToken")
    if not token:
        return 0, size
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset, bound = int(decoded["o"]), decoded["s"]
    except (ValueError, TypeError, KeyError) as err:
        raise BadRequest("Invalid pageToken") from err
    if offset < 0 or bound != scope:
        raise BadRequest("Invalid pageToken")
    return offset, size


def _page(items: list[dict[str, Any]], offset: int, size: int, scope: str) -> dict[str, Any]:
    chunk = items[offset:offset + size]
    token = None
    if offset + size < len(items):
        raw = json.dumps({"o": offset + size, "s": scope}).encode()
        token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return wire.page(chunk, token)


async def list_shares(request: Request) -> Response:
    entry = audit_request(request, "deltaSharingListShares", options=_options(request))
    caller = authenticate(request, entry)
    offset, size = _paging(request, "shares")
    catalog = server_state(request).metastore
    names = granted_shares(request, caller)
    window = names[offset:offset + size]
    ids = {}
    for name in window:
        try:
            ids[name] = catalog.get_share(name).id
        except NotFound:
            continue
    items = [wire.share_item(n, ids[n]) if n in ids else {"name": n} for n in names]
    return JSONResponse(_page(items, offset, size, "shares"))


async def get_share(request: Request) -> Response:
    name = request.path_params["share"]
    entry = audit_request(request, "deltaSharingGetShare", share=name)
    share = granted_share(request, authenticate(request, entry), name)
    return JSONResponse({"share": wire.share_item(share.name, share.id)})


async def list_schemas(request: Request) -> Response:
    name = request.path_params["share"]
    entry = audit_request(request, "deltaSharingListSchemas", share=name, options=_options(request))
    share = granted_share(request, authenticate(request, entry), name)
    offset, size = _paging(request, f"schemas:{share.id}")
    schemas = sorted({t.schema for t in visible_tables(request, share)}, key=str.lower)
    items = [wire.schema_item(s, share.name) for s in schemas]
    return JSONResponse(_page(items, offset, size, f"schemas:{share.id}"))


async def list_tables(request: Request) -> Response:
    name, schema = request.path_params["share"], request.path_params["schema"]
    entry = audit_request(request, "deltaSharingListTables", share=name, schema=schema, options=_options(request))
    share = granted_share(request, authenticate(request, entry), name)
    scope = f"tables:{share.id}:{schema.lower()}"
    offset, size = _paging(request, scope)
    tables = [t for t in visible_tables(request, share) if t.schema.lower() == schema.lower()]
    if not tables:
        raise NotFound(f"Schema {share.name}.{schema} does not exist.", "SCHEMA_DOES_NOT_EXIST")
    return JSONResponse(_page(_table_items(share, tables), offset, size, scope))


async def list_all_tables(request: Request) -> Response:
    name = request.path_params["share"]
    entry = audit_request(request, "deltaSharingListAllTables", share=name, options=_options(request))
    share = granted_share(request, authenticate(request, entry), name)
    scope = f"all-tables:{share.id}"
    offset, size = _paging(request, scope)
    tables = sorted(visible_tables(request, share), key=lambda t: (t.schema.lower(), t.name.lower()))
    return JSONResponse(_page(_table_items(share, tables), offset, size, scope))


def _table_items(share: Share, tables: list[VisibleTable]) -> list[dict[str, Any]]:
    return [wire.table_item(t.name, t.schema, share.name, share.id, t.table_id) for t in tables]


def _options(request: Request) -> str:
    return json.dumps(dict(request.query_params), sort_keys=True)


# -- table endpoints ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TableContext:
    state: ServerState
    caller: Caller
    table: VisibleTable
    path: str
    key: str
    audit: RequestAudit
    started: float  # perf_counter at the start of the handler
    view: Snapshot | None = None  # a shared view, materialised for this recipient

    @property
    def cache(self) -> SnapshotCache:
        return self.state.snapshots

    def signer(self) -> Signer:
        return Signer(self.state.secret, self.state.base_url, self.key, self.state.now_ms(),
                      area="v" if self.view is not None else "t")

    def no_history_on_view(self, what: str) -> None:
        if self.view is not None:
            raise BadRequest(f"{what} is not available on {self.table.schema}.{self.table.name}: shared views "
                             "have no history (only their current result is shared)", "UNSUPPORTED_OPERATION")


def served_view(state: ServerState, table: VisibleTable, recipient: Recipient) -> Snapshot | None:
    """The view behind ``table`` materialised for ``recipient``, or None when ``table`` is a Delta table. The one
    place a view's rows are chosen for a recipient (the preview route uses it too)."""
    source = state.tables.get(table.full_name)
    if source.table_type != "VIEW":
        return None
    return state.views.materialise(state.tables, source, recipient.properties, recipient.name)


def _table_context(request: Request, action: str) -> TableContext:
    started = time.perf_counter()
    params = request.path_params
    entry = audit_request(request, action, share=params["share"], schema=params["schema"], name=params["table"])
    caller = authenticate(request, entry)
    share = granted_share(request, caller, params["share"])
    table = find_table(request, share, params["schema"], params["table"])
    state = server_state(request)
    source = state.tables.get(table.full_name)
    key = signing.table_key(state.secret, table.full_name)
    if source.table_type == "VIEW":
        view = served_view(state, table, caller.recipient)
        assert view is not None
        return TableContext(state, caller, table, view.table_path, key, entry, started, view)
    state.table_keys.remember(key, source.path)
    return TableContext(state, caller, table, str(source.path), key, entry, started)


def _needs_history(ctx: TableContext, what: str) -> None:
    if not ctx.table.shared.history_shared:
        raise Forbidden(f"{what} is not available: table {ctx.table.schema}.{ctx.table.name} is shared without "
                        "history", "PERMISSION_DENIED")


def _check_start(ctx: TableContext, version: int) -> None:
    start = ctx.table.shared.start_version
    if start is not None and version < start:
        raise BadRequest(f"Version {version} is before the table's shared start version {start}")


def _parse_timestamp(text: str, name: str) -> int:
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as err:
        raise BadRequest(f"{name} must be an ISO-8601 timestamp such as 2026-01-01T00:00:00Z") from err
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return int(moment.timestamp() * 1000)


def _resolve_version(ctx: TableContext, version: int | None, timestamp: str | None) -> tuple[int, bool]:
    """The version to read and whether this is time travel."""
    latest = ctx.cache.latest_version(ctx.path)
    if version is None and timestamp is None:
        return latest, False
    _needs_history(ctx, "Time travel")
    if timestamp is not None:
        version = ctx.cache.version_at(ctx.path, _parse_timestamp(timestamp, "timestamp"))
    assert version is not None
    if version > latest:
        raise BadRequest(f"Version {version} does not exist; the latest version is {latest}")
    _check_start(ctx, version)
    return version, True


def _query_int(request: Request, key: str) -> int | None:
    raw = request.query_params.get(key)
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise BadRequest(f"{key} must be a non-negative integer")
    return int(raw)


def _ndjson(answer: Answer, fmt: str, caps: wire.Capabilities) -> Response:
    return Response(answer.body(fmt, caps.include_end_stream_action), media_type=wire.NDJSON, headers={
        wire.VERSION_HEADER: str(answer.version), wire.CAPABILITIES_HEADER: caps.response_header(fmt)})


async def table_version(request: Request) -> Response:
    def work() -> Response:
        ctx = _table_context(request, "deltaSharingGetTableVersion")
        starting = request.query_params.get("startingTimestamp")
        if ctx.view is not None:
            if starting is not None and request.method != "HEAD":
                ctx.no_history_on_view("startingTimestamp")
            version = ctx.view.version
        elif starting is None or request.method == "HEAD":
            version = ctx.cache.latest_version(ctx.path)
        else:
            _needs_history(ctx, "startingTimestamp")
            version = ctx.cache.version_at_or_after(ctx.path, _parse_timestamp(starting, "startingTimestamp"))
            _check_start(ctx, version)
        return Response(b"", headers={wire.VERSION_HEADER: str(version)})
    return await run_in_threadpool(work)


async def table_metadata(request: Request) -> Response:
    def work() -> Response:
        ctx = _table_context(request, "deltaSharingGetTableMetadata")
        caps = wire.Capabilities.parse(request.headers.get(wire.CAPABILITIES_HEADER))
        if ctx.view is not None:
            if _query_int(request, "version") is not None or request.query_params.get("timestamp"):
                ctx.no_history_on_view("Time travel")
            snapshot = ctx.view
        else:
            version, _ = _resolve_version(ctx, _query_int(request, "version"), request.query_params.get("timestamp"))
            snapshot = ctx.cache.snapshot(ctx.path, version)
        fmt = caps.choose(snapshot.protocol)
        answer = Answer(snapshot.version, header_lines(snapshot, fmt, _cdf_shared(ctx), with_stats=True))
        return _ndjson(answer, fmt, caps)
    return await run_in_threadpool(work)


def _cdf_shared(ctx: TableContext) -> bool:
    return ctx.table.shared.history_shared and ctx.table.shared.cdf_enabled


async def query_table(request: Request) -> Response:
    raw = await request.body()

    def work() -> Response:
        ctx = _table_context(request, "deltaSharingQueryTable")
        caps = wire.Capabilities.parse(request.headers.get(wire.CAPABILITIES_HEADER))
        try:
            parsed = json.loads(raw) if raw.strip() else None
        except (ValueError, RecursionError) as err:  # RecursionError: nested too deeply
            raise BadRequest("The query body is not valid JSON", "MALFORMED_REQUEST") from err
        body = wire.QueryBody.parse(parsed)
        partitions = for_recipient(ctx.table.shared, ctx.caller.recipient)
        if ctx.view is not None:
            if body.version is not None or body.timestamp is not None or body.starting_version is not None:
                ctx.no_history_on_view("Time travel and startingVersion")
            fmt = caps.choose(ctx.view.protocol)
            answer = query_snapshot(ctx.view, fmt, ctx.signer(), ALLOW_ALL, json_hints=None,
                                    limit_hint=body.limit_hint, time_travel=False, cdf_shared=False)
        elif body.starting_version is not None:
            _needs_history(ctx, "startingVersion")
            _check_start(ctx, body.starting_version)
            latest = ctx.cache.latest_version(ctx.path)
            end = latest if body.ending_version is None else min(body.ending_version, latest)
            if body.starting_version > latest or end < body.starting_version:
                raise BadRequest(f"startingVersion {body.starting_version} is after the latest version {latest}")
            fmt = caps.choose(ctx.cache.snapshot(ctx.path, body.starting_version).protocol)
            answer = query_versions(ctx.cache, ctx.path, body.starting_version, end, fmt, ctx.signer(), partitions,
                                    _cdf_shared(ctx))
        else:
            version, travel = _resolve_version(ctx, body.version, body.timestamp)
            snapshot = ctx.cache.snapshot(ctx.path, version)
            fmt = caps.choose(snapshot.protocol)
            answer = query_snapshot(snapshot, fmt, ctx.signer(), partitions, json_hints=body.json_predicate_hints,
                                    limit_hint=body.limit_hint, time_travel=travel, cdf_shared=_cdf_shared(ctx))
        _record_result(request, ctx, "deltaSharingQueriedTable", answer)
        return _ndjson(answer, fmt, caps)
    return await run_in_threadpool(work)


async def table_changes_route(request: Request) -> Response:
    def work() -> Response:
        ctx = _table_context(request, "deltaSharingQueryTableChanges")
        caps = wire.Capabilities.parse(request.headers.get(wire.CAPABILITIES_HEADER))
        ctx.no_history_on_view("Change data feed")
        if not _cdf_shared(ctx):
            raise Forbidden(f"Change data feed of {ctx.table.schema}.{ctx.table.name} is not shared (it needs "
                            "history sharing and CDF enabled on the shared table)", "PERMISSION_DENIED")
        start, end = _change_range(request, ctx)
        first = ctx.cache.snapshot(ctx.path, start)
        if not first.cdf_enabled:
            raise BadRequest(f"Change data feed is not enabled on the table at version {start}")
        fmt = caps.choose(first.protocol)
        answer = table_changes(ctx.cache, ctx.path, ctx.key, start, end, fmt, ctx.signer(),
                               for_recipient(ctx.table.shared, ctx.caller.recipient))
        _record_result(request, ctx, "deltaSharingQueriedTableChanges", answer)
        return _ndjson(answer, fmt, caps)
    return await run_in_threadpool(work)


def _change_range(request: Request, ctx: TableContext) -> tuple[int, int]:
    query = request.query_params
    latest = ctx.cache.latest_version(ctx.path)
    start = _query_int(request, "startingVersion")
    if start is None and query.get("startingTimestamp"):
        start = ctx.cache.version_at_or_after(ctx.path, _parse_timestamp(query["startingTimestamp"], "startingTimestamp"))
    if start is None:
        raise BadRequest("startingVersion or startingTimestamp is required")
    end = _query_int(request, "endingVersion")
    if end is None and query.get("endingTimestamp"):
        end = ctx.cache.version_at(ctx.path, _parse_timestamp(query["endingTimestamp"], "endingTimestamp"))
    end = latest if end is None else end
    if start > latest:
        raise BadRequest(f"startingVersion {start} is after the latest version {latest}")
    if end > latest:
        raise BadRequest(f"endingVersion {end} is after the latest version {latest}")
    if end < start:
        raise BadRequest(f"endingVersion {end} is before startingVersion {start}")
    _check_start(ctx, start)
    return start, end


def _record_result(request: Request, ctx: TableContext, action: str, answer: Answer) -> None:
    result = dict(answer.metrics)
    result.update(tableName=f"{ctx.table.share.name}.{ctx.table.schema}.{ctx.table.name}",
                  tableId=ctx.table.table_id, deltaSharingRecipientId=ctx.caller.recipient.id,
                  userAgent=request.headers.get("user-agent", ""),
                  durationMs=round((time.perf_counter() - ctx.started) * 1000, 3))
    ctx.state.audit.record(request_event(request.scope, ctx.audit, 200, action_name=action, result=result))


def routes() -> list[BaseRoute]:
    return [
        Route(PREFIX + "/shares", list_shares, methods=["GET"]),
        Route(PREFIX + "/shares/{share}", get_share, methods=["GET"]),
        Route(PREFIX + "/shares/{share}/schemas", list_schemas, methods=["GET"]),
        Route(PREFIX + "/shares/{share}/schemas/{schema}/tables", list_tables, methods=["GET"]),
        Route(PREFIX + "/shares/{share}/all-tables", list_all_tables, methods=["GET"]),
        Route(TABLE_PATH, table_version, methods=["HEAD"]),
        Route(TABLE_PATH + "/version", table_version, methods=["GET"]),
        Route(TABLE_PATH + "/metadata", table_metadata, methods=["GET"]),
        Route(TABLE_PATH + "/query", query_table, methods=["POST"]),
        Route(TABLE_PATH + "/changes", table_changes_route, methods=["GET"]),
    ]
