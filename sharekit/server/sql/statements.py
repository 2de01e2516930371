"""Statements: the registry of the statements of one server (the last ``KEEP_STATEMENTS``, with the pool that runs
them), running and cancelling one, and its wire shape (``StatementResponse``, result chunks of
``STATEMENT_CHUNK_ROWS`` rows: the first inline, the rest from ``…/result/chunks/{n}``)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sharekit.server import paths
from sharekit.server.errors import NotFound, SharekitError
from sharekit.server.settings import (
    KEEP_STATEMENTS,
    STATEMENT_CHUNK_ROWS,
    STATEMENT_MAX_ROWS,
    STATEMENT_WORKERS,
)
from sharekit.server.sql.execution import Execution, Prepared, ResultSet, StatementError, as_statement_error


@dataclass
class Statement:
    statement_id: str
    state: str = "PENDING"
    error: StatementError | None = None
    result: ResultSet | None = None
    execution: Execution | None = None
    future: Future[ResultSet] | None = None
    created: float = field(default_factory=time.time)


class StatementRegistry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: dict[str, Statement] = {}
        self.pool = ThreadPoolExecutor(max_workers=STATEMENT_WORKERS, thread_name_prefix="sharekit-sql")

    def add(self, statement: Statement) -> None:
        with self.lock:
            self.items[statement.statement_id] = statement
            while len(self.items) > KEEP_STATEMENTS:
                self.items.pop(next(iter(self.items)))

    def get(self, statement_id: str) -> Statement:
        with self.lock:
            found = self.items.get(statement_id)
        if found is None:
            raise NotFound(f"statement {statement_id} does not exist", "RESOURCE_DOES_NOT_EXIST")
        return found

    def submit(self, statement: Statement, prepared: Prepared, row_limit: int | None) -> None:
        statement.state = "RUNNING"
        statement.future = self.pool.submit(run, statement, prepared, row_limit)

    def close(self) -> None:
        """Cancel the statements that have not started; the running ones finish on their own."""
        self.pool.shutdown(wait=False, cancel_futures=True)


def run(statement: Statement, prepared: Prepared, row_limit: int | None) -> ResultSet:
    execution = statement.execution
    try:
        if prepared.command is not None:
            try:
                result = prepared.command()
            except SharekitError as err:
                raise as_statement_error(err) from err
        else:
            assert execution is not None
            result = execution.run(prepared, row_limit, STATEMENT_MAX_ROWS)
    except StatementError as err:
        if statement.state != "CANCELED":
            statement.state, statement.error = "FAILED", err
        raise
    finally:
        if execution is not None:
            execution.close()
    if statement.state != "CANCELED":
        statement.result, statement.state = result, "SUCCEEDED"
    return result


def cancel(statement: Statement) -> None:
    if statement.state in ("PENDING", "RUNNING"):
        statement.state = "CANCELED"
        if statement.execution is not None:
            statement.execution.interrupt()


def chunk_count(result: ResultSet) -> int:
    return max(1, -(-len(result.rows) // STATEMENT_CHUNK_ROWS))


def chunk_json(result: ResultSet, index: int) -> dict[str, Any]:
    rows = result.rows[index * STATEMENT_CHUNK_ROWS:(index + 1) * STATEMENT_CHUNK_ROWS]
    data: dict[str, Any] = {"chunk_index": index, "row_offset": index * STATEMENT_CHUNK_ROWS, "row_count": len(rows),
                            "data_array": rows}
    if index + 1 < chunk_count(result):
        data["next_chunk_index"] = index + 1
        data["next_chunk_internal_link"] = f"{paths.SQL_API}/statements/{{id}}/result/chunks/{index + 1}"
    return data


def statement_json(statement: Statement) -> dict[str, Any]:
    status: dict[str, Any] = {"state": statement.state}
    if statement.error is not None and statement.state == "FAILED":
        status["error"] = {"error_code": statement.error.error_code, "message": statement.error.message}
        if statement.error.sql_state:
            status["sql_state"] = statement.error.sql_state
    body: dict[str, Any] = {"statement_id": statement.statement_id, "status": status}
    result = statement.result
    if statement.state == "SUCCEEDED" and result is not None:
        body["manifest"] = _manifest(result)
        first = chunk_json(result, 0)
        if "next_chunk_internal_link" in first:
            first["next_chunk_internal_link"] = first["next_chunk_internal_link"].replace("{id}", statement.statement_id)
        body["result"] = first
    return body


def _manifest(result: ResultSet) -> dict[str, Any]:
    count = chunk_count(result)
    columns = [{"name": c.name, "position": i, "type_name": c.type_name, "type_text": c.type_text,
                **({"type_scale": c.type_scale} if c.type_scale is not None else {}),
                **({"type_precision": c.type_precision} if c.type_precision is not None else {})}
               for i, c in enumerate(result.columns)]
    return {
        "format": "JSON_ARRAY",
        "schema": {"column_count": len(columns), "columns": columns},
        "total_row_count": len(result.rows),
        "total_chunk_count": count,
        "truncated": result.truncated,
        "chunks": [{"chunk_index": i, "row_offset": i * STATEMENT_CHUNK_ROWS,
                    "row_count": len(result.rows[i * STATEMENT_CHUNK_ROWS:(i + 1) * STATEMENT_CHUNK_ROWS])}
                   for i in range(count)],
    }
