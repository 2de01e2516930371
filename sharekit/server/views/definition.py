"""``CREATE [OR REPLACE] VIEW`` and ``DROP VIEW``: checking the statement and storing (or removing) the view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sharekit import dbsql
from sharekit.server.errors import BadRequest, Conflict, NotFound
from sharekit.server.metastore.changes import TableRegistration
from sharekit.server.views.analysis import analyse, qualified_name
from sharekit.server.views.evaluation import checked_schema

if TYPE_CHECKING:
    from sharekit.server.metastore.store import MetastoreStore
    from sharekit.server.tables.registry import TableRegistry


@dataclass(frozen=True)
class CreateView:
    full_name: str
    query_text: str  # the query exactly as written (after AS)
    replace: bool
    if_not_exists: bool
    comment: str | None


def is_create_view(tree: Any) -> bool:
    from sqlglot import exp

    return isinstance(tree, exp.Create) and str(tree.args.get("kind") or "").upper() == "VIEW"


def is_drop_view(tree: Any) -> bool:
    from sqlglot import exp

    return isinstance(tree, exp.Drop) and str(tree.args.get("kind") or "").upper() == "VIEW"


def parse_create(statement: str, tree: Any) -> CreateView:
    from sqlglot import exp

    target = tree.this
    if isinstance(target, exp.Schema):
        raise BadRequest("column lists in CREATE VIEW are not supported; name the columns with AS in the SELECT")
    if not isinstance(target, exp.Table):
        raise BadRequest("CREATE VIEW needs a view name catalog.schema.name")
    if tree.args.get("temporary") or tree.args.get("materialized"):
        raise BadRequest("only plain views can be created here (no TEMPORARY or MATERIALIZED)")
    full_name = qualified_name(target, what="view")
    if not isinstance(tree.expression, exp.Query):
        raise BadRequest("CREATE VIEW needs AS followed by a query (SELECT ... or WITH ...)")
    comment = None
    for prop in (tree.args.get("properties").expressions if tree.args.get("properties") else []):
        if isinstance(prop, exp.SchemaCommentProperty):
            comment = prop.this.name
        else:
            raise BadRequest(f"view property {prop.sql(dialect='databricks')!r} is not supported")
    return CreateView(full_name, _query_text(statement), bool(tree.args.get("replace")), bool(tree.args.get("exists")),
                      comment)


def _query_text(statement: str) -> str:
    """The text after the first top-level ``AS`` of ``CREATE VIEW name ... AS <query>``."""
    from sqlglot import TokenType

    depth = 0
    for token in dbsql.tokens(statement):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif token.token_type == TokenType.ALIAS and depth == 0:
            return statement[token.end + 1:].strip().rstrip(";").strip()
    raise BadRequest("CREATE VIEW needs AS followed by a query")


def create_view(tables: TableRegistry, metastore: MetastoreStore, statement: str, tree: Any) -> str:
    """Validate and store a view; returns its full name. Raises a SharekitError the caller turns into FAILED."""
    spec = parse_create(statement, tree)
    existing = tables.entries().get(spec.full_name)
    if existing is not None and existing.table_type != "VIEW":
        raise Conflict(f"[TABLE_OR_VIEW_ALREADY_EXISTS] {spec.full_name} is a table, not a view", "TABLE_ALREADY_EXISTS")
    if existing is not None and spec.if_not_exists:
        return spec.full_name
    analysis = analyse(tables, spec.full_name, spec.query_text)
    checked_schema(analysis, spec.full_name, tables)  # it must run on the sources as they are now
    metastore.put_view(TableRegistration(spec.full_name, None, "VIEW", spec.comment, spec.query_text),
                       replace=spec.replace)
    return spec.full_name


def drop_view(tables: TableRegistry, tree: Any) -> str:
    from sqlglot import exp

    targets = tree.args.get("tables") or ([tree.this] if tree.this is not None else [])
    if len(targets) != 1 or not isinstance(targets[0], exp.Table):
        raise BadRequest("DROP VIEW takes exactly one view name")
    full_name = qualified_name(targets[0], what="view")
    existing = tables.entries().get(full_name)
    if existing is None:
        if tree.args.get("exists"):
            return full_name
        raise NotFound(f"[TABLE_OR_VIEW_NOT_FOUND] The view {full_name} cannot be found", "TABLE_DOES_NOT_EXIST")
    if existing.table_type != "VIEW":
        raise BadRequest(f"[WRONG_COMMAND_FOR_OBJECT_TYPE] {full_name} is a table; DROP VIEW drops views only")
    tables.unregister(full_name)
    return full_name
