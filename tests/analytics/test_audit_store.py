"""The audit log's storage: write-ahead file, Parquet segments, compaction, crash survival, concurrent readers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sharekit.analytics import DuckDBSource, SharingAnalytics
from sharekit.analytics.queries import Query
from sharekit.server.audit import store as audit_store
from sharekit.server.audit.log import AuditEvent, AuditLog

COUNT = Query("count", "SELECT action_name, count(*) AS n FROM system.access.audit GROUP BY 1 ORDER BY 1")


def counts(audit_dir: Path) -> dict[str, int]:
    source = DuckDBSource(audit_dir)
    try:
        frame = source.run(COUNT)
    finally:
        source.close()
    return dict(zip(frame["action_name"], frame["n"]))


def test_events_are_readable_at_once_then_rolled_into_segments(tmp_path: Path) -> None:
    audit_dir = tmp_path / "audit"
    log = AuditLog(audit_dir)
    for index in range(50):
        log.record(AuditEvent("deltaSharingQueryTable", {"recipient_name": "acme", "n": str(index)},
                              result={"numRecords": index}))
    assert counts(audit_dir) == {"deltaSharingQueryTable": 50}  # from the write-ahead file, no flush needed
    log.roll()
    files = audit_store.live_files(audit_dir)
    assert len(files.segments) == 1 and len(files.wals) == 1
    log.record(AuditEvent("createShare", {"name": "s"}, user_email="admin@x"))
    assert counts(audit_dir) == {"createShare": 1, "deltaSharingQueryTable": 50}
    log.close()
    files = audit_store.live_files(audit_dir)
    assert files.wals == [] and len(files.segments) == 2
    assert counts(audit_dir) == {"createShare": 1, "deltaSharingQueryTable": 50}
    assert not list(audit_dir.glob("wal-*.jsonl"))


def test_compaction_keeps_every_event(tmp_path: Path) -> None:
    audit_dir = tmp_path / "audit"
    log = AuditLog(audit_dir, background=False)
    for _ in range(9):
        log.record(AuditEvent("deltaSharingListShares", {"recipient_name": "r"}))
        log.roll()
    log.close()
    assert len(audit_store.live_files(audit_dir).segments) == 9
    assert audit_store.compact(audit_dir, min_files=8)
    files = audit_store.live_files(audit_dir)
    assert len(files.segments) == 1 and len(list((audit_dir / "segments").glob("*.parquet"))) == 1
    assert counts(audit_dir) == {"deltaSharingListShares": 9}


def test_torn_last_line_and_orphaned_wal_are_handled(tmp_path: Path) -> None:
    audit_dir = tmp_path / "audit"
    log = AuditLog(audit_dir, background=False)
    log.record(AuditEvent("deltaSharingGetShare", {"share": "s"}))
    log.flush()
    wal = audit_store.live_files(audit_dir).wals[0]
    orphan = audit_dir / "wal-1-999999999-dead.jsonl"  # a pid that cannot exist: the writer crashed
    orphan.write_bytes(wal.read_bytes() + b'{"account_id": "torn mid-wr')
    assert counts(audit_dir) == {"deltaSharingGetShare": 2}
    log.close()
    second = AuditLog(audit_dir)  # adopts the orphan in its background thread
    deadline = time.monotonic() + 10
    while orphan.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second.close()
    assert not orphan.exists()
    assert counts(audit_dir) == {"deltaSharingGetShare": 2}


def test_record_on_the_request_path_is_cheap(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit")
    event = AuditEvent("deltaSharingQueryTable", {"recipient_name": "acme", "share": "s", "schema": "a", "name": "t"})
    started = time.perf_counter()
    for _ in range(2000):
        log.record(event)
    per_event = (time.perf_counter() - started) / 2000
    log.close()
    assert per_event < 0.001  # typically 20-30 µs; a request takes milliseconds


@pytest.mark.crash
def test_acknowledged_events_survive_kill_9(home: Path) -> None:
    """A real server process is killed with SIGKILL right after answering: its events are still in the log."""
    from sharekit.connect import connect_local

    ws = connect_local(home)
    try:
        for _ in range(5):
            list(ws.client.warehouses.list())
        info = ws.client.api_client.do("GET", "/sharekit/health")
        os.kill(int(info["pid"]), signal.SIGKILL)
        assert ws._process is not None
        ws._process.wait(timeout=10)
    finally:
        ws.close()
    assert counts(home / "audit").get("listWarehouses") == 5
    # the next server adopts the dead server's write-ahead file into a segment
    code = ("import sys, time; from pathlib import Path; from sharekit.server.audit.log import AuditLog; "
            "log = AuditLog(Path(sys.argv[1])); time.sleep(1.0); log.close()")
    subprocess.run([sys.executable, "-c", code, str(home / "audit")], check=True, timeout=60)
    assert audit_store.live_files(home / "audit").wals == []
    assert counts(home / "audit").get("listWarehouses") == 5
    assert SharingAnalytics(home=home).source.name == "duckdb"
