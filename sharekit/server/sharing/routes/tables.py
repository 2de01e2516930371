"""The protocol's table routes: version, metadata, query, changes.

Each resolves the table for the recipient (the share must be granted, the table visible in it; a shared view is
materialised for the recipient), then answers from the table's snapshots. Data answers are built in
``sharing.query``; a query also records ``deltaSharingQueriedTable(Changes)`` with its metrics.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sharekit.server.audit.log import request_event
from sharekit.server.endpoint import Call
from sharekit.server.errors import BadRequest, Forbidden
from sharekit.server.settings import PAGE_TOKEN_TTL_S, QUERY_PAGE_FILES_LIMIT, REFRESH_TOKEN_TTL_S
from sharekit.server.sharing import page_tokens, wire
from sharekit.server.sharing.access import Caller, VisibleTable, find_table, granted_share
from sharekit.server.sharing.partitions import ALLOW_ALL, PartitionFilter, for_recipient
from sharekit.server.sharing.query import (
    ALL,
    Answer,
    Page,
    Signer,
    header_lines,
    query_snapshot,
    query_versions,
    table_changes,
)
from sharekit.server.sharing.served import served_view
from sharekit.server.tables.snapshots import Snapshot, SnapshotCache


def table_params(request: Request) -> dict[str, Any]:
    """What the audit log records of a table request."""
    params = request.path_params
    return {"share": params["share"], "schema": params["schema"], "name": params["table"]}


@dataclass(frozen=True)
class TableContext:
    call: Call[Caller]
    table: VisibleTable
    path: str
    key: str
    view: Snapshot | None = None  # a shared view, materialised for this recipient

    @property
    def cache(self) -> SnapshotCache:
        return self.call.state.snapshots

    def signer(self) -> Signer:
        state = self.call.state
        return Signer(state.secret, state.base_url, self.key, state.now_ms(),
                      area="v" if self.view is not None else "t")

    def no_history_on_view(self, what: str) -> None:
        if self.view is not None:
            raise BadRequest(f"{what} is not available on {self.table.schema}.{self.table.name}: shared views "
                             "have no history (only their current result is shared)", "UNSUPPORTED_OPERATION")

    def needs_history(self, what: str) -> None:
        if not self.table.shared.history_shared:
            raise Forbidden(f"{what} is not available: table {self.table.schema}.{self.table.name} is shared "
                            "without history", "PERMISSION_DENIED")

    def check_start(self, version: int) -> None:
        start = self.table.shared.start_version
        if start is not None and version < start:
            raise BadRequest(f"Version {version} is before the table's shared start version {start}")

    @property
    def cdf_shared(self) -> bool:
        return self.table.shared.history_shared and self.table.shared.cdf_enabled


def _context(call: Call[Caller]) -> TableContext:
    state = call.state
    share = granted_share(state.metastore, call.who, call.path("share"))
    table = find_table(state.tables, share, call.path("schema"), call.path("table"))
    source = state.tables.get(table.full_name)
    key = state.table_keys.key(table.full_name)
    if source.table_type == "VIEW":
        view = served_view(state.tables, state.views, table, call.who.recipient)
        assert view is not None
        return TableContext(call, table, view.table_path, key, view)
    state.table_keys.remember(key, source.path)
    return TableContext(call, table, str(source.path), key)


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
    ctx.needs_history("Time travel")
    if timestamp is not None:
        version = ctx.cache.version_at(ctx.path, _parse_timestamp(timestamp, "timestamp"))
    assert version is not None
    if version > latest:
        raise BadRequest(f"Version {version} does not exist; the latest version is {latest}")
    ctx.check_start(version)
    return version, True


def _query_int(request: Request, key: str) -> int | None:
    raw = request.query_params.get(key)
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise BadRequest(f"{key} must be a non-negative integer")
    return int(raw)


def _capabilities(call: Call[Caller]) -> wire.Capabilities:
    return wire.Capabilities.parse(call.request.headers.get(wire.CAPABILITIES_HEADER))


def _ndjson(answer: Answer, fmt: str, caps: wire.Capabilities, paging: Paging | None = None,
            refresh_token: str | None = None) -> Response:
    """The NDJSON answer. An EndStreamAction ends it only for a client that asked for one or that uses page or
    refresh tokens (the Python client uses neither, and fails on a line it does not know)."""
    end_stream = caps.include_end_stream_action or (paging is not None and paging.used)
    next_token = paging.next_token(answer) if paging is not None else None
    return Response(answer.body(end_stream, next_page_token=next_token, refresh_token=refresh_token),
                    media_type=wire.NDJSON, headers={wire.VERSION_HEADER: str(answer.version),
                                                     wire.CAPABILITIES_HEADER: caps.response_header(fmt)})


@dataclass(frozen=True)
class Paging:
    """The file-level pagination of one query (``maxFiles`` / ``pageToken``, ``sharing.page_tokens``): where this
    page starts, and the token of the next one, bound to the version(s) the first page resolved."""

    ctx: TableContext
    scope: page_tokens.Scope
    max_files: int | None
    token: str | None
    used: bool  # the client speaks the protocol's tokens (so it expects an EndStreamAction)

    @classmethod
    def of(cls, ctx: TableContext, kind: str, parameters: dict[str, Any], max_files: int | None,
           token: str | None, used: bool) -> Paging:
        scope = page_tokens.Scope.of(kind, ctx.key, ctx.call.who.recipient.id, parameters)
        return cls(ctx, scope, max_files, token, used)

    def cursor(self) -> page_tokens.Cursor | None:
        """Where the previous page left off (None on a first page)."""
        if self.token is None:
            return None
        state = self.ctx.call.state
        return page_tokens.read(state.secret, self.token, self.scope, state.now_ms())

    def page(self, cursor: page_tokens.Cursor | None) -> Page:
        if self.max_files is None and self.token is None:
            return ALL
        size = min(self.max_files or QUERY_PAGE_FILES_LIMIT, QUERY_PAGE_FILES_LIMIT)
        return Page(cursor.position if cursor else 0, size)

    def next_token(self, answer: Answer) -> str | None:
        if answer.next_position is None:
            return None
        end = answer.metrics.get("endingVersion")
        cursor = page_tokens.Cursor(answer.metrics["tableVersion"], end, answer.next_position)
        state = self.ctx.call.state
        return page_tokens.issue(state.secret, self.scope, cursor, state.now_ms() + PAGE_TOKEN_TTL_S * 1000)


def table_version(call: Call[Caller]) -> Response:
    ctx = _context(call)
    request = call.request
    starting = request.query_params.get("startingTimestamp")
    if ctx.view is not None:
        if starting is not None and request.method != "HEAD":
            ctx.no_history_on_view("startingTimestamp")
        version = ctx.view.version
    elif starting is None or request.method == "HEAD":
        version = ctx.cache.latest_version(ctx.path)
    else:
        ctx.needs_history("startingTimestamp")
        version = ctx.cache.version_at_or_after(ctx.path, _parse_timestamp(starting, "startingTimestamp"))
        ctx.check_start(version)
    return Response(b"", headers={wire.VERSION_HEADER: str(version)})


def table_metadata(call: Call[Caller]) -> Response:
    ctx = _context(call)
    caps = _capabilities(call)
    query = call.request.query_params
    if ctx.view is not None:
        if _query_int(call.request, "version") is not None or query.get("timestamp"):
            ctx.no_history_on_view("Time travel")
        snapshot = ctx.view
    else:
        version, _ = _resolve_version(ctx, _query_int(call.request, "version"), query.get("timestamp"))
        snapshot = ctx.cache.snapshot(ctx.path, version)
    fmt = caps.choose(snapshot.protocol)
    answer = Answer(snapshot.version, header_lines(snapshot, fmt, ctx.cdf_shared, with_stats=True))
    return _ndjson(answer, fmt, caps)


def query_table(call: Call[Caller]) -> Response:
    ctx = _context(call)
    caps = _capabilities(call)
    try:
        parsed = json.loads(call.raw) if call.raw.strip() else None
    except (ValueError, RecursionError) as err:  # RecursionError: nested too deeply
        raise BadRequest("The query body is not valid JSON", "MALFORMED_REQUEST") from err
    body = wire.QueryBody.parse(parsed)
    kind = page_tokens.VERSIONS if body.starting_version is not None else page_tokens.PAGE
    paging = Paging.of(ctx, kind, body.checked_parameters(), body.max_files, body.page_token, body.uses_tokens)
    cursor = paging.cursor()
    refresh: str | None = None
    if ctx.view is not None:
        if body.version is not None or body.timestamp is not None or body.starting_version is not None:
            ctx.no_history_on_view("Time travel and startingVersion")
        _same_version(ctx.view.version, cursor)
        _same_version(ctx.view.version, _refreshed(ctx, body))
        fmt = caps.choose(ctx.view.protocol)
        answer = query_snapshot(ctx.view, fmt, ctx.signer(), ALLOW_ALL, json_hints=None,
                                limit_hint=body.limit_hint, time_travel=False, cdf_shared=False,
                                page=paging.page(cursor))
    elif body.starting_version is not None:
        fmt, answer = _query_versions(ctx, caps, body, paging, cursor)
    else:
        version, travel = _snapshot_version(ctx, body, cursor)
        snapshot = ctx.cache.snapshot(ctx.path, version)
        fmt = caps.choose(snapshot.protocol)
        answer = query_snapshot(snapshot, fmt, ctx.signer(), _partitions(ctx), json_hints=body.json_predicate_hints,
                                limit_hint=body.limit_hint, time_travel=travel, cdf_shared=ctx.cdf_shared,
                                page=paging.page(cursor))
    if body.include_refresh_token and body.version is None and body.timestamp is None \
            and body.starting_version is None:
        refresh = _refresh_token(ctx, body, answer.version)
    _record_result(ctx, "deltaSharingQueriedTable", answer)
    return _ndjson(answer, fmt, caps, paging, refresh)


def _same_version(current: int, cursor: page_tokens.Cursor | None) -> None:
    """A shared view has no history: a page or refresh of it exists only while its result is the one paged."""
    if cursor is not None and cursor.version != current:
        raise BadRequest("token refused: the shared view changed since the first answer; start the query again")


def _refreshed(ctx: TableContext, body: wire.QueryBody) -> page_tokens.Cursor | None:
    """The snapshot a refresh token pins (None without one)."""
    if body.refresh_token is None:
        return None
    state = ctx.call.state
    scope = page_tokens.Scope.of(page_tokens.REFRESH, ctx.key, ctx.call.who.recipient.id, body.checked_parameters())
    return page_tokens.read(state.secret, body.refresh_token, scope, state.now_ms())


def _snapshot_version(ctx: TableContext, body: wire.QueryBody, cursor: page_tokens.Cursor | None) -> tuple[int, bool]:
    """The version a snapshot query reads: pinned by its page or refresh token, else resolved as asked."""
    refreshed = _refreshed(ctx, body)
    version = None if refreshed is None else refreshed.version
    travel = body.version is not None or body.timestamp is not None
    if cursor is not None:
        if version is not None and cursor.version != version:
            raise BadRequest("pageToken and refreshToken name different versions of the table")
        version = cursor.version
    if version is None:
        return _resolve_version(ctx, body.version, body.timestamp)
    return version, travel


def _refresh_token(ctx: TableContext, body: wire.QueryBody, version: int) -> str:
    """A token that re-answers this snapshot query at ``version`` with freshly signed URLs."""
    state = ctx.call.state
    parameters = body.checked_parameters()
    scope = page_tokens.Scope.of(page_tokens.REFRESH, ctx.key, ctx.call.who.recipient.id, parameters)
    return page_tokens.issue(state.secret, scope, page_tokens.Cursor(version),
                             state.now_ms() + REFRESH_TOKEN_TTL_S * 1000)


def _query_versions(ctx: TableContext, caps: wire.Capabilities, body: wire.QueryBody, paging: Paging,
                    cursor: page_tokens.Cursor | None) -> tuple[str, Answer]:
    """``startingVersion`` queries: the files each commit of the range added and removed."""
    assert body.starting_version is not None
    ctx.needs_history("startingVersion")
    ctx.check_start(body.starting_version)
    latest = ctx.cache.latest_version(ctx.path)
    end = latest if body.ending_version is None else min(body.ending_version, latest)
    if cursor is not None and cursor.end is not None:
        end = cursor.end  # the range the first page resolved, even if the table moved on since
    if body.starting_version > latest or end < body.starting_version:
        raise BadRequest(f"startingVersion {body.starting_version} is after the latest version {latest}")
    fmt = caps.choose(ctx.cache.snapshot(ctx.path, body.starting_version).protocol)
    return fmt, query_versions(ctx.cache, ctx.path, body.starting_version, end, fmt, ctx.signer(), _partitions(ctx),
                               ctx.cdf_shared, page=paging.page(cursor))


def _partitions(ctx: TableContext) -> PartitionFilter:
    return for_recipient(ctx.table.shared, ctx.call.who.recipient)


def table_changes_route(call: Call[Caller]) -> Response:
    ctx = _context(call)
    caps = _capabilities(call)
    ctx.no_history_on_view("Change data feed")
    if not ctx.cdf_shared:
        raise Forbidden(f"Change data feed of {ctx.table.schema}.{ctx.table.name} is not shared (it needs "
                        "history sharing and CDF enabled on the shared table)", "PERMISSION_DENIED")
    query = call.request.query_params
    parameters = {k: query.get(k) for k in ("startingVersion", "startingTimestamp", "endingVersion",
                                             "endingTimestamp", "includeHistoricalMetadata")}
    token = query.get("pageToken") or None
    paging = Paging.of(ctx, page_tokens.CHANGES, parameters, wire.max_files(query.get("maxFiles")), token,
                       used="maxFiles" in query or token is not None)
    cursor = paging.cursor()
    start, end = _change_range(ctx) if cursor is None or cursor.end is None else (cursor.version, cursor.end)
    first = ctx.cache.snapshot(ctx.path, start)
    if not first.cdf_enabled:
        raise BadRequest(f"Change data feed is not enabled on the table at version {start}")
    fmt = caps.choose(first.protocol)
    answer = table_changes(ctx.cache, ctx.path, ctx.key, start, end, fmt, ctx.signer(), _partitions(ctx),
                           page=paging.page(cursor))
    _record_result(ctx, "deltaSharingQueriedTableChanges", answer)
    return _ndjson(answer, fmt, caps, paging)


def _change_range(ctx: TableContext) -> tuple[int, int]:
    request = ctx.call.request
    query = request.query_params
    latest = ctx.cache.latest_version(ctx.path)
    start = _query_int(request, "startingVersion")
    if start is None and query.get("startingTimestamp"):
        start = ctx.cache.version_at_or_after(ctx.path, _parse_timestamp(query["startingTimestamp"],
                                                                         "startingTimestamp"))
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
    ctx.check_start(start)
    return start, end


def _record_result(ctx: TableContext, action: str, answer: Answer) -> None:
    call = ctx.call
    result = dict(answer.metrics)
    result.update(tableName=f"{ctx.table.share.name}.{ctx.table.schema}.{ctx.table.name}",
                  tableId=ctx.table.table_id, deltaSharingRecipientId=call.who.recipient.id,
                  userAgent=call.request.headers.get("user-agent", ""),
                  durationMs=round((time.perf_counter() - call.started) * 1000, 3))
    call.state.audit.record(request_event(call.request.scope, call.audit, 200, action_name=action, result=result))
