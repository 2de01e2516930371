"""Statement execution (read-only SQL over system.access.audit) and the one warehouse w.warehouses.list() shows.

Wire shapes follow ``databricks.sdk.service.sql``: request-acceptance errors are 4xx; execution failures are
HTTP 200 with ``status.state = FAILED``. ``INLINE`` + ``JSON_ARRAY`` only; results come in chunks of
``CHUNK_ROWS`` rows (the first inline, the rest from ``…/result/chunks/{n}``).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sharekit.server import paths, sql
from sharekit.server import settings as s
from sharekit.server.audit.log import RequestAudit, audit_request
from sharekit.server.endpoint import admin, server_state
from sharekit.server.errors import BadRequest, NotFound, SharekitError
from sharekit.server.state import ServerState

WAREHOUSE_ID = s.WAREHOUSE_ID
CHUNK_ROWS = s.STATEMENT_CHUNK_ROWS
STATEMENTS_KEY = "routes_sql.statements"


@dataclass
class Statement:
    statement_id: str
    state: str = "PENDING"
    error: sql.StatementError | None = None
    result: sql.ResultSet | None = None
    execution: sql.Execution | None = None
    future: Future[sql.ResultSet] | None = None
    created: float = field(default_factory=time.time)


class StatementRegistry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: dict[str, Statement] = {}
        self.pool = ThreadPoolExecutor(max_workers=s.STATEMENT_WORKERS, thread_name_prefix="sharekit-sql")

    def add(self, statement: Statement) -> None:
        with self.lock:
            self.items[statement.statement_id] = statement
            while len(self.items) > s.KEEP_STATEMENTS:
                self.items.pop(next(iter(self.items)))

    def get(self, statement_id: str) -> Statement:
        with self.lock:
            found = self.items.get(statement_id)
        if found is None:
            raise NotFound(f"statement {statement_id} does not exist", "RESOURCE_DOES_NOT_EXIST")
        return found


def _registry(state: ServerState) -> StatementRegistry:
    registry = state.extras.get(STATEMENTS_KEY)
    if not isinstance(registry, StatementRegistry):
        registry = StatementRegistry()
        state.extras[STATEMENTS_KEY] = registry
    return registry


def _wait_seconds(text: Any) -> float:
    if text is None:
        return float(s.WAIT_TIMEOUT_DEFAULT_S)
    match = re.fullmatch(r"(\d+)s", str(text))
    seconds = int(match[1]) if match else -1
    if seconds != 0 and not s.WAIT_TIMEOUT_MIN_S <= seconds <= s.WAIT_TIMEOUT_MAX_S:
        raise BadRequest(f"wait_timeout must be '0s' or between '{s.WAIT_TIMEOUT_MIN_S}s' and "
                         f"'{s.WAIT_TIMEOUT_MAX_S}s', got {text!r}")
    return float(seconds)


def _positive_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise BadRequest(f"{key} must be a positive integer, got {value!r}")
    return value


def _parameters(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise BadRequest("parameters must be a list of {name, value, type}")
    values: dict[str, Any] = {}
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            raise BadRequest("each parameter needs a name")
        value, kind = item.get("value"), item.get("type")
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"parameter {item['name']!r}: value must be a string or null")
        if kind is not None and not isinstance(kind, str):
            raise BadRequest(f"parameter {item['name']!r}: type must be a string")
        values[item["name"]] = (value, kind)
    return values


async def execute_statement(request: Request) -> Response:
    audit = audit_request(request, "executeStatement")
    admin(request, server_state(request), audit)
    try:
        body = await request.json()
    except (ValueError, RecursionError) as err:  # RecursionError: nested too deeply
        raise BadRequest("the request body must be JSON") from err
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    statement_text = body.get("statement")
    if not isinstance(statement_text, str):
        raise BadRequest("statement is required")
    warehouse_id = body.get("warehouse_id")
    audit.request_params.update({"warehouse_id": str(warehouse_id)})
    if warehouse_id != WAREHOUSE_ID:
        raise NotFound(f"SQL warehouse {warehouse_id!r} does not exist (the embedded warehouse is {WAREHOUSE_ID!r})",
                       "RESOURCE_DOES_NOT_EXIST")
    if body.get("disposition", "INLINE") != "INLINE":
        raise BadRequest("the embedded warehouse supports disposition INLINE only", "NOT_IMPLEMENTED")
    if body.get("format", "JSON_ARRAY") != "JSON_ARRAY":
        raise BadRequest("with INLINE disposition the format must be JSON_ARRAY")
    on_timeout = body.get("on_wait_timeout", "CONTINUE")
    if on_timeout not in ("CONTINUE", "CANCEL"):
        raise BadRequest(f"on_wait_timeout must be CONTINUE or CANCEL, got {on_timeout!r}")
    wait_s = _wait_seconds(body.get("wait_timeout"))
    row_limit = _positive_int(body, "row_limit")
    _positive_int(body, "byte_limit")
    raw_params = _parameters(body.get("parameters"))

    state = server_state(request)
    registry = _registry(state)
    statement = Statement(uuid.uuid4().hex)
    registry.add(statement)
    try:
        params = {name: sql.convert_parameter(name, value, kind) for name, (value, kind) in raw_params.items()}
        prepared = sql.prepare(statement_text, params, state)
    except sql.StatementError as err:
        statement.state, statement.error = "FAILED", err
        return _answer(audit, statement)
    except SharekitError as err:
        statement.state, statement.error = "FAILED", sql.as_statement_error(err)
        return _answer(audit, statement)
    if prepared.command is None:
        statement.execution = sql.Execution(state.home.audit_dir)
    statement.state = "RUNNING"
    statement.future = registry.pool.submit(_run, statement, prepared, row_limit)
    if wait_s > 0:
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(statement.future)), timeout=wait_s)
        except asyncio.TimeoutError:
            if on_timeout == "CANCEL":
                _cancel(statement)
        except sql.StatementError:
            pass  # recorded on the statement by _run
    return _answer(audit, statement)


def _answer(audit: RequestAudit, statement: Statement) -> Response:
    """The response; a statement that already failed is audited with its message (it is HTTP 200)."""
    audit.request_params["statement_id"] = statement.statement_id
    if statement.state == "FAILED" and statement.error is not None:
        audit.request_params["statement_state"] = "FAILED"
        audit.request_params["error_message"] = statement.error.message
    return JSONResponse(_response(statement))


def _run(statement: Statement, prepared: sql.Prepared, row_limit: int | None) -> sql.ResultSet:
    execution = statement.execution
    try:
        if prepared.command is not None:
            try:
                result = prepared.command()
            except SharekitError as err:
                raise sql.as_statement_error(err) from err
        else:
            assert execution is not None
            result = execution.run(prepared, row_limit, s.STATEMENT_MAX_ROWS)
    except sql.StatementError as err:
        if statement.state != "CANCELED":
            statement.state, statement.error = "FAILED", err
        raise
    finally:
        if execution is not None:
            execution.close()
    if statement.state != "CANCELED":
        statement.result, statement.state = result, "SUCCEEDED"
    return result


def _cancel(statement: Statement) -> None:
    if statement.state in ("PENDING", "RUNNING"):
        statement.state = "CANCELED"
        if statement.execution is not None:
            statement.execution.interrupt()


async def get_statement(request: Request) -> Response:
    statement_id = request.path_params["statement_id"]
    audit = audit_request(request, "getStatement", statement_id=statement_id)
    admin(request, server_state(request), audit)
    return JSONResponse(_response(_registry(server_state(request)).get(statement_id)))


async def get_chunk(request: Request) -> Response:
    statement_id = request.path_params["statement_id"]
    audit = audit_request(request, "getStatementResultChunkN", statement_id=statement_id)
    admin(request, server_state(request), audit)
    statement = _registry(server_state(request)).get(statement_id)
    if statement.state != "SUCCEEDED" or statement.result is None:
        raise BadRequest(f"statement {statement_id} has no result (state {statement.state})", "INVALID_STATE")
    index = int(request.path_params["chunk_index"])
    if index >= _chunk_count(statement.result):
        raise NotFound(f"statement {statement_id} has no chunk {index}", "RESOURCE_DOES_NOT_EXIST")
    return JSONResponse(_chunk(statement.result, index))


async def cancel_statement(request: Request) -> Response:
    statement_id = request.path_params["statement_id"]
    audit = audit_request(request, "cancelStatement", statement_id=statement_id)
    admin(request, server_state(request), audit)
    _cancel(_registry(server_state(request)).get(statement_id))
    return JSONResponse({})


def _chunk_count(result: sql.ResultSet) -> int:
    return max(1, -(-len(result.rows) // CHUNK_ROWS))


def _chunk(result: sql.ResultSet, index: int) -> dict[str, Any]:
    rows = result.rows[index * CHUNK_ROWS:(index + 1) * CHUNK_ROWS]
    data: dict[str, Any] = {"chunk_index": index, "row_offset": index * CHUNK_ROWS, "row_count": len(rows),
                            "data_array": rows}
    if index + 1 < _chunk_count(result):
        data["next_chunk_index"] = index + 1
        data["next_chunk_internal_link"] = f"{paths.SQL_API}/statements/{{id}}/result/chunks/{index + 1}"
    return data


def _response(statement: Statement) -> dict[str, Any]:
    status: dict[str, Any] = {"state": statement.state}
    if statement.error is not None and statement.state == "FAILED":
        status["error"] = {"error_code": statement.error.error_code, "message": statement.error.message}
        if statement.error.sql_state:
            status["sql_state"] = statement.error.sql_state
    body: dict[str, Any] = {"statement_id": statement.statement_id, "status": status}
    result = statement.result
    if statement.state == "SUCCEEDED" and result is not None:
        count = _chunk_count(result)
        columns = [{"name": c.name, "position": i, "type_name": c.type_name, "type_text": c.type_text,
                    **({"type_scale": c.type_scale} if c.type_scale is not None else {}),
                    **({"type_precision": c.type_precision} if c.type_precision is not None else {})}
                   for i, c in enumerate(result.columns)]
        body["manifest"] = {
            "format": "JSON_ARRAY",
            "schema": {"column_count": len(columns), "columns": columns},
            "total_row_count": len(result.rows),
            "total_chunk_count": count,
            "truncated": result.truncated,
            "chunks": [{"chunk_index": i, "row_offset": i * CHUNK_ROWS,
                        "row_count": len(result.rows[i * CHUNK_ROWS:(i + 1) * CHUNK_ROWS])} for i in range(count)],
        }
        first = _chunk(result, 0)
        if "next_chunk_internal_link" in first:
            first["next_chunk_internal_link"] = first["next_chunk_internal_link"].replace("{id}", statement.statement_id)
        body["result"] = first
    return body


def _warehouse() -> dict[str, Any]:
    return {"id": WAREHOUSE_ID, "name": s.WAREHOUSE_NAME, "state": "RUNNING", "cluster_size": "2X-Small",
            "min_num_clusters": 1, "max_num_clusters": 1, "num_clusters": 1, "auto_stop_mins": 0,
            "warehouse_type": "PRO", "enable_serverless_compute": False, "creator_name": "sharekit",
            "spot_instance_policy": "COST_OPTIMIZED"}


async def list_warehouses(request: Request) -> Response:
    audit = audit_request(request, "listWarehouses")
    admin(request, server_state(request), audit)
    return JSONResponse({"warehouses": [_warehouse()]})


async def get_warehouse(request: Request) -> Response:
    warehouse_id = request.path_params["warehouse_id"]
    audit = audit_request(request, "getWarehouse", id=warehouse_id)
    admin(request, server_state(request), audit)
    if warehouse_id != WAREHOUSE_ID:
        raise NotFound(f"SQL warehouse {warehouse_id!r} does not exist", "RESOURCE_DOES_NOT_EXIST")
    return JSONResponse(_warehouse())


def routes() -> list[BaseRoute]:
    return [
        Route(paths.SQL_API + "/statements", execute_statement, methods=["POST"]),
        Route(paths.SQL_API + "/statements/", execute_statement, methods=["POST"]),
        Route(paths.SQL_API + "/statements/{statement_id}", get_statement, methods=["GET"]),
        Route(paths.SQL_API + "/statements/{statement_id}/cancel", cancel_statement, methods=["POST"]),
        Route(paths.SQL_API + "/statements/{statement_id}/result/chunks/{chunk_index:int}", get_chunk,
              methods=["GET"]),
        Route(paths.SQL_API + "/warehouses", list_warehouses, methods=["GET"]),
        Route(paths.SQL_API + "/warehouses/{warehouse_id}", get_warehouse, methods=["GET"]),
    ]
