"""The statement that creates a configured view, and the check that a view body is exactly one query."""

from __future__ import annotations

from sharekit import dbsql


def check_view_query(sql: str) -> str:
    """The view body must be exactly one query (SELECT / WITH / set operation), not DDL or several."""
    from sqlglot.errors import ParseError

    text = sql.strip().rstrip(";").strip()
    if not text:
        raise ValueError("the view's sql is empty")
    try:
        statements = dbsql.parse(text)
    except ParseError as err:
        first = str(err).splitlines()[0] if str(err) else "syntax error"
        raise ValueError(f"the view's sql does not parse: {first}") from err
    if len(statements) != 1:
        raise ValueError("the view's sql must be a single query (no ';'-separated statements)")
    if not dbsql.is_query(statements[0]):
        raise ValueError("the view's sql must be a query (SELECT ... or WITH ...), not a command")
    return text


def create_view_statement(name: str, sql: str) -> str:
    """``CREATE OR REPLACE VIEW <quoted name> AS <checked query>``; no value is ever formatted in."""
    return f"CREATE OR REPLACE VIEW {dbsql.quote_identifier(name)} AS {check_view_query(sql)}"
