"""Every analysis on DuckDB and on local pyspark over the same generated log: identical results."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pandas.testing as pdt
import pytest

from sharekit.analytics import DuckDBSource, SharingAnalytics, SparkSource, UsageMonitor, register_local_audit
from sharekit.demo.audit_history import HistoryTruth

pytestmark = pytest.mark.spark

Hist = tuple[Path, HistoryTruth]

ANALYSES: dict[str, Callable[[SharingAnalytics, UsageMonitor, dict[str, Any]], pd.DataFrame]] = {
    "usage": lambda a, u, w: u.usage(**w).df,
    "usage_filtered": lambda a, u, w: u.usage(share="sales_share", recipient="acme_corp", **w).df,
    "threshold": lambda a, u, w: u.check_threshold("sales_share", 0.5, notify=lambda alert: None, **w).df,
    "top_tables": lambda a, u, w: a.most_accessed_tables(**w).df,
    "recipient_activity": lambda a, u, w: a.recipient_activity("globex", **w).df,
    "failed_requests": lambda a, u, w: a.failed_requests(**w).df,
    "anomalies": lambda a, u, w: a.detect_anomalies(metric="both", **w).extra["series"],
    "last_access": lambda a, u, w: a.run("last_access", start_date=w["start"], end_date=w["end"])[0],
    "review_activity": lambda a, u, w: a.run("review_activity", start_date=w["start"], end_date=w["end"])[0],
}


@pytest.fixture(scope="module")
def engines(history: Hist, spark: Any) -> tuple[Any, Any]:
    home, _ = history
    view = register_local_audit(spark, home, "audit_log")
    spark_source = SparkSource(spark, table=view)
    duck = DuckDBSource(home)
    return ((SharingAnalytics(source=duck), UsageMonitor(source=duck)),
            (SharingAnalytics(source=spark_source), UsageMonitor(source=spark_source)))


@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_duckdb_and_spark_agree(history: Hist, engines: tuple[Any, Any], name: str) -> None:
    _, truth = history
    window = {"start": truth.start, "end": truth.end}
    (duck_a, duck_u), (spark_a, spark_u) = engines
    on_duckdb = ANALYSES[name](duck_a, duck_u, window)
    on_spark = ANALYSES[name](spark_a, spark_u, window)
    assert len(on_duckdb) > 0
    assert list(on_duckdb.columns) == list(on_spark.columns)
    assert list(on_duckdb.dtypes) == list(on_spark.dtypes)
    pdt.assert_frame_equal(on_duckdb, on_spark, check_exact=False, rtol=1e-9)
