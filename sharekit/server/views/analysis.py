"""A view's query checked against the local tables: the tables it reads, the recipient properties it uses, and its
DuckDB form with ``current_recipient('key')`` as a bound parameter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sharekit import dbsql
from sharekit.server.errors import BadRequest, NotFound
from sharekit.server.metastore import names

if TYPE_CHECKING:
    from sharekit.server.tables.registry import TableEntry, TableRegistry

FUNCTION = "current_recipient"
BLOCKED_IN_VIEWS = ("system",)  # besides dbsql's blocked functions


@dataclass(frozen=True)
class Analysis:
    """A view query checked against the local tables: which tables it reads and which recipient properties."""

    query: Any  # sqlglot tree of the query, table names resolved to full names
    sources: dict[str, TableEntry]  # full name -> Delta table
    keys: tuple[str, ...]  # property keys current_recipient() reads, lower-case, sorted


def qualified_name(table: Any, *, what: str, catalog: str | None = None, schema: str | None = None) -> str:
    """``catalog.schema.name`` of a sqlglot table, defaults filled in from the view's own catalog and schema."""
    parts = [p for p in (table.catalog, table.db, table.name) if p]
    if len(parts) == 2 and catalog:
        parts = [catalog, *parts]
    elif len(parts) == 1 and catalog and schema:
        parts = [catalog, schema, *parts]
    if len(parts) != 3:
        raise BadRequest(f"the {what} name must be catalog.schema.name, got {'.'.join(parts)!r}")
    return ".".join(names.split_full_name(".".join(parts), 3, what))


def analyse(tables: TableRegistry, view_name: str, query_text: str) -> Analysis:
    query = _parse_query(query_text)
    sources = _resolve_sources(tables, view_name, query)
    if not sources:
        raise BadRequest(f"view {view_name} reads no table")
    return Analysis(query, sources, _property_keys(query))


def _parse_query(query_text: str) -> Any:
    from sqlglot.errors import ParseError, TokenError

    try:
        trees = dbsql.parse(query_text)
    except (ParseError, TokenError) as err:
        raise BadRequest(f"[PARSE_SYNTAX_ERROR] the view query does not parse: {str(err).splitlines()[0]}") from err
    if len(trees) != 1 or not dbsql.is_query(trees[0]):
        raise BadRequest("the view must be defined by exactly one query (SELECT ... or WITH ...)")
    return trees[0]


def _resolve_sources(tables: TableRegistry, view_name: str, query: Any) -> dict[str, TableEntry]:
    """The Delta tables the query reads; their names in the tree are rewritten to full names."""
    from sqlglot import exp

    catalog, schema, _ = view_name.split(".")
    ctes = dbsql.cte_names(query)
    entries = tables.entries()
    sources: dict[str, TableEntry] = {}
    for table in list(query.find_all(exp.Table)):
        if isinstance(table.this, exp.Func):
            raise BadRequest("table functions are not allowed in a view")
        if not table.db and table.name.lower() in ctes:
            continue
        full = qualified_name(table, what="table", catalog=catalog, schema=schema)
        entry = entries.get(full)
        if entry is None:
            raise NotFound(f"[TABLE_OR_VIEW_NOT_FOUND] The table or view {full} cannot be found (view {view_name})",
                           "TABLE_DOES_NOT_EXIST")
        if entry.table_type == "VIEW":
            raise BadRequest(f"view {view_name} reads view {full}: views over views are not supported; "
                             "select from the tables instead")
        sources[full] = entry
        table.set("catalog", exp.to_identifier(entry.catalog))
        table.set("db", exp.to_identifier(entry.schema))
        table.set("this", exp.to_identifier(entry.name))
    return sources


def _property_keys(query: Any) -> tuple[str, ...]:
    """The recipient property keys ``current_recipient('k')`` reads; refuses calls of blocked functions."""
    from sqlglot import exp

    keys: set[str] = set()
    for func in query.find_all(exp.Func):
        name = dbsql.function_name(func)
        if name.lower() == FUNCTION:
            args = func.expressions if isinstance(func, exp.Anonymous) else []
            if len(args) != 1 or not isinstance(args[0], exp.Literal) or not args[0].is_string or not args[0].name:
                raise BadRequest("current_recipient() takes one string literal: the recipient property key, "
                                 "e.g. current_recipient('region')")
            keys.add(args[0].name.lower())
        elif dbsql.is_blocked_function(name, also=BLOCKED_IN_VIEWS):
            raise BadRequest(f"function {name}() is not allowed in a view")
    return tuple(sorted(keys))


def bound_sql(analysis: Analysis) -> tuple[str, dict[str, str]]:
    """DuckDB SQL with ``current_recipient('k')`` as ``$rp_<i>`` and source tables as ``src_<i>``; the parameter
    name per key."""
    from sqlglot import exp

    query = analysis.query.copy()
    slots = {key: f"rp_{i}" for i, key in enumerate(analysis.keys)}
    for func in list(query.find_all(exp.Anonymous)):
        if func.name.lower() == FUNCTION:
            func.replace(exp.Cast(this=exp.Placeholder(this=slots[func.expressions[0].name.lower()]),
                                  to=exp.DataType.build("text")))
    mapping = {full: f"src_{i}" for i, full in enumerate(sorted(analysis.sources))}
    query = exp.replace_tables(query, mapping)
    return dbsql.to_duckdb(query), slots
