"""The SQL area: statement execution (read-only SQL over system.access.audit and the local tables) and the one
warehouse ``w.warehouses.list()`` shows.

Wire shapes follow ``databricks.sdk.service.sql``: request-acceptance errors are 4xx; execution failures are
HTTP 200 with ``status.state = FAILED``. ``INLINE`` + ``JSON_ARRAY`` only.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from sharekit.server import settings
from sharekit.server.endpoint import Call, admin, endpoint, no_params
from sharekit.server.errors import BadRequest, NotFound, SharekitError
from sharekit.server.paths import SQL_API
from sharekit.server.routing import RouteGroup
from sharekit.server.sql import engine, statements
from sharekit.server.sql.execution import Execution, StatementError, as_statement_error
from sharekit.server.sql.statements import Statement
from sharekit.types import JSONObject

STATEMENTS = SQL_API + "/statements"


@dataclass(frozen=True)
class StatementRequest:
    """A checked ``executeStatement`` body."""

    statement: str
    wait_s: float
    on_timeout: str
    row_limit: int | None
    parameters: dict[str, tuple[str | None, str | None]]


def _wait_seconds(text: Any) -> float:
    if text is None:
        return float(settings.WAIT_TIMEOUT_DEFAULT_S)
    match = re.fullmatch(r"(\d+)s", str(text))
    seconds = int(match[1]) if match else -1
    if seconds != 0 and not settings.WAIT_TIMEOUT_MIN_S <= seconds <= settings.WAIT_TIMEOUT_MAX_S:
        raise BadRequest(f"wait_timeout must be '0s' or between '{settings.WAIT_TIMEOUT_MIN_S}s' and "
                         f"'{settings.WAIT_TIMEOUT_MAX_S}s', got {text!r}")
    return float(seconds)


def _positive_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise BadRequest(f"{key} must be a positive integer, got {value!r}")
    return value


def _parameters(raw: Any) -> dict[str, tuple[str | None, str | None]]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise BadRequest("parameters must be a list of {name, value, type}")
    values: dict[str, tuple[str | None, str | None]] = {}
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


def _statement_request(call: Call[str]) -> StatementRequest:
    try:
        body = json.loads(call.raw)
    except (ValueError, RecursionError) as err:  # RecursionError: nested too deeply
        raise BadRequest("the request body must be JSON") from err
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    statement_text = body.get("statement")
    if not isinstance(statement_text, str):
        raise BadRequest("statement is required")
    warehouse_id = body.get("warehouse_id")
    call.note(warehouse_id=str(warehouse_id))
    if warehouse_id != settings.WAREHOUSE_ID:
        raise NotFound(f"SQL warehouse {warehouse_id!r} does not exist (the embedded warehouse is "
                       f"{settings.WAREHOUSE_ID!r})", "RESOURCE_DOES_NOT_EXIST")
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
    return StatementRequest(statement_text, wait_s, on_timeout, row_limit, _parameters(body.get("parameters")))


def execute_statement(call: Call[str]) -> Response | Awaitable[Response]:
    """Check and prepare the statement here (a worker thread), run it in the statement pool, and wait for it on
    the event loop (``wait_timeout``) without holding a thread."""
    asked = _statement_request(call)
    statement = Statement(uuid.uuid4().hex)
    call.state.statements.add(statement)
    try:
        params = {name: engine.convert_parameter(name, value, kind) for name, (value, kind) in asked.parameters.items()}
        prepared = engine.prepare(asked.statement, params, call.state.tables, call.state.metastore)
    except StatementError as err:
        statement.state, statement.error = "FAILED", err
        return _answer(call, statement)
    except SharekitError as err:
        statement.state, statement.error = "FAILED", as_statement_error(err)
        return _answer(call, statement)
    if prepared.command is None:
        statement.execution = Execution(call.state.home.audit_dir)
    call.state.statements.submit(statement, prepared, asked.row_limit)
    if asked.wait_s > 0:
        return _wait_then_answer(call, statement, asked.wait_s, asked.on_timeout)
    return _answer(call, statement)


async def _wait_then_answer(call: Call[str], statement: Statement, wait_s: float, on_timeout: str) -> Response:
    assert statement.future is not None
    try:
        await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(statement.future)), timeout=wait_s)
    except asyncio.TimeoutError:
        if on_timeout == "CANCEL":
            statements.cancel(statement)
    except StatementError:
        pass  # recorded on the statement by statements.run
    return _answer(call, statement)


def _answer(call: Call[str], statement: Statement) -> Response:
    """The response; a statement that already failed is audited with its message (it is HTTP 200)."""
    call.note(statement_id=statement.statement_id)
    if statement.state == "FAILED" and statement.error is not None:
        call.note(statement_state="FAILED", error_message=statement.error.message)
    return JSONResponse(statements.statement_json(statement))


def get_statement(call: Call[str]) -> JSONObject:
    return statements.statement_json(call.state.statements.get(call.path("statement_id")))


def get_chunk(call: Call[str]) -> JSONObject:
    statement_id = call.path("statement_id")
    statement = call.state.statements.get(statement_id)
    if statement.state != "SUCCEEDED" or statement.result is None:
        raise BadRequest(f"statement {statement_id} has no result (state {statement.state})", "INVALID_STATE")
    index = int(call.request.path_params["chunk_index"])
    if index >= statements.chunk_count(statement.result):
        raise NotFound(f"statement {statement_id} has no chunk {index}", "RESOURCE_DOES_NOT_EXIST")
    return statements.chunk_json(statement.result, index)


def cancel_statement(call: Call[str]) -> JSONObject:
    statements.cancel(call.state.statements.get(call.path("statement_id")))
    return {}


def _warehouse() -> JSONObject:
    return {"id": settings.WAREHOUSE_ID, "name": settings.WAREHOUSE_NAME, "state": "RUNNING",
            "cluster_size": "2X-Small", "min_num_clusters": 1, "max_num_clusters": 1, "num_clusters": 1,
            "auto_stop_mins": 0, "warehouse_type": "PRO", "enable_serverless_compute": False,
            "creator_name": "sharekit", "spot_instance_policy": "COST_OPTIMIZED"}


def list_warehouses(call: Call[str]) -> JSONObject:
    return {"warehouses": [_warehouse()]}


def get_warehouse(call: Call[str]) -> JSONObject:
    warehouse_id = call.path("warehouse_id")
    if warehouse_id != settings.WAREHOUSE_ID:
        raise NotFound(f"SQL warehouse {warehouse_id!r} does not exist", "RESOURCE_DOES_NOT_EXIST")
    return _warehouse()


def _statement_id(request: Request) -> dict[str, Any]:
    return {"statement_id": request.path_params["statement_id"]}


def routes() -> list[BaseRoute]:
    execute = endpoint("executeStatement", execute_statement, guard=admin, raw=True, params=no_params)
    return [RouteGroup(SQL_API + "/", [
        Route(STATEMENTS, execute, methods=["POST"]),
        Route(STATEMENTS + "/", execute, methods=["POST"]),
        Route(STATEMENTS + "/{statement_id}", endpoint("getStatement", get_statement, guard=admin,
                                                       params=_statement_id), methods=["GET"]),
        Route(STATEMENTS + "/{statement_id}/cancel", endpoint("cancelStatement", cancel_statement, guard=admin,
                                                              params=_statement_id), methods=["POST"]),
        Route(STATEMENTS + "/{statement_id}/result/chunks/{chunk_index:int}",
              endpoint("getStatementResultChunkN", get_chunk, guard=admin, params=_statement_id), methods=["GET"]),
        Route(SQL_API + "/warehouses", endpoint("listWarehouses", list_warehouses, guard=admin, params=no_params),
              methods=["GET"]),
        Route(SQL_API + "/warehouses/{warehouse_id}",
              endpoint("getWarehouse", get_warehouse, guard=admin,
                       params=lambda request: {"id": request.path_params["warehouse_id"]}), methods=["GET"]),
    ])]
