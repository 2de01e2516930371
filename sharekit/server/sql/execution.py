"""Running a prepared statement on DuckDB: one connection per statement (so a cancel can interrupt it from another
thread) whose file access is limited to the audit folder and whose configuration is locked; the result as the
statement API's column types and ``JSON_ARRAY`` strings."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharekit import dbsql
from sharekit.server.audit import store as audit_store
from sharekit.server.errors import BadRequest, SharekitError
from sharekit.server.settings import DUCKDB_THREADS

AUDIT_VIEW = "sharekit_audit"


class StatementError(Exception):
    """The statement cannot run: becomes ``status.state = FAILED``. ``error_code`` is one of the SDK's
    ``ServiceErrorCode`` values (others arrive as None); the error class goes first in the message, as
    Databricks writes it: ``[TABLE_OR_VIEW_NOT_FOUND] …``."""

    def __init__(self, message: str, condition: str | None = None, sql_state: str | None = None,
                 error_code: str = "BAD_REQUEST") -> None:
        text = f"[{condition}] {message}" if condition else message
        super().__init__(text)
        self.message = text
        self.error_code = error_code
        self.sql_state = sql_state


def as_statement_error(err: Exception) -> StatementError:
    """A server error (a view that cannot be created or evaluated) as a FAILED statement, keeping its message."""
    message = str(getattr(err, "message", err))
    condition = None
    if message.startswith("[") and "] " in message:
        condition, message = message[1:].split("] ", 1)
    status = int(getattr(err, "status", BadRequest.status))
    code = {404: "NOT_FOUND", 403: "PERMISSION_DENIED", 409: "ALREADY_EXISTS"}.get(status, "BAD_REQUEST")
    return StatementError(message, condition, "42P01" if condition == "TABLE_OR_VIEW_NOT_FOUND" else None, code)


@dataclass
class Column:
    name: str
    type_name: str  # Databricks ColumnInfoTypeName
    type_text: str
    type_scale: int | None = None
    type_precision: int | None = None


@dataclass
class ResultSet:
    columns: list[Column]
    rows: list[list[str | None]]
    truncated: bool = False


@dataclass
class Prepared:
    duckdb_sql: str
    params: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Callable[[], Any]] = field(default_factory=dict)  # DuckDB name -> Arrow data loader
    command: Callable[[], ResultSet] | None = None  # a statement that runs on the server state, not on DuckDB


class Execution:
    """One statement's DuckDB connection (so ``cancel`` can interrupt it from another thread)."""

    def __init__(self, audit_dir: Path) -> None:
        import duckdb

        self.con = duckdb.connect()
        self.con.execute("SET TimeZone='UTC'")
        self.con.execute("SET enable_progress_bar=false")
        self.con.execute(f"SET threads={int(DUCKDB_THREADS)}")
        self.con.execute("SET allowed_directories=?", [[str(audit_dir.resolve()) + "/"]])
        self.con.execute("SET enable_external_access=false")
        self.con.execute("SET lock_configuration=true")
        self.audit_dir = audit_dir
        self.cancelled = False

    def run(self, prepared: Prepared, row_limit: int | None, max_rows: int) -> ResultSet:
        import duckdb

        limit = min(row_limit or max_rows, max_rows)
        for attempt in range(3):
            files = audit_store.live_files(self.audit_dir)
            try:
                self.con.execute(f"CREATE OR REPLACE TEMP VIEW {AUDIT_VIEW} AS {audit_store.scan_sql(files)}")
                for name, load in prepared.sources.items():
                    self.con.register(name, _loaded(load))
                cursor = self.con.execute(prepared.duckdb_sql, prepared.params or None)
                columns = [_column(name, str(kind)) for name, kind, *_ in cursor.description]
                rows = cursor.fetchmany(limit + 1)
                break
            except duckdb.IOException as err:  # a roll or compaction replaced a file: list again
                if attempt == 2:
                    raise StatementError(f"the audit log changed while it was read: {err}",
                                         error_code="INTERNAL_ERROR") from err
            except duckdb.InterruptException as err:
                raise StatementError("the statement was cancelled", error_code="CANCELLED") from err
            except duckdb.Error as err:
                raise StatementError(str(err).splitlines()[0]) from err
        truncated = len(rows) > limit
        return ResultSet(columns, [[_text(value) for value in row] for row in rows[:limit]], truncated)

    def interrupt(self) -> None:
        self.cancelled = True
        self.con.interrupt()

    def close(self) -> None:
        self.con.close()


def _loaded(load: Callable[[], Any]) -> Any:
    try:
        return load()
    except SharekitError as err:
        raise as_statement_error(err) from err


_SIMPLE_TYPES = {
    "BIGINT": ("LONG", "BIGINT"), "INTEGER": ("INT", "INT"), "SMALLINT": ("SHORT", "SMALLINT"),
    "TINYINT": ("BYTE", "TINYINT"), "UBIGINT": ("DECIMAL", "DECIMAL(20,0)"), "UINTEGER": ("LONG", "BIGINT"),
    "HUGEINT": ("DECIMAL", "DECIMAL(38,0)"), "DOUBLE": ("DOUBLE", "DOUBLE"), "FLOAT": ("FLOAT", "FLOAT"),
    "VARCHAR": ("STRING", "STRING"), "BOOLEAN": ("BOOLEAN", "BOOLEAN"), "DATE": ("DATE", "DATE"),
    "TIMESTAMP WITH TIME ZONE": ("TIMESTAMP", "TIMESTAMP"), "TIMESTAMP": ("TIMESTAMP", "TIMESTAMP"),
    "BLOB": ("BINARY", "BINARY"), "INTERVAL": ("INTERVAL", "INTERVAL"), "NULL": ("NULL", "VOID"),
}


def _column(name: str, duckdb_type: str) -> Column:
    kind = duckdb_type.upper()
    if kind in _SIMPLE_TYPES:
        type_name, text = _SIMPLE_TYPES[kind]
        scale = 0 if type_name == "DECIMAL" else None
        return Column(name, type_name, text, scale, 38 if kind == "HUGEINT" else None)
    match = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", kind)
    if match:
        return Column(name, "DECIMAL", f"DECIMAL({match[1]},{match[2]})", int(match[2]), int(match[1]))
    if kind.startswith("MAP("):
        return Column(name, "MAP", "MAP<STRING,STRING>" if kind == "MAP(VARCHAR, VARCHAR)" else kind)
    if kind.startswith("STRUCT("):
        return Column(name, "STRUCT", kind)
    if kind.endswith("[]"):
        return Column(name, "ARRAY", kind)
    return Column(name, "STRING", "STRING")


def _text(value: Any) -> str | None:
    """JSON_ARRAY values are strings (or null): timestamps in UTC with a ``Z`` and microseconds, nested values as
    JSON, everything else as ``dbsql.value_text``."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return str(value.isoformat(timespec="microseconds")) + "Z"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    return dbsql.value_text(value)
