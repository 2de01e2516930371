"""Databricks SQL as sharekit reads and writes it: parsing, identifiers, function names, the functions no
statement may call, translation to DuckDB, and the text form of values.

The one owner of the dialect for every part that handles SQL: the embedded server's statements and shared views,
the analyses (written once in Databricks SQL, run on DuckDB locally) and the views a configuration creates.
sqlglot is imported on first use (it is heavy, and ``%load_ext sharekit`` must stay fast).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlglot import exp
    from sqlglot.tokens import Token

DIALECT = "databricks"
# Functions that reach files, the network, other databases or the engine's settings: refused in every statement
# and view, whatever DuckDB would do with them.
_BLOCKED_PREFIXES = ("read_", "parquet_", "glob", "sniff_", "query", "iceberg_", "delta_scan", "sqlite_",
                     "postgres_", "mysql_", "httpfs", "load", "install", "getenv", "current_setting", "duckdb_",
                     "pragma_")


def quote_identifier(name: str) -> str:
    """A dotted name as Databricks SQL identifiers: each part in backticks, backticks doubled."""
    return ".".join("`" + part.replace("`", "``") + "`" for part in name.split("."))


def parse(sql: str) -> list[exp.Expression]:
    """Every statement of ``sql`` (empty ones dropped); raises sqlglot's ``ParseError`` or ``TokenError``."""
    import sqlglot

    return [tree for tree in sqlglot.parse(sql, read=DIALECT) if tree is not None]


def parse_one(sql: str) -> exp.Expression:
    import sqlglot

    return sqlglot.parse_one(sql, read=DIALECT)


def tokens(sql: str) -> list[Token]:
    """The Databricks tokens of ``sql`` (for checks the parsed tree cannot make: sqlglot normalises names)."""
    import sqlglot

    return list(sqlglot.Dialect.get_or_raise(DIALECT).tokenize(sql))


def is_query(tree: exp.Expression) -> bool:
    """SELECT, WITH or a set operation: a statement that only reads."""
    from sqlglot import exp

    return isinstance(tree, exp.Query)


def function_name(func: exp.Func) -> str:
    """The name a function call was written with (user-defined and unknown functions included)."""
    from sqlglot import exp

    return (func.name if isinstance(func, exp.Anonymous) else func.sql_name()) or ""


def cte_names(tree: exp.Expression) -> set[str]:
    """The lower-case names the query's WITH clauses define."""
    from sqlglot import exp

    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def is_blocked_function(name: str, *, also: tuple[str, ...] = ()) -> bool:
    """A function no statement may call (files, network, settings); ``also`` adds prefixes for one caller."""
    return name.lower().startswith(_BLOCKED_PREFIXES + also)


def to_duckdb(tree: exp.Expression) -> str:
    """The DuckDB SQL of a Databricks tree (``:name`` parameters become ``$name``)."""
    return str(tree.sql(dialect="duckdb", comments=False))


def value_text(value: Any) -> str | None:
    """The text Databricks gives a value: statement parameters, JSON_ARRAY results, property values
    (``true``/``false``, ISO-8601 dates and times, numbers and the rest as ``str``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)

