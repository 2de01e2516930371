"""Where the audit table lives: one ``AuditSource`` interface, three engines.

- ``DuckDBSource``: the embedded server's audit log in a local home (Parquet segments + write-ahead files, the
  layout documented in ``sharekit.server.audit.store``), queried in-process after sqlglot translation.
- ``SparkSource``: any session with ``.sql(sql, args=...)`` — databricks-connect on Databricks, local pyspark in
  tests. The Databricks SQL runs unchanged.
- ``WarehouseSource``: a SQL warehouse through ``WorkspaceClient.statement_execution`` (Databricks, or the
  embedded server's endpoint).

Every engine returns a pandas frame with the same dtypes: integers int64, floats float64, dates and
timestamps ``datetime64`` (naive, UTC), strings object.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sharekit.analytics import queries
from sharekit.analytics.queries import AUDIT_TABLE, Query, QueryError
from sharekit.dbsql import value_text
from sharekit.server.audit import store as audit_store

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from sharekit.connect import Workspace


class AuditSource(Protocol):
    """Runs one analysis query and returns its rows."""

    name: str

    def run(self, query: Query) -> pd.DataFrame: ...

    def close(self) -> None: ...


class DuckDBSource:
    """The audit log of a local home (``<home>/audit``), read with DuckDB while the server keeps writing."""

    name = "duckdb"
    VIEW = "sharekit_audit"

    def __init__(self, home: str | Path, *, threads: int | None = None) -> None:
        root = Path(home).expanduser()
        self.audit_dir = root if root.name == "audit" else root / "audit"
        self._threads = threads
        self._con: Any = None
        self._files: Any = None

    def _connection(self) -> Any:
        import duckdb

        files = audit_store.live_files(self.audit_dir)
        if self._con is None:
            self._con = duckdb.connect()
            self._con.execute("SET TimeZone='UTC'")
            self._con.execute("SET enable_progress_bar=false")
            if self._threads:
                self._con.execute(f"SET threads={int(self._threads)}")
        if files != self._files:
            self._con.execute(f"CREATE OR REPLACE VIEW {self.VIEW} AS {audit_store.scan_sql(files)}")
            self._files = files
        return self._con

    def translate(self, query: Query) -> str:
        return _duckdb_sql(query.sql, self.VIEW)

    def run(self, query: Query) -> pd.DataFrame:
        import duckdb

        sql = self.translate(query)
        for attempt in range(3):
            con = self._connection()
            try:
                return normalise(con.sql(sql, params=query.params or None).to_arrow_table())
            except duckdb.IOException as err:  # a roll or compaction removed a file between listing and reading
                self._files = None
                if attempt == 2:
                    raise QueryError(f"the audit log changed while it was read: {err}") from err
                time.sleep(0.05)
            except duckdb.Error as err:
                raise QueryError(f"DuckDB could not run {query.name}: {err}") from err
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __repr__(self) -> str:
        return f"DuckDBSource({str(self.audit_dir)!r})"


def _duckdb_sql(sql: str, view: str) -> str:
    import sqlglot

    translated = queries.to_duckdb(sql, view)
    return str(audit_store.accelerate(sqlglot.parse_one(translated, read="duckdb")).sql(dialect="duckdb"))


class SparkSource:
    """A Spark session (``.sql(sql, args=...)``): the analysis SQL runs unchanged, on the table ``table``."""

    name = "spark"

    def __init__(self, spark: Any, table: str = AUDIT_TABLE) -> None:
        self.spark = spark
        self.table = table

    def run(self, query: Query) -> pd.DataFrame:
        frame = self.spark.sql(query.for_table(self.table), args=query.params or None)
        if hasattr(frame, "toArrow"):
            return normalise(frame.toArrow())
        import pyarrow as pa

        return normalise(pa.Table.from_pandas(frame.toPandas(), preserve_index=False))

    def close(self) -> None:
        """The session belongs to the caller."""

    def __repr__(self) -> str:
        return f"SparkSource(table={self.table!r})"


def register_local_audit(spark: Any, home: str | Path, view: str = "sharekit_audit") -> str:
    """Register a local home's audit log (segments + write-ahead files) as a Spark temp view; returns the name."""
    root = Path(home)
    audit_dir = root if root.name == "audit" else root / "audit"
    files = audit_store.live_files(audit_dir)
    columns = list(audit_store.SEGMENT_COLUMNS)
    frames = []
    if files.segments:
        frames.append(spark.read.parquet(*[str(p) for p in files.segments]).select(*columns))
    if files.wals:
        frames.append(spark.read.schema(SPARK_WAL_SCHEMA).json([str(p) for p in files.wals]).where("event_time IS NOT NULL")
                      .select(*columns))
    if not frames:
        raise QueryError(f"no audit events in {audit_dir}")
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.unionByName(other)
    frame.createOrReplaceTempView(view)
    return view


SPARK_WAL_SCHEMA = (
    "account_id STRING, workspace_id STRING, version STRING, event_time TIMESTAMP, event_date DATE, "
    "source_ip_address STRING, user_agent STRING, session_id STRING, request_id STRING, event_id STRING, "
    "user_identity STRUCT<email: STRING, subject_name: STRING>, service_name STRING, action_name STRING, "
    "request_params MAP<STRING, STRING>, "
    "response STRUCT<status_code: INT, error_message: STRING, result: STRING>, audit_level STRING, "
    "identity_metadata STRUCT<run_by: STRING, run_as: STRING, acting_resource: STRING>"
)


class WarehouseSource:
    """A SQL warehouse through the statement-execution API (``ws.client.statement_execution``)."""

    name = "warehouse"
    POLL_S = 0.2

    def __init__(self, client: Any, warehouse_id: str, table: str = AUDIT_TABLE, *, timeout_s: float = 300) -> None:
        self.client = client
        self.warehouse_id = warehouse_id
        self.table = table
        self.timeout_s = timeout_s

    def run(self, query: Query) -> pd.DataFrame:
        from databricks.sdk.service import sql as dbsql

        parameters = [dbsql.StatementParameterListItem(name=k, value=value_text(v), type=queries.sql_type(v))
                      for k, v in query.params.items()]
        response = self.client.statement_execution.execute_statement(
            statement=query.for_table(self.table), warehouse_id=self.warehouse_id, parameters=parameters,
            disposition=dbsql.Disposition.INLINE, format=dbsql.Format.JSON_ARRAY, wait_timeout="30s",
            on_wait_timeout=dbsql.ExecuteStatementRequestOnWaitTimeout.CONTINUE)
        deadline = time.monotonic() + self.timeout_s
        while response.status and response.status.state in (dbsql.StatementState.PENDING, dbsql.StatementState.RUNNING):
            if time.monotonic() > deadline:
                self.client.statement_execution.cancel_execution(response.statement_id)
                raise QueryError(f"{query.name} did not finish within {self.timeout_s:.0f} s (cancelled)")
            time.sleep(self.POLL_S)
            response = self.client.statement_execution.get_statement(response.statement_id)
        state = response.status.state if response.status else None
        if state != dbsql.StatementState.SUCCEEDED:
            error = response.status.error if response.status else None
            message = error.message if error else "no error message"
            raise QueryError(f"the warehouse could not run {query.name} ({state.value if state else '?'}): {message}")
        columns = response.manifest.schema.columns if response.manifest and response.manifest.schema else []
        rows: list[list[Any]] = []
        result = response.result
        while result is not None:
            rows.extend(result.data_array or [])
            if result.next_chunk_index is None:
                break
            result = self.client.statement_execution.get_statement_result_chunk_n(
                response.statement_id, result.next_chunk_index)
        return _frame_from_strings([(c.name, _kind(c)) for c in columns], rows)

    def close(self) -> None:
        """The client belongs to the caller."""

    def __repr__(self) -> str:
        return f"WarehouseSource(warehouse_id={self.warehouse_id!r}, table={self.table!r})"


def _kind(column: Any) -> str:
    kind = column.type_name.value if column.type_name else "STRING"
    if kind == "DECIMAL" and not column.type_scale:
        return "LONG"  # as normalise() does for DuckDB's HUGEINT / DECIMAL(p,0)
    return str(kind)


def _frame_from_strings(columns: list[tuple[str, str]], rows: list[list[Any]]) -> pd.DataFrame:
    import pandas as pd

    data: dict[str, Any] = {}
    for index, (name, kind) in enumerate(columns):
        values = [row[index] for row in rows]
        if kind in ("LONG", "INT", "SHORT", "BYTE"):
            series = pd.Series([None if v is None else int(v) for v in values], dtype="float64" if None in values else "int64")
        elif kind in ("DOUBLE", "FLOAT", "DECIMAL"):
            series = pd.Series([None if v is None else float(v) for v in values], dtype="float64")
        elif kind == "BOOLEAN":
            series = pd.Series([None if v is None else v == "true" for v in values],
                               dtype="object" if None in values else "bool")
        elif kind in ("DATE", "TIMESTAMP"):
            series = pd.to_datetime(pd.Series(values, dtype="object"), utc=True).dt.tz_localize(None).astype("datetime64[us]")
        else:
            series = pd.Series(values, dtype="object")
        data[name] = series
    return pd.DataFrame(data, columns=[name for name, _ in columns])


def normalise(table: pa.Table) -> pd.DataFrame:
    """Arrow → pandas with the same dtypes whatever the engine (see the module docstring)."""
    import pyarrow as pa

    columns = []
    for field, column in zip(table.schema, table.columns):
        kind = field.type
        if pa.types.is_timestamp(kind):
            column = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us")) if kind.tz else column.cast(pa.timestamp("us"))
        elif pa.types.is_date(kind):
            column = column.cast(pa.timestamp("us"))
        elif pa.types.is_decimal(kind):
            column = column.cast(pa.int64()) if kind.scale == 0 else column.cast(pa.float64())
        elif pa.types.is_integer(kind):
            column = column.cast(pa.int64())
        elif pa.types.is_floating(kind):
            column = column.cast(pa.float64())
        elif pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            column = column.cast(pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names).to_pandas()


def source_for(ws: Workspace | None = None, *, spark: Any = None, engine: str | None = None,
               home: str | Path | None = None) -> AuditSource:
    """Pick the engine: an explicit ``spark`` session; DuckDB over the local home; the warehouse when connected
    to Databricks with a warehouse id; else the active Spark session (databricks-connect)."""
    if engine not in (None, "duckdb", "spark", "warehouse"):
        raise ValueError(f"engine must be 'duckdb', 'spark' or 'warehouse', not {engine!r}")
    if spark is not None or engine == "spark":
        session = spark if spark is not None else _active_spark()
        return SparkSource(session)
    if home is not None:
        return DuckDBSource(home)
    if ws is None:
        raise ValueError("pass a Workspace (sharekit.connect()), a Spark session, or home= for a local audit log")
    if engine == "warehouse" or (engine is None and ws.kind == "databricks" and ws.warehouse_id):
        if not ws.warehouse_id:
            raise ValueError("no SQL warehouse configured: set DATABRICKS_WAREHOUSE_ID or pass a Spark session")
        table = AUDIT_TABLE
        return WarehouseSource(ws.client, ws.warehouse_id, table)
    if ws.kind == "local" and ws.home is not None:
        return DuckDBSource(ws.home)
    return SparkSource(_active_spark())


def _active_spark() -> Any:
    try:
        from databricks.connect import DatabricksSession  # type: ignore[import-not-found]

        return DatabricksSession.builder.getOrCreate()
    except ImportError:
        pass
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise ValueError("no Spark session: install databricks-connect, or pass spark=<session>") from err
    session = SparkSession.getActiveSession()
    if session is None:
        raise ValueError("no active Spark session: pass spark=<session>")
    return session
