"""A view materialised for one recipient: a one-file snapshot under ``home/cache/views/<view key>/<state key>/``,
written once per state (definition, source versions, property values) and served like a Delta table's files."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sharekit.server.security.signing import table_key
from sharekit.server.settings import SIGNED_URL_TTL_S, VIEW_KEEP_STATES
from sharekit.server.tables.snapshots import FileEntry, Snapshot
from sharekit.server.views.analysis import analyse
from sharekit.server.views.evaluation import normalise, recipient_values, run, schema_string, source_versions

if TYPE_CHECKING:
    import pyarrow as pa

    from sharekit.server.tables.registry import TableEntry, TableRegistry

VIEWS_DIR = "views"
DATA_FILE = "part-00000.parquet"
INDEX = "_index.json"


class MaterialisedViews:
    """The view cache of one server: where each view's materialisations live, and one lock per materialisation so
    concurrent requests write it once."""

    def __init__(self, cache_dir: Path, secret: bytes) -> None:
        self.root = cache_dir / VIEWS_DIR
        self.secret = secret
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def key_folder(self, key: str) -> Path:
        """The folder of the view whose file-URL key is ``key``."""
        return self.root / key

    def folder(self, full_name: str) -> Path:
        return self.key_folder(table_key(self.secret, full_name))

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def materialise(self, tables: TableRegistry, entry: TableEntry, properties: Mapping[str, str] | None,
                    recipient: str | None = None) -> Snapshot:
        """The view for one recipient as a one-file snapshot (no file when it has no rows), cached on disk."""
        analysis = analyse(tables, entry.full_name, entry.view_definition or "")
        values = recipient_values(entry.full_name, analysis, properties, recipient)
        versions = source_versions(tables, analysis)
        state_key = hashlib.sha256(json.dumps({
            "definition": entry.view_definition, "sources": [[k, v, str(analysis.sources[k].path)] for k, v in
                                                             versions.items()],
            "properties": values}, sort_keys=True).encode()).hexdigest()[:32]
        root = self.folder(entry.full_name)
        folder = root / state_key
        index = folder / INDEX
        with self._lock(str(folder)):
            if not index.exists():
                _write(folder, index, run(analysis, versions, values))
                _prune(root, keep=folder)
        return _snapshot(entry, root, state_key, json.loads(index.read_text()), sum(versions.values()))


def view_table_id(full_name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sharekit-view:{full_name.lower()}"))


def _snapshot(entry: TableEntry, root: Path, state_key: str, info: dict[str, Any], version: int) -> Snapshot:
    """The snapshot of one materialisation (``info`` is its index: rows, size, schema, created)."""
    files: tuple[FileEntry, ...] = ()
    if info["rows"]:
        relative = f"{state_key}/{DATA_FILE}"
        files = (FileEntry(relative, relative, info["size"], info["created"], {}, {}, info["rows"],
                           json.dumps({"numRecords": info["rows"]}, separators=(",", ":"))),)
    metadata = {"id": view_table_id(entry.full_name), "name": entry.name, "description": entry.comment,
                "format": {"provider": "parquet", "options": {}}, "schemaString": info["schema"],
                "partitionColumns": [], "configuration": {}, "createdTime": info["created"]}
    protocol = {"minReaderVersion": 1, "minWriterVersion": 2}
    return Snapshot(str(root), version, info["created"], protocol, metadata, files)


def _prune(root: Path, keep: Path) -> None:
    """Drop materialisations beyond the newest ``VIEW_KEEP_STATES`` of a view, but never one younger than a signed
    URL's life (a recipient may still be downloading it)."""
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
    tmp_index = folder / f".{INDEX}.tmp"
    tmp_index.write_text(json.dumps(info))
    os.replace(tmp_index, index)
