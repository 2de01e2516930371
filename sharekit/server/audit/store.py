"""The audit log's files: layout, schema, and the segment operations (roll, compact, add).

File layout of ``<home>/audit/`` (a contract: readers in other processes rely on it, not on this module):

``manifest.json``
    ``{"format": 1, "segments": [{"file": "segments/<name>.parquet", "rows": N, "wals": ["wal-…jsonl", …]}]}``.
    Replaced atomically (write + ``os.replace``) under ``.lock`` (``fcntl.flock``). It lists the live Parquet
    segments, and for each the WAL files whose events it holds.
``segments/*.parquet``
    Immutable Parquet segments with the ``system.access.audit`` columns (``SEGMENT_COLUMNS``), sorted by
    ``event_time``. A segment file that the manifest does not list is not live (being written, or left over).
``wal-<start ms>-<pid>-<seq>.jsonl``
    Append-only JSON lines, one event per line, with the same columns (nested objects for the structs and the
    map, ``event_time`` as ISO-8601 UTC). A torn last line (crash mid-write) parses as an all-NULL row: readers
    drop rows whose ``event_time`` is NULL.

Segments also carry derived columns (``DERIVED_COLUMNS``): ``_rp_<key>`` (VARCHAR) =
``request_params['<key>']`` and ``_res_<key>`` = ``try_cast(get_json_object(response.result, '$.<key>') AS T)``
with T in ``RESULT_KEYS``. DuckDB looks a key up in a MAP column slowly (about 0.35 s per key per 10M rows) and
parsing JSON and casting strings cost as much, so ``accelerate`` rewrites exactly those expressions to the
columns; results are identical. Readers that select the ``system.access.audit`` columns simply ignore them.

Reading (``live_files``): list the ``wal-*.jsonl`` files FIRST, then read the manifest; the log is every segment
in the manifest plus every WAL file no manifest entry names. If a file vanishes during the scan (a roll or a
compaction finished in between), resolve again and retry.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sharekit.server.settings import AUDIT_COMPACT_MIN_FILES, AUDIT_COMPACT_SMALL_ROWS

MANIFEST = "manifest.json"
SEGMENTS_DIR = "segments"
LOCK_FILE = ".lock"
WAL_GLOB = "wal-*.jsonl"
FORMAT = 1

# Column name -> DuckDB type, in the order of Databricks' system.access.audit.
SEGMENT_COLUMNS: dict[str, str] = {
    "account_id": "VARCHAR",
    "workspace_id": "VARCHAR",
    "version": "VARCHAR",
    "event_time": "TIMESTAMPTZ",
    "event_date": "DATE",
    "source_ip_address": "VARCHAR",
    "user_agent": "VARCHAR",
    "session_id": "VARCHAR",
    "request_id": "VARCHAR",
    "event_id": "VARCHAR",
    "user_identity": "STRUCT(email VARCHAR, subject_name VARCHAR)",
    "service_name": "VARCHAR",
    "action_name": "VARCHAR",
    "request_params": "MAP(VARCHAR, VARCHAR)",
    "response": "STRUCT(status_code INTEGER, error_message VARCHAR, result VARCHAR)",
    "audit_level": "VARCHAR",
    "identity_metadata": "STRUCT(run_by VARCHAR, run_as VARCHAR, acting_resource VARCHAR)",
}

ROW_GROUP_ROWS = 122_880

PARAM_KEYS = ("recipient_name", "share", "schema", "name")
RESULT_KEYS = {"numRecords": "BIGINT", "scannedAddFileSize": "BIGINT", "durationMs": "DOUBLE"}
DERIVED_COLUMNS: dict[str, str] = {
    **{f"_rp_{key}": f"request_params['{key}']" for key in PARAM_KEYS},
    **{f"_res_{key}": f"TRY_CAST(response.result->>'$.{key}' AS {kind})" for key, kind in RESULT_KEYS.items()},
}
DERIVED_TYPES = {name: ("VARCHAR" if name.startswith("_rp_") else RESULT_KEYS[name[5:]]) for name in DERIVED_COLUMNS}


@dataclass(frozen=True)
class LiveFiles:
    segments: list[Path]
    wals: list[Path]

    @property
    def empty(self) -> bool:
        return not self.segments and not self.wals


def read_manifest(audit_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((audit_dir / MANIFEST).read_text())
    except FileNotFoundError:
        return {"format": FORMAT, "segments": []}
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise ValueError(f"{audit_dir / MANIFEST} is not an audit manifest")  # noqa: TRY004 (bad file content)
    return data


def live_files(audit_dir: Path) -> LiveFiles:
    """The files that make up the log right now (see the module docstring for the rule)."""
    wals = sorted(audit_dir.glob(WAL_GLOB))
    manifest = read_manifest(audit_dir)
    covered = {name for entry in manifest["segments"] for name in entry.get("wals", [])}
    segments = [audit_dir / entry["file"] for entry in manifest["segments"]]
    return LiveFiles(segments, [wal for wal in wals if wal.name not in covered])


def scan_sql(files: LiveFiles, *, derived: bool = True) -> str:
    """A DuckDB SELECT over the live files: the ``SEGMENT_COLUMNS`` in order, then (``derived``) the
    ``DERIVED_COLUMNS``. File names are inlined as quoted literals (a view cannot hold parameters)."""
    columns = ", ".join(SEGMENT_COLUMNS)
    extra = "".join(f", {name}" for name in DERIVED_COLUMNS) if derived else ""
    computed = "".join(f", {expr} AS {name}" for name, expr in DERIVED_COLUMNS.items()) if derived else ""
    parts: list[str] = []
    if files.segments:
        parts.append(f"SELECT {columns}{extra} FROM read_parquet({_path_list(files.segments)})")
    if files.wals:
        spec = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in SEGMENT_COLUMNS.items()) + "}"
        parts.append(f"SELECT {columns}{computed} FROM read_json({_path_list(files.wals)}, "
                     f"format='newline_delimited', ignore_errors=true, columns={spec}) WHERE event_time IS NOT NULL")
    if not parts:
        casts = ", ".join(f"CAST(NULL AS {kind}) AS {name}" for name, kind in SEGMENT_COLUMNS.items())
        nulls = "".join(f", CAST(NULL AS {DERIVED_TYPES[name]}) AS {name}" for name in DERIVED_COLUMNS) if derived else ""
        parts.append(f"SELECT {casts}{nulls} WHERE false")
    return " UNION ALL ".join(parts)


def accelerate(tree: Any) -> Any:
    """Rewrite a sqlglot tree (any dialect) so ``request_params['k']`` and ``try_cast(get_json_object(
    response.result, '$.k') AS T)`` read the derived segment columns. Only for a tree over ``scan_sql``'s view."""
    from sqlglot import exp

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
            key = node.expressions[0]
            if (isinstance(node.this, exp.Column) and node.this.name.lower() == "request_params"
                    and not node.this.table and isinstance(key, exp.Literal) and key.is_string
                    and key.name in PARAM_KEYS):
                return exp.column(f"_rp_{key.name}", quoted=True)
        if isinstance(node, exp.TryCast) and isinstance(node.this, exp.JSONExtractScalar):
            extract = node.this
            path = extract.expression.sql(dialect="duckdb").strip("'") if extract.expression is not None else ""
            target = node.to.sql(dialect="duckdb").upper()
            for key, kind in RESULT_KEYS.items():
                if path == f"$.{key}" and target == kind and extract.this.sql().lower() == "response.result":
                    return exp.column(f"_res_{key}", quoted=True)
        return node

    return tree.transform(swap)


def _path_list(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(_sql_path(path, quoted=True) for path in paths) + "]"


@contextmanager
def locked(audit_dir: Path) -> Iterator[None]:
    audit_dir.mkdir(parents=True, exist_ok=True)
    with open(audit_dir / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_manifest(audit_dir: Path, manifest: dict[str, Any]) -> None:
    tmp = audit_dir / f".{MANIFEST}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "w") as handle:
        json.dump(manifest, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, audit_dir / MANIFEST)
    _fsync_dir(audit_dir)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_segment_path(audit_dir: Path, stem: str) -> Path:
    folder = audit_dir / SEGMENTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{stem}-{uuid.uuid4().hex[:12]}.parquet"


def add_segments(audit_dir: Path, segments: Sequence[tuple[Path, int]], *, wals: Sequence[str] = (),
                 replaces: Sequence[Path] = ()) -> None:
    """Publish finished segment files (path, rows) in the manifest; ``wals`` are the WAL names they cover and
    ``replaces`` are segments they supersede (compaction). Files in ``replaces`` are deleted afterwards."""
    with locked(audit_dir):
        manifest = read_manifest(audit_dir)
        gone = {path.relative_to(audit_dir).as_posix() for path in replaces}
        kept = [entry for entry in manifest["segments"] if entry["file"] not in gone]
        inherited = [name for entry in manifest["segments"] if entry["file"] in gone for name in entry.get("wals", [])]
        on_disk = {path.name for path in audit_dir.glob(WAL_GLOB)}
        for index, (path, rows) in enumerate(segments):
            covered = list(wals) if index == 0 else []
            if index == 0:
                covered += [name for name in inherited if name in on_disk]
            kept.append({"file": path.relative_to(audit_dir).as_posix(), "rows": rows, "wals": covered})
        _write_manifest(audit_dir, {"format": FORMAT, "segments": kept})
    for path in replaces:
        path.unlink(missing_ok=True)


def wal_to_segment(audit_dir: Path, wal: Path) -> None:
    """Roll one closed WAL file into a Parquet segment, publish it, then delete the WAL."""
    import duckdb

    select = scan_sql(LiveFiles([], [wal]))
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone='UTC'")
        rows = con.execute(f"SELECT count(*) FROM ({select})").fetchone()
        count = int(rows[0]) if rows else 0
        if count:
            target = new_segment_path(audit_dir, "wal")
            _copy_sorted(con, select, target)
            add_segments(audit_dir, [(target, count)], wals=[wal.name])
    finally:
        con.close()
    wal.unlink(missing_ok=True)


def compact(audit_dir: Path, *, small_rows: int = AUDIT_COMPACT_SMALL_ROWS,
            min_files: int = AUDIT_COMPACT_MIN_FILES) -> bool:
    """Merge small segments into one when there are at least ``min_files`` of them. Returns True if it did."""
    import duckdb

    manifest = read_manifest(audit_dir)
    small = [entry for entry in manifest["segments"] if int(entry.get("rows", 0)) < small_rows]
    if len(small) < min_files:
        return False
    sources = [audit_dir / entry["file"] for entry in small]
    select = scan_sql(LiveFiles(sources, []))
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone='UTC'")
        target = new_segment_path(audit_dir, "cmp")
        _copy_sorted(con, select, target)
    finally:
        con.close()
    add_segments(audit_dir, [(target, sum(int(entry.get("rows", 0)) for entry in small))], replaces=sources)
    return True


def _copy_sorted(con: Any, select: str, target: Path) -> None:
    tmp = target.with_suffix(".parquet.tmp")
    con.execute(f"COPY ({select} ORDER BY event_time) TO {_sql_path(tmp, quoted=True)} "
                f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, target)


def _sql_path(path: Path, quoted: bool = False) -> str:
    """File names cannot be bound parameters in a view or a COPY target; they are ours (uuid names under the
    audit folder), and a quote in the folder path is refused rather than escaped."""
    text = str(path)
    if "'" in text or "\\" in text:
        raise ValueError(f"audit folder path may not contain a quote or backslash: {text!r}")
    return f"'{text}'" if quoted else text
