"""Server-side SQL for the statement-execution endpoint: check, translate (Databricks → DuckDB), execute.

Read-only queries (SELECT / WITH / set operations) over ``system.access.audit`` and, when the server state is
given, over the local Delta tables and views; plus ``CREATE [OR REPLACE] VIEW`` / ``DROP VIEW`` (``views``).
Anything else fails with a ``StatementError`` (rendered as ``status.state = FAILED``). ``prepare`` dispatches on
the statement kind through ``HANDLERS``.

Defence in depth: the query is checked on the sqlglot tree (one statement, known tables only, no table or file
functions), and it runs on a fresh DuckDB connection whose file access is limited to the audit folder and whose
configuration is locked.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharekit.server.audit import store as audit_store
from sharekit.server.settings import DUCKDB_THREADS
from sharekit.server.views import definition, evaluation

AUDIT_TABLE = "system.access.audit"
VIEW = "sharekit_audit"
TABLE_FUNCTIONS = frozenset({"range"})
BLOCKED_FUNCTION = re.compile(r"^(read_|parquet_|glob|sniff_|query|iceberg_|delta_scan|sqlite_|postgres_|"
                              r"mysql_|httpfs|load|install|getenv|current_setting|duckdb_|pragma_)", re.IGNORECASE)


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


@dataclass
class Prepared:
    duckdb_sql: str
    params: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Callable[[], Any]] = field(default_factory=dict)  # DuckDB name -> Arrow data loader
    command: Callable[[], ResultSet] | None = None  # a statement that runs on the server state, not on DuckDB


@dataclass(frozen=True)
class Context:
    """What a handler may use besides the tree: the statement text and the server state (None in unit use)."""

    statement: str = ""
    state: Any = None


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


def _parse(statement: str) -> Any:
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    try:
        trees = [tree for tree in sqlglot.parse(statement, read="databricks") if tree is not None]
    except (ParseError, TokenError) as err:
        raise StatementError(str(err).splitlines()[0], "PARSE_SYNTAX_ERROR", "42601") from err
    if len(trees) != 1:
        raise StatementError("exactly one statement is allowed", "INVALID_PARAMETER_VALUE")
    return trees[0]


def _prepare_query(tree: Any, parameters: dict[str, Any], context: Context) -> Prepared:
    from sqlglot import exp

    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    local = context.state.tables.entries() if context.state is not None else {}
    sources: dict[str, Callable[[], Any]] = {}
    renames: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Func):
            name = (table.this.name if isinstance(table.this, exp.Anonymous) else table.this.sql_name()).lower()
            if name not in TABLE_FUNCTIONS:
                raise StatementError(f"table function {name}() is not allowed", "PERMISSION_DENIED")
            continue
        parts = [part for part in (table.catalog, table.db, table.name) if part]
        full = ".".join(parts).lower()
        if full == AUDIT_TABLE or (len(parts) == 1 and full in ctes):
            continue
        if len(parts) == 3 and full in local:
            if full not in renames:
                renames[full] = f"local_{len(renames)}"
                sources[renames[full]] = _local_source(context.state, local[full])
            continue
        raise StatementError(f"The table or view `{'.'.join(parts)}` cannot be found; the embedded warehouse "
                             f"serves {AUDIT_TABLE} and the local tables and views (catalog.schema.name)",
                             "TABLE_OR_VIEW_NOT_FOUND", "42P01")
    for func in tree.find_all(exp.Func):
        name = func.name if isinstance(func, exp.Anonymous) else func.sql_name()
        if BLOCKED_FUNCTION.match(name or ""):
            raise StatementError(f"function {name}() is not allowed", "PERMISSION_DENIED")
    used = {node.name for node in tree.find_all(exp.Placeholder) if node.name}
    if any(isinstance(node, exp.Placeholder) and not node.name for node in tree.find_all(exp.Placeholder)):
        raise StatementError("positional '?' parameters are not supported; use :name", "INVALID_PARAMETER_VALUE")
    missing = sorted(used - set(parameters))
    if missing:
        raise StatementError(f"Found the unbound parameter: {missing[0]}",
                             "UNBOUND_SQL_PARAMETER", "42P02")
    tree = exp.replace_tables(tree, {AUDIT_TABLE: VIEW, **renames})
    tree = audit_store.accelerate(tree)
    return Prepared(tree.sql(dialect="duckdb", comments=False), {name: parameters[name] for name in used}, sources)


def _local_source(state: Any, entry: Any) -> Callable[[], Any]:
    """A loader for a local table (its latest Delta version) or a view (evaluated without a recipient, so a view
    that calls current_recipient() fails as it does on Databricks)."""

    def load() -> Any:
        from deltalake import DeltaTable
        from deltalake.exceptions import DeltaError

        if entry.table_type == "VIEW":
            return evaluation.evaluate(state.tables, entry, None)
        try:
            return DeltaTable(str(entry.path)).to_pyarrow_dataset()
        except (DeltaError, OSError) as err:
            raise StatementError(f"table {entry.full_name} cannot be read: {err}") from err

    return load


def _is_query(tree: Any) -> bool:
    from sqlglot import exp

    return isinstance(tree, exp.Query)


def _is_create_view(tree: Any) -> bool:
    return definition.is_create_view(tree)


def _is_drop_view(tree: Any) -> bool:
    return definition.is_drop_view(tree)


def _view_command(kind: str) -> Callable[[Any, dict[str, Any], Context], Prepared]:
    def handler(tree: Any, parameters: dict[str, Any], context: Context) -> Prepared:
        if context.state is None:
            raise StatementError(f"{kind} VIEW needs the server's catalog", "NOT_IMPLEMENTED")
        if parameters:
            raise StatementError(f"{kind} VIEW takes no parameters: a view reads recipient properties with "
                                 "current_recipient('key')", "INVALID_PARAMETER_VALUE")

        def run() -> ResultSet:
            if kind == "CREATE":
                definition.create_view(context.state.tables, context.state.metastore, context.statement, tree)
            else:
                definition.drop_view(context.state.tables, tree)
            return ResultSet([], [])

        return Prepared("", command=run)

    return handler


# (predicate, handler): the first match prepares the statement.
HANDLERS: list[tuple[Callable[[Any], bool], Callable[[Any, dict[str, Any], Context], Prepared]]] = [
    (_is_query, _prepare_query),
    (_is_create_view, _view_command("CREATE")),
    (_is_drop_view, _view_command("DROP")),
]


def prepare(statement: str, parameters: dict[str, Any], state: Any = None) -> Prepared:
    if not statement.strip():
        raise StatementError("the statement is empty", "INVALID_PARAMETER_VALUE")
    tree = _parse(statement)
    for matches, handler in HANDLERS:
        if matches(tree):
            return handler(tree, parameters, Context(statement, state))
    kind = type(tree).__name__.upper()
    raise StatementError(f"{kind} statements are not supported: the embedded warehouse runs read-only SELECT "
                         f"queries over {AUDIT_TABLE}", "NOT_IMPLEMENTED")


def convert_parameter(name: str, value: str | None, type_name: str | None) -> Any:
    """A statement parameter (``value`` is a string, or None for NULL) as a Python value of its SQL type."""
    kind = (type_name or "STRING").strip().upper()
    if value is None:
        return None
    try:
        if kind in ("STRING", "VARCHAR", "CHAR"):
            return value
        if kind in ("INT", "INTEGER", "BIGINT", "LONG", "SMALLINT", "SHORT", "TINYINT", "BYTE"):
            return int(value)
        if kind in ("DOUBLE", "FLOAT", "REAL"):
            return float(value)
        if kind.startswith("DECIMAL"):
            return decimal.Decimal(value)
        if kind == "BOOLEAN":
            if value.lower() not in ("true", "false"):
                raise ValueError(value)
            return value.lower() == "true"
        if kind == "DATE":
            return dt.date.fromisoformat(value)
        if kind in ("TIMESTAMP", "TIMESTAMP_NTZ"):
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, decimal.InvalidOperation) as err:
        raise StatementError(f"parameter {name!r}: {value!r} is not a valid {kind}",
                             "INVALID_PARAMETER_VALUE") from err
    raise StatementError(f"parameter {name!r}: unsupported type {type_name!r}", "INVALID_PARAMETER_VALUE")


def _loaded(load: Callable[[], Any]) -> Any:
    from sharekit.server.errors import SharekitError

    try:
        return load()
    except SharekitError as err:
        raise as_statement_error(err) from err


def as_statement_error(err: Exception) -> StatementError:
    """A server error (a view that cannot be created or evaluated) as a FAILED statement, keeping its message."""
    message = str(getattr(err, "message", err))
    condition = None
    if message.startswith("[") and "] " in message:
        condition, message = message[1:].split("] ", 1)
    status = int(getattr(err, "status", 400))
    code = {404: "NOT_FOUND", 403: "PERMISSION_DENIED", 409: "ALREADY_EXISTS"}.get(status, "BAD_REQUEST")
    return StatementError(message, condition, "42P01" if condition == "TABLE_OR_VIEW_NOT_FOUND" else None, code)


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
                self.con.execute(f"CREATE OR REPLACE TEMP VIEW {VIEW} AS {audit_store.scan_sql(files)}")
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
    """JSON_ARRAY values are strings (or null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return str(value.isoformat(timespec="microseconds")) + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    return str(value)
