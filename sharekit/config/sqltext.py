"""SQL text for views: the one identifier-quoting helper and the check that a view body is one query."""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """A dotted name as Databricks SQL identifiers: each part in backticks, backticks doubled."""
    return ".".join("`" + part.replace("`", "``") + "`" for part in name.split("."))


def check_view_query(sql: str) -> str:
    """The view body must be exactly one query (SELECT / WITH / set operation), not DDL or several statements."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    text = sql.strip().rstrip(";").strip()
    if not text:
        raise ValueError("the view's sql is empty")
    try:
        statements = [s for s in sqlglot.parse(text, read="databricks") if s is not None]
    except ParseError as err:
        first = str(err).splitlines()[0] if str(err) else "syntax error"
        raise ValueError(f"the view's sql does not parse: {first}") from err
    if len(statements) != 1:
        raise ValueError("the view's sql must be a single query (no ';'-separated statements)")
    if not isinstance(statements[0], exp.Query):
        raise ValueError("the view's sql must be a query (SELECT ... or WITH ...), not a command")  # noqa: TRY004
    return text


def create_view_statement(name: str, sql: str) -> str:
    """``CREATE OR REPLACE VIEW <quoted name> AS <checked query>``; no value is ever formatted in."""
    return f"CREATE OR REPLACE VIEW {quote_identifier(name)} AS {check_view_query(sql)}"
