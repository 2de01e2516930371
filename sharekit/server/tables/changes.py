"""Change-data files: the change rows of one commit (``DeltaTable.load_cdf``, so removes, updates and deletes are
replayed by deltalake) written as parquet files, one per partition, under the server's cache folder, with an
``_index.json`` beside them. A commit is materialised once; the files are then signed and served like data files.

The cache is bounded like the view cache: the index's modification time is the last time the commit's files were
handed out (``materialised`` touches it), and writing a new commit drops the least recently handed-out commits
beyond ``CDF_KEEP_COMMITS`` — never one handed out within a signed URL's life, so no live URL points to a
deleted file. A dropped commit is materialised again when asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sharekit.server.errors import BadRequest
from sharekit.server.settings import CDF_KEEP_COMMITS, SIGNED_URL_TTL_S
from sharekit.server.tables.stats import partition_string

INDEX = "_index.json"


@dataclass(frozen=True)
class ChangeFile:
    """A materialised change-data file (rows of one commit and one partition, with ``_change_type``)."""

    path: str  # relative to the table's change cache folder
    size: int
    version: int
    timestamp: int
    partition_values: dict[str, str | None]
    partition_typed: dict[str, Any]
    num_records: int

    @property
    def file_id(self) -> str:
        return hashlib.md5(f"cdf:{self.version}:{self.path}".encode()).hexdigest()


def relative_folder(table_id: str, version: int) -> str:
    """Where one commit's files go inside the table's change folder (the table id keeps a re-created table from
    reusing an older table's files)."""
    safe = "".join(ch for ch in table_id if ch.isalnum() or ch == "-")[:64] or "table"
    return f"{safe}/v{version}"


def materialised(folder: Path) -> bool:
    """Whether the commit's files are there; if so they count as handed out now (see the module docstring)."""
    try:
        os.utime(folder / INDEX)
    except FileNotFoundError:
        return False
    return True


def change_files(folder: Path, version: int) -> list[ChangeFile]:
    raw = json.loads((folder / INDEX).read_text())
    return [ChangeFile(e["path"], e["size"], version, e["timestamp"], e["partition_values"],
                       e["partition_values"], e["num_records"]) for e in raw]


def read_changes(path: str, version: int) -> tuple[Any, list[str]]:
    """The change rows of commit ``version`` (an Arrow table without the commit columns) and the partition columns."""
    import pyarrow as pa
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError

    try:
        table = DeltaTable(path, version=version)
        reader = table.load_cdf(starting_version=version, ending_version=version)
        rows = pa.RecordBatchReader.from_stream(reader).read_all()
    except (DeltaError, OSError) as err:
        raise BadRequest(f"change data of version {version} cannot be read: {err}",
                         "INVALID_PARAMETER_VALUE") from err
    partition_columns = list(table.metadata().partition_columns)
    rows = rows.drop_columns([c for c in ("_commit_version", "_commit_timestamp") if c in rows.column_names])
    rows = rows.cast(pa.schema([
        pa.field(f.name, pa.string() if pa.types.is_string_view(f.type) else f.type) for f in rows.schema
    ]))
    return rows, partition_columns


def write_changes(rows: Any, partition_columns: list[str], folder: Path, relative: str, timestamp: int) -> None:
    """One parquet file per partition, then the index (written last: its presence means the commit is done)."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for number, (combo, part) in enumerate(_by_partition(rows, partition_columns)):
        name = f"part-{number:05d}.parquet"
        tmp = folder / f".{name}.tmp"
        pq.write_table(part, tmp)
        os.replace(tmp, folder / name)
        entries.append({"path": f"{relative}/{name}", "size": (folder / name).stat().st_size,
                        "timestamp": timestamp, "num_records": part.num_rows,
                        "partition_values": {k: partition_string(v) for k, v in combo.items()}})
    tmp_index = folder / f".{INDEX}.tmp"
    tmp_index.write_text(json.dumps(entries))
    os.replace(tmp_index, folder / INDEX)
    prune(folder.parents[2], keep=CDF_KEEP_COMMITS)


def prune(root: Path, *, keep: int, now: float | None = None) -> list[Path]:
    """Drop the commit folders (``root/<table key>/<table id>/v<N>``) beyond the ``keep`` most recently handed
    out, except those handed out within a signed URL's life; the folders removed."""
    cutoff = (time.time() if now is None else now) - SIGNED_URL_TTL_S
    commits = []
    for folder in root.glob("*/*/v*"):
        try:
            used = (folder / INDEX).stat().st_mtime
        except FileNotFoundError:  # being written, or left half-written by a crash: judged by the folder
            try:
                used = folder.stat().st_mtime
            except FileNotFoundError:
                continue
        commits.append((used, folder))
    commits.sort(reverse=True)
    removed = [folder for used, folder in commits[keep:] if used < cutoff]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def _by_partition(rows: Any, partition_columns: list[str]) -> list[tuple[dict[str, Any], Any]]:
    """(partition values, rows without the partition columns) per partition; nothing for a commit without rows."""
    import pyarrow.compute as pc

    if not rows.num_rows:
        return []
    if not partition_columns:
        return [({}, rows)]
    groups = []
    for combo in rows.select(partition_columns).group_by(partition_columns).aggregate([]).to_pylist():
        mask = None
        for column, value in combo.items():
            term = pc.is_null(rows[column]) if value is None else pc.equal(rows[column], value)
            mask = term if mask is None else pc.and_(mask, term)
        groups.append((combo, rows.filter(mask).drop_columns(partition_columns)))
    return groups
