"""Analytics benchmark: every analysis on DuckDB vs plain pandas (1M and 10M events) and local pyspark (1M),
peak memory per engine, and the audit log's cost on the request path.

Run: ``.venv/bin/python bench/bench_analytics.py [--sizes 1000000,10000000] [--no-spark]``.
Each engine runs in its own child process so its peak RSS is its own. Times are medians of 3 runs after a warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing as mp
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

END = dt.date(2025, 6, 30)
START = END - dt.timedelta(days=29)
WINDOW = {"start": START, "end": END}


def _median_time(fn: Callable[[], Any], runs: int = 3) -> float:
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _analyses(a: Any, u: Any) -> dict[str, Callable[[], Any]]:
    return {
        "daily usage": lambda: u.usage(**WINDOW),
        "top tables": lambda: a.most_accessed_tables(**WINDOW),
        "recipient by hour": lambda: a.recipient_activity("acme_corp", **WINDOW),
        "failed requests": lambda: a.failed_requests(**WINDOW),
        "anomalies": lambda: a.detect_anomalies(**WINDOW),
        "share threshold": lambda: u.check_threshold("sales_share", 1e6, notify=lambda alert: None, **WINDOW),
    }


def run_duckdb(home: str, out: Any) -> None:
    from sharekit.analytics import SharingAnalytics, UsageMonitor

    a = SharingAnalytics(home=home)
    u = UsageMonitor(source=a.source)
    times = {name: _median_time(fn) for name, fn in _analyses(a, u).items()}
    out.put(("duckdb", times, 0.0, _peak_mib()))


def run_spark(home: str, out: Any) -> None:
    import psutil
    from pyspark.sql import SparkSession

    from sharekit.analytics import SharingAnalytics, SparkSource, UsageMonitor, register_local_audit

    spark = (SparkSession.builder.master("local[2]").config("spark.sql.shuffle.partitions", "4")
             .config("spark.driver.memory", "1g").config("spark.sql.session.timeZone", "UTC")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.driver.host", "127.0.0.1").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    source = SparkSource(spark, register_local_audit(spark, home, "audit_log"))
    a, u = SharingAnalytics(source=source), UsageMonitor(source=source)
    jvm_peak = 0.0
    times = {}
    for name, fn in _analyses(a, u).items():
        times[name] = _median_time(fn)
        jvm = sum(child.memory_info().rss for child in psutil.Process().children(recursive=True))
        jvm_peak = max(jvm_peak, jvm / 2**20)
    spark.stop()
    out.put(("spark", times, 0.0, _peak_mib() + jvm_peak))


def run_pandas(home: str, out: Any) -> None:
    """The same analyses in plain pandas over a flat frame (loading it is timed separately)."""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from sharekit.server.audit import store as audit_store

    started = time.perf_counter()
    files = audit_store.live_files(Path(home) / "audit").segments
    columns = ["event_date", "event_time", "action_name", "response", *audit_store.DERIVED_COLUMNS]
    table = pq.ParquetDataset([str(f) for f in files]).read(columns=columns)
    response = table.column("response").combine_chunks()
    table = table.drop_columns(["response"]).append_column("status", pc.struct_field(response, "status_code")) \
        .append_column("error", pc.struct_field(response, "error_message"))
    df = table.to_pandas()
    df["day"] = pd.to_datetime(df["event_date"])
    df["queried"] = df["action_name"].isin(["deltaSharingQueriedTable", "deltaSharingQueriedTableChanges"])
    df["request"] = ~df["queried"]
    load_s = time.perf_counter() - started
    lo, hi = pd.Timestamp(START), pd.Timestamp(END)

    def window() -> pd.DataFrame:
        return df[(df["day"] >= lo) & (df["day"] <= hi) & df["action_name"].str.startswith("deltaSharing")]

    def usage() -> pd.DataFrame:
        w = window()
        w = w.assign(failed=w["status"] >= 400)
        return w.groupby(["day", "_rp_recipient_name", "_rp_share", "_rp_schema", "_rp_name"], dropna=False).agg(
            requests=("request", "sum"), failed=("failed", "sum"), rows=("_res_numRecords", "sum"),
            bytes=("_res_scannedAddFileSize", "sum")).reset_index()

    def top() -> pd.DataFrame:
        w = window()
        w = w[w["_rp_name"].notna()]
        g = w.groupby(["_rp_share", "_rp_schema", "_rp_name"]).agg(
            requests=("request", "sum"), recipients=("_rp_recipient_name", "nunique"),
            rows=("_res_numRecords", "sum"), bytes=("_res_scannedAddFileSize", "sum"),
            duration=("_res_durationMs", "mean"))
        return g.sort_values("requests", ascending=False).head(10)

    def by_hour() -> pd.DataFrame:
        w = window()
        w = w[w["_rp_recipient_name"] == "acme_corp"]
        return w.groupby([w["day"], w["event_time"].dt.hour]).agg(requests=("request", "sum"),
                                                                  bytes=("_res_scannedAddFileSize", "sum"))

    def failed() -> pd.DataFrame:
        w = window()
        w = w[w["status"].isin([401, 403, 404])]
        reason = w["error"].str.extract(r"([A-Z][A-Z_]+):", expand=False)
        return w.groupby([w["_rp_recipient_name"], w["status"], reason], dropna=False).agg(
            requests=("day", "size"), first=("event_time", "min"), last=("event_time", "max"))

    def anomalies() -> pd.DataFrame:
        w = window()
        daily = w.groupby(["_rp_recipient_name", "day"]).agg(requests=("request", "sum"),
                                                             bytes=("_res_scannedAddFileSize", "sum"))
        days = pd.date_range(lo, hi)
        recipients = daily.index.get_level_values(0).unique()
        grid = daily.reindex(pd.MultiIndex.from_product([recipients, days], names=daily.index.names), fill_value=0)
        long = grid.stack().rename("value").reset_index().rename(columns={"level_2": "metric"})
        long["weekend"] = long["day"].dt.weekday >= 5
        keys = ["_rp_recipient_name", "weekend", "metric"]
        stats = long.groupby(keys)["value"].agg(["mean", "std", "median"])
        long = long.join(stats, on=keys)
        long["dev"] = (long["value"] - long["median"]).abs()
        long = long.join(long.groupby(keys)["dev"].median().rename("mad"), on=keys)
        long["z"] = (long["value"] - long["mean"]) / long["std"].replace(0, np.nan)
        long["robust_z"] = 0.6745 * (long["value"] - long["median"]) / long["mad"].replace(0, np.nan)
        return long[(long["z"].abs() > 3.5) | (long["robust_z"].abs() > 5)]

    def threshold() -> pd.DataFrame:
        w = window()
        w = w[w["_rp_share"] == "sales_share"]
        return w.groupby("day").agg(requests=("request", "sum"), bytes=("_res_scannedAddFileSize", "sum"),
                                    recipients=("_rp_recipient_name", "nunique"))

    fns = {"daily usage": usage, "top tables": top, "recipient by hour": by_hour, "failed requests": failed,
           "anomalies": anomalies, "share threshold": threshold}
    times = {name: _median_time(fn) for name, fn in fns.items()}
    out.put(("pandas", times, load_s, _peak_mib()))


def in_child(target: Callable[[str, Any], None], home: Path) -> tuple[str, dict[str, float], float, float]:
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(str(home), queue))
    process.start()
    result = queue.get(timeout=3600)
    process.join(timeout=60)
    return result  # type: ignore[no-any-return]


def bench_audit_overhead(requests: int = 3000) -> dict[str, float]:
    """Latency of an audited endpoint through the real app (in-process ASGI) with the audit log on and off."""
    import httpx

    from sharekit.server.app import create_app
    from sharekit.server.audit.log import AuditEvent
    from sharekit.server.state import build_state

    async def measure(enabled: bool) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            state = build_state(Path(tmp))
            if not enabled:
                state.audit.record = lambda event: None  # type: ignore[method-assign]
            app = create_app(state)
            headers = {"Authorization": f"Bearer {state.admin_token}"}
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
                for _ in range(200):
                    await client.get("/api/2.0/sql/warehouses", headers=headers)
                started = time.perf_counter()
                for _ in range(requests):
                    await client.get("/api/2.0/sql/warehouses", headers=headers)
                elapsed = (time.perf_counter() - started) / requests
            state.audit.close()
            return elapsed

    on = statistics.median([asyncio.run(measure(True)) for _ in range(3)])
    off = statistics.median([asyncio.run(measure(False)) for _ in range(3)])
    with tempfile.TemporaryDirectory() as tmp:
        state = build_state(Path(tmp))
        event = AuditEvent("deltaSharingQueryTable", {"recipient_name": "acme", "share": "s", "schema": "a", "name": "t"})
        started = time.perf_counter()
        for _ in range(20000):
            state.audit.record(event)
        record_us = (time.perf_counter() - started) / 20000 * 1e6
        state.audit.close()
    return {"on_us": on * 1e6, "off_us": off * 1e6, "record_us": record_us}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()
    from sharekit.demo.audit_history import write_audit_history

    print("audit write overhead (in-process ASGI, GET /api/2.0/sql/warehouses):")
    overhead = bench_audit_overhead()
    print(f"  audit on {overhead['on_us']:.0f} µs/request, off {overhead['off_us']:.0f} µs/request "
          f"(+{(overhead['on_us'] / overhead['off_us'] - 1) * 100:.1f}%); AuditLog.record {overhead['record_us']:.1f} µs")
    for size in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp) / "home"
            started = time.perf_counter()
            truth = write_audit_history(home, size, end=END, seed=1)
            print(f"\n{truth.n_events:,} events generated and written in {time.perf_counter() - started:.1f} s")
            runs = [in_child(run_duckdb, home), in_child(run_pandas, home)]
            if not args.no_spark and size <= 1_000_000:
                runs.append(in_child(run_spark, home))
            names = [r[0] for r in runs]
            print(f"  {'analysis':<20}" + "".join(f"{n:>10} s" for n in names) + "   duckdb vs pandas")
            for analysis in runs[0][1]:
                cells = "".join(f"{r[1][analysis]:>12.3f}" for r in runs)
                ratio = runs[1][1][analysis] / runs[0][1][analysis]
                print(f"  {analysis:<20}{cells}   {ratio:5.1f}x faster")
            for name, _, load_s, peak in runs:
                extra = f", load {load_s:.1f} s" if load_s else ""
                print(f"  {name}: peak RSS {peak:,.0f} MiB{extra}")


if __name__ == "__main__":
    main()
