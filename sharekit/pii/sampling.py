"""Sampling a table through the workspace client, and the PII report built from the sample.

Everything goes through the client (the SDK's HTTP client), never through server internals: on the embedded
server its admin route ``/sharekit/admin/preview``, on Databricks a statement on the SQL warehouse.
"""

from __future__ import annotations

from typing import Any

from sharekit.connect import WorkspaceLike, client_of
from sharekit.dbsql import quote_identifier
from sharekit.pii.report import PiiReport, report

PREVIEW_PATH = "/sharekit/admin/preview"
SAMPLE_ROWS = 200


def preview_route(target: WorkspaceLike, query: dict[str, Any]) -> dict[str, Any]:
    """The embedded server's preview route: the first rows of a table, or what a recipient would receive."""
    answer = client_of(target).api_client.do("GET", PREVIEW_PATH, query=query)
    if not isinstance(answer, dict):
        raise TypeError(f"unexpected answer from {PREVIEW_PATH}: {type(answer).__name__}")
    return answer


def _is_local(target: Any) -> bool:
    return getattr(target, "kind", None) == "local"


def sample_rows(target: WorkspaceLike, table: str, *, limit: int = SAMPLE_ROWS,
                warehouse_id: str | None = None) -> tuple[list[str], list[list[Any]], str | None]:
    """``(columns, rows, note)``: the first rows of a table as the provider sees them. Embedded server: the
    preview route; Databricks: ``SELECT * FROM t LIMIT :n`` on the SQL warehouse; no warehouse: a note."""
    if _is_local(target):
        raw = preview_route(target, {"table": table, "limit": limit})
        if raw.get("error"):
            return list(raw.get("columns") or []), [], f"values not sampled: {raw['error']}"
        return list(raw.get("columns") or []), list(raw.get("sample") or []), None
    warehouse = warehouse_id or getattr(target, "warehouse_id", None)
    if not warehouse:
        return [], [], "values not sampled: no SQL warehouse (set DATABRICKS_WAREHOUSE_ID); column names checked"
    from databricks.sdk.service.sql import StatementParameterListItem, StatementState

    response = client_of(target).statement_execution.execute_statement(
        statement=f"SELECT * FROM {quote_identifier(table)} LIMIT :n", warehouse_id=warehouse, wait_timeout="30s",
        parameters=[StatementParameterListItem(name="n", value=str(limit), type="INT")])
    status = response.status
    if status is None or status.state != StatementState.SUCCEEDED:
        message = status.error.message if status and status.error else "statement did not finish"
        return [], [], f"values not sampled: {message}"
    columns = [c.name or "" for c in (response.manifest.schema.columns or [])] if response.manifest and \
        response.manifest.schema else []
    rows = response.result.data_array if response.result and response.result.data_array else []
    return columns, [list(r) for r in rows], None


def pii_report(target: WorkspaceLike, table: str, *, limit: int = SAMPLE_ROWS,
               warehouse_id: str | None = None) -> PiiReport:
    """Columns of ``table`` whose names or sampled values look like personal data."""
    info = client_of(target).tables.get(table)
    names = [c.name or "" for c in info.columns or []]
    columns, rows, note = sample_rows(target, info.full_name or table, limit=limit, warehouse_id=warehouse_id)
    if columns and rows and columns != names:
        names = columns
    return report(info.full_name or table, names, rows if columns == names else [], [note] if note else [])
