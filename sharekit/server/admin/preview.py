"""What a recipient would receive from a share, computed by the code that serves the recipient.

For each table or view the recipient can see in the share: the file selection of ``sharing.query.query_snapshot``
with the recipient's partition filter (tables) or the view materialised for the recipient's properties
(``sharing.served.served_view``), then the rows of exactly those files — a sample plus counts. An object the
recipient could not read (a view that needs a property it lacks) carries the error it would get instead.

``GET /sharekit/admin/preview?recipient=R&share=S[&limit=N]`` (admin only). With ``?table=catalog.schema.name``
instead, the provider's own sample of one table or view (what the PII check reads when no warehouse is used).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sharekit.server.endpoint import Call
from sharekit.server.errors import BadRequest, SharekitError
from sharekit.server.metastore.records import Recipient, Share, SharedObject
from sharekit.server.settings import PREVIEW_DEFAULT_ROWS, PREVIEW_MAX_ROWS
from sharekit.server.sharing import wire
from sharekit.server.sharing.access import VisibleTable, visible_tables
from sharekit.server.sharing.partitions import ALLOW_ALL, PartitionFilter, for_recipient
from sharekit.server.sharing.query import Signer, query_snapshot
from sharekit.server.sharing.served import served_view
from sharekit.server.views import evaluation

if TYPE_CHECKING:
    import pyarrow as pa

    from sharekit.server.state import ServerState
    from sharekit.server.tables.snapshots import FileEntry, Snapshot


def json_value(value: Any) -> Any:
    """A cell as JSON: numbers and booleans as they are, everything else as text (dates ISO-8601)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time, decimal.Decimal)):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return json.dumps(value, default=str)


def _rows(table: pa.Table, limit: int) -> list[list[Any]]:
    if table.num_columns == 0:
        return []
    return [[json_value(v) for v in row.values()] for row in table.slice(0, limit).to_pylist()]


def _partition_text(shared: SharedObject, recipient: Recipient) -> str | None:
    if not shared.partitions:
        return None
    alternatives = []
    for part in shared.partitions:
        terms = []
        for value in part.values:
            if value.recipient_property_key is not None:
                resolved = (recipient.properties or {}).get(value.recipient_property_key)
                shown = f"{resolved!r}" if resolved is not None else "<missing property: no rows>"
                terms.append(f"{value.name} {value.op} {shown} (property {value.recipient_property_key})")
            else:
                terms.append(f"{value.name} {value.op} {value.value!r}")
        alternatives.append(" AND ".join(terms))
    return " OR ".join(f"({a})" for a in alternatives)


def _read(root: Path, entries: list[FileEntry], columns: list[str], limit: int) -> tuple[pa.Table, int]:
    """The selected files' rows (partition columns added, schema order), at least ``limit`` of them, and the
    total row count (from the file statistics when every file has them)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pieces: list[pa.Table] = []
    read = 0
    for entry in entries:
        if read >= limit:
            break
        data = pq.read_table(root / entry.path)
        for column, value in entry.partition_values.items():
            if column not in data.column_names:  # writers may leave partition values out of the file
                data = data.append_column(column, pa.array([value] * data.num_rows, pa.string()))
        data = data.select([c for c in columns if c in data.column_names])
        pieces.append(data.cast(pa.schema([pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else
                                                    f.type) for f in data.schema])))
        read += data.num_rows
    if all(e.num_records is not None for e in entries):
        total = sum(e.num_records or 0 for e in entries)
    else:
        total = sum(pq.ParquetFile(root / e.path).metadata.num_rows for e in entries)
    table = pa.concat_tables(pieces, promote_options="permissive") if pieces else pa.table({})
    return table, total


def preview_object(state: ServerState, table: VisibleTable, recipient: Recipient, limit: int) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f"{table.schema}.{table.name}", "source": table.full_name,
                           "type": "VIEW" if table.shared.data_object_type == "VIEW" else "TABLE",
                           "partition_filter": _partition_text(table.shared, recipient), "columns": [],
                           "row_count": 0, "file_count": 0, "sample": [], "error": None}
    try:
        snapshot, partitions, area = _served(state, table, recipient)
        if area == "v":
            out["type"] = "VIEW"
        signer = Signer(state.secret, state.base_url, state.table_keys.key(table.full_name),
                        state.now_ms(), area=area)
        answer = query_snapshot(snapshot, wire.PARQUET, signer, partitions, json_hints=None, limit_hint=None,
                                time_travel=False, cdf_shared=False)
    except SharekitError as err:
        out["error"] = f"{err.error_code}: {err.message}"
        return out
    selected = list(answer.sent)
    columns = [f["name"] for f in json.loads(snapshot.metadata["schemaString"])["fields"]]
    rows, total = _read(Path(snapshot.table_path), selected, columns, limit)
    out.update(columns=columns, row_count=total, file_count=len(selected), sample=_rows(rows, limit))
    return out


def _served(state: ServerState, table: VisibleTable, recipient: Recipient) -> tuple[Snapshot, PartitionFilter, str]:
    """What the protocol would serve of ``table`` to ``recipient``: the snapshot, its partition filter and the
    file area of its URLs."""
    view = served_view(state.tables, state.views, table, recipient)
    if view is not None:
        return view, ALLOW_ALL, "v"
    path = str(state.tables.get(table.full_name).path)
    return state.snapshots.snapshot(path), for_recipient(table.shared, recipient), "t"


def preview(state: ServerState, recipient_name: str, share_name: str, *,
            limit: int = PREVIEW_DEFAULT_ROWS) -> dict[str, Any]:
    recipient = state.metastore.get_recipient(recipient_name.lower())
    share: Share = state.metastore.get_share(share_name.lower())
    granted = share.name in state.metastore.shares_for_recipient(recipient.name)
    objects = [preview_object(state, table, recipient, limit) for table in visible_tables(state.tables, share)]
    return {"recipient": recipient.name, "share": share.name, "granted": granted,
            "properties": dict(recipient.properties or {}), "objects": objects}


def provider_sample(state: ServerState, full_name: str, *, limit: int = PREVIEW_DEFAULT_ROWS) -> dict[str, Any]:
    """The provider's own view of a table or view: columns and the first rows (no recipient context)."""
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError

    entry = state.tables.get(full_name)
    columns = [c["name"] for c in evaluation.table_metadata(state.tables, entry).columns]
    out: dict[str, Any] = {"table": entry.full_name, "type": entry.table_type, "columns": columns, "sample": [],
                           "error": None}
    try:
        if entry.table_type == "VIEW":
            data = evaluation.evaluate(state.tables, entry, None, limit=limit)
        else:
            try:
                data = DeltaTable(str(entry.path)).to_pyarrow_dataset().head(limit)
            except (DeltaError, OSError) as err:
                raise BadRequest(f"table {entry.full_name} cannot be read: {err}") from err
    except SharekitError as err:
        out["error"] = f"{err.error_code}: {err.message}"
        return out
    out.update(columns=data.column_names, sample=_rows(data, limit))
    return out


def handle(call: Call[str]) -> dict[str, Any]:
    """``GET /sharekit/admin/preview``."""
    limit = call.query_int("limit")
    limit = PREVIEW_DEFAULT_ROWS if limit is None else limit
    if not 0 <= limit <= PREVIEW_MAX_ROWS:
        raise BadRequest(f"limit must be between 0 and {PREVIEW_MAX_ROWS}")
    table = call.query_str("table")
    if table is not None:
        if call.query_str("recipient") or call.query_str("share"):
            raise BadRequest("give either table, or recipient and share")
        call.note(name=table)
        return provider_sample(call.state, table, limit=limit)
    recipient = call.query_str("recipient", required=True)
    share = call.query_str("share", required=True)
    assert recipient is not None and share is not None
    call.note(recipient_name=recipient, share=share)
    return preview(call.state, recipient, share, limit=limit)
