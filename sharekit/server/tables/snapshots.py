"""Delta snapshots as file lists, read with ``deltalake`` (never by hand-parsing the log), and cached.

A ``Snapshot`` is immutable per (table folder, version), so it is cached without invalidation; the latest
version of a table is found through a cached ``DeltaTable`` that only reads new commits
(``update_incremental``). Change data (CDF) is materialised per commit into the server's cache folder
(``tables.changes``), so the files can be signed and served like any data file.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sharekit.server.errors import BadRequest
from sharekit.server.settings import SNAPSHOT_CACHE_FILES, SNAPSHOT_CACHE_SIZE, SNAPSHOT_INDEXES
from sharekit.server.tables import changes, collector
from sharekit.server.tables.changes import ChangeFile
from sharekit.server.tables.column_stats import ColumnStats, python_values, struct_rows
from sharekit.server.tables.stats import FileFacts, file_facts, flatten, partition_string

# Table features whose files cannot be listed as they are: deletion vectors hide rows inside files (deltalake
# reports the files without their vectors) and column mapping renames columns inside them. Serving such a table
# would hand out deleted rows or wrong column names, so it is refused instead.
UNSUPPORTED_READER_FEATURES = frozenset({"deletionVectors", "columnMapping"})
# A commit adds a file to ``_delta_log``, which changes the folder's mtime; timestamps are coarse (a few ms on
# Linux, seconds elsewhere), so an unchanged mtime is trusted only once it is this old.
LOG_SETTLE_NS = 2_000_000_000
# The value of a partition column in an index key when a file has no value for it (unlike None: a null value).
ABSENT: object = object()
IndexKey = tuple[object, ...]


_UNKNOWN: Any = object()  # facts not computed yet


@dataclass(slots=True)
class FileEntry:
    """One data file of a snapshot (``path`` is relative to the table folder, decoded: the name on disk).

    Its statistics stay in the snapshot's columns (``stats``, at ``row``) until a query needs them: the first load
    no longer pays for a stats string or predicate facts per file, and a snapshot whose queries never need them
    does not hold them. A snapshot makes one per file and shares them between threads: slotted, and never changed
    once made (not frozen only because a frozen dataclass's constructor costs five times as much)."""

    path: str
    log_path: str  # as written in the Delta log (URL-encoded)
    size: int
    modification_time: int
    partition_values: dict[str, str | None]  # protocol strings (None = null)
    partition_typed: dict[str, Any]
    num_records: int | None
    stats_text: str | None = None  # the stats string, when known up front (materialised views)
    stats: ColumnStats | None = None  # the statistics of the snapshot's files, as the log gives them
    row: int = 0  # this file's row in ``stats``
    _facts: FileFacts | None = field(default=_UNKNOWN, init=False, repr=False, compare=False)

    @property
    def file_id(self) -> str:
        return hashlib.md5(self.log_path.encode()).hexdigest()

    @property
    def stats_json(self) -> str | None:
        return self.stats_text if self.stats is None else self.stats.text(self.row)

    @property
    def facts(self) -> FileFacts | None:
        """For predicate evaluation; None when the log had nothing for this file (every predicate keeps it)."""
        facts = self._facts
        if facts is _UNKNOWN:
            facts = None
            if self.stats is not None:
                low, high, nulls = self.stats.raw(self.row)
                facts = file_facts(self.partition_values, self.num_records, flatten(low), flatten(high),
                                   flatten(nulls))
            self._facts = facts  # computed once, the same by any thread
        return facts


@dataclass(frozen=True)
class Snapshot:
    table_path: str
    version: int
    timestamp: int  # commit time, epoch ms
    protocol: dict[str, Any]  # raw Delta protocol action
    metadata: dict[str, Any]  # raw Delta metaData action
    files: tuple[FileEntry, ...]
    # partition-value indexes, built on first use per column set (``partition_index``); the newest few are kept
    _indexes: OrderedDict[tuple[str, ...], dict[IndexKey, list[int]]] = field(
        default_factory=OrderedDict, init=False, repr=False, compare=False)
    _templates: dict[tuple[str, bool], list[Any]] = field(default_factory=dict, init=False, repr=False,
                                                          compare=False)
    _index_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def partition_index(self, columns: tuple[str, ...]) -> dict[IndexKey, list[int]]:
        """The positions of the files (ascending) by their values of ``columns`` (lower-case names; ``ABSENT``
        where a file has no value), so a partition filter or predicate is decided once per distinct value rather
        than once per file. Built once per snapshot and column set."""
        with self._index_lock:
            index = self._indexes.get(columns)
            if index is not None:
                self._indexes.move_to_end(columns)
                return index
        index = {}
        for position, entry in enumerate(self.files):
            lower = {k.lower(): v for k, v in entry.partition_values.items()}  # as PartitionFilter.allows reads them
            index.setdefault(tuple(lower.get(c, ABSENT) for c in columns), []).append(position)
        with self._index_lock:
            self._indexes[columns] = index
            while len(self._indexes) > SNAPSHOT_INDEXES:
                self._indexes.popitem(last=False)
        return index

    def line_templates(self, fmt: str, time_travel: bool) -> list[Any]:
        """The encoded file lines of one wire format (``wire.LineTemplate`` per file, None until first sent)."""
        with self._index_lock:
            return self._templates.setdefault((fmt, time_travel), [None] * len(self.files))

    @cached_property
    def without_facts(self) -> tuple[int, ...]:
        """Positions of the files the log has no statistics for (every predicate keeps them)."""
        return tuple(position for position, entry in enumerate(self.files) if entry.stats is None)

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


def stats_texts(entries: Sequence[FileEntry]) -> list[str | None]:
    """The stats strings of many files of one snapshot, asked for together (``ColumnStats.texts``)."""
    shared = entries[0].stats if entries else None
    if shared is None or any(entry.stats is not shared for entry in entries):
        return [entry.stats_json for entry in entries]
    return shared.texts([entry.row for entry in entries])


def _file_entries(adds: Any) -> tuple[FileEntry, ...]:
    """The files of deltalake's add actions (a pyarrow table), read column by column: a row-wise ``to_pylist``
    built a dict per row and per struct and took most of a 100,000-file load. Statistics stay in their columns."""
    import pyarrow as pa

    count = adds.num_rows
    typed = struct_rows(adds.column("partition").combine_chunks() if "partition" in adds.column_names else None,
                        count)
    fields = adds.schema.field("partition").type if "partition" in adds.column_names else []
    strings = all(pa.types.is_string(f.type) or pa.types.is_large_string(f.type) for f in fields)
    values = typed if strings else [{k: partition_string(v) for k, v in row.items()} for row in typed]
    records = _column(adds, "num_records", count)
    stats = ColumnStats.of_adds(adds, records)
    return tuple(
        FileEntry(unquote(log_path) if "%" in log_path else log_path, log_path, int(size), int(modified or 0),
                  partition_values, partition_typed, num_records, None, stats, row)
        for row, (log_path, size, modified, partition_values, partition_typed, num_records) in enumerate(zip(
            _column(adds, "path", count), _column(adds, "size_bytes", count),
            _column(adds, "modification_time", count), values, typed, records)))


def _column(adds: Any, name: str, count: int) -> list[Any]:
    return python_values(adds.column(name).combine_chunks()) if name in adds.column_names else [None] * count


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


def import_readers() -> None:
    """Imports what reading a table needs (deltalake, pyarrow, NumPy: a third of a second), so that a server can do
    it once it listens, in the background, rather than in its first query."""
    import deltalake  # noqa: F401
    import numpy  # noqa: F401
    import pyarrow  # noqa: F401


class SnapshotCache:
    """Per-server cache of snapshots, histories and materialised change files. Thread-safe."""

    def __init__(self, cache_dir: Path, size: int = SNAPSHOT_CACHE_SIZE, max_files: int = SNAPSHOT_CACHE_FILES) -> None:
        self.cache_dir = cache_dir
        self.size = size
        self.max_files = max_files  # file entries held in all cached snapshots (the cache's memory bound)
        self._lock = threading.Lock()
        self._path_locks: dict[str, threading.RLock] = {}
        self._tables: dict[str, Any] = {}
        self._log_marks: dict[str, int] = {}  # table path -> _delta_log mtime (ns) when its version was last read
        self._snapshots: OrderedDict[tuple[str, int], Snapshot] = OrderedDict()
        self._files_held = 0
        self._histories: dict[str, tuple[int, list[tuple[int, int]]]] = {}

    @property
    def files_held(self) -> int:
        return self._files_held

    def _path_lock(self, path: str) -> threading.RLock:
        with self._lock:
            return self._path_locks.setdefault(path, threading.RLock())

    def latest_version(self, path: str) -> int:
        """The table's latest version; the log is read again only when ``_delta_log`` changed (or may have)."""
        from deltalake import DeltaTable
        from deltalake.exceptions import DeltaError

        try:
            mark: int | None = os.stat(os.path.join(path, "_delta_log")).st_mtime_ns
        except OSError:
            mark = None
        with self._path_lock(path):
            table = self._tables.get(path)
            if table is not None and mark is not None and self._log_marks.get(path) == mark \
                    and time.time_ns() - mark > LOG_SETTLE_NS:
                return int(table.version())
            try:
                if table is None:
                    table = self._tables[path] = DeltaTable(path)
                else:
                    table.update_incremental()
            except (DeltaError, OSError) as err:
                raise BadRequest(f"table data cannot be read: {err}", "UNSUPPORTED_OPERATION") from err
            if mark is not None:
                self._log_marks[path] = mark  # read before the update: a commit in between is seen next time
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
            if key not in self._snapshots:
                self._snapshots[key] = snapshot
                self._files_held += len(snapshot.files)
            # bounded by count and by the file entries held; the newest snapshot always stays
            while len(self._snapshots) > 1 and (len(self._snapshots) > self.size
                                                or self._files_held > self.max_files):
                _, evicted = self._snapshots.popitem(last=False)
                self._files_held -= len(evicted.files)
        return snapshot

    def _load(self, path: str, version: int) -> Snapshot:
        import pyarrow as pa
        from deltalake import DeltaTable
        from deltalake.exceptions import DeltaError

        try:
            latest = self._tables.get(path)  # under the path lock: reuse the open table when it is that version
            table = latest if latest is not None and latest.version() == version else DeltaTable(path, version=version)
            # through the Arrow stream interface: ``pa.table`` of it would import pandas (a fifth of a second)
            adds = pa.RecordBatchReader.from_stream(table.get_add_actions(flatten=False)).read_all()
            protocol, metadata = _raw_protocol(table), _raw_metadata(table)
        except (DeltaError, OSError) as err:
            raise BadRequest(f"version {version} of the table cannot be read", "INVALID_PARAMETER_VALUE") from err
        refuse_unsupported_features(protocol, metadata)
        timestamps = dict(self.history(path))
        with collector.paused():
            files = _file_entries(adds)
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
        relative = changes.relative_folder(table_id, version)
        folder = self.change_folder(key) / relative
        with self._path_lock(path):
            if not changes.materialised(folder):
                rows, partition_columns = changes.read_changes(path, version)
                changes.write_changes(rows, partition_columns, folder, relative,
                                      self.commit_timestamp(path, version))
        return changes.change_files(folder, version)

    def change_folder(self, key: str) -> Path:
        return self.cache_dir / "cdf" / key
