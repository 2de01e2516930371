"""Fixtures of the analytics area: a generated audit history with known truth, and a local Spark session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sharekit.demo.audit_history import HistoryTruth, write_audit_history

END = dt.date(2025, 6, 30)
EVENTS = 60_000
SEED = 3


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, HistoryTruth]:
    """A home whose audit folder holds 30 days of generated history (read-only for tests)."""
    home = tmp_path_factory.mktemp("history") / "home"
    truth = write_audit_history(home, EVENTS, end=END, seed=SEED)
    return home, truth


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pyspark_sql = pytest.importorskip("pyspark.sql")
    session = (pyspark_sql.SparkSession.builder.master("local[2]").appName("sharekit-analytics-tests")
               .config("spark.sql.shuffle.partitions", "4").config("spark.driver.memory", "1g")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
