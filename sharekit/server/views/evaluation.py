"""Evaluating a view: its rows on DuckDB over the source tables (no file access, configuration locked), the types
the Delta schema can describe, its columns for catalog listings, and the recipient property values it reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sharekit.server.errors import BadRequest, Forbidden, NotFound, SharekitError
from sharekit.server.settings import DUCKDB_THREADS
from sharekit.server.tables.columns import columns_of
from sharekit.server.tables.registry import TableMetadata
from sharekit.server.views.analysis import Analysis, analyse, bound_sql

if TYPE_CHECKING:
    import pyarrow as pa

    from sharekit.server.tables.registry import TableEntry, TableRegistry


class RecipientContextMissing(BadRequest):
    """The view reads ``current_recipient`` and nobody is a recipient here (the provider queried it directly)."""

    def __init__(self, view: str) -> None:
        super().__init__(f"[CURRENT_RECIPIENT_UNAVAILABLE] View {view} calls current_recipient(), which has a value "
                         "only when a Delta Sharing recipient reads the shared view; use preview_as(ws, recipient, "
                         "share) to see what a recipient receives", "INVALID_PARAMETER_VALUE")


def source_versions(tables: TableRegistry, analysis: Analysis) -> dict[str, int]:
    return {full: tables.version(entry) for full, entry in sorted(analysis.sources.items())}


def run(analysis: Analysis, versions: Mapping[str, int], values: Mapping[str, str | None], *,
        limit: int | None = None) -> pa.Table:
    """Evaluate on a fresh DuckDB connection without file access; the sources are registered Arrow datasets."""
    import duckdb
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError

    sql, slots = bound_sql(analysis)
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

    schema = pa.schema([pa.field(f.name, _describable(f.type), True) for f in table.schema])
    return table.cast(schema) if schema != table.schema else table


def _describable(kind: pa.DataType) -> pa.DataType:
    import pyarrow as pa

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


def checked_schema(analysis: Analysis, view_name: str, tables: TableRegistry) -> pa.Schema:
    """The view's schema, evaluated on the sources as they are now; two columns of one name are refused."""
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


def describe(tables: TableRegistry, entry: TableEntry) -> list[dict[str, Any]]:
    """A view's columns as Unity Catalog ``ColumnInfo``; none when it cannot be evaluated."""
    try:
        analysis = analyse(tables, entry.full_name, entry.view_definition or "")
        schema = schema_string(checked_schema(analysis, entry.full_name, tables))
    except SharekitError:
        return []
    return columns_of(schema, [])


def table_metadata(tables: TableRegistry, entry: TableEntry) -> TableMetadata:
    """What catalog listings and previews show of a table or a view (a view's columns come from ``describe``)."""
    if entry.table_type != "VIEW":
        return tables.metadata(entry)
    return TableMetadata(version=0, columns=describe(tables, entry), partition_columns=[], comment=entry.comment)


def evaluate(tables: TableRegistry, entry: TableEntry, properties: Mapping[str, str] | None, *,
             limit: int | None = None) -> pa.Table:
    """The view's rows for a recipient with ``properties`` (None = no recipient: the provider's own query)."""
    analysis = analyse(tables, entry.full_name, entry.view_definition or "")
    values = recipient_values(entry.full_name, analysis, properties, None)
    return normalise(run(analysis, source_versions(tables, analysis), values, limit=limit))


def recipient_values(view: str, analysis: Analysis, properties: Mapping[str, str] | None,
                     recipient: str | None) -> dict[str, str | None]:
    """The values of the properties the view reads; refused when there is no recipient or it lacks one."""
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
