"""The change-data cache is bounded (issue 16), like the view cache: materialising a commit drops the least
recently handed-out commits beyond ``CDF_KEEP_COMMITS``, never one handed out within a signed URL's life, and a
dropped commit is materialised again when asked for. Real Delta table, real ``SnapshotCache``."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from sharekit.server.settings import SIGNED_URL_TTL_S
from sharekit.server.tables import changes
from sharekit.server.tables.snapshots import SnapshotCache

COMMITS = 6


@pytest.fixture
def table(tmp_path: Path) -> str:
    path = str(tmp_path / "events")
    for version in range(COMMITS):
        rows = pa.table({"id": pa.array([version * 10 + i for i in range(10)], pa.int64()),
                         "part": pa.array(["a", "b"] * 5)})
        write_deltalake(path, rows, mode="append", partition_by=["part"],
                        configuration={"delta.enableChangeDataFeed": "true"} if version == 0 else None)
    return path


def age(folder: Path, seconds: float) -> None:
    """Pretend the commit's files were last handed out ``seconds`` ago."""
    moment = time.time() - seconds
    os.utime(folder / changes.INDEX, (moment, moment))


def test_materialising_drops_old_commits_but_never_live_ones(table: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes, "CDF_KEEP_COMMITS", 2)
    cache = SnapshotCache(tmp_path / "cache")
    table_id = DeltaTable(table).metadata().id
    key = "k" * 32
    root = cache.change_folder(key) / changes.relative_folder(table_id, 0)
    folder = root.parent

    def commit(version: int) -> Path:
        return folder / f"v{version}"

    for version in range(4):
        assert cache.changes(table, key, table_id, version)
    # handed out long ago, long ago, just within a signed URL's life, a moment ago
    age(commit(0), 3 * SIGNED_URL_TTL_S)
    age(commit(1), 2 * SIGNED_URL_TTL_S)
    age(commit(2), SIGNED_URL_TTL_S - 120)
    age(commit(3), 1)
    files = cache.changes(table, key, table_id, 4)  # the fifth commit: over the bound of 2
    assert files and all((folder.parent / f.path).is_file() for f in files)
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == ["v2", "v3", "v4"]  # v2 and v3 beyond the bound, but a live URL may point at their files

    # asking for a dropped commit materialises it again, with the same rows
    again = cache.changes(table, key, table_id, 0)
    assert sum(f.num_records for f in again) == 10
    assert (commit(0) / changes.INDEX).is_file()


def test_handing_out_a_commit_counts_as_use(table: str, tmp_path: Path) -> None:
    cache = SnapshotCache(tmp_path / "cache")
    table_id = DeltaTable(table).metadata().id
    cache.changes(table, "k" * 32, table_id, 1)
    commit = cache.change_folder("k" * 32) / changes.relative_folder(table_id, 1)
    age(commit, 3 * SIGNED_URL_TTL_S)
    cache.changes(table, "k" * 32, table_id, 1)  # served again: its files now back live URLs
    assert changes.prune(cache.cache_dir / "cdf", keep=0) == []
    age(commit, 3 * SIGNED_URL_TTL_S)
    assert changes.prune(cache.cache_dir / "cdf", keep=0) == [commit]
