"""The snapshot cache: bounded by the file entries it holds (``SNAPSHOT_CACHE_FILES``) as well as by count, and
the latest version read from the log only when ``_delta_log`` changed — a new commit is always seen."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from sharekit.server import settings
from sharekit.server.tables import snapshots
from sharekit.server.tables.snapshots import SnapshotCache


def table(path: Path, files: int) -> str:
    data = pa.table({"k": [f"k{i}" for i in range(files)], "v": pa.array(range(files), pa.int64())})
    write_deltalake(str(path), data, partition_by=["k"])
    return str(path)


def test_the_cache_is_bounded_by_files_held(tmp_path: Path) -> None:
    assert settings.SNAPSHOT_CACHE_FILES > 100_000  # a 100,000-file table fits, with room for others
    cache = SnapshotCache(tmp_path / "cache", size=10, max_files=25)
    paths = [table(tmp_path / f"t{i}", 10) for i in range(4)]
    for path in paths:
        cache.snapshot(path)
    assert cache.files_held == 20  # the two oldest went: 40 entries would pass the bound of 25
    assert cache.snapshot(paths[3]) is cache.snapshot(paths[3])
    big = table(tmp_path / "big", 30)
    assert len(cache.snapshot(big).files) == 30 and cache.files_held == 30  # the newest stays, alone
    cache.snapshot(paths[0])
    assert cache.files_held == 10  # ... until another one comes


def test_a_new_commit_is_seen_after_the_log_settled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshots, "LOG_SETTLE_NS", 50_000_000)  # 50 ms instead of 2 s
    path = table(tmp_path / "t", 2)
    cache = SnapshotCache(tmp_path / "cache")
    assert cache.latest_version(path) == 0
    time.sleep(0.1)
    calls = []
    original = cache._tables[path].update_incremental
    cache._tables[path].update_incremental = lambda: calls.append(1) or original()  # type: ignore[method-assign]
    assert cache.latest_version(path) == 0 and cache.latest_version(path) == 0
    assert calls == []  # an unchanged, settled log is not read again
    write_deltalake(path, pa.table({"k": ["x"], "v": pa.array([9], pa.int64())}), mode="append", partition_by=["k"])
    assert cache.latest_version(path) == 1 and len(cache.snapshot(path).files) == 3 and calls  # read again
    # a log folder whose mtime did not move (a coarse clock) is read again while it is recent
    log = os.path.join(path, "_delta_log")
    stamp = os.stat(log).st_mtime_ns
    write_deltalake(path, pa.table({"k": ["y"], "v": pa.array([8], pa.int64())}), mode="append", partition_by=["k"])
    os.utime(log, ns=(stamp, stamp))
    if time.time_ns() - stamp < snapshots.LOG_SETTLE_NS:
        assert cache.latest_version(path) == 2
