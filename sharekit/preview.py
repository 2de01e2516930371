"""Provider tools for multi-tenant sharing: what a recipient would receive (``preview_as``) and the PII check
(``pii_report``, ``sample_rows``). Everything goes through ``ws.client`` (the SDK's HTTP client), never through
server internals: the embedded server's admin route ``/sharekit/admin/preview``, or a statement on Databricks.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from sharekit.pii import PiiReport
    from sharekit.sharing import WorkspaceLike

PREVIEW_PATH = "/sharekit/admin/preview"
SAMPLE_ROWS = 200


class PreviewUnavailable(RuntimeError):
    """Databricks has no "what would this recipient receive" API; preview needs the embedded server."""


def _is_local(target: Any) -> bool:
    return getattr(target, "kind", None) == "local"


@dataclass
class ObjectPreview:
    name: str  # schema.table as the recipient sees it
    source: str  # the provider's catalog.schema.table
    type: str  # TABLE | VIEW
    columns: list[str]
    row_count: int
    file_count: int
    sample: list[list[Any]]
    partition_filter: str | None = None
    error: str | None = None

    @property
    def df(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.sample, columns=self.columns or None)


@dataclass
class PreviewResult:
    """Per shared object: the rows and columns the recipient would receive (a sample plus counts)."""

    recipient: str
    share: str
    granted: bool
    properties: dict[str, str]
    objects: list[ObjectPreview] = field(default_factory=list)

    def __getitem__(self, name: str) -> ObjectPreview:
        for obj in self.objects:
            if name.lower() in (obj.name.lower(), obj.source.lower()):
                return obj
        raise KeyError(name)

    @property
    def df(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([(o.name, o.source, o.type, o.row_count, o.file_count, ", ".join(o.columns),
                              o.partition_filter or "", o.error or "") for o in self.objects],
                            columns=["object", "source", "type", "rows", "files", "columns", "filter", "error"])

    def _headline(self) -> str:
        grant = "" if self.granted else " (NOT granted: it would get 403 until you grant the share)"
        props = ", ".join(f"{k}={v}" for k, v in sorted(self.properties.items())) or "no properties"
        return f"what {self.recipient} receives from share {self.share}{grant} [{props}]"

    def __repr__(self) -> str:
        lines = [self._headline()]
        for o in self.objects:
            what = f"error: {o.error}" if o.error else f"{o.row_count} rows, columns {', '.join(o.columns)}"
            lines.append(f"  {o.name} ({o.type.lower()} {o.source}): {what}")
            if o.partition_filter:
                lines.append(f"    filter {o.partition_filter}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [f"<div><b>{html.escape(self._headline())}</b>"]
        for o in self.objects:
            parts.append(f"<h4>{html.escape(o.name)} <small>({html.escape(o.type.lower())} "
                         f"{html.escape(o.source)})</small></h4>")
            if o.error:
                parts.append(f'<p style="color:#a4262c">{html.escape(o.error)}</p>')
                continue
            if o.partition_filter:
                parts.append(f"<p>filter: <code>{html.escape(o.partition_filter)}</code></p>")
            parts.append(f"<p>{o.row_count} rows in {o.file_count} file(s); first {len(o.sample)}:</p>")
            head = "".join(f"<th>{html.escape(c)}</th>" for c in o.columns)
            body = "".join("<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row)
                           + "</tr>" for row in o.sample)
            parts.append(f"<table><tr>{head}</tr>{body}</table>")
        return "".join(parts) + "</div>"


def _get(target: WorkspaceLike | None, query: dict[str, Any]) -> dict[str, Any]:
    from sharekit.sharing import client_of

    answer = client_of(target).api_client.do("GET", PREVIEW_PATH, query=query)
    if not isinstance(answer, dict):
        raise TypeError(f"unexpected answer from {PREVIEW_PATH}: {type(answer).__name__}")
    return answer


def preview_as(target: WorkspaceLike | None, recipient: str, share: str, *, limit: int = 10) -> PreviewResult:
    """What ``recipient`` would receive from ``share``, object by object, computed by the server's own serving
    path (partition specs and views included). Needs the embedded server (Databricks has no such API)."""
    from sharekit.sharing import current_workspace

    workspace = target if target is not None else current_workspace()
    if getattr(workspace, "kind", "local") == "databricks":
        raise PreviewUnavailable("preview_as needs the embedded sharing server: Databricks has no API that returns "
                                 "what a recipient would receive. On Databricks, query the shared view after "
                                 "SET RECIPIENT <name>, or read the share with the recipient's profile")
    raw = _get(workspace, {"recipient": recipient, "share": share, "limit": limit})
    objects = [ObjectPreview(o["name"], o["source"], o["type"], list(o.get("columns") or []), int(o["row_count"]),
                             int(o["file_count"]), list(o.get("sample") or []), o.get("partition_filter"),
                             o.get("error")) for o in raw.get("objects", [])]
    return PreviewResult(raw["recipient"], raw["share"], bool(raw["granted"]), dict(raw.get("properties") or {}),
                         objects)


def sample_rows(target: WorkspaceLike | None, table: str, *, limit: int = SAMPLE_ROWS,
                warehouse_id: str | None = None) -> tuple[list[str], list[list[Any]], str | None]:
    """``(columns, rows, note)``: the first rows of a table as the provider sees them. Embedded server: the preview
    route; Databricks: ``SELECT * FROM t LIMIT :n`` on the SQL warehouse; no warehouse: no rows and a note."""
    from sharekit.sharing import client_of

    if _is_local(target):
        raw = _get(target, {"table": table, "limit": limit})
        if raw.get("error"):
            return list(raw.get("columns") or []), [], f"values not sampled: {raw['error']}"
        return list(raw.get("columns") or []), list(raw.get("sample") or []), None
    warehouse = warehouse_id or getattr(target, "warehouse_id", None)
    if not warehouse:
        return [], [], "values not sampled: no SQL warehouse (set DATABRICKS_WAREHOUSE_ID); column names checked"
    from databricks.sdk.service.sql import StatementParameterListItem, StatementState

    from sharekit.config.sqltext import quote_identifier

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


def pii_report(target: WorkspaceLike | None, table: str, *, limit: int = SAMPLE_ROWS,
               warehouse_id: str | None = None) -> PiiReport:
    """Columns of ``table`` whose names or sampled values look like personal data."""
    from sharekit import pii
    from sharekit.sharing import client_of, current_workspace

    workspace = target if target is not None else current_workspace()
    info = client_of(workspace).tables.get(table)
    names = [c.name or "" for c in info.columns or []]
    columns, rows, note = sample_rows(workspace, info.full_name or table, limit=limit, warehouse_id=warehouse_id)
    if columns and rows and columns != names:
        names = columns
    return pii.report(info.full_name or table, names, rows if columns == names else [], [note] if note else [])
