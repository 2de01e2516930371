"""Shared views: ``CREATE [OR REPLACE] VIEW`` over local Delta tables, evaluated per recipient and served like a table.

A view is stored in the catalog store as its query text (what the provider wrote, so a configuration that
re-applies the same SQL sees no change). ``current_recipient('key')`` in the query is rewritten with sqlglot into a
bound DuckDB parameter, never a formatted value. For a recipient the view is evaluated on DuckDB over the source
tables' latest versions and materialised as Parquet under ``home/cache/views/<view key>/<state key>/``; the
state key hashes the view definition, the source versions and the values of the properties the view reads, so a
changed source table or a changed recipient property gives a new materialisation on the next request.

Without a recipient (the provider's own SELECT) a view that calls ``current_recipient`` fails, as on Databricks.
A recipient that lacks a property the view reads gets an error, never unfiltered rows.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sharekit.server.errors import BadRequest, Conflict, Forbidden, NotFound, SharekitError
from sharekit.server.metastore import names
from sharekit.server.metastore.changes import TableRegistration
from sharekit.server.security import signing
from sharekit.server.settings import DUCKDB_THREADS, SIGNED_URL_TTL_S, VIEW_KEEP_STATES
from sharekit.server.tables.columns import columns_of
from sharekit.server.tables.registry import TableMetadata
from sharekit.server.tables.snapshots import FileEntry, Snapshot

if TYPE_CHECKING:
    import pyarrow as pa

    from sharekit.server.state import ServerState
    from sharekit.server.tables.registry import TableEntry, TableRegistry

FUNCTION = "current_recipient"
VIEWS_DIR = "views"
DATA_FILE = "part-00000.parquet"
BLOCKED_FUNCTION = re.compile(r"^(read_|parquet_|glob|sniff_|query|iceberg_|delta_scan|sqlite_|postgres_|mysql_|"
                              r"httpfs|load|install|getenv|current_setting|duckdb_|pragma_|system)", re.IGNORECASE)
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class RecipientContextMissing(BadRequest):
    """The view reads ``current_recipient`` and nobody is a recipient here (the provider queried it directly)."""

    def __init__(self, view: str) -> None:
        super().__init__(f"[CURRENT_RECIPIENT_UNAVAILABLE] View {view} calls current_recipient(), which has a value "
                         "only when a Delta Sharing recipient reads the shared view; use preview_as(ws, recipient, "
                         "share) to see what a recipient receives", "INVALID_PARAMETER_VALUE")


@dataclass(frozen=True)
class CreateView:
    full_name: str
    query_text: str  # the query exactly as written (after AS)
    replace: bool
    if_not_exists: bool
    comment: str | None


@dataclass(frozen=True)
class Analysis:
    """A view query checked against the catalog: which tables it reads and which recipient properties."""

    query: Any  # sqlglot tree of the query, table names resolved to full names
    sources: dict[str, TableEntry]  # full name -> Delta table
    keys: tuple[str, ...]  # property keys current_recipient() reads, lower-case, sorted


# -- CREATE / DROP ----------------------------------------------------------------------------------------

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
    full_name = _full_name(target, what="view")
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
    import sqlglot
    from sqlglot import TokenType

    depth = 0
    for token in sqlglot.Dialect.get_or_raise("databricks").tokenize(statement):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif token.token_type == TokenType.ALIAS and depth == 0:
            return statement[token.end + 1:].strip().rstrip(";").strip()
    raise BadRequest("CREATE VIEW needs AS followed by a query")


def _full_name(table: Any, *, what: str, catalog: str | None = None, schema: str | None = None) -> str:
    parts = [p for p in (table.catalog, table.db, table.name) if p]
    if len(parts) == 2 and catalog:
        parts = [catalog, *parts]
    elif len(parts) == 1 and catalog and schema:
        parts = [catalog, schema, *parts]
    if len(parts) != 3:
        raise BadRequest(f"the {what} name must be catalog.schema.name, got {'.'.join(parts)!r}")
    return ".".join(names.split_full_name(".".join(parts), 3, what))


def create_view(state: ServerState, statement: str, tree: Any) -> str:
    """Validate and store a view; returns its full name. Raises a SharekitError the caller turns into FAILED."""
    spec = parse_create(statement, tree)
    existing = state.tables.entries().get(spec.full_name)
    if existing is not None and existing.table_type != "VIEW":
        raise Conflict(f"[TABLE_OR_VIEW_ALREADY_EXISTS] {spec.full_name} is a table, not a view", "TABLE_ALREADY_EXISTS")
    if existing is not None and spec.if_not_exists:
        return spec.full_name
    analysis = analyse(state.tables, spec.full_name, spec.query_text)
    _schema(analysis, spec.full_name, state.tables)  # it must run on the sources as they are now
    state.metastore.put_view(TableRegistration(spec.full_name, None, "VIEW", spec.comment, spec.query_text),
                           replace=spec.replace)
    return spec.full_name


def drop_view(state: ServerState, tree: Any) -> str:
    from sqlglot import exp

    tables = tree.args.get("tables") or ([tree.this] if tree.this is not None else [])
    if len(tables) != 1 or not isinstance(tables[0], exp.Table):
        raise BadRequest("DROP VIEW takes exactly one view name")
    full_name = _full_name(tables[0], what="view")
    existing = state.tables.entries().get(full_name)
    if existing is None:
        if tree.args.get("exists"):
            return full_name
        raise NotFound(f"[TABLE_OR_VIEW_NOT_FOUND] The view {full_name} cannot be found", "TABLE_DOES_NOT_EXIST")
    if existing.table_type != "VIEW":
        raise BadRequest(f"[WRONG_COMMAND_FOR_OBJECT_TYPE] {full_name} is a table; DROP VIEW drops views only")
    state.tables.unregister(full_name)
    return full_name


# -- analysis ---------------------------------------------------------------------------------------------

def analyse(tables: TableRegistry, view_name: str, query_text: str) -> Analysis:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        trees = [t for t in sqlglot.parse(query_text, read="databricks") if t is not None]
    except (ParseError, TokenError) as err:
        raise BadRequest(f"[PARSE_SYNTAX_ERROR] the view query does not parse: {str(err).splitlines()[0]}") from err
    if len(trees) != 1 or not isinstance(trees[0], exp.Query):
        raise BadRequest("the view must be defined by exactly one query (SELECT ... or WITH ...)")
    query = trees[0]
    catalog, schema, _ = view_name.split(".")
    ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    entries = tables.entries()
    sources: dict[str, TableEntry] = {}
    for table in list(query.find_all(exp.Table)):
        if isinstance(table.this, exp.Func):
            raise BadRequest("table functions are not allowed in a view")
        if not table.db and table.name.lower() in ctes:
            continue
        full = _full_name(table, what="table", catalog=catalog, schema=schema)
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
    if not sources:
        raise BadRequest(f"view {view_name} reads no table")
    keys: set[str] = set()
    for func in query.find_all(exp.Func):
        name = (func.name if isinstance(func, exp.Anonymous) else func.sql_name()) or ""
        if name.lower() == FUNCTION:
            args = func.expressions if isinstance(func, exp.Anonymous) else []
            if len(args) != 1 or not isinstance(args[0], exp.Literal) or not args[0].is_string or not args[0].name:
                raise BadRequest("current_recipient() takes one string literal: the recipient property key, "
                                 "e.g. current_recipient('region')")
            keys.add(args[0].name.lower())
        elif BLOCKED_FUNCTION.match(name):
            raise BadRequest(f"function {name}() is not allowed in a view")
    return Analysis(query, sources, tuple(sorted(keys)))


def _bound_sql(analysis: Analysis) -> tuple[str, dict[str, str]]:
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
    return query.sql(dialect="duckdb", comments=False), slots


# -- evaluation -------------------------------------------------------------------------------------------

def source_versions(tables: TableRegistry, analysis: Analysis) -> dict[str, int]:
    return {full: tables.version(entry) for full, entry in sorted(analysis.sources.items())}


def run(analysis: Analysis, versions: Mapping[str, int], values: Mapping[str, str | None], *,
        limit: int | None = None) -> pa.Table:
    """Evaluate on a fresh DuckDB connection without file access; the sources are registered Arrow datasets."""
    import duckdb
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError

    sql, slots = _bound_sql(analysis)
    if limit is not None:
        sql = f"SELECT * FROM ({sql}) LIMIT {int(limit)}"
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone='UTC'")
        con.execute(f"SET threads={int(DUCKDB_THREADS)}")
        for i, full in enumerate(sorted(analysis.sources)):
            entry = analysis.sources[full]
            try:
                dataset = DeltaTable(str(entry.path), version=versions[full]).to_pyarrow_dataset()
            except (DeltaError, OSError) as err:
                raise NotFound(f"table {full} of the view cannot be read: {err}", "TABLE_DOES_NOT_EXIST") from err
            con.register(f"src_{i}", dataset)
        con.execute("SET enable_external_access=false")
        con.execute("SET lock_configuration=true")
        params = {slot: values.get(key) for key, slot in slots.items()}
        try:
            return con.sql(sql, params=params or None).to_arrow_table()
        except duckdb.Error as err:
            raise BadRequest(f"the view cannot be evaluated: {str(err).splitlines()[0]}") from err
    finally:
        con.close()


def normalise(table: pa.Table) -> pa.Table:
    """Types the Delta schema and the parquet response format can describe (no views, no unsigned, UTC times)."""
    import pyarrow as pa

    def fix(kind: pa.DataType) -> pa.DataType:
        if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            return pa.string()
        if pa.types.is_large_binary(kind) or pa.types.is_binary_view(kind):
            return pa.binary()
        if pa.types.is_uint8(kind):
            return pa.int16()
        if pa.types.is_uint16(kind):
            return pa.int32()
        if pa.types.is_uint32(kind):
            return pa.int64()
        if pa.types.is_uint64(kind):
            return pa.decimal128(20, 0)
        if pa.types.is_timestamp(kind):
            return pa.timestamp("us", tz="UTC")
        if pa.types.is_time(kind):
            return pa.string()
        return kind

    schema = pa.schema([pa.field(f.name, fix(f.type), True) for f in table.schema])
    return table.cast(schema) if schema != table.schema else table


def _schema(analysis: Analysis, view_name: str, tables: TableRegistry) -> pa.Schema:
    empty = run(analysis, source_versions(tables, analysis), {}, limit=0)
    names_seen: set[str] = set()
    for name in empty.column_names:
        if name.lower() in names_seen:
            raise BadRequest(f"view {view_name} has two columns named {name!r}; alias them")
        names_seen.add(name.lower())
    return normalise(empty).schema


def schema_string(schema: pa.Schema) -> str:
    from deltalake import Schema

    return str(Schema.from_arrow(schema).to_json())


def view_columns(tables: TableRegistry, entry: TableEntry) -> list[dict[str, Any]]:
    """Columns of a view for catalog listings; none when it cannot be evaluated."""
    try:
        analysis = analyse(tables, entry.full_name, entry.view_definition or "")
        schema = schema_string(_schema(analysis, entry.full_name, tables))
    except SharekitError:
        return []
    return columns_of(schema, [])


def table_metadata(tables: TableRegistry, entry: TableEntry) -> TableMetadata:
    """What catalog listings show of a table or a view (a view's columns come from evaluating it)."""
    if entry.table_type != "VIEW":
        return tables.metadata(entry)
    return TableMetadata(version=0, columns=view_columns(tables, entry), partition_columns=[], comment=entry.comment)


def evaluate(state: ServerState, entry: TableEntry, properties: Mapping[str, str] | None, *,
             limit: int | None = None) -> pa.Table:
    """The view's rows for a recipient with ``properties`` (None = no recipient: the provider's own query)."""
    analysis = analyse(state.tables, entry.full_name, entry.view_definition or "")
    values = _values(entry.full_name, analysis, properties, None)
    return normalise(run(analysis, source_versions(state.tables, analysis), values, limit=limit))


def _values(view: str, analysis: Analysis, properties: Mapping[str, str] | None,
            recipient: str | None) -> dict[str, str | None]:
    if not analysis.keys:
        return {}
    if properties is None:
        raise RecipientContextMissing(view)
    lowered = {k.lower(): v for k, v in properties.items()}
    missing = [k for k in analysis.keys if k not in lowered]
    if missing:
        who = f"recipient {recipient}" if recipient else "the recipient"
        raise Forbidden(f"View {view} filters on recipient property '{missing[0]}', which {who} does not have; "
                        "set it with recipients.update(properties_kvpairs=...) to give access", "PERMISSION_DENIED")
    return {k: lowered[k] for k in analysis.keys}


# -- materialisation --------------------------------------------------------------------------------------

def view_folder(state: ServerState, full_name: str) -> Path:
    return state.home.cache_dir / VIEWS_DIR / signing.table_key(state.secret, full_name)


def view_table_id(full_name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sharekit-view:{full_name.lower()}"))


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def materialise(state: ServerState, entry: TableEntry, properties: Mapping[str, str] | None,
                recipient: str | None = None) -> Snapshot:
    """The view for one recipient as a one-file snapshot (no file when it has no rows), cached on disk."""
    analysis = analyse(state.tables, entry.full_name, entry.view_definition or "")
    values = _values(entry.full_name, analysis, properties, recipient)
    versions = source_versions(state.tables, analysis)
    state_key = hashlib.sha256(json.dumps({
        "definition": entry.view_definition, "sources": [[k, v, str(analysis.sources[k].path)] for k, v in
                                                         versions.items()],
        "properties": values}, sort_keys=True).encode()).hexdigest()[:32]
    root = view_folder(state, entry.full_name)
    folder = root / state_key
    index = folder / "_index.json"
    with _lock(str(folder)):
        if not index.exists():
            _write(folder, index, run(analysis, versions, values))
            _prune(root, keep=folder)
    info = json.loads(index.read_text())
    files: tuple[FileEntry, ...] = ()
    if info["rows"]:
        relative = f"{state_key}/{DATA_FILE}"
        files = (FileEntry(relative, relative, info["size"], info["created"], {}, {}, info["rows"],
                           json.dumps({"numRecords": info["rows"]}, separators=(",", ":"))),)
    metadata = {"id": view_table_id(entry.full_name), "name": entry.name, "description": entry.comment,
                "format": {"provider": "parquet", "options": {}}, "schemaString": info["schema"],
                "partitionColumns": [], "configuration": {}, "createdTime": info["created"]}
    protocol = {"minReaderVersion": 1, "minWriterVersion": 2}
    return Snapshot(str(root), sum(versions.values()), info["created"], protocol, metadata, files)


def _prune(root: Path, keep: Path) -> None:
    """Drop materialisations beyond the newest ``VIEW_KEEP_STATES`` of a view, but never one younger than a signed URL's
    life (a recipient may still be downloading it)."""
    import shutil

    states = sorted((p for p in root.iterdir() if p.is_dir() and p != keep), key=lambda p: p.stat().st_mtime,
                    reverse=True)
    cutoff = time.time() - SIGNED_URL_TTL_S
    for old in states[VIEW_KEEP_STATES - 1:]:
        if old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)


def _write(folder: Path, index: Path, rows: pa.Table) -> None:
    import pyarrow.parquet as pq

    rows = normalise(rows)
    folder.mkdir(parents=True, exist_ok=True)
    size = 0
    if rows.num_rows:
        tmp = folder / f".{DATA_FILE}.tmp"
        pq.write_table(rows, tmp)
        os.replace(tmp, folder / DATA_FILE)
        size = (folder / DATA_FILE).stat().st_size
    info = {"rows": rows.num_rows, "size": size, "schema": schema_string(rows.schema),
            "created": int(time.time() * 1000)}
    tmp_index = folder / "._index.json.tmp"
    tmp_index.write_text(json.dumps(info))
    os.replace(tmp_index, index)
