"""Server-side SQL for the statement-execution endpoint: check and translate (Databricks → DuckDB, through
``sharekit.dbsql``), or turn a view statement into a command on the tables and the metastore.

Read-only queries (SELECT / WITH / set operations) over ``system.access.audit`` and, when the tables are given,
over the local Delta tables and views; plus ``CREATE [OR REPLACE] VIEW`` / ``DROP VIEW`` (``views.definition``).
Anything else fails with a ``StatementError`` (rendered as ``status.state = FAILED``). ``prepare`` dispatches on
the statement kind through ``HANDLERS``.

Defence in depth: the query is checked on the sqlglot tree (one statement, known tables only, no table or file
functions), and it runs on a fresh DuckDB connection whose file access is limited to the audit folder and whose
configuration is locked (``execution``).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sharekit import dbsql
from sharekit.server.audit import store as audit_store
from sharekit.server.sql.execution import AUDIT_VIEW, Prepared, ResultSet, StatementError
from sharekit.server.views import definition, evaluation

if TYPE_CHECKING:
    from sharekit.server.metastore.store import MetastoreStore
    from sharekit.server.tables.registry import TableEntry, TableRegistry

AUDIT_TABLE = "system.access.audit"
TABLE_FUNCTIONS = frozenset({"range"})


@dataclass(frozen=True)
class Context:
    """What a handler may use besides the tree: the statement text, the tables and the metastore (None in unit
    use)."""

    statement: str = ""
    tables: TableRegistry | None = None
    metastore: MetastoreStore | None = None


def _parse(statement: str) -> Any:
    from sqlglot.errors import ParseError, TokenError

    try:
        trees = dbsql.parse(statement)
    except (ParseError, TokenError) as err:
        raise StatementError(str(err).splitlines()[0], "PARSE_SYNTAX_ERROR", "42601") from err
    if len(trees) != 1:
        raise StatementError("exactly one statement is allowed", "INVALID_PARAMETER_VALUE")
    return trees[0]


def _prepare_query(tree: Any, parameters: dict[str, Any], context: Context) -> Prepared:
    from sqlglot import exp

    sources, renames = _sources(tree, context)
    for func in tree.find_all(exp.Func):
        name = dbsql.function_name(func)
        if dbsql.is_blocked_function(name):
            raise StatementError(f"function {name}() is not allowed", "PERMISSION_DENIED")
    used = {node.name for node in tree.find_all(exp.Placeholder) if node.name}
    if any(isinstance(node, exp.Placeholder) and not node.name for node in tree.find_all(exp.Placeholder)):
        raise StatementError("positional '?' parameters are not supported; use :name", "INVALID_PARAMETER_VALUE")
    missing = sorted(used - set(parameters))
    if missing:
        raise StatementError(f"Found the unbound parameter: {missing[0]}",
                             "UNBOUND_SQL_PARAMETER", "42P02")
    tree = exp.replace_tables(tree, {AUDIT_TABLE: AUDIT_VIEW, **renames})
    tree = audit_store.accelerate(tree)
    return Prepared(dbsql.to_duckdb(tree), {name: parameters[name] for name in used}, sources)


def _sources(tree: Any, context: Context) -> tuple[dict[str, Callable[[], Any]], dict[str, str]]:
    """The local tables the query reads (DuckDB name -> loader) and their renames; anything else is refused."""
    from sqlglot import exp

    ctes = dbsql.cte_names(tree)
    local = context.tables.entries() if context.tables is not None else {}
    sources: dict[str, Callable[[], Any]] = {}
    renames: dict[str, str] = {}
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Func):
            name = dbsql.function_name(table.this).lower()
            if name not in TABLE_FUNCTIONS:
                raise StatementError(f"table function {name}() is not allowed", "PERMISSION_DENIED")
            continue
        parts = [part for part in (table.catalog, table.db, table.name) if part]
        full = ".".join(parts).lower()
        if full == AUDIT_TABLE or (len(parts) == 1 and full in ctes):
            continue
        if len(parts) == 3 and full in local and context.tables is not None:
            if full not in renames:
                renames[full] = f"local_{len(renames)}"
                sources[renames[full]] = _local_source(context.tables, local[full])
            continue
        raise StatementError(f"The table or view `{'.'.join(parts)}` cannot be found; the embedded warehouse "
                             f"serves {AUDIT_TABLE} and the local tables and views (catalog.schema.name)",
                             "TABLE_OR_VIEW_NOT_FOUND", "42P01")
    return sources, renames


def _local_source(tables: TableRegistry, entry: TableEntry) -> Callable[[], Any]:
    """A loader for a local table (its latest Delta version) or a view (evaluated without a recipient, so a view
    that calls current_recipient() fails as it does on Databricks)."""

    def load() -> Any:
        from deltalake import DeltaTable
        from deltalake.exceptions import DeltaError

        if entry.table_type == "VIEW":
            return evaluation.evaluate(tables, entry, None)
        try:
            return DeltaTable(str(entry.path)).to_pyarrow_dataset()
        except (DeltaError, OSError) as err:
            raise StatementError(f"table {entry.full_name} cannot be read: {err}") from err

    return load


def _view_command(kind: str) -> Callable[[Any, dict[str, Any], Context], Prepared]:
    def handler(tree: Any, parameters: dict[str, Any], context: Context) -> Prepared:
        tables, metastore = context.tables, context.metastore
        if tables is None or metastore is None:
            raise StatementError(f"{kind} VIEW needs the server's catalog", "NOT_IMPLEMENTED")
        if parameters:
            raise StatementError(f"{kind} VIEW takes no parameters: a view reads recipient properties with "
                                 "current_recipient('key')", "INVALID_PARAMETER_VALUE")

        def run() -> ResultSet:  # a SharekitError it raises becomes a FAILED statement (statements.run)
            if kind == "CREATE":
                definition.create_view(tables, metastore, context.statement, tree)
            else:
                definition.drop_view(tables, tree)
            return ResultSet([], [])

        return Prepared("", command=run)

    return handler


# (predicate, handler): the first match prepares the statement.
HANDLERS: list[tuple[Callable[[Any], bool], Callable[[Any, dict[str, Any], Context], Prepared]]] = [
    (dbsql.is_query, _prepare_query),
    (definition.is_create_view, _view_command("CREATE")),
    (definition.is_drop_view, _view_command("DROP")),
]


def prepare(statement: str, parameters: dict[str, Any], tables: TableRegistry | None = None,
            metastore: MetastoreStore | None = None) -> Prepared:
    if not statement.strip():
        raise StatementError("the statement is empty", "INVALID_PARAMETER_VALUE")
    tree = _parse(statement)
    for matches, handler in HANDLERS:
        if matches(tree):
            return handler(tree, parameters, Context(statement, tables, metastore))
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
