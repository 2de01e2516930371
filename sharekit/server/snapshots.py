"""Delta snapshots as file lists, read with ``deltalake`` (never by hand-parsing the log), and cached.

A ``Snapshot`` is immutable per (table folder, version), so it is cached without invalidation; the latest
version of a table is found through a cached ``DeltaTable`` that only reads new commits
(``update_incremental``). Change data (CDF) is materialised per commit with ``DeltaTable.load_cdf`` into
parquet files in the server's cache folder, one per partition, so removes, updates and deletes are
replayed by deltalake and the files can be signed and served like any data file.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import math
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sharekit.server.errors import BadRequest
from sharekit.server.predicates import FileFacts, file_facts
from sharekit.server.settings import SNAPSHOT_CACHE_SIZE

# Table features whose files cannot be listed as they are: deletion vectors hide rows inside files (deltalake
# reports the files without their vectors) and column mapping renames columns inside them. Serving such a table
# would hand out deleted rows or wrong column names, so it is refused instead.
UNSUPPORTED_READER_FEATURES = frozenset({"deletionVectors", "columnMapping"})


@dataclass(frozen=True)
class FileEntry:
    """One data file of a snapshot (``path`` is relative to the table folder, decoded: the name on disk)."""

    path: str
    log_path: str  # as written in the Delta log (URL-encoded)
    size: int
    modification_time: int
    partition_values: dict[str, str | None]  # protocol strings (None = null)
    partition_typed: dict[str, Any]
    num_records: int | None
    stats_json: str | None
    min_values: dict[str, Any] = field(default_factory=dict)  # flattened column name -> python value
    max_values: dict[str, Any] = field(default_factory=dict)
    null_count: dict[str, Any] = field(default_factory=dict)
    facts: FileFacts | None = None  # for predicate evaluation, built once per snapshot

    @property
    def file_id(self) -> str:
        return hashlib.md5(self.log_path.encode()).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    table_path: str
    version: int
    timestamp: int  # commit time, epoch ms
    protocol: dict[str, Any]  # raw Delta protocol action
    metadata: dict[str, Any]  # raw Delta metaData action
    files: tuple[FileEntry, ...]

    @property
    def partition_columns(self) -> list[str]:
        columns: list[str] = self.metadata["partitionColumns"]
        return columns

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def cdf_enabled(self) -> bool:
        return str(self.metadata["configuration"].get("delta.enableChangeDataFeed", "")).lower() == "true"


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


def partition_string(value: Any) -> str | None:
    """Partition values in the protocol's string form: dates ``yyyy-mm-dd``, timestamps ``yyyy-mm-dd hh:mm:ss``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if value.microsecond else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _stat_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stat_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and math.isnan(value):  # NaN tells nothing about a range
        return None
    return value


def _flatten(values: dict[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        elif value is not None:
            flat[f"{prefix}{key}"] = value
    return flat


def _file_entry(row: dict[str, Any]) -> FileEntry:
    typed = row.get("partition") or {}
    num_records = row.get("num_records")
    stats: dict[str, Any] = {}
    if num_records is not None:
        stats["numRecords"] = num_records
        for wire, key in (("minValues", "min"), ("maxValues", "max"), ("nullCount", "null_count")):
            converted = _stat_value(row.get(key) or {})
            stats[wire] = {k: v for k, v in converted.items() if v is not None}
    partition_values = {k: partition_string(v) for k, v in typed.items()}
    min_values, max_values = _flatten(row.get("min")), _flatten(row.get("max"))
    null_count = _flatten(row.get("null_count"))
    return FileEntry(
        path=unquote(row["path"]),
        log_path=row["path"],
        size=int(row["size_bytes"]),
        modification_time=int(row.get("modification_time") or 0),
        partition_values=partition_values,
        partition_typed=dict(typed),
        num_records=num_records,
        stats_json=json.dumps(stats, separators=(",", ":")) if stats else None,
        min_values=min_values,
        max_values=max_values,
        null_count=null_count,
        facts=file_facts(partition_values, num_records, min_values, max_values, null_count),
    )


def _raw_protocol(table: Any) -> dict[str, Any]:
    proto = table.protocol()
    raw: dict[str, Any] = {"minReaderVersion": proto.min_reader_version, "minWriterVersion": proto.min_writer_version}
    if proto.reader_features:
        raw["readerFeatures"] = list(proto.reader_features)
    if proto.writer_features:
        raw["writerFeatures"] = list(proto.writer_features)
    return raw


def refuse_unsupported_features(protocol: dict[str, Any], metadata: dict[str, Any]) -> None:
    features = set(protocol.get("readerFeatures") or ())
    if metadata["configuration"].get("delta.columnMapping.mode", "none") != "none":
        features.add("columnMapping")
    unsupported = sorted(features & UNSUPPORTED_READER_FEATURES)
    if unsupported:
        raise BadRequest(f"the table uses {', '.join(unsupported)}, which this server cannot share yet",
                         "UNSUPPORTED_OPERATION")


def _raw_metadata(table: Any) -> dict[str, Any]:
    meta = table.metadata()
    return {
        "id": meta.id,
        "name": meta.name,
        "description": meta.description,
        "format": {"provider": "parquet", "options": {}},
        "schemaString": table.schema().to_json(),
        "partitionColumns": list(meta.partition_columns),
        "configuration": dict(meta.configuration),
        "createdTime": meta.created_time,
    }


def _safe(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum() or ch == "-")[:64] or "table"


class SnapshotCache:
    """Per-server cache of snapshots, histories and materialised change files. Thread-safe."""

    def __init__(self, cache_dir: Path, size: int = SNAPSHOT_CACHE_SIZE) -> None:
        self.cache_dir = cache_dir
        self.size = size
        self._lock = threading.Lock()
        self._path_locks: dict[str, threading.RLock] = {}
        self._tables: dict[str, Any] = {}
        self._snapshots: OrderedDict[tuple[str, int], Snapshot] = OrderedDict()
        self._histories: dict[str, tuple[int, list[tuple[int, int]]]] = {}

    def _path_lock(self, path: str) -> threading.RLock:
        with self._lock:
            return self._path_locks.setdefault(path, threading.RLock())

    def latest_version(self, path: str) -> int:
        from deltalake import DeltaTable
        from deltalake.exceptions import DeltaError

        with self._path_lock(path):
            try:
                table = self._tables.get(path)
                if table is None:
                    table = self._tables[path] = DeltaTable(path)
                else:
                    table.update_incremental()
            except (DeltaError, OSError) as err:
                raise BadRequest(f"table data cannot be read: {err}", "UNSUPPORTED_OPERATION") from err
            return int(table.version())

    def snapshot(self, path: str, version: int | None = None) -> Snapshot:
        if version is None:
            version = self.latest_version(path)
        key = (path, version)
        with self._lock:
            cached = self._snapshots.get(key)
            if cached is not None:
                self._snapshots.move_to_end(key)
                return cached
        with self._path_lock(path):
            snapshot = self._load(path, version)
        with self._lock:
            self._snapshots[key] = snapshot
            while len(self._snapshots) > self.size:
                self._snapshots.popitem(last=False)
        return snapshot

    def _load(self, path: str, version: int) -> Snapshot:
        import pyarrow as pa
        from deltalake import DeltaTable
        from deltalake.exceptions import DeltaError

        try:
            table = DeltaTable(path, version=version)
            actions = pa.table(table.get_add_actions(flatten=False)).to_pylist()
            protocol, metadata = _raw_protocol(table), _raw_metadata(table)
        except (DeltaError, OSError) as err:
            raise BadRequest(f"version {version} of the table cannot be read", "INVALID_PARAMETER_VALUE") from err
        refuse_unsupported_features(protocol, metadata)
        timestamps = dict(self.history(path))
        files = tuple(_file_entry(row) for row in actions)
        return Snapshot(path, version, timestamps.get(version, 0), protocol, metadata, files)

    def history(self, path: str) -> list[tuple[int, int]]:
        """``(version, commit timestamp ms)`` for every version, oldest first."""
        from deltalake import DeltaTable

        latest = self.latest_version(path)
        cached = self._histories.get(path)
        if cached is not None and cached[0] == latest:
            return cached[1]
        with self._path_lock(path):
            table = self._tables.get(path)
            entries = (table if table is not None and table.version() == latest
                       else DeltaTable(path, version=latest)).history()
            pairs = sorted((int(e["version"]), int(e.get("timestamp") or 0)) for e in entries if "version" in e)
            self._histories[path] = (latest, pairs)
        return pairs

    def version_at(self, path: str, timestamp_ms: int) -> int:
        """The version current at ``timestamp_ms`` (the last commit at or before it)."""
        candidates = [v for v, ts in self.history(path) if ts <= timestamp_ms]
        if not candidates:
            raise BadRequest("the timestamp is before the earliest version of the table")
        return max(candidates)

    def version_at_or_after(self, path: str, timestamp_ms: int) -> int:
        """The earliest version committed at or after ``timestamp_ms``."""
        candidates = [v for v, ts in self.history(path) if ts >= timestamp_ms]
        if not candidates:
            raise BadRequest("the timestamp is after the latest version of the table")
        return min(candidates)

    def commit_timestamp(self, path: str, version: int) -> int:
        return dict(self.history(path)).get(version, 0)

    def diff(self, path: str, version: int) -> tuple[list[FileEntry], list[FileEntry]]:
        """Files added and removed by the commit ``version`` (snapshot difference with ``version - 1``)."""
        current = self.snapshot(path, version).files
        previous = self.snapshot(path, version - 1).files if version > 0 else ()
        before = {f.log_path for f in previous}
        after = {f.log_path for f in current}
        return [f for f in current if f.log_path not in before], [f for f in previous if f.log_path not in after]

    def changes(self, path: str, key: str, table_id: str, version: int) -> list[ChangeFile]:
        """The change rows of commit ``version``, materialised (once) as parquet files per partition.

        ``table_id`` (the Delta table id) keeps a re-created table from reusing an older table's files."""
        relative = f"{_safe(table_id)}/v{version}"
        folder = self.change_folder(key) / relative
        index = folder / "_index.json"
        with self._path_lock(path):
            if not index.exists():
                self._materialise(path, version, folder, index, relative)
        raw = json.loads(index.read_text())
        return [ChangeFile(e["path"], e["size"], version, e["timestamp"], e["partition_values"],
                           e["partition_values"], e["num_records"]) for e in raw]

    def change_folder(self, key: str) -> Path:
        return self.cache_dir / "cdf" / key

    def _materialise(self, path: str, version: int, folder: Path, index: Path, relative: str) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
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
        timestamp = self.commit_timestamp(path, version)
        folder.mkdir(parents=True, exist_ok=True)
        groups: list[tuple[dict[str, Any], Any]] = []
        if partition_columns and rows.num_rows:
            keys = rows.select(partition_columns).group_by(partition_columns).aggregate([]).to_pylist()
            for combo in keys:
                mask = None
                for column, value in combo.items():
                    term = pc.is_null(rows[column]) if value is None else pc.equal(rows[column], value)
                    mask = term if mask is None else pc.and_(mask, term)
                groups.append((combo, rows.filter(mask).drop_columns(partition_columns)))
        elif rows.num_rows:
            groups.append(({}, rows))
        entries = []
        for number, (combo, part) in enumerate(groups):
            name = f"part-{number:05d}.parquet"
            tmp = folder / f".{name}.tmp"
            pq.write_table(part, tmp)
            os.replace(tmp, folder / name)
            entries.append({"path": f"{relative}/{name}", "size": (folder / name).stat().st_size,
                            "timestamp": timestamp, "num_records": part.num_rows,
                            "partition_values": {k: partition_string(v) for k, v in combo.items()}})
        tmp_index = folder / "._index.json.tmp"
        tmp_index.write_text(json.dumps(entries))
        os.replace(tmp_index, index)
