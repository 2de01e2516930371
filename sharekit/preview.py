"""What a recipient would receive from a share (``preview_as``), and how that preview looks.

It goes through ``ws.client`` (the SDK's HTTP client), never through server internals: the embedded server's
admin route ``/sharekit/admin/preview`` computes it with its own serving path. Databricks has no such API.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sharekit.connect import WorkspaceLike
from sharekit.display import palette
from sharekit.pii.sampling import preview_route

if TYPE_CHECKING:
    import pandas as pd


class PreviewUnavailable(RuntimeError):
    """Databricks has no "what would this recipient receive" API; preview needs the embedded server."""


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
                parts.append(f'<p style="color:{palette.ERROR}">{html.escape(o.error)}</p>')
                continue
            if o.partition_filter:
                parts.append(f"<p>filter: <code>{html.escape(o.partition_filter)}</code></p>")
            parts.append(f"<p>{o.row_count} rows in {o.file_count} file(s); first {len(o.sample)}:</p>")
            head = "".join(f"<th>{html.escape(c)}</th>" for c in o.columns)
            body = "".join("<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row)
                           + "</tr>" for row in o.sample)
            parts.append(f"<table><tr>{head}</tr>{body}</table>")
        return "".join(parts) + "</div>"


def preview_as(target: WorkspaceLike, recipient: str, share: str, *, limit: int = 10) -> PreviewResult:
    """What ``recipient`` would receive from ``share``, object by object, computed by the server's own serving
    path (partition specs and views included). Needs the embedded server (Databricks has no such API)."""
    if getattr(target, "kind", "local") == "databricks":
        raise PreviewUnavailable("preview_as needs the embedded sharing server: Databricks has no API that returns "
                                 "what a recipient would receive. On Databricks, query the shared view after "
                                 "SET RECIPIENT <name>, or read the share with the recipient's profile")
    raw = preview_route(target, {"recipient": recipient, "share": share, "limit": limit})
    objects = [ObjectPreview(o["name"], o["source"], o["type"], list(o.get("columns") or []), int(o["row_count"]),
                             int(o["file_count"]), list(o.get("sample") or []), o.get("partition_filter"),
                             o.get("error")) for o in raw.get("objects", [])]
    return PreviewResult(raw["recipient"], raw["share"], bool(raw["granted"]), dict(raw.get("properties") or {}),
                         objects)

