"""The query path at scale: tables of 1,000, 10,000 and 100,000 files (one commit each, 100 buckets × n/100
parts) — the cold first query (the snapshot load), warm queries with and without a partition predicate, and
the memory the server holds for the snapshot (resident set of the server process before and after).

Goals (issue 14): 100,000-file table, warm query with a partition predicate < 100 ms, cold first query < 2 s."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

SIZES = (1_000, 10_000, 100_000)


def wide_table(path: Path, files: int) -> None:
    """``files`` one-row files in one commit: partitions ``bucket`` (100 values) × ``part`` (files / 100)."""
    import pyarrow as pa
    from deltalake import write_deltalake

    data = pa.table({"bucket": [f"b{i % 100:03d}" for i in range(files)],
                     "part": [f"p{i // 100:04d}" for i in range(files)],
                     "seq": pa.array(range(files), pa.int64()), "value": pa.array([1.0] * files)})
    write_deltalake(str(path), data, partition_by=["bucket", "part"])


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(session: Any, endpoint: str, share: str, pid: int, queries: int) -> list[dict[str, Any]]:
    hint = json.dumps({"op": "equal", "children": [{"op": "column", "name": "bucket", "valueType": "string"},
                                                   {"op": "literal", "value": "b042", "valueType": "string"}]})
    results = []
    for files in SIZES:
        url = f"{endpoint.rstrip('/')}/shares/{share}/schemas/scale/tables/f{files}/query"
        before = resident_mb(pid)
        started = time.perf_counter()
        response = session.post(url, json={}, timeout=600)
        cold = time.perf_counter() - started
        response.raise_for_status()
        returned = len(response.text.splitlines()) - 2
        warm: dict[str, list[float]] = {"predicate": [], "none": []}
        for _ in range(queries):
            for kind, body in (("predicate", {"jsonPredicateHints": hint}), ("none", {})):
                started = time.perf_counter()
                session.post(url, json=body, timeout=600).raise_for_status()
                warm[kind].append(time.perf_counter() - started)
        results.append({"files": files, "returned": returned, "cold_ms": cold * 1000,
                        "predicate_ms": statistics.median(warm["predicate"]) * 1000,
                        "none_ms": statistics.median(warm["none"]) * 1000,
                        "memory_mb": resident_mb(pid) - before})
    return results


def report(results: list[dict[str, Any]]) -> None:
    print(f"\n{'scale (POST …/query)':24} {'cold ms':>9} {'warm pred ms':>13} {'warm all ms':>12} "
          f"{'files out':>10} {'RSS +MB':>8}")
    for r in results:
        print(f"{r['files']:>10,} files{'':8} {r['cold_ms']:9.0f} {r['predicate_ms']:13.1f} {r['none_ms']:12.1f} "
              f"{r['returned']:10,} {r['memory_mb']:8.1f}")
    big = results[-1]
    print(f"goal 100,000 files: warm predicate query < 100 ms: {big['predicate_ms']:.1f} ms -> "
          f"{'met' if big['predicate_ms'] < 100 else 'NOT met'}; cold first query < 2 s: {big['cold_ms']:.0f} ms -> "
          f"{'met' if big['cold_ms'] < 2000 else 'NOT met'}; memory held {big['memory_mb']:.0f} MB (reported)")


def main() -> None:
    """Only the scale figures: ``python bench/protocol_scale.py [--queries 20]`` (``bench_protocol.py`` runs them
    too, after its other figures)."""
    import argparse
    import sys
    import tempfile

    import requests

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from databricks.sdk.service import sharing as S

    from sharekit.activation import activate
    from sharekit.connect import connect_local

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sharekit-scale-") as name:
        home = Path(name) / "home"
        for files in SIZES:
            wide_table(home / "tables" / "bench" / "scale" / f"f{files}", files)
        ws = connect_local(home)
        try:
            ws.client.shares.create("bench_scale")
            ws.client.shares.update("bench_scale", updates=[S.SharedDataObjectUpdate(
                action=S.SharedDataObjectUpdateAction.ADD, data_object=S.SharedDataObject(
                    name=f"bench.scale.f{n}", data_object_type=S.SharedDataObjectDataObjectType.TABLE))
                for n in SIZES])
            ws.client.recipients.create("reader_scale", authentication_type=S.AuthenticationType.TOKEN)
            ws.client.shares.update_permissions("bench_scale", changes=[
                S.PermissionsChange(principal="reader_scale", add=["SELECT"])])
            settings = json.loads(activate(ws, "reader_scale", Path(name) / "reader.share").read_text())
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {settings['bearerToken']}"
            assert ws._process is not None, "the scale figures need a server this run started"
            results = measure(session, settings["endpoint"], "bench_scale", ws._process.pid, args.queries)
        finally:
            ws.close()
    report(results)


if __name__ == "__main__":
    main()
