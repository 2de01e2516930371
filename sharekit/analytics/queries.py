"""The analyses' SQL: written once in Databricks SQL (``sql/*.sql``), translated for DuckDB with sqlglot.

Rules (see the project's analytics-SQL reference): the portable subset only, ``:name`` parameters only, the
audit table spelled ``system.access.audit`` and renamed per engine with ``sqlglot.exp.replace_tables``.
``check_portable`` rejects the functions sqlglot mistranslates or that one engine lacks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from sharekit import dbsql

AUDIT_TABLE = "system.access.audit"

# Functions whose meaning differs between Spark and DuckDB, or that one of them lacks (reference §2).
FORBIDDEN_FUNCTIONS = frozenset({
    "dayofweek", "dow", "weekday", "day_of_week", "percentile", "percentile_approx", "approx_percentile",
    "std", "trunc", "make_dt_interval", "unix_timestamp", "explode", "sequence", "element_at", "collect_set",
    "collect_list", "date_sub", "date_add", "identifier", "size", "sort_array",
})


EXTRACT_UNITS = frozenset({"dow", "dayofweek", "isodow", "weekday", "dayofweek_iso"})


class QueryError(ValueError):
    """An analysis query broke a portability rule, or an engine rejected it."""


@dataclass(frozen=True)
class Query:
    """One analysis run: the Databricks SQL text and its parameters."""

    name: str
    sql: str
    params: dict[str, Any] = field(default_factory=dict)

    def for_table(self, table: str) -> str:
        return rename_table(self.sql, table)


def names() -> list[str]:
    return sorted(p.name[:-4] for p in resources.files("sharekit.analytics").joinpath("sql").iterdir()
                  if p.name.endswith(".sql"))


@cache
def load(name: str) -> str:
    text = resources.files("sharekit.analytics").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
    return text.strip()


def query(name: str, **params: Any) -> Query:
    return Query(name, load(name), params)


@lru_cache(maxsize=256)
def rename_table(sql: str, table: str) -> str:
    """The Databricks SQL with ``system.access.audit`` replaced by ``table`` (still Databricks dialect)."""
    if table == AUDIT_TABLE:
        return sql
    from sqlglot import exp

    tree = exp.replace_tables(dbsql.parse_one(sql), {AUDIT_TABLE: table})
    return tree.sql(dialect=dbsql.DIALECT)


@lru_cache(maxsize=256)
def to_duckdb(sql: str, table: str = AUDIT_TABLE) -> str:
    """Translate Databricks SQL to DuckDB (``:x`` becomes ``$x``, null ordering made explicit)."""
    from sqlglot import exp

    tree = dbsql.parse_one(sql)
    if table != AUDIT_TABLE:
        tree = exp.replace_tables(tree, {AUDIT_TABLE: table})
    return dbsql.to_duckdb(tree)


def check_portable(sql: str) -> None:
    """Raise ``QueryError`` if ``sql`` calls a function outside the portable subset, or uses ``?`` markers.

    Checked on the tokens, not the parsed tree: sqlglot normalises while parsing (``trunc`` becomes the same
    node as the portable ``date_trunc``), so only the source text tells them apart."""
    from sqlglot.tokens import TokenType

    tokens = dbsql.tokens(sql)
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        name = token.text.lower()
        if following is not None and following.token_type == TokenType.L_PAREN and name in FORBIDDEN_FUNCTIONS:
            raise QueryError(f"non-portable function {token.text}() at line {token.line}")
        if token.token_type == TokenType.PLACEHOLDER and token.text == "?":
            raise QueryError(f"positional '?' parameters are not portable (line {token.line}); use :name")
        if name == "extract" and index + 2 < len(tokens) and tokens[index + 2].text.lower() in EXTRACT_UNITS:
            raise QueryError(f"non-portable EXTRACT({tokens[index + 2].text}) at line {token.line}")


def parameter_names(sql: str) -> set[str]:
    from sqlglot import exp

    tree = dbsql.parse_one(sql)
    return {node.name for node in tree.find_all(exp.Placeholder) if node.name and node.name != "?"}


def sql_type(value: Any) -> str:
    """The Databricks SQL type name of a parameter value (used by the statement-execution engine)."""
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, dt.datetime):
        return "TIMESTAMP"
    if isinstance(value, dt.date):
        return "DATE"
    return "STRING"
