"""Delta Sharing data plane benchmark: the real ``delta-sharing`` client through the embedded server, against a
direct ``deltalake`` read of the same table, in one run, plus query latency on a 10,000-file partitioned table.

    python bench/bench_protocol.py [--rows 1000000] [--runs 5] [--files 10000] [--queries 20]

Goals (issue 3): client read <= 1.25x the direct read (median); 10,000-file query with a partition predicate
< 100 ms. Trials are interleaved (direct, parquet, delta, default, direct, ...) so machine noise hits all alike.
Then (issue 14) sharekit ÷ a minimal baseline server on the same files (``protocol_compare``; goal <= 1.0 on
every line) and the 1,000 / 10,000 / 100,000-file scale figures (``protocol_scale``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import protocol_compare  # bench/ on the path: the baseline server and the scale figures
import protocol_scale


def big_table(path: Path, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    from deltalake import write_deltalake

    rng = np.random.default_rng(7)
    ids = np.arange(rows, dtype=np.int64)
    data = pa.table({
        "id": ids,
        "value": rng.normal(size=rows),
        "name": pa.array([f"name-{i % 1000}" for i in range(rows)]),
        "ts": pa.array(1_767_225_600_000_000 + ids * 1_000_000, pa.timestamp("us", tz="UTC")),
        "qty": rng.integers(0, 1000, size=rows, dtype=np.int32),
        "part": pa.array(["a", "b", "c"]).take(pa.array(ids % 3)),
    })
    write_deltalake(str(path), data, partition_by=["part"])


def many_files_table(path: Path, files: int) -> None:
    """``files`` small files: 100 partitions (``bucket``), written in ``files / 100`` appends of one file each."""
    import pyarrow as pa
    from deltalake import write_deltalake

    partitions = 100
    for batch in range(max(1, files // partitions)):
        keys = list(range(partitions))
        data = pa.table({"bucket": pa.array([f"b{k:03d}" for k in keys]),
                         "seq": pa.array([batch * partitions + k for k in keys], pa.int64()),
                         "value": pa.array([float(k) for k in keys])})
        write_deltalake(str(path), data, partition_by=["bucket"], mode="append")


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def measure(home: Path, tmp: Path, big: Path, args: argparse.Namespace) -> dict[str, Any]:
    import delta_sharing
    import requests
    from databricks.sdk.service import sharing as S
    from deltalake import DeltaTable

    from sharekit.activation import activate
    from sharekit.connect import connect_local

    ws = connect_local(home)
    label = "bench"
    try:
        client = ws.client
        client.shares.create(f"bench_{label}")
        client.shares.update(f"bench_{label}", updates=[
            S.SharedDataObjectUpdate(action=S.SharedDataObjectUpdateAction.ADD, data_object=S.SharedDataObject(
                name=name, data_object_type=S.SharedDataObjectDataObjectType.TABLE))
            for name in ("bench.data.big", "bench.data.many_files",
                         *(f"bench.scale.f{n}" for n in (protocol_scale.SIZES if args.scale else ())))])
        client.recipients.create(f"reader_{label}", authentication_type=S.AuthenticationType.TOKEN)
        client.shares.update_permissions(f"bench_{label}", changes=[
            S.PermissionsChange(principal=f"reader_{label}", add=["SELECT"])])
        profile = activate(ws, f"reader_{label}", tmp / f"reader_{label}.share")
        url = f"{profile}#bench_{label}.data.big"

        methods: dict[str, Callable[[], Any]] = {
            "direct deltalake DeltaTable(path).to_pandas()": lambda: DeltaTable(str(big)).to_pandas(),
            "load_as_pandas(use_delta_format=False)  parquet": lambda: delta_sharing.load_as_pandas(
                url, use_delta_format=False),
            "load_as_pandas(use_delta_format=True)   delta": lambda: delta_sharing.load_as_pandas(
                url, use_delta_format=True),
            "load_as_pandas() default (auto)": lambda: delta_sharing.load_as_pandas(url),
        }
        samples: dict[str, list[float]] = {name: [] for name in methods}
        for name, fn in methods.items():  # warm-up: imports, snapshot cache, page cache
            assert len(fn()) == args.rows, name
        for _ in range(args.runs):
            for name, fn in methods.items():
                samples[name].append(timed(fn)[0])

        settings = json.loads(profile.read_text())
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {settings['bearerToken']}"
        query = settings["endpoint"] + f"shares/bench_{label}/schemas/data/tables/many_files/query"
        hint = json.dumps({"op": "equal", "children": [{"op": "column", "name": "bucket", "valueType": "string"},
                                                       {"op": "literal", "value": "b042", "valueType": "string"}]})
        bodies = {"10,000-file query, partition predicate": {"jsonPredicateHints": hint},
                  "10,000-file query, no predicate": {}}
        latency: dict[str, list[float]] = {name: [] for name in bodies}
        files_returned: dict[str, int] = {}
        for name, body in bodies.items():  # warm-up (first load of the 10,000-file snapshot)
            t_first, response = timed(lambda body=body: session.post(query, json=body, timeout=120))
            files_returned[name] = len(response.text.splitlines()) - 2
            print(f"  [{label}] first {name}: {t_first * 1000:.0f} ms (includes the snapshot load)")
        for _ in range(args.queries):
            for name, body in bodies.items():
                latency[name].append(timed(lambda body=body: session.post(query, json=body, timeout=120))[0])
        tables = home / "tables" / "bench"
        compare = protocol_compare.small_requests(profile, f"bench_{label}", tables, args.small_requests)
        compare += protocol_compare.client_paths(profile, f"bench_{label}", tables, tmp, args.rows, args.runs)
        assert ws._process is not None or not args.scale, "the scale figures need a server this run started"
        scale = protocol_scale.measure(session, settings["endpoint"], f"bench_{label}", ws._process.pid,
                                       args.queries) if args.scale and ws._process is not None else []
    finally:
        ws.close()
    return {"samples": samples, "latency": latency, "files": files_returned, "compare": compare, "scale": scale}


def report(result: dict[str, Any], args: argparse.Namespace, size_mb: float) -> None:
    samples, latency, files_returned = result["samples"], result["latency"], result["files"]
    direct = median_ms(samples["direct deltalake DeltaTable(path).to_pandas()"])
    print()
    print(f"{args.rows:,} rows, {size_mb:.1f} MB: median of {args.runs} interleaved runs (after a warm-up)")
    print(f"{'method':52} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'vs direct':>10}")
    for name, values in samples.items():
        med = median_ms(values)
        print(f"{name:52} {med:10.0f} {min(values) * 1000:8.0f} {max(values) * 1000:8.0f} {med / direct:9.2f}x")
    print(f"{args.files:,}-file partitioned table (100 partitions): median of {args.queries} POST …/query")
    print(f"{'query':52} {'median ms':>10} {'p90 ms':>8} {'files':>8}")
    for name, values in latency.items():
        ordered = sorted(values)
        p90 = ordered[int(0.9 * (len(ordered) - 1))] * 1000
        print(f"{name:52} {median_ms(values):10.1f} {p90:8.1f} {files_returned[name]:8,}")
    best_name, best = min(((k, median_ms(v)) for k, v in samples.items() if k.startswith("load_as_pandas")),
                          key=lambda kv: kv[1])
    pred = median_ms(latency["10,000-file query, partition predicate"])
    print(f"goal client <= 1.25x direct: best path ({best_name.split()[0]}{best_name.split('  ')[-1] if '  ' in best_name else ''}) "
          f"{best / direct:.2f}x -> {'met' if best <= 1.25 * direct else 'NOT met'}")
    print(f"goal predicate query < 100 ms: {pred:.1f} ms -> {'met' if pred < 100 else 'NOT met'}")
    protocol_compare.report(result["compare"])
    if result["scale"]:
        protocol_scale.report(result["scale"])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--small-requests", type=int, default=200, help="HEAD / range GET / query rounds")
    parser.add_argument("--no-scale", dest="scale", action="store_false", help="skip the 1k/10k/100k-file tables")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sharekit-bench-") as name:
        tmp = Path(name)
        home = tmp / "home"
        big = home / "tables" / "bench" / "data" / "big"
        many = home / "tables" / "bench" / "data" / "many_files"
        print(f"writing {args.rows:,}-row table and {args.files:,}-file table ...", flush=True)
        t_big, _ = timed(lambda: big_table(big, args.rows))
        t_many, _ = timed(lambda: many_files_table(many, args.files))
        if args.scale:
            t_scale, _ = timed(lambda: [protocol_scale.wide_table(home / "tables" / "bench" / "scale" / f"f{n}", n)
                                        for n in protocol_scale.SIZES])
            print(f"  scale tables {', '.join(f'{n:,}' for n in protocol_scale.SIZES)} files ({t_scale:.1f} s)")
        size_mb = sum(f.stat().st_size for f in big.rglob("part-*.parquet")) / 1e6
        print(f"  big: {size_mb:.1f} MB in {len(list(big.rglob('part-*.parquet')))} files ({t_big:.1f} s); "
              f"many_files: {len(list(many.rglob('part-*.parquet'))):,} files ({t_many:.1f} s)")
        result = measure(home, tmp, big, args)
    report(result, args, size_mb)


if __name__ == "__main__":
    main()
